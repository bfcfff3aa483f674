// The BoundEngine: lower bounds of the property margin (and pre-activation bounds of every
// layer) for a *batch* of subdomains at once. A subdomain is a sub-box of the input plus fixed
// decisions: ReLU phases (active / inactive) and, for pruning queries, mask bits (kept / pruned)
// with the number of prunes still allowed per layer. The public header of bounds/.
// Implementations: CPU/Eigen (cpu_engine.cpp), CUDA (cuda/, behind the same interface).
#pragma once
#include <memory>
#include <vector>

#include "src/spec/problem.h"
#include "src/util/stats.h"

namespace bounds {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;

enum class Method { ibp, crown, alpha };
const char* to_string(Method m);
// "ibp" | "crown" | "alpha"; throws util::InputError("--method", ...) otherwise.
Method parse_method(const std::string& text);

struct BoundOptions {
  Method method = Method::crown;
  int alpha_iters = 20;     // projected-gradient steps of alpha-CROWN
  double alpha_lr = 0.1;    // step size of those steps
  // beta-CROWN: with alpha, subdomains that fix ReLU phases (BaB's splits) also optimise the
  // Lagrange multipliers of those split constraints (alpha_crown.cpp), step size beta_lr. Every
  // subdomain starts from beta = 0, and Adam moves each multiplier by about beta_lr per step, so
  // alpha_iters * beta_lr caps the multipliers a subdomain reaches: 0.05 (1 after 20 steps) left
  // deep networks' split constraints nearly unused. 0.5 (measured 2026-12-07, benchmarks/bab/
  // README.md, 14 bab queries on Marabou's mnist10x20, 20x20, 20x40 and the FashionMNIST MLPs,
  // 60 s each): 11 decided against 9, 1.7x less time and fewer nodes on each of the 9 both
  // decide, higher lower bounds on the 3 neither decides; 1 and 2 were no better than 0.5. On
  // mnistfc (2 layers of 256, inherited intermediate bounds) the same 28 / 30, 1.31x slower.
  bool beta = true;
  double beta_lr = 0.5;
  // Intermediate layers' bounds of a subdomain with known bounds (BaB's children inherit their
  // parent's): inherit = kept as they are, clipped by the fixed phases (only the property rows
  // are back-substituted); crown = CROWN re-run for the unstable neurons of every intermediate
  // layer and intersected with the known bounds, so that a split tightens the layers after it;
  // alpha = as crown, but every intermediate layer's rows by alpha-CROWN (with beta's split
  // multipliers where phases are fixed), at the root too (alpha_iters steps per layer);
  // automatic = inherit here; BaB picks alpha for ReLU splitting without a pruning budget on
  // networks with at least bab::kAutoIntermediateDepth hidden layers, inherit otherwise (bab.cpp).
  enum class Intermediate { automatic, inherit, crown, alpha };
  Intermediate intermediate = Intermediate::automatic;
  // Outward widening of every computed bound (numerical safety, widen() in cpu_engine.cpp):
  // l -= rel*max(M, |l|) + abs, u += rel*max(M, |u|) + abs, M the magnitude of the bound's terms.
  double widen_rel = 1e-9;
  // CROWN (not only IBP) bounds for the output layer's own values (SubdomainBounds::pre.back()):
  // costs two back-substituted rows per output; wanted by reports and big-M encodings, not by BaB.
  bool tight_output = false;
  double widen_abs = 1e-12;
  // Warm starts (alpha,beta-CROWN hands a BaB node's optimised slopes and multipliers down to its
  // children): with keep_slopes, alpha-CROWN returns the parameters of its best bound per row
  // (SubdomainBounds::slopes); a subdomain given its parent's (Subdomain::warm) starts from them
  // and takes warm_iters steps instead of alpha_iters (negative: alpha_iters). 15 (measured
  // 2026-12-07, benchmarks/bab/README.md, bab's 14 hard queries at 30 s): 13 decided, against 11
  // starting cold (121 s against 159 s, timeouts counted at 30 s, in one run); 10 and 20 steps
  // also decided 13, 5 and 7 steps only 11.
  bool keep_slopes = false;
  int warm_iters = 15;
};
// "auto" | "inherit" | "crown" | "alpha"; throws util::InputError("--intermediate", ...) otherwise.
const char* to_string(BoundOptions::Intermediate i);
BoundOptions::Intermediate parse_intermediate(const std::string& text);

// Per hidden layer: +1 active (identity), -1 inactive (zero), 0 undecided.
using Phases = std::vector<std::vector<int8_t>>;
// Per hidden layer: 1 kept, 0 pruned, -1 undecided (may be pruned while budget remains).
using MaskState = std::vector<std::vector<int8_t>>;

struct LayerBounds {
  Vector lo, hi;  // bounds of the pre-activations of one layer
};

// alpha-CROWN's parameters of one subdomain's bound of one layer's rows (intermediate layer k:
// row i bounds neuron i from below, row d_k + i from above; the property's layer: row r is the
// property's row r), kept in single precision: any slopes in [0, 1] and multipliers >= 0 give a
// sound bound, so their rounding costs tightness at most.
struct SlopeRows {
  std::vector<int> ids;                 // the rows, ascending; column c of every matrix is row ids[c]
  std::vector<Eigen::MatrixXf> alpha;   // per hidden layer j below the rows' layer: d_j x ids.size()
  std::vector<Eigen::MatrixXf> beta;    // the same for beta-CROWN's split multipliers (empty: none)
};
struct OptimisedSlopes {
  std::vector<SlopeRows> layer;  // one entry per layer of the layered view (empty where not optimised)
  size_t bytes() const;          // memory held, for BaB's queue estimate
};

struct Subdomain {
  spec::Box box;
  // Bounds known to hold on this subdomain (e.g. its parent's, since a child is a subset):
  // intersected with the IBP bounds, and CROWN is then not re-run for the intermediate layers
  // (as alpha-beta-CROWN does in BaB); only the property rows are back-substituted.
  std::shared_ptr<const std::vector<LayerBounds>> known;
  Phases phase;                  // empty: all undecided
  MaskState mask;                // empty: no pruning (all neurons kept)
  std::vector<int> budget_left;  // per hidden layer, prunes still allowed among undecided bits
  // alpha-CROWN's parameters to start from (BoundOptions::warm_iters; e.g. the parent's): null,
  // or rows not found there, start from CROWN's adaptive slopes and zero multipliers.
  std::shared_ptr<const OptimisedSlopes> warm;
};

// The root subdomain of a problem (whole box, nothing fixed, the full budget).
Subdomain root_subdomain(const spec::Problem& problem);

struct SubdomainBounds {
  std::vector<LayerBounds> pre;     // one entry per layer of the layered view (hidden..., output)
  Vector disjunct_lower;            // lower bound of each disjunct's value max_rows (c.y - d)
  double margin_lower = 0;          // min over disjuncts: > 0 proves the subdomain safe
  Vector candidate;                 // input point where the bound's linear form is minimal
  // Linear form of the bound of the worst disjunct's best row (CROWN/alpha only; empty for IBP):
  // its coefficients on the input and on each hidden layer's post-activations (zero below a
  // layer where the subdomain may still prune). For branching heuristics (input influence
  // |coef_i| * width_i; BaBSR-style ReLU scores).
  Vector input_coef;
  std::vector<Vector> hidden_coef;
  bool infeasible = false;          // the fixed phases contradict each other: nothing to prove
  // alpha-CROWN's parameters of the bounds above (BoundOptions::keep_slopes; null otherwise).
  std::shared_ptr<const OptimisedSlopes> slopes;
};

class BoundEngine {
 public:
  virtual ~BoundEngine() = default;
  virtual const char* name() const = 0;
  // Bounds every subdomain of the batch in one call (one matrix product per layer for the
  // whole batch). Results are sound: every point of every subdomain (and every admissible
  // mask) has its pre-activations and margin inside the returned bounds.
  virtual std::vector<SubdomainBounds> bound(const spec::Problem& problem, const std::vector<Subdomain>& batch,
                                             const BoundOptions& options, util::Stats* stats = nullptr) = 0;
};

std::unique_ptr<BoundEngine> make_cpu_engine();

// Device selection (`--device`; engine_select.cpp). cuda: the CUDA engine of cuda/, same IBP and
// CROWN bounds (alpha-CROWN runs on the CPU); auto: cuda when built with it and a device is present.
enum class Device { cpu, cuda, automatic };
const char* to_string(Device d);
// "cpu" | "cuda" | "auto"; throws util::InputError("--device", ...) otherwise.
Device parse_device(const std::string& text);
bool built_with_cuda();
int cuda_device_count();  // 0 without CUDA in the build, a driver or a device
// Throws util::InputError("--device", ...) for cuda when the build or the machine has none.
std::unique_ptr<BoundEngine> make_engine(Device device);

// Convenience: bounds of the root subdomain with the CPU engine.
SubdomainBounds bound_root(const spec::Problem& problem, const BoundOptions& options);

// The triangle relaxation of an unstable ReLU, l < 0 < u (relu_relaxation.cpp): h >= lower_slope
// z (1 if u >= -l, else 0) and h <= upper_slope z + upper_bias, the line through (l, 0) and
// (u, u); where u - l overflows, h <= u (the line's slope would round to 0 with intercept 0,
// h <= 0). Shared by every back-substitution outside the engines (first-layer bab).
struct ReluLines {
  double lower_slope = 0, upper_slope = 0, upper_bias = 0;
};
ReluLines unstable_relu_lines(double l, double u);

}  // namespace bounds
