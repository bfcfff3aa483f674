// The public header of the complete engines built on encodings: `smt` (a model handed to Z3),
// `milp` (a linear big-M model handed to CBC) and `brute` (exact enumeration, the test oracle).
// All take a spec::Problem and return a spec::Result. Verdicts: unsat when the worst margin is
// strictly positive; sat only with a witness that spec::confirm_witness accepts (margin <= 0
// under exact double evaluation, so a tie at 0 is sat); anything else is unknown or timeout.
#pragma once
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
  // Defaults: big-M with CROWN constants, minimise the margin (worst margin + verdict).
  encodings::EncodeOptions encode{encodings::Encoding::bigm, encodings::BoundSource::crown,
                                  encodings::MaskEncoding::pb, encodings::PropertyMode::disjunction,
                                  encodings::Goal::optimize};
  double timeout_s = 300.0;  // wall-clock limit for all CBC calls together
  int threads = 1;           // CBC threads
  unsigned seed = 0;         // CBC random seed
  // CBC's CglPreProcess; off by default because it was seen to cut off the optimum on
  // big-M models with nearly tight bounds (see milp/cbc_solver.cpp).
  bool preprocess = false;
  // Run each CBC solve in a forked child process (a CBC crash becomes `unknown`, not an abort).
  bool isolate = true;
};

struct BruteOptions {
  // Refuse problems whose enumeration could exceed 2^max_bits leaves: (unstable ReLUs under
  // interval bounds) + log2(admissible masks) > max_bits.
  int max_bits = 20;
  double timeout_s = 300.0;
};

// Z3 (C++ API): check-sat for Goal::decide, Optimize for Goal::optimize (exact rational worst
// margin). Any encoding is accepted (smt, or bigm solved by Z3 for the solver ablation).
// Throws util::InputError for options that cannot encode the problem.
spec::Result solve_smt(const spec::Problem& problem, const SmtOptions& options);

// CBC (C interface) on a linear encoding (bigm). Goal::optimize minimises the margin:
// margin_lower = CBC's best bound, margin_upper = the margin of the best solution re-evaluated
// exactly; Goal::decide asks for any point with margin <= 0. Result::note says "floating-point
// MILP answer". Throws util::InputError when the encoding is not linear (smt).
spec::Result solve_milp(const spec::Problem& problem, const MilpOptions& options);

// Exact worst margin by enumerating every admissible mask and every activation pattern of the
// ReLUs not fixed by interval bounds, with one exact LP per pattern (solvers/brute). Throws
// util::InputError("--engine brute", ...) when the problem is too large (see max_bits).
spec::Result solve_brute(const spec::Problem& problem, const BruteOptions& options);

}  // namespace solvers
