// The `milp` engine: a linear (big-M) model handed to CBC through its C interface
// (Cbc_loadProblem, Cbc_setInteger, Cbc_solve). CBC minimises the margin t; its best bound is
// the lower bound of the worst margin and its incumbent gives the point re-evaluated exactly.
// Floating-point answers: integrality and feasibility tolerances of CBC apply (labelled so).
// The Debian CBC is built with assertions on, and some of them fire on valid models; so each
// solve runs in a forked child process and a crash there becomes an `unknown` answer with a
// note, never the end of prunecert.
#include <Cbc_C_Interface.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cfloat>
#include <cmath>
#include <cstring>
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

// The answer as bytes through a pipe: status, objective bounds, rounds, note, values.
void put(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }

std::string serialise(const BackendAnswer& a) {
  std::string out;
  const int status = static_cast<int>(a.status);
  const size_t note = a.note.size(), n = a.values.size();
  put(out, &status, sizeof status);
  put(out, &a.objective_lower, sizeof(double));
  put(out, &a.objective_upper, sizeof(double));
  put(out, &note, sizeof note);
  put(out, a.note.data(), note);
  put(out, &n, sizeof n);
  put(out, a.values.data(), n * sizeof(double));
  return out;
}

bool deserialise(const std::string& in, BackendAnswer& a) {
  size_t at = 0;
  auto get = [&](void* p, size_t n) {
    if (at + n > in.size()) return false;
    std::memcpy(p, in.data() + at, n);
    at += n;
    return true;
  };
  int status = 0;
  size_t note = 0, n = 0;
  if (!get(&status, sizeof status) || !get(&a.objective_lower, sizeof(double)) ||
      !get(&a.objective_upper, sizeof(double)) || !get(&note, sizeof note) || note > in.size())
    return false;
  a.note.resize(note);
  if (!get(a.note.data(), note) || !get(&n, sizeof n) || n > in.size()) return false;
  a.values.resize(n);
  if (!get(a.values.data(), n * sizeof(double)) || at != in.size()) return false;
  if (status < 0 || status > static_cast<int>(BackendAnswer::Status::timeout)) return false;
  a.status = static_cast<BackendAnswer::Status>(status);
  return true;
}

BackendAnswer cbc_solve_here(const Model& model, double timeout_s, int threads, unsigned seed, bool preprocess);

// Runs cbc_solve_here in a child process. The parent waits at most timeout_s plus a grace period
// (CBC keeps its own limit) and then kills the child.
BackendAnswer cbc_solve_isolated(const Model& model, double timeout_s, int threads, unsigned seed, bool preprocess) {
  int out[2], err[2];  // the answer; the child's stderr (an assertion message)
  if (pipe(out) != 0) throw util::InternalError(std::string("cbc: pipe failed: ") + std::strerror(errno));
  if (pipe(err) != 0) {
    close(out[0]);
    close(out[1]);
    throw util::InternalError(std::string("cbc: pipe failed: ") + std::strerror(errno));
  }
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t pid = fork();
  if (pid < 0) {
    for (int f : {out[0], out[1], err[0], err[1]}) close(f);
    throw util::InternalError(std::string("cbc: fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {  // child: solve, send, leave without running the parent's exit handlers
    close(out[0]);
    close(err[0]);
    dup2(err[1], STDERR_FILENO);
    close(err[1]);
    int code = 0;
    try {
      const std::string bytes = serialise(cbc_solve_here(model, timeout_s, threads, seed, preprocess));
      for (size_t done = 0; done < bytes.size();) {
        const ssize_t w = write(out[1], bytes.data() + done, bytes.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          code = 3;
          break;
        }
        done += static_cast<size_t>(w);
      }
    } catch (...) {
      code = 4;
    }
    close(out[1]);
    _exit(code);
  }
  close(out[1]);
  close(err[1]);
  std::string bytes, errors;
  const auto start = std::chrono::steady_clock::now();
  const double limit = timeout_s + 5.0 + 0.1 * timeout_s;
  bool killed = false;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sink[2] = {&bytes, &errors};
  char buf[1 << 16];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const double left = limit - seconds_since(start);
    if (left <= 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    const int ready = poll(fds, 2, static_cast<int>(std::min(left * 1000.0, 1.0e6)) + 1);
    if (ready <= 0) continue;  // EINTR or time: check the limit again
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {  // EOF: the child closed it (done or dead)
        close(fds[i].fd);
        fds[i].fd = -1;
        continue;
      }
      if (sink[i]->size() < (i == 0 ? SIZE_MAX : 4096u)) sink[i]->append(buf, static_cast<size_t>(r));
    }
  }
  for (const auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  while (!errors.empty() && (errors.back() == '\n' || errors.back() == '\r')) errors.pop_back();
  if (const size_t nl = errors.find_last_of('\n'); nl != std::string::npos) errors = errors.substr(nl + 1);
  BackendAnswer a;
  if (killed) {
    a.status = BackendAnswer::Status::timeout;
    a.note = "cbc: did not stop at its time limit and was killed";
  } else if (WIFSIGNALED(wstatus)) {
    a.note = std::string("cbc crashed (") + strsignal(WTERMSIG(wstatus)) + (errors.empty() ? "" : ": " + errors) +
             "); answer unknown";
    // For reports to CBC: PRUNECERT_CBC_CRASH_DIR=DIR keeps the model of every crash as MPS.
    if (const char* dir = std::getenv("PRUNECERT_CBC_CRASH_DIR")) {
      const std::string path = std::string(dir) + "/cbc_crash_" + std::to_string(getpid()) + "_" + std::to_string(pid) + ".mps";
      try {
        encodings::write_model(model, encodings::Format::mps, path);
        a.note += ", model written to " + path;
      } catch (const std::exception&) {
      }
    }
  } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || !deserialise(bytes, a)) {
    a = BackendAnswer{};
    a.note = "cbc: the solver process failed" + (errors.empty() ? std::string() : ": " + errors);
  }
  return a;
}

}  // namespace

BackendAnswer cbc_solve(const Model& model, double timeout_s, int threads, unsigned seed, bool preprocess,
                        bool isolate) {
  if (!model.is_linear()) throw util::InternalError("cbc_solve: the model still has relations");
  return isolate ? cbc_solve_isolated(model, timeout_s, threads, seed, preprocess)
                 : cbc_solve_here(model, timeout_s, threads, seed, preprocess);
}

namespace {

BackendAnswer cbc_solve_here(const Model& model, double timeout_s, int threads, unsigned seed, bool preprocess) {
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
  Cbc_setLogLevel(h.m, 0);
  Cbc_setMaximumSeconds(h.m, std::max(0.01, timeout_s));
  Cbc_setAllowableGap(h.m, 1e-10);
  Cbc_setAllowableFractionGap(h.m, 0.0);
  Cbc_setParameter(h.m, "integerTolerance", "1e-9");
  // CglPreProcess can cut off the optimum when big-M bounds are nearly tight (pre-activation
  // intervals of width ~1e-9 at eps = 0 were seen to lose the worst mask): off by default.
  Cbc_setParameter(h.m, "preprocess", preprocess ? "on" : "off");
  // CBC derives a cutoff increment from the objective and then discards incumbents that improve
  // by less (an optimum 8.5e-6 below the reported one was lost): require none.
  Cbc_setParameter(h.m, "increment", "0");
  // The RINS heuristic solves a sub-MIP of the integers the LP and the incumbent agree on; on
  // our models (all integers fixed but a few, e.g. pruning at a point) its crunched sub-problem
  // trips an assertion of Clp 1.17's OsiClpSolverInterface::crunch (OsiClpSolverInterface.cpp:7521,
  // reproduced with the cbc binary: `-preprocess off -increment 0` aborts, adding `-rins off`
  // does not). Off.
  Cbc_setParameter(h.m, "rins", "off");
  // "threads 1" would switch CBC to its threaded search with one worker: only ask for threads
  // when more than one is wanted.
  if (threads > 1) Cbc_setParameter(h.m, "threads", std::to_string(threads).c_str());
  Cbc_setParameter(h.m, "randomCbcSeed", std::to_string(seed + 1).c_str());
  Cbc_solve(h.m);

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
  } else if (Cbc_isProvenOptimal(h.m) && best) {
    a.status = BackendAnswer::Status::feasible;
    a.objective_lower = std::min(Cbc_getBestPossibleObjValue(h.m) + obj_constant, a.objective_upper);
  } else {
    a.status = Cbc_isSecondsLimitReached(h.m) ? BackendAnswer::Status::timeout : BackendAnswer::Status::unknown;
    const double bound = Cbc_getBestPossibleObjValue(h.m);
    if (std::isfinite(bound) && std::abs(bound) < 1e300) a.objective_lower = bound + obj_constant;
    a.note = std::string("cbc: ") + (a.status == BackendAnswer::Status::timeout ? "time limit reached" : "stopped without proof") +
             " (status " + std::to_string(Cbc_status(h.m)) + ", secondary " + std::to_string(Cbc_secondaryStatus(h.m)) + ")";
  }
  if (a.status == BackendAnswer::Status::feasible && !model.objective) a.objective_lower = a.objective_upper = obj_constant;
  return a;
}

}  // namespace

spec::Result solve_milp(const spec::Problem& problem, const MilpOptions& options) {
  if (options.encode.encoding != encodings::Encoding::bigm)
    throw util::InputError("--encoding", "", std::string("the milp engine needs a linear encoding (bigm), not ") +
                                                 encodings::to_string(options.encode.encoding));
  auto backend = [&](const Model& m, double left) {
    return cbc_solve(m, left, options.threads, options.seed, options.preprocess, options.isolate);
  };
  spec::Result r = solve_encoded(problem, options.encode, options.timeout_s, "milp", backend);
  r.note = r.note.empty() ? "floating-point MILP answer (CBC)" : "floating-point MILP answer (CBC); " + r.note;
  return r;
}

}  // namespace solvers
