// Internal to solvers/: what a back end returns for one encoded model, the back ends
// themselves (Z3, CBC), and the driver that turns their answers into a spec::Result.
#pragma once
#include <chrono>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "solvers/solve.h"

namespace solvers {

// One back-end call on one model.
struct BackendAnswer {
  enum class Status { feasible, infeasible, unknown, timeout };
  Status status = Status::unknown;
  std::vector<double> values;  // one per model variable when a point was found (any status)
  // Optimisation models: a lower bound of the minimum (the solver's best bound; exact for Z3)
  // and the objective of the point in `values`.
  double objective_lower = -std::numeric_limits<double>::infinity();
  double objective_upper = std::numeric_limits<double>::infinity();
  std::string note;
  int rounds = 0;  // improving rounds of a linear-search optimiser (Z3)
  bool crashed = false;  // the solver's child process died (run_isolated)
};

// A solver run that may report incumbents (progress) before its final answer.
using Progress = std::function<void(const BackendAnswer&)>;
using IsolatedSolve = std::function<BackendAnswer(const Progress& progress)>;

// Runs `solve` in a forked child process (isolated.cpp) and kills it after kill_after_s seconds.
// Killed: a `timeout` answer with the last progress record's point and bounds; crashed: an
// `unknown` answer with a note (plus on_crash(), e.g. where the model was saved); an exception
// in the child is rethrown as util::InternalError.
BackendAnswer run_isolated(const char* solver, double kill_after_s, const IsolatedSolve& solve,
                           const std::function<std::string()>& on_crash = {});

// Z3 (z3/z3_solver.cpp): check-sat for feasibility models, Optimize when the model has an
// objective (exact rational optimum, rounded outwards to doubles). isolate: in a forked child
// process killed shortly after timeout_s (libz3 checks its own limit only now and then).
BackendAnswer z3_solve(const encodings::Model& model, double timeout_s, unsigned seed, bool isolate = true);
// CBC (milp/cbc_solver.cpp) on a linear model with the CBC settings of `options` (threads,
// preprocess, cuts and heuristics; isolate: in a forked child process, so that a crash of CBC,
// an assertion of the Debian build, gives an unknown answer instead of an abort) and `seed`.
BackendAnswer cbc_solve(const encodings::Model& model, double timeout_s, const MilpOptions& options, unsigned seed);

// cbc_solve, then options.rechecks independent re-solves of what CBC proved (another random
// seed; for a claimed minimum v, the model plus the row objective <= v - kRecheckGap max(1, |v|);
// for a claimed infeasibility, the same model). CBC 2.10 in process sometimes ends a search with a
// wrong proof on trained pruning models (benchmarks/prune/README.md): a re-solve that finds a point
// replaces the answer (and is checked in turn while re-checks are left); one that runs out of time
// leaves the claim unproved (status timeout, the lower bound only what the re-solve proved).
constexpr double kRecheckGap = 1e-7;
BackendAnswer cbc_solve_checked(const encodings::Model& model, double timeout_s, const MilpOptions& options);

// `round`: 0 for a case's first solve, then 1, 2, ... for each restart with a longer slice (see
// solve_encoded); a back end may search differently once a case has proved hard.
using Backend = std::function<BackendAnswer(const encodings::Model&, double time_left_s, int round)>;

// Encodes every case of the problem, calls the back end on each (stopping early when deciding
// and a confirmed counterexample is found), and concludes a verdict (driver.cpp).
spec::Result solve_encoded(const spec::Problem& problem, const encodings::EncodeOptions& options, double timeout_s,
                           const char* engine, const Backend& backend);

// The witness a model assignment describes: x clamped into the box, mask from the keep bits.
spec::Witness witness_from(const spec::Problem& problem, const encodings::Model& model,
                           const std::vector<double>& values);

// Seconds since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace solvers
