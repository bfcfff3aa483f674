// Falsifiers over pruning masks at a fixed input x (seed 003, Problem 1 and section 5.3): greedy
// removal, PGD over continuous mask scores projected to top-k with a straight-through estimator,
// removal of the largest-L2-norm neurons, and random masks. Each searches the masks that prune at
// most s_k neurons of hidden layer k for the lowest property margin; every reported mask is
// checked admissible and its margin recomputed by exact forward evaluation (net.eval(x, mask)).
#pragma once
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "src/net/network.h"
#include "src/spec/problem.h"
#include "src/util/stats.h"

namespace attack {

enum class MaskAttackKind { greedy, pgd_ste, l2, random, local };
const char* to_string(MaskAttackKind kind);
// "greedy", "pgd" (or "pgd-ste"), "l2", "random", "local"; throws util::InputError("--mask-attack", ...).
MaskAttackKind parse_mask_attack(const std::string& name);

struct MaskAttackOptions {
  int pgd_steps = 400;          // PGD-STE steps per restart (seed 003, section 5.3: 400)
  int pgd_restarts = 1;         // PGD-STE runs; the first starts from all-kept scores, later ones from random scores
  double pgd_step_size = 0.1;   // first step on the scores, in units of the largest gradient entry; decays to 1/10
  int random_masks = 1000;      // random masks sampled (seed 003, section 5.3: 1,000)
  int local_sweeps = 50;        // local search: improving moves at most
  bool stop_when_found = false; // return at the first mask with margin <= 0 instead of the lowest margin
  uint64_t seed = 0;
  double time_limit_s = 1e9;
};

struct MaskAttackResult {
  bool found = false;            // best.mask violates the property at best.x (spec::confirm_witness passed)
  spec::Witness best;            // x, the exact outputs y under best.mask, and best.mask (admissible)
  double best_margin = std::numeric_limits<double>::infinity();  // property margin at (x, best.mask), exact
  std::string method;            // the attack that found best
  int64_t evaluations = 0;       // masks evaluated (forward passes, full or incremental)
  // Random masks only (seed 003 reports mean +- std over 1,000 masks): margin statistics and the
  // share of sampled masks that violate the property.
  double mean_margin = 0, std_margin = 0, violating_fraction = 0;
};

// Each attack runs at x (empty: the centre of problem.box, which is the point itself when
// eps = 0) with the budget problem.budget (none: nothing may be pruned). x must lie in the box.
MaskAttackResult greedy_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                    const MaskAttackOptions& options = {}, util::Stats* stats = nullptr);
MaskAttackResult pgd_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                 const MaskAttackOptions& options = {}, util::Stats* stats = nullptr);
MaskAttackResult l2_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                const MaskAttackOptions& options = {}, util::Stats* stats = nullptr);
MaskAttackResult random_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                    const MaskAttackOptions& options = {}, util::Stats* stats = nullptr);
// Local search from `start` (empty: nothing pruned): best single prune or swap within a layer,
// repeated until no move lowers the margin (mask_local_search.cpp).
MaskAttackResult local_search_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                          const net::Mask& start, const MaskAttackOptions& options = {},
                                          util::Stats* stats = nullptr);
// The given attacks in order (default: l2, greedy, pgd_ste, random: cheap first); the best
// result, with `method` naming the attack that found it. `local` starts from the best mask so far.
MaskAttackResult mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                             const MaskAttackOptions& options = {},
                             const std::vector<MaskAttackKind>& kinds = {MaskAttackKind::l2, MaskAttackKind::greedy,
                                                                         MaskAttackKind::pgd_ste,
                                                                         MaskAttackKind::random},
                             util::Stats* stats = nullptr);

// True when mask has one entry per hidden neuron and prunes at most budget.s[k] in layer k.
bool is_admissible_mask(const net::LayeredNetwork& net, const spec::PruningBudget& budget, const net::Mask& mask);
// Property margin of the pruned network at x: problem.property.margin(net.eval(x, mask)).
double mask_margin(const spec::Problem& problem, const Eigen::VectorXd& x, const net::Mask& mask);
// The margin with continuous gates g (post-ReLU activations multiplied by g_k[i]; a 0/1 g is a
// mask) and, when grad is given, its (sub)gradient with respect to every gate.
double gated_margin_and_gradient(const spec::Problem& problem, const Eigen::VectorXd& x,
                                 const std::vector<Eigen::VectorXd>& gates, std::vector<Eigen::VectorXd>* grad);

}  // namespace attack
