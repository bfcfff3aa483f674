// Local substitute networks and what they are good for (DESIGN.md "Substitutes and Lemma 1").
// The public header of substitute/:
//   - robustness distances around an anchor x0 (seed 001 Section 2): d_adv (PGD), d_rob (the
//     incomplete bounds engine), d_bnd (the complete engine, seed 001 eq. 1), always
//     d_rob <= d_bnd <= d_adv (distances.cpp);
//   - three pruners building a smaller network g with the same inputs and outputs:
//     constant (seed 001 Algorithm 1, constant_pruner.cpp), linear (Algorithm 2,
//     linear_pruner.cpp) and activation-preserving (activation_pruner.cpp, g = f on B_delta);
//   - upper bounds of the local Lipschitz constants of the margin functions (lipschitz.cpp);
//   - the Lemma 1 transfer of a certificate from g to f (seed 000 Appendix A, transfer.cpp).
// Only the transfer gives proofs; the constant and linear substitutes give estimates.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "solvers/bab/bab.h"
#include "solvers/solve.h"
#include "src/attack/attack.h"
#include "src/bounds/bound_engine.h"
#include "src/net/network.h"
#include "src/spec/problem.h"

namespace substitute {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;
constexpr double kInf = std::numeric_limits<double>::infinity();

// The point around which robustness is measured: x0, its label t, and the input domain
// [clip_lo, clip_hi] in every coordinate (infinite when the input is unbounded).
struct Anchor {
  Vector x0;
  int label = 0;
  double clip_lo = -kInf, clip_hi = kInf;
};
// B_eps(x0) intersected with the clip range, property "t stays the arg-max".
spec::Problem ball_problem(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a, double eps);
// The radius reported for an adversarial point x: its L-inf distance from x0, rounded up (by
// ulps) until ball_problem's box of that radius contains x. In floating point x0 - |x - x0| can
// lie an ulp above x (x0 = 0.3031859454455259, x = 0.0011043091377524207), and then the ball of
// the reported distance would miss its own witness (found by the differential soak,
// benchmarks/soak: a d_bnd witness from CBC). Every distance's `upper` is this radius.
double witness_radius(const Anchor& a, const Vector& x);

// ---- distances.cpp ----------------------------------------------------------------------

struct DistanceOptions {
  double rel_tol = 1e-3;          // bisection stops when hi - lo <= rel_tol * hi
  double eps_start = 0.0;         // first radius tried when growing the bracket (0: 1% of the clip
                                  // width, or 0.01 without clip)
  double eps_max = 0.0;           // largest radius tried (0: the clip width, or 100 without clip)
  bounds::Method bound_method = bounds::Method::crown;  // the incomplete engine of d_rob
  attack::AttackOptions attack;   // PGD of d_adv
  // Extra starting points of d_adv's PGD runs (each projected into the ball), tried first at
  // every radius: e.g. a boundary point of a substitute g, which often lies near f's boundary
  // where PGD from x0 and random starts stalls (class-8 MNIST inputs on mnist-net_256x2).
  std::vector<Vector> starts;
  // Also start PGD, at every radius, from the input point where CROWN's linear lower bound of
  // the margin on the ball is least (a corner of the ball): as bab's root attack does. On
  // Marabou's mnist10x10 it finds points PGD from x0 and random starts misses (mnist5k_3957:
  // margin -2 at radius 0.0201, where d_adv without it was 0.0237).
  bool crown_start = true;
  // Then walk the last adversarial point, and a targeted PGD point of every competing class,
  // over the linear regions towards x0 (region_descent_per_class), at most this many regions per
  // walk (0: off).
  int region_descent_regions = 100;
  // The complete engine of d_bnd:
  //   bab        bisection over eps, each query decided by bab (bab.timeout_s per query);
  //   milp       bisection over eps, each query decided by CBC: one model per competing class
  //              with its margin as objective, stopping at the first point with margin <= 0
  //              (milp.timeout_s per query; a floating-point answer, infeasibility re-checked;
  //              a radius CBC answers `unknown`, its point within its tolerance of the boundary,
  //              goes to bab; classes CBC proved unreachable at an undecided radius are left
  //              out at the radii below it; with bab_after_milp, a radius CBC leaves undecided
  //              goes to bab as well, bab.timeout_s more: a portfolio of the two);
  //   milp_min   one MILP minimising eps (solvers::boundary_distance_milp; milp.timeout_s is
  //              ignored, timeout_s applies).
  enum class BndEngine { bab, milp, milp_min };
  BndEngine bnd_engine = BndEngine::bab;
  bab::BabOptions bab;
  solvers::MilpOptions milp;
  bool bab_after_milp = false;
  double timeout_s = 300;         // the whole distance computation
};

// One distance. The exact quantity lies in [lower, upper] (for d_adv: `upper` is the L-inf
// distance of a confirmed adversarial point, `lower` the largest radius where PGD failed).
struct Distance {
  std::string kind;               // "adv", "rob" or "bnd"
  double value = kInf;            // d_adv: upper; d_rob: lower (certified); d_bnd: lower (proven by
                                  // the complete engine; with CBC a floating-point answer, see note)
  double lower = 0, upper = kInf;
  bool complete = false;          // bisection reached its tolerance (false: timeout or no bracket)
  int queries = 0;                // attack / bound / complete-engine calls
  double time_s = 0;
  Vector witness;                 // an adversarial point at distance `upper` (empty if none)
  std::string note;               // e.g. "floating-point MILP answer (CBC)"
};

Distance adversarial_distance(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a,
                              const DistanceOptions& o);
Distance robust_distance(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a, const DistanceOptions& o);
// Bisection with the complete engine (o.bnd_engine: bab, or CBC per radius) between `lower` (a
// radius known to be robust, e.g. d_rob) and `upper` (the distance of a known adversarial point,
// e.g. d_adv; kInf: grown by doubling). A radius left undecided does not end the bisection: the
// next ones lie below it (where a proof is likelier), so the lower end still rises.
// With BndEngine::milp_min: one MILP over the ball of radius `upper` (kInf: the largest radius,
// eps_max).
// `upper_witness`, when given, is the adversarial point at distance `upper` (e.g. d_adv's
// witness): the result's witness unless a closer one is found.
Distance boundary_distance(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a, const DistanceOptions& o,
                           double lower = 0, double upper = kInf, const Vector& upper_witness = Vector());

// ---- region_descent.cpp ------------------------------------------------------------------

// Linear-region descent (after Croce and Hein's linear region attack): from an adversarial
// point `start`, LPs over the network's linear regions, each solved for the closest unsafe point
// to x0 in L-inf, walking to the neighbouring region across the phase facets that bind it; the
// radius never grows. Returns the closest confirmed adversarial point seen (start when none is
// closer).
struct RegionDescentOptions {
  int max_regions = 100;
  double time_limit_s = 30;
  int stall_regions = 10;    // stop when the last stall_regions regions gained less than a
  double stall_gain = 1e-3;  // relative stall_gain of the radius together
  double max_map_entries = 2e7;  // no walk on networks with more ReLUs x inputs (dense maps)
};
struct RegionDescent {
  bool improved = false;  // a confirmed adversarial point closer than start
  Vector x;               // the closest confirmed adversarial point (start if not improved)
  double radius = kInf;   // its witness_radius
  int regions = 0, lps = 0;
  double time_s = 0;
};
RegionDescent region_descent(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a, const Vector& start,
                             const RegionDescentOptions& o);
// region_descent from `start`, then from PGD's point for each competing class alone (targeted
// PGD on the ball of start's radius, options `pgd`): each walk ends at a local minimum, and which
// one depends on where it starts (mnist10x10's mnist5k_1624: the walk from d_adv's point stays at
// 0.0287, the walk from class 8's targeted point reaches 0.0156, the boundary CBC finds). The
// closest point of all walks, under one time limit.
RegionDescent region_descent_per_class(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a,
                                       const Vector& start, const attack::AttackOptions& pgd,
                                       const RegionDescentOptions& o);

// ---- pruners ----------------------------------------------------------------------------

struct PruneReport {
  std::string method;
  int neurons_before = 0, neurons_after = 0;  // hidden neurons (ReLUs) of f and g
  int nonlinear_after = 0;                    // ReLUs of g that may change phase (activation: kept
                                              // unstable ones; others: neurons_after)
  double radius = 0;                          // eps of the bounds (constant), delta (activation)
  // activation: a bound of |g_i(x) - f_i(x)| for every output i and every x of a B_delta inside
  // the region where the phases hold, in exact arithmetic on g's stored maps: the rounding of
  // its merged products and shifted biases (a large shift loses the low bits of a bias).
  double output_error = 0;
  double time_s = 0;
};

// Seed 001 Algorithm 1: bounds on B_eps(x0) (eps = d_adv), then repeatedly remove the gamma0
// fraction of the remaining prunable neurons with the smallest u - l, replacing each by its
// constant value relu(z_i(x0)) folded into the next bias, until a gamma fraction of the
// prunable neurons is gone. The first hidden layer is prunable only with prune_first. At least
// one neuron is left in every hidden layer. g(x0) = f(x0).
struct ConstantOptions {
  double gamma = 0.5, gamma0 = 0.05;
  bool prune_first = false;
  bounds::Method method = bounds::Method::ibp;  // seed 001 uses interval bound propagation
};
net::LayeredNetwork constant_substitute(const net::LayeredNetwork& f, const Anchor& a, double eps,
                                        const ConstantOptions& o, PruneReport* report = nullptr);

// Seed 001 Algorithm 2: the ReLUs of each hidden layer in `layers` (0-based) are replaced by the
// line through (z_i(x0), relu z_i(x0)) and (z_i(x_adv), relu z_i(x_adv)) and the two affine maps
// around it are merged. g(x0) = f(x0) and g(x_adv) = f(x_adv). Departure: where
// z_i(x0) = z_i(x_adv) the constant is relu(z_i(x0)) (the seed writes z_i(x0)), so that g(x0) = f(x0).
net::LayeredNetwork linear_substitute(const net::LayeredNetwork& f, const Vector& x0, const Vector& x_adv,
                                      std::vector<int> layers, PruneReport* report = nullptr);

// Per hidden layer: +1 provably active, -1 provably inactive, 0 undecided on a box.
using Phases = bounds::Phases;
// Phases of f's neurons on `problem`'s box from the CPU BoundEngine (stable = removable).
Phases stable_phases(const spec::Problem& problem, bounds::Method method);
int count_stable(const Phases& p);

// Activation-preserving pruning: neurons with phase -1 are dropped, phase +1 become linear, and
// hidden layers left without undecided neurons are merged into the next affine map. A linear
// neuron in a layer that keeps undecided ones stays as relu(z_i + M_i) - M_i with M_i from
// interval bounds of g on `region`, so it is stable on `region` (no skip connections are
// needed). g = f wherever every removed neuron has its phase, i.e. on any B_delta inside
// `region` on which `phases` are proven.
net::LayeredNetwork activation_substitute(const net::LayeredNetwork& f, const Phases& phases, const spec::Box& region,
                                          PruneReport* report = nullptr);
// The largest delta in [0, delta_max] (bisection, relative tolerance rel_tol) at which at least a
// gamma fraction of f's hidden neurons is stable on B_delta(x0).
double delta_for_fraction(std::shared_ptr<const net::LayeredNetwork> f, const Anchor& a, double gamma,
                          double delta_max, bounds::Method method, double rel_tol = 1e-3);

// ---- lipschitz.cpp ----------------------------------------------------------------------

// Upper bounds of the L-inf Lipschitz constant of the margin functions m_j = y_t - y_j, one per
// output j (0 for j = t), on the box of `problem`: max over the box of ||grad m_j||_1, bounded
// by interval arithmetic on the Jacobian over every activation pattern the box's bounds allow
// (unstable ReLUs have derivative in [0, 1]).
Vector margin_lipschitz(const net::LayeredNetwork& net, const std::vector<bounds::LayerBounds>& pre, int label);
Vector margin_lipschitz(const spec::Problem& problem, int label, bounds::Method method = bounds::Method::crown);

// ---- transfer.cpp -----------------------------------------------------------------------

struct TransferOptions {
  double delta0 = 0;              // radius whose stable neurons are removed (0: chosen by gamma)
  double gamma = 0.5;             // fraction of neurons removed when delta0 = 0
  bounds::Method method = bounds::Method::crown;
  double rel_tol = 1e-3;          // of the delta bisection
  bab::BabOptions bab;            // complete engine on g (timeout_s is per competing class)
  bool stop_at_first_failure = true;
  bool lipschitz_f_only = false;  // threshold L_f (eps - delta) instead of (L_f + L_g)(eps - delta)
  double timeout_s = 0;           // the whole transfer (0: none); classes left unchecked when it ends
};

struct ClassTransfer {
  int cls = 0;
  double lipschitz_f = 0, lipschitz_g = 0;
  double threshold = 0;           // (L_f + L_g) * max(eps - delta, 0) + slack (L_f alone: lipschitz_f_only)
  double v_g_lower = -kInf, v_g_upper = kInf;  // bounds of V_g(eps) for this class
  spec::Verdict verdict = spec::Verdict::unknown;  // of "m_j^g > threshold on B_eps" (unsat = proven)
  bool checked = false;
};

struct TransferResult {
  bool certified = false;         // f is robust on B_eps (a proof)
  double eps = 0, delta0 = 0, delta = 0;
  double lipschitz_f = 0, lipschitz_g = 0;  // max over the competing classes
  double v_g = kInf;              // certified lower bound of V_g(eps) = min over classes
  double slack = 0;               // allowance for floating-point folding of g:
                                  // 2 prune.output_error + 1e-8 (1 + |f(x0)|_inf)
  PruneReport prune;
  std::vector<ClassTransfer> classes;
  net::LayeredNetwork g;
  double time_s = 0, time_g_s = 0;  // total; complete engine on g
  std::string reason;             // why (not) certified, in words
};

// Lemma 1 (seed 000), in the margin form: with f = g on B_delta, for every competing class j,
//   V_g^j(eps) > (L_f^j + L_g^j) (eps - delta)  (or delta >= eps and V_g^j(eps) > 0)
// implies f_t > f_j on B_eps. L^j bound ||grad m_j||_1 on B_eps (margin_lipschitz); the seed's
// 2(L_f + L_g) with per-logit constants is looser. delta is the largest radius (<= eps) at which
// every removed neuron keeps its phase, V_g^j is decided by solve_bab on g.
TransferResult transfer(std::shared_ptr<const net::LayeredNetwork> f, const Anchor& a, double eps,
                        const TransferOptions& o);

}  // namespace substitute
