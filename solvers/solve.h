// The public header of the complete engines built on encodings: `smt` (a model handed to Z3),
// `milp` (a linear big-M model handed to CBC) and `brute` (exact enumeration, the test oracle).
// All take a spec::Problem and return a spec::Result. Verdicts: unsat when the worst margin is
// strictly positive; sat only with a witness that spec::confirm_witness accepts (margin <= 0
// under exact double evaluation, so a tie at 0 is sat); anything else is unknown or timeout.
#pragma once
#include <limits>
#include <string>

#include "encodings/encode.h"
#include "src/spec/problem.h"

namespace solvers {

struct SmtOptions {
  // Defaults: native SMT encoding (no big-M), CROWN bounds for stable ReLUs, decide.
  encodings::EncodeOptions encode{encodings::Encoding::smt, encodings::BoundSource::crown,
                                  encodings::MaskEncoding::pb, encodings::PropertyMode::disjunction,
                                  encodings::Goal::decide};
  double timeout_s = 300.0;  // wall-clock limit for all Z3 calls together
  unsigned seed = 0;         // Z3 random seed
  // Run each Z3 call in a forked child process killed shortly after the limit (libz3 can
  // overrun its own timeout by tens of seconds).
  bool isolate = true;
};

struct MilpOptions {
  // Defaults: big-M with CROWN constants, minimise the margin (worst margin + verdict); with
  // Goal::decide the margin still guides CBC (EncodeOptions::decide_objective).
  encodings::EncodeOptions encode{encodings::Encoding::bigm, encodings::BoundSource::crown,
                                  encodings::MaskEncoding::pb, encodings::PropertyMode::disjunction,
                                  encodings::Goal::optimize, /*unsafe_shift=*/0.0, /*decide_objective=*/true};
  double timeout_s = 300.0;  // wall-clock limit for all CBC calls together
  int threads = 1;           // CBC threads
  unsigned seed = 0;         // CBC random seed
  // CBC's CglPreProcess; off by default because it was seen to cut off the optimum on
  // big-M models with nearly tight bounds (see milp/cbc_solver.cpp).
  bool preprocess = false;
  // Run each CBC solve in a forked child process (a CBC crash becomes `unknown`, not an abort).
  bool isolate = true;
  // Independent re-solves of each infeasibility or minimum CBC proves (milp/cbc_solver.cpp).
  int rechecks = 1;
  // CBC's cut generators and primal heuristics: on (CBC's defaults), off, pump (off but for the
  // feasibility pump), or automatic: for decision models without a pruning budget (solve_milp),
  // off in each case's first solve and pump in its restarts (solve_encoded's later rounds), on
  // for everything else (optimisation, pruning, the MILP tightening). Deciding robustness
  // queries, CBC was 1.0-4.3x faster without them on 6 radii of mnist-net_256x2 and mnist10x10 and
  // 2.5x on ACAS Xu 1_1 prop_3, no slower on 3 more ACAS Xu queries; but without the pump it found
  // no point in 60 s at radii of mnist-net_256x2 far above the boundary, where the pump alone found
  // one in 12-40 s (benchmarks/substitute/README.md); pruning queries were not measured.
  enum class CbcExtras { automatic, on, off, pump };
  CbcExtras cbc_extras = CbcExtras::automatic;
  // Hand CBC the ideal-formulation cuts of every binary ReLU (encodings::ideal_relu_cuts, Anderson
  // et al. 2020) through its cut callback, at the root and in the tree. Needs preprocess off (the
  // callback sees the model's own columns); ignored otherwise.
  bool ideal_cuts = false;
};

struct BruteOptions {
  // Refuse problems whose enumeration could exceed 2^max_bits leaves: (unstable ReLUs under
  // interval bounds) + log2(admissible masks) > max_bits.
  int max_bits = 20;
  double timeout_s = 300.0;
};

// Pre-activation bounds for the encodings (pre[k] for every layer): encodings::encoding_bounds,
// and for BoundSource::milp the LP-tightened bounds tightened further by two MILPs per unstable
// neuron of layers 1.. over the exact model of the layers before it (milp/milp_tightening.cpp;
// floating-point CBC bounds, widened by 1e-6 relative). time_limit_s caps the LP and MILP
// tightening (options.lp_time_limit_s and milp_time_limit_s): the engines give it at most half of
// a query's time. Throws util::InputError for pruning budgets with lp or milp.
struct BoundTighteningStats {
  long long milps = 0, tightened = 0;
  bool stopped_by_time = false;
  double time_s = 0;
};
std::vector<bounds::LayerBounds> encoding_bounds(const spec::Problem& problem, const encodings::EncodeOptions& options,
                                                 double time_limit_s = std::numeric_limits<double>::infinity(),
                                                 BoundTighteningStats* stats = nullptr);

// Z3 (C++ API): check-sat for Goal::decide, Optimize for Goal::optimize (exact rational worst
// margin). Any encoding is accepted (smt, or bigm solved by Z3 for the solver ablation).
// Throws util::InputError for options that cannot encode the problem.
spec::Result solve_smt(const spec::Problem& problem, const SmtOptions& options);

// CBC (C interface) on a linear encoding (bigm). Goal::optimize minimises the margin:
// margin_lower = CBC's best bound, margin_upper = the margin of the best solution re-evaluated
// exactly; Goal::decide asks for any point with margin <= 0. Result::note says "floating-point
// MILP answer". Throws util::InputError when the encoding is not linear (smt).
spec::Result solve_milp(const spec::Problem& problem, const MilpOptions& options);
// "on", "off", "pump" or "auto" (--milp-cbc); throws util::InputError("--milp-cbc", ...) otherwise.
MilpOptions::CbcExtras parse_cbc_extras(const std::string& text);

// Exact worst margin by enumerating every admissible mask and every activation pattern of the
// ReLUs not fixed by interval bounds, with one exact LP per pattern (solvers/brute). Throws
// util::InputError("--engine brute", ...) when the problem is too large (see max_bits).
spec::Result solve_brute(const spec::Problem& problem, const BruteOptions& options);

// The L-inf distance from x0 to the decision boundary (seed 001 eq. 1) as one MILP: minimise eps
// over x in B_eps(x0) inside outer.box with some unsafe disjunct of outer.property holding
// (margin <= 0). `outer` is the robustness problem on a ball whose radius is at least the
// distance (e.g. d_adv): its box gives the big-M constants (options.encode.bounds), so the MILP
// is exact there. eps_lower is a radius known to be robust (e.g. d_rob), a bound on eps.
// Floating-point answer (CBC); the witness is re-evaluated exactly.
struct BoundaryAnswer {
  double lower = 0.0;  // CBC's best bound of the minimum eps (floating point)
  double upper = std::numeric_limits<double>::infinity();  // L-inf distance of the witness
  bool optimal = false;  // CBC closed its gap
  bool infeasible = false;  // CBC found no boundary point in the outer box (lower = its radius)
  spec::Vector witness;  // a confirmed point with margin <= 0 at distance `upper` (empty if none)
  std::string note;
  double time_s = 0.0;
};
BoundaryAnswer boundary_distance_milp(const spec::Problem& outer, const spec::Vector& x0, double eps_lower,
                                      const MilpOptions& options);

}  // namespace solvers
