// The `milp` engine: a linear (big-M) model handed to CBC through its C interface
// (Cbc_loadProblem, Cbc_setInteger, Cbc_solve). CBC minimises the margin t; its best bound is
// the lower bound of the worst margin and its incumbent gives the point re-evaluated exactly.
// Floating-point answers: integrality and feasibility tolerances of CBC apply (labelled so).
// The Debian CBC is built with assertions on, and some of them fire on valid models; so each
// solve runs in a forked child process (isolated.cpp) and a crash there becomes an `unknown`
// answer with a note, never the end of prunecert.
//
// Diagnosis of CBC answers (environment, not options: for reports to CBC and for us):
//   PRUNECERT_CBC_DUMP=FILE      write every model handed to CBC as MPS (the last one stays)
//   PRUNECERT_CBC_LOG=1          CBC's own log on stdout (log level 1)
//   PRUNECERT_CBC_PARAMS="k v .." extra CBC parameters, e.g. "knapsackCuts off"
// The wrong in-process proofs that cbc_solve_checked re-checks were diagnosed with them: the
// dumped MPS solved right with the cbc binary (and HiGHS), and any one parameter change moved CBC
// off the wrong "optimum" (benchmarks/encodings/README.md).
#include <Cbc_C_Interface.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include "solvers/internal.h"
#include "src/util/errors.h"

namespace solvers {

namespace {

using encodings::Model;
using encodings::Sense;
using encodings::VarKind;

double coin(double v) { return std::isinf(v) ? (v > 0 ? DBL_MAX : -DBL_MAX) : v; }

// Owns a Cbc_Model.
struct CbcHandle {
  Cbc_Model* m = Cbc_newModel();
  ~CbcHandle() { Cbc_deleteModel(m); }
  CbcHandle() = default;
  CbcHandle(const CbcHandle&) = delete;
  CbcHandle& operator=(const CbcHandle&) = delete;
};

BackendAnswer cbc_solve_here(const Model& model, double timeout_s, const MilpOptions& o, unsigned seed,
                             bool scaling = true);

}  // namespace

BackendAnswer cbc_solve(const Model& model, double timeout_s, const MilpOptions& o, unsigned seed) {
  if (!model.is_linear()) throw util::InternalError("cbc_solve: the model still has relations");
  if (const char* d = std::getenv("PRUNECERT_CBC_DUMP")) encodings::write_model(model, encodings::Format::mps, d);
  if (!o.isolate) return cbc_solve_here(model, timeout_s, o, seed);
  // CBC keeps its own limit; the parent kills the child after a grace period.
  const double kill_after = timeout_s + 5.0 + 0.1 * timeout_s;
  auto save_model = [&]() -> std::string {
    // For reports to CBC: PRUNECERT_CBC_CRASH_DIR=DIR keeps the model of every crash as MPS.
    const char* dir = std::getenv("PRUNECERT_CBC_CRASH_DIR");
    if (!dir) return {};
    static std::atomic<int> crashes{0};
    const std::string path = std::string(dir) + "/cbc_crash_" + std::to_string(getpid()) + "_" + std::to_string(++crashes) + ".mps";
    try {
      encodings::write_model(model, encodings::Format::mps, path);
      return ", model written to " + path;
    } catch (const std::exception&) {
      return {};
    }
  };
  const auto start = std::chrono::steady_clock::now();
  BackendAnswer a = run_isolated(
      "cbc", kill_after, [&](const Progress&) { return cbc_solve_here(model, timeout_s, o, seed); },
      save_model);
  // An assertion in Clp's scaled matrix (ClpPackedMatrix::allElementsInRange, CBC 2.10 / Clp
  // 1.17) fired on a pruning model whose MPS file the cbc binary solves: retry once without
  // scaling in the time left.
  const double left = timeout_s - seconds_since(start);
  if (a.crashed && left > 0.05) {
    BackendAnswer b = run_isolated(
        "cbc", left + 5.0 + 0.1 * left,
        [&](const Progress&) { return cbc_solve_here(model, left, o, seed, /*scaling=*/false); });
    b.note = (b.note.empty() ? "" : b.note + "; ") + "retried without scaling after: " + a.note;
    return b;
  }
  return a;
}

namespace {

// CBC's cut callback (Cbc_addCutCallback): the ideal-formulation cuts violated at the node's LP
// solution. The column count check guards against a presolved model (callback off then anyway).
// With `threads` > 1 CBC calls it from several threads: the model is only read, the counters
// are atomic.
struct IdealCutContext {
  const Model* model;
  int cols;
  std::atomic<long long> calls{0}, separated{0}, cuts{0};
};

void ideal_cut_callback(void* osi, void* osi_cuts, void* app) {
  auto* c = static_cast<IdealCutContext*>(app);
  ++c->calls;
  if (Osi_getNumCols(osi) != c->cols) return;
  const double* x = Osi_getColSolution(osi);
  if (!x) return;
  std::vector<int> idx;
  std::vector<double> coef;
  encodings::IdealCutStats stats;
  const auto cuts = encodings::ideal_relu_cuts(*c->model, x, 1e-6, &stats);
  c->separated += stats.separated;
  c->cuts += stats.cuts;
  for (const auto& cut : cuts) {
    idx.clear();
    coef.clear();
    for (const auto& t : cut.terms) {
      idx.push_back(t.var);
      coef.push_back(t.coef);
    }
    OsiCuts_addRowCut(osi_cuts, static_cast<int>(idx.size()), idx.data(), coef.data(), 'L', cut.rhs);
  }
}

BackendAnswer cbc_solve_here(const Model& model, double timeout_s, const MilpOptions& o, unsigned seed,
                             bool scaling) {
  const int n = static_cast<int>(model.vars.size()), rows = static_cast<int>(model.rows.size());

  // Column-wise matrix; duplicate entries of a column in one row are summed.
  std::vector<std::vector<std::pair<int, double>>> cols(n);
  for (int i = 0; i < rows; ++i)
    for (const auto& t : model.rows[i].terms) {
      auto& col = cols[t.var];
      if (!col.empty() && col.back().first == i) col.back().second += t.coef;
      else col.push_back({i, t.coef});
    }
  std::vector<CoinBigIndex> start{0};
  std::vector<int> index;
  std::vector<double> value, collb(n), colub(n), obj(n, 0.0), rowlb(rows), rowub(rows);
  for (int j = 0; j < n; ++j) {
    for (const auto& [i, v] : cols[j]) {
      if (v == 0.0) continue;  // explicit zeros trip an assertion in Clp's crunch (CBC 2.10)
      index.push_back(i);
      value.push_back(v);
    }
    start.push_back(static_cast<CoinBigIndex>(index.size()));
    collb[j] = coin(model.vars[j].lo);
    colub[j] = coin(model.vars[j].hi);
  }
  double obj_constant = 0.0;
  if (model.objective) {
    for (const auto& t : model.objective->terms) obj[t.var] += t.coef;
    obj_constant = model.objective->constant;
  }
  for (int i = 0; i < rows; ++i) {
    const auto& r = model.rows[i];
    rowlb[i] = r.sense == Sense::le ? -DBL_MAX : r.rhs;
    rowub[i] = r.sense == Sense::ge ? DBL_MAX : r.rhs;
  }

  CbcHandle h;
  Cbc_loadProblem(h.m, n, rows, start.data(), index.data(), value.data(), collb.data(), colub.data(), obj.data(),
                  rowlb.data(), rowub.data());
  for (int j = 0; j < n; ++j)
    if (model.vars[j].kind != VarKind::real) Cbc_setInteger(h.m, j);
  Cbc_setObjSense(h.m, 1.0);
  Cbc_setLogLevel(h.m, std::getenv("PRUNECERT_CBC_LOG") ? 1 : 0);
  Cbc_setMaximumSeconds(h.m, std::max(0.01, timeout_s));
  Cbc_setAllowableGap(h.m, 1e-10);
  Cbc_setAllowableFractionGap(h.m, 0.0);
  Cbc_setParameter(h.m, "integerTolerance", "1e-9");
  // CglPreProcess can cut off the optimum when big-M bounds are nearly tight (pre-activation
  // intervals of width ~1e-9 at eps = 0 were seen to lose the worst mask): off by default.
  Cbc_setParameter(h.m, "preprocess", o.preprocess ? "on" : "off");
  // CBC derives a cutoff increment from the objective and then discards incumbents that improve
  // by less (an optimum 8.5e-6 below the reported one was lost): require none.
  Cbc_setParameter(h.m, "increment", "0");
  // The RINS heuristic solves a sub-MIP of the integers the LP and the incumbent agree on; on
  // our models (all integers fixed but a few, e.g. pruning at a point) its crunched sub-problem
  // trips an assertion of Clp 1.17's OsiClpSolverInterface::crunch (OsiClpSolverInterface.cpp:7521,
  // reproduced with the cbc binary: `-preprocess off -increment 0` aborts, adding `-rins off`
  // does not). Off.
  Cbc_setParameter(h.m, "rins", "off");
  // Gomory cuts stay on (unless MilpOptions::cbc_extras turns all cuts off). They were off for a
  // while because CBC cut off the optimum of a pruning query (FashionMNIST MLP, sample 11, budget
  // 0,10%,0); the cause was matrix entries of 1e-37 (encodings/negligible_terms.cpp removes them),
  // and without those CBC finds the optimum with or without Gomory cuts.
  if (!scaling) Cbc_setParameter(h.m, "scaling", "off");
  // "threads 1" would switch CBC to its threaded search with one worker: only ask for threads
  // when more than one is wanted.
  if (o.threads > 1) Cbc_setParameter(h.m, "threads", std::to_string(o.threads).c_str());
  // MilpOptions::cbc_extras (solve_milp resolves automatic; elsewhere it means CBC's defaults).
  if (o.cbc_extras == MilpOptions::CbcExtras::off || o.cbc_extras == MilpOptions::CbcExtras::pump) {
    Cbc_setParameter(h.m, "cuts", "off");
    Cbc_setParameter(h.m, "heuristics", "off");
  }
  if (o.cbc_extras == MilpOptions::CbcExtras::pump) Cbc_setParameter(h.m, "feasibilityPump", "on");
  Cbc_setParameter(h.m, "randomCbcSeed", std::to_string(seed + 1).c_str());
  // A guided decision model (every feasible point is an answer): stop at the first solution.
  if (model.any_solution) Cbc_setParameter(h.m, "maxSolutions", "1");
  if (const char* extra = std::getenv("PRUNECERT_CBC_PARAMS")) {
    std::istringstream in(extra);
    std::string k, v;
    while (in >> k >> v) Cbc_setParameter(h.m, k.c_str(), v.c_str());
  }
  IdealCutContext cut_context{&model, n};
  if (o.ideal_cuts && !o.preprocess && !model.binary_relus.empty())
    Cbc_addCutCallback(h.m, ideal_cut_callback, "ideal_relu", &cut_context);
  Cbc_solve(h.m);
  if (std::getenv("PRUNECERT_CBC_LOG") && o.ideal_cuts)
    std::printf("ideal ReLU cuts: %lld callbacks, %lld separated, %lld cuts\n", cut_context.calls.load(),
                cut_context.separated.load(), cut_context.cuts.load());

  BackendAnswer a;
  if (!model.has_integers()) {
    // A pure LP (every ReLU stable): CBC stops after the initial solve and keeps no incumbent.
    if (Cbc_isInitialSolveProvenPrimalInfeasible(h.m)) {
      a.status = BackendAnswer::Status::infeasible;
    } else if (Cbc_isInitialSolveProvenOptimal(h.m)) {
      a.status = BackendAnswer::Status::feasible;
      const double* x = Cbc_getColSolution(h.m);
      a.values.assign(x, x + n);
      a.objective_lower = a.objective_upper = Cbc_getObjValue(h.m) + obj_constant;
    } else {
      a.status = Cbc_isSecondsLimitReached(h.m) ? BackendAnswer::Status::timeout : BackendAnswer::Status::unknown;
      a.note = "cbc: the LP was not solved to optimality";
    }
    return a;
  }
  const double* best = Cbc_bestSolution(h.m);
  if (best) {
    a.values.assign(best, best + n);
    a.objective_upper = Cbc_getObjValue(h.m) + obj_constant;
  }
  if (Cbc_isProvenInfeasible(h.m)) {
    a.status = BackendAnswer::Status::infeasible;
    a.values.clear();
  } else if (model.any_solution && best) {
    a.status = BackendAnswer::Status::feasible;  // a point of a decision model: the answer, not a minimum
    a.objective_lower = -encodings::kInf;
  } else if (Cbc_isProvenOptimal(h.m) && best) {
    a.status = BackendAnswer::Status::feasible;
    a.objective_lower = std::min(Cbc_getBestPossibleObjValue(h.m) + obj_constant, a.objective_upper);
  } else {
    a.status = Cbc_isSecondsLimitReached(h.m) ? BackendAnswer::Status::timeout : BackendAnswer::Status::unknown;
    // The tree's bound when the clock stopped it; a search CBC abandoned (numerical difficulties)
    // or that stopped for another reason leaves its bound out: -inf.
    const double bound = Cbc_getBestPossibleObjValue(h.m);
    if (a.status == BackendAnswer::Status::timeout && std::isfinite(bound) && std::abs(bound) < 1e300)
      a.objective_lower = bound + obj_constant;
    a.note = std::string("cbc: ") + (a.status == BackendAnswer::Status::timeout ? "time limit reached" : "stopped without proof") +
             " (status " + std::to_string(Cbc_status(h.m)) + ", secondary " + std::to_string(Cbc_secondaryStatus(h.m)) + ")";
  }
  if (a.status == BackendAnswer::Status::feasible && !model.objective) a.objective_lower = a.objective_upper = obj_constant;
  return a;
}

}  // namespace

BackendAnswer cbc_solve_checked(const Model& model, double timeout_s, const MilpOptions& options) {
  using Status = BackendAnswer::Status;
  const auto start = std::chrono::steady_clock::now();
  BackendAnswer a = cbc_solve(model, timeout_s, options, options.seed);
  if (!model.has_integers()) return a;  // an LP: no search to go wrong
  for (int k = 1; k <= options.rechecks; ++k) {
    const bool claims_infeasible = a.status == Status::infeasible;
    const bool claims_minimum = a.status == Status::feasible && model.objective.has_value() && !model.any_solution;
    if (!claims_infeasible && !claims_minimum) break;  // nothing proved, nothing to check
    Model check = model;
    const double v = a.objective_lower;
    const double slack = kRecheckGap * std::max(1.0, std::abs(v));
    if (claims_minimum)  // is there a point below the claimed minimum?
      check.rows.push_back({model.objective->terms, encodings::Sense::le, v - slack - model.objective->constant,
                            "recheck_below_claimed_minimum"});
    const double left = timeout_s - seconds_since(start);
    const unsigned seed = options.seed + 1000u * k;
    BackendAnswer b;
    if (left > 0.01)
      b = cbc_solve(check, left, options, seed);
    else
      b.status = Status::timeout;
    const std::string claim = claims_minimum ? "minimum " + std::to_string(v) : "infeasibility";
    if (b.status == Status::infeasible) {  // confirmed: no point below v - slack
      if (claims_minimum) a.objective_lower = v - slack;
      continue;
    }
    if (!b.values.empty() && (claims_infeasible || b.objective_upper < v - slack)) {
      // Caught: CBC's first search ended with a wrong proof (seen on pruning models, README).
      b.note = "cbc: an independent re-solve (seed " + std::to_string(seed) +
               ") found a point against the claimed " + claim + (b.note.empty() ? "" : "; " + b.note);
      a = std::move(b);
      if (claims_minimum && a.status != Status::feasible)
        a.objective_lower = std::min(a.objective_lower, v - slack);  // the region above the cut is >= v - slack
      continue;  // check the new claim too while re-checks are left
    }
    if (b.status == Status::feasible) continue;  // only points at the claimed minimum (within the slack)
    // Not confirmed in the time left: the claim stays unproved.
    const double region_bound = b.objective_lower;
    a.status = b.status == Status::timeout ? Status::timeout : Status::unknown;
    if (claims_minimum) a.objective_lower = std::min(region_bound, v - slack);
    else a.objective_lower = -encodings::kInf;
    a.note = "cbc: the claimed " + claim + " was not confirmed by an independent re-solve in the time left" +
             (b.note.empty() ? "" : " (" + b.note + ")");
    break;
  }
  return a;
}

MilpOptions::CbcExtras parse_cbc_extras(const std::string& text) {
  if (text == "auto") return MilpOptions::CbcExtras::automatic;
  if (text == "on") return MilpOptions::CbcExtras::on;
  if (text == "off") return MilpOptions::CbcExtras::off;
  if (text == "pump") return MilpOptions::CbcExtras::pump;
  throw util::InputError("--milp-cbc", "", "'" + text + "' is not on, off, pump or auto");
}

spec::Result solve_milp(const spec::Problem& problem, const MilpOptions& options) {
  if (options.encode.encoding != encodings::Encoding::bigm)
    throw util::InputError("--encoding", "", std::string("the milp engine needs a linear encoding (bigm), not ") +
                                                 encodings::to_string(options.encode.encoding));
  // automatic: deciding without a pruning budget, off for each case's first (short) solve and the
  // feasibility pump for its restarts; CBC's defaults otherwise.
  const bool plain_decision = options.encode.goal == encodings::Goal::decide && !problem.budget;
  auto backend = [&](const Model& m, double left, int round) {
    MilpOptions resolved = options;
    if (options.cbc_extras == MilpOptions::CbcExtras::automatic)
      resolved.cbc_extras = !plain_decision ? MilpOptions::CbcExtras::on
                            : round == 0    ? MilpOptions::CbcExtras::off
                                            : MilpOptions::CbcExtras::pump;
    return cbc_solve_checked(m, left, resolved);
  };
  spec::Result r = solve_encoded(problem, options.encode, options.timeout_s, "milp", backend);
  const std::string what = options.rechecks > 0
                               ? "floating-point MILP answer (CBC, each proof re-checked by " + std::to_string(options.rechecks) +
                                     " independent solve" + (options.rechecks > 1 ? "s" : "") + ")"
                               : "floating-point MILP answer (CBC, proofs not re-checked)";
  r.note = r.note.empty() ? what : what + "; " + r.note;
  return r;
}

}  // namespace solvers
