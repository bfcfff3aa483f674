// prunecert's own branch-and-bound, the default complete engine (DESIGN.md "Subdomains and
// batching"). The public header of solvers/bab/. A queue of subdomains ordered by lower bound,
// each stored as the decisions that define it (input bisections, ReLU phases, mask bits), bounded
// in batches by a bounds::BoundEngine; every bound's candidate minimiser is replayed exactly as a
// counterexample. Branching rules: branching_input.cpp, branching_babsr.cpp, branching_widest.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/attack/attack.h"
#include "src/bounds/bound_engine.h"
#include "src/spec/problem.h"

namespace encodings {
struct EncodeOptions;
}

namespace bab {

// How an open subdomain is split in two. Pruning queries decide mask bits first, whatever the rule.
enum class Branching {
  automatic,    // input when the input has at most kAutoInputDims dimensions; otherwise relu_layer on
                // networks of at least kAutoLayerOrderDepth hidden layers (no pruning budget), relu_babsr
  input,        // bisect the input dimension with the largest |input_coef_i| * width_i
  relu_babsr,   // fix the unstable ReLU with the largest BaBSR-style score (Bunel et al. 2020)
  relu_widest,  // fix the unstable ReLU with the widest pre-activation interval u - l
  relu_layer,   // fix an unstable ReLU of the earliest layer that has one (BaBSR score within it)
  first_layer,  // bisect the first hidden layer's pre-activations z = W1 x + b1 (first_layer_split.cpp):
                // input splitting in the m-dimensional z-space, for networks whose first layer is
                // narrow (m <= kAutoInputDims) and whose input is not; no certificates or masks
};
constexpr int kAutoInputDims = 10;
// Branching::automatic picks relu_layer from this many hidden layers on (measured 2026-12-07,
// benchmarks/bab/relu_layer_ab.sh, d_bnd by bisection at 10 s per query: on Marabou's mnist10x10
// and mnist10x20 it closed 4 of 6 brackets against 1 for relu_babsr, with a higher lower end on
// the other 2; on mnist20x20 it proves radii relu_babsr cannot; on the FashionMNIST MLPs of 3
// hidden layers of 128/64/32 it was mixed: on the standard MLP relu_babsr closed 1 of 2 and
// relu_layer none, on the pruning-robust one relu_layer's lower ends were higher on both).
// Between 4 and 9 layers nothing was measured.
constexpr int kAutoLayerOrderDepth = 10;
// BoundOptions::Intermediate::automatic: alpha-CROWN (with beta) re-bounds the intermediate
// layers of ReLU-splitting subdomains (not in pruning queries, whose masks the measurements below
// did not cover) on networks with at least this many hidden layers, where a split's effect on
// the layers after it matters (Marabou's mnist10x10: 5 of 10 radii CBC proved robust decided
// within 30 s, none inheriting); on mnist-net_256x2 (2 layers of 256) the cost
// per subdomain outweighs it (mnistfc at 60 s: 194 s against 140 s, same 28 of 30 decided).
constexpr int kAutoIntermediateDepth = 3;
const char* to_string(Branching b);
// "auto" | "input" | "relu-babsr" | "relu-widest" | "relu-layer" | "first-layer"; throws util::InputError("--branching", ...) otherwise.
Branching parse_branching(const std::string& text);

struct BabOptions {
  Branching branching = Branching::automatic;
  int batch = 64;                                   // open subdomains popped (and split in two) per step
  bool adaptive_batch = true;                       // pop fewer when a step would take longer than
                                                    // clamp(timeout/100, 0.05 s, 1 s) or overrun the timeout
  double timeout_s = 300;                           // wall clock, root bounds and attacks included
  size_t max_memory_bytes = size_t{4} << 30;        // open-queue estimate beyond which the search
                                                    // goes depth-first so that the queue stops growing
  bounds::BoundOptions bound;                       // the method used in the loop (crown by default)
  bool root_alpha = true;                           // at the root: CROWN, then alpha-CROWN if unproven
  // ReLU splitting without masks or certificate: intermediate bounds of the root tightened by LPs
  // (encodings' lp bounds), inherited by every subdomain. automatic: on, except where the
  // subdomains' intermediate layers are re-bounded by alpha-CROWN (with beta) on networks of at
  // least kAutoLayerOrderDepth hidden layers: there the root's alpha-CROWN bounds were as tight
  // as the LPs' and the LPs only cost time (measured 2026-12-07: the same nodes and margin
  // bounds on every query of Marabou's mnist10x10, 10x20, 20x20 and 20x40 tried, 1.5-3.5x less
  // time; on the 3-layer FashionMNIST MLPs they changed the search, so they stay on there).
  enum class RootLp : uint8_t { automatic, on, off };
  RootLp root_lp = RootLp::automatic;
  double root_lp_share = 0.25;                      // at most this share of the timeout for them
  // `verify --root-bounds milp`: where set, it replaces the LPs above (under the same conditions,
  // and only when the root's CROWN bound and PGD left the problem open): it gets their options
  // (lp bounds, known = root_known) and root_milp_share of the timeout, and returns the root's
  // pre-activation bounds tightened further by MILPs per unstable neuron (alpha-beta-CROWN's
  // MIP-refined intermediate bounds, for deep networks). bab links no MILP solver: the caller
  // passes solvers::encoding_bounds with BoundSource::milp.
  std::function<std::vector<bounds::LayerBounds>(const spec::Problem&, const encodings::EncodeOptions&,
                                                 double time_limit_s)>
      root_milp;
  double root_milp_share = 0.5;
  // With root_milp and a share > 0: the search first runs without the MILPs (the LPs only, as
  // root_lp) for this share of the timeout, and only if that leaves the query undecided starts
  // again from the root, with the MILPs, on the time left; so queries the LPs' bounds decide
  // quickly do not pay for the MILPs, and the ones that need a longer search lose the first
  // share (mnist10x10's 10 radii: the same 5 proved as without the MILPs, the 4 easy ones as fast;
  // with 0, 6 proved, the easy ones 2.5x slower; benchmarks/bab/README.md). 0: the MILPs in the
  // first and only search.
  double root_milp_restart_share = 0;
  // Pre-activation bounds known to hold on the whole root box (pre[k] for every layer), e.g.
  // those `distance`'s CBC queries tightened at this radius: intersected with the root's own
  // bounds (and the LPs'), so that every subdomain starts from them. Ignored while a certificate
  // tree is recorded (its leaves are re-proved from CROWN alone), with a pruning budget, and by
  // input and first-layer splitting.
  std::shared_ptr<const std::vector<bounds::LayerBounds>> root_known;
  bool relu_alpha = true;                           // ReLU splitting without certificate: bound the
                                                    // subdomains with alpha-CROWN when `bound` asks
                                                    // for CROWN (slopes optimised per subdomain)
  attack::AttackOptions attack;                     // the PGD run at the root
  int attack_every = 8;                             // loop steps between short PGD runs (0: never)
  int attack_starts = 4;                            // worst candidates those runs start from
  int attack_steps = 10;                            // steps of those runs
  bool reuse_parent_bounds = true;                  // ReLU splits: children start from their parent's
                                                    // intermediate bounds and only the property rows
                                                    // are back-substituted (alpha,beta-CROWN's BaB);
                                                    // off while a certificate tree is recorded
  // alpha-CROWN's optimised slopes (and beta-CROWN's multipliers) of a node are its children's
  // starting point (alpha,beta-CROWN's BaB), which then take bound.warm_iters steps; no effect
  // without alpha-CROWN in the loop.
  bool warm_start = true;
  int64_t max_leaf_lp_entries = 1 << 20;            // linear-region leaf LPs with more constraint-matrix
                                                    // entries are skipped (the leaf is split further)
  uint64_t seed = 0;
  bounds::BoundEngine* engine = nullptr;            // not owned; nullptr: the CPU engine
};

// One decision on the path from the root to a subdomain.
enum class DecisionKind : uint8_t {
  input_below,    // x[index] <= at
  input_above,    // x[index] >= at
  relu_active,    // pre-activation z[layer][index] >= 0
  relu_inactive,  // pre-activation z[layer][index] <= 0
  neuron_kept,    // mask bit (layer, index) = 1
  neuron_pruned,  // mask bit (layer, index) = 0, one prune of layer's budget used
};
const char* to_string(DecisionKind k);
struct Decision {
  DecisionKind kind = DecisionKind::input_below;
  int layer = -1;   // hidden layer of a ReLU or mask decision; -1 for input splits
  int index = 0;    // input dimension or neuron
  double at = 0;    // input splits: the bisection point
};
// The root subdomain of `problem` restricted by `decisions` (in any order: they commute).
bounds::Subdomain apply_decisions(const spec::Problem& problem, const std::vector<Decision>& decisions);

// The proven leaves of a search, for certificates: on unsat they cover the whole box (every
// point lies in some leaf's box and satisfies its fixed phases, for every admissible mask).
enum class LeafProof : uint8_t {
  bound,          // the BoundEngine with `method` proves the leaf's subdomain
  linear_region,  // every phase is known (fixed, or stable under `method`'s bounds): the network is
                  // affine on the leaf and a Lagrangian bound with `multipliers` proves it
};
struct ProvenLeaf {
  std::vector<Decision> decisions;  // from the root to the leaf
  LeafProof proof = LeafProof::bound;
  bounds::Method method = bounds::Method::crown;  // the bound that proved it (or fixed the stable phases)
  bool infeasible = false;          // no point of the box satisfies the fixed phases
  double margin_lower = 0;          // the leaf's certified bound (> 0; +inf when infeasible)
  // linear_region only. Feasible leaf: one entry per disjunct, empty when `method`'s bound
  // proves that disjunct by itself, else the row weights mu_r (normalised to sum 1) followed by
  // one lambda_i >= 0 per phase-fixed neuron in (layer, index) order; the bound is
  // min over the box of sum_r mu_r (c_r.y(x) - d_r) - sum_i lambda_i s_i z_i(x), y and z the
  // affine maps of the leaf's activation pattern, s_i = +1 active / -1 inactive.
  // Infeasible leaf: one entry, the lambdas of a Farkas certificate (that sum is < 0 on the box).
  std::vector<std::vector<double>> multipliers;
};
struct BabTree {
  std::vector<ProvenLeaf> leaves;
  bool complete = false;            // true only for unsat: the leaves cover everything
};

// Recomputes a proven leaf's certified bound from its decisions (and multipliers) with the CPU
// engine, independently of the search: margin_lower > 0 or infeasible when the leaf holds.
struct LeafCheck {
  bool infeasible = false;
  double margin_lower = 0;
};
LeafCheck reprove_leaf(const spec::Problem& problem, const ProvenLeaf& leaf, const bounds::BoundOptions& options = {});

// Decides `problem`: sat (with a witness confirmed by spec::confirm_witness), unsat (every
// subdomain proven; margin_lower is the smallest certified leaf bound), timeout, or unknown when
// a subdomain could be split no further (floating-point resolution) without being decided.
// Statistics: nodes (subdomains bounded), bound_calls, subdomains_bounded, max_queue, lp_calls,
// bound_time_s, branch_time_s, attack_restarts, attack_steps.
spec::Result solve_bab(const spec::Problem& problem, const BabOptions& options, BabTree* tree = nullptr);

}  // namespace bab
