// Internal declarations shared by the files of solvers/bab/ (not part of the public header):
// subdomains as chains of decisions, the split chosen for an open node, the node queue, and
// the branching rules.
#pragma once
#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "solvers/bab/bab.h"

namespace bab::detail {

using Clock = std::chrono::steady_clock;
// Seconds from a to b: the search's deadlines and the timings it reports.
inline double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// A subdomain is the chain of decisions from the root (HiGHS mip/HighsDomainChange.h): each
// link holds one decision and shares its parent's prefix, so an open node costs one link.
struct DecisionLink {
  Decision decision;
  std::shared_ptr<const DecisionLink> parent;
};
using Path = std::shared_ptr<const DecisionLink>;
Path extend(const Path& parent, const Decision& d);
std::vector<Decision> path_decisions(const Path& path);  // root to leaf
// Applies one decision to a subdomain in place (input splits shrink the box, ReLU decisions set
// the phase, mask decisions set the bit and use the budget).
void apply_decision(const spec::Problem& problem, const Decision& d, bounds::Subdomain& s);
bounds::Subdomain materialise(const spec::Problem& problem, const bounds::Subdomain& root, const Path& path);

// The split chosen for an open node when it was bounded.
struct Split {
  enum class Kind : uint8_t { none, input, relu, mask } kind = Kind::none;
  int layer = -1;
  int index = 0;
  double at = 0;  // input: bisection point
};
// The two children decisions of a split.
std::pair<Decision, Decision> split_decisions(const Split& s);

// Mask bits of a subdomain as a witness mask: decided prunes are 0, everything else kept.
// Admissible for every subdomain (prunes never exceed the budget). Empty without masks.
net::Mask decided_mask(const spec::Problem& problem, const bounds::Subdomain& s);
// True when the subdomain may still prune in some layer (an undecided bit and budget left).
bool maskable(const bounds::Subdomain& s);

// Branching rules (one file each). Each returns Kind::none when it has nothing to split.
Split choose_input_split(const bounds::Subdomain& s, const bounds::SubdomainBounds& b);  // branching_input.cpp
// The ReLU rules over hidden layers [first, end) (end < 0: to the last hidden layer).
Split choose_relu_babsr(const bounds::Subdomain& s, const bounds::SubdomainBounds& b, int first = 0,
                        int end = -1);  // branching_babsr.cpp
Split choose_relu_widest(const bounds::Subdomain& s, const bounds::SubdomainBounds& b, int first = 0,
                         int end = -1);  // branching_widest.cpp
Split choose_relu_layer(const bounds::Subdomain& s, const bounds::SubdomainBounds& b);   // branching_layer.cpp
Split choose_mask_split(const spec::Problem& problem, const bounds::Subdomain& s,
                        const Eigen::VectorXd& x);                                      // branching_mask.cpp
// True when neuron i of hidden layer j is undecided and its bounds straddle 0.
bool unstable(const bounds::Subdomain& s, const bounds::SubdomainBounds& b, int j, int i);

// The leaf LP (leaf_lp.cpp, Clp): minimise t over x in the box subject to G_r x + g_r <= t for
// every output row r and P_i x + q_i >= 0 for every fixed phase i, in about time_limit_s seconds.
// optimal: value, the minimiser x and the multipliers (mu_1..mu_R, lambda_1..lambda_F), all >= 0;
// infeasible: multipliers holds F lambdas of a Farkas vector; stopped: Clp gave no answer.
struct LeafLp {
  enum class Status { optimal, infeasible, stopped } status = Status::stopped;
  double value = 0;
  Eigen::VectorXd x;
  std::vector<double> multipliers;
};
LeafLp solve_leaf_lp(const spec::Box& box, const Eigen::MatrixXd& G, const Eigen::VectorXd& g, const Eigen::MatrixXd& P,
                     const Eigen::VectorXd& q, double time_limit_s = std::numeric_limits<double>::infinity());

// The network on a subdomain where every neuron's phase is known (linear_region.cpp): outputs
// y = Y x + y0 on {x in box : P x + q >= 0}, one row per phase-fixed neuron in (layer, index)
// order. The *_abs members are the same compositions with |W| and |b|: magnitudes for widening.
struct LinearRegion {
  Eigen::MatrixXd Y, Y_abs, P, P_abs;
  Eigen::VectorXd y0, y0_abs, q, q_abs;
};
// False when a neuron is unstable under b (undecided with l < 0 < u) or the subdomain may still prune.
bool linear_region(const spec::Problem& problem, const bounds::Subdomain& s, const bounds::SubdomainBounds& b,
                   LinearRegion* out);
// Certified lower bound of max_r f_r over the region for multipliers (mu_1..mu_R, lambda_1..lambda_F).
double lagrangian_bound(const spec::Box& box, const LinearRegion& region, const spec::Conjunction& conj,
                        const std::vector<double>& multipliers, const bounds::BoundOptions& o);
// True when lambda proves that no box point satisfies every row of P x + q >= 0.
bool farkas_empty(const spec::Box& box, const LinearRegion& region, const std::vector<double>& lambda,
                  const bounds::BoundOptions& o);
struct LeafDecision {
  enum class Outcome { undecided, proven, infeasible } outcome = Outcome::undecided;
  double margin_lower = -std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> multipliers;  // see ProvenLeaf::multipliers
  Eigen::VectorXd candidate;                     // the LP minimiser of the worst disjunct
};
// Solves the leaf LP of each disjunct the bound b does not already prove (LPs whose constraint
// matrix has more than max_entries entries are not attempted: undecided; all LPs together stop
// after about time_limit_s seconds, leaving the rest undecided).
LeafDecision decide_linear_region(const spec::Problem& problem, const bounds::Subdomain& s,
                                  const bounds::SubdomainBounds& b, const LinearRegion& region,
                                  const bounds::BoundOptions& o, int64_t max_entries, util::Stats* stats,
                                  double time_limit_s = std::numeric_limits<double>::infinity());

// The end of a search (bab.cpp; both searches): the verdict, the margin's certified lower bound
// (unsat_lower when unsat, else global_lower, and at most the witness's margin when sat), the
// witness, and notes on undecided subdomains and the depth-first fallback.
void finish_result(spec::Result& result, spec::Verdict v, double unsat_lower, double global_lower,
                   const std::optional<spec::Witness>& witness, int64_t stuck, bool used_depth_first);

// Branching::first_layer (first_layer_split.cpp): its own search over boxes of the first hidden
// layer's pre-activations; throws util::InputError for pruning queries.
spec::Result solve_first_layer_split(const spec::Problem& problem, const BabOptions& options);

// An open node of the search.
struct Node {
  Path path;         // decisions from the root (null at the root)
  int depth = 0;     // number of decisions
  double lower = 0;  // certified lower bound of the margin on the node (max of its own and its parent's)
  Split split;       // chosen when the node was bounded
  uint64_t id = 0;   // creation order: ties in `lower` go to the older node
  // The node's own intermediate bounds, handed to its children when they differ from it by a
  // ReLU split (BabOptions::reuse_parent_bounds); null otherwise.
  std::shared_ptr<const std::vector<bounds::LayerBounds>> known;
  // The node's optimised alpha-CROWN slopes and multipliers, its children's warm start
  // (BabOptions::warm_start); null otherwise.
  std::shared_ptr<const bounds::OptimisedSlopes> slopes;
};

// Open nodes, lowest lower bound first (HiGHS mip/HighsNodeQueue.h). In depth-first mode
// (memory above the limit) new nodes go on a stack that is popped first, deepest node on top,
// so the number of open nodes stops growing; best-first resumes once the stack is empty.
class NodeQueue {
 public:
  void push(Node node);
  Node pop();
  bool empty() const { return heap_.empty() && stack_.empty(); }
  size_t size() const { return heap_.size() + stack_.size(); }
  double min_lower() const;  // +inf when empty
  void set_depth_first(bool on) { depth_first_ = on; }
  bool depth_first() const { return depth_first_; }
  bool stack_empty() const { return stack_.empty(); }
  // Estimated bytes held by the open nodes (node, link and shared-pointer control block each).
  size_t bytes() const;

 private:
  struct Later {  // heap order: the node to pop first compares greatest
    bool operator()(const Node& a, const Node& b) const {
      return a.lower != b.lower ? a.lower > b.lower : a.id > b.id;
    }
  };
  static size_t known_bytes(const Node& n);  // its known bounds and slopes
  std::vector<Node> heap_;
  std::vector<Node> stack_;
  bool depth_first_ = false;
  size_t known_bytes_ = 0;  // held by the open nodes' `known` bounds and slopes
};

}  // namespace bab::detail
