// The driver's schedule for deciding several cases (solvers/driver.cpp): per-class models get
// time slices that grow 4x per round, so a case that does not finish cannot take the whole limit
// while another case holds a counterexample, and a case that needs more time than its first
// slices is solved again with a longer one. Back ends here are CBC behind a wrapper that makes
// chosen cases "time out"; verdicts are compared with brute.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include "random_problems.h"
#include "solvers/internal.h"
#include "src/util/errors.h"

namespace {

struct Pruned {
  spec::Problem problem;
  spec::Result brute;
};

// Random pruning problems at a point with at least 3 output classes, decided by brute.
std::vector<Pruned> problems(uint64_t first_seed, int count) {
  std::vector<Pruned> out;
  for (uint64_t seed = first_seed; static_cast<int>(out.size()) < count && seed < first_seed + 200; ++seed) {
    std::mt19937_64 rng(seed);
    const auto widths = testing_util::random_widths(rng, 2, 3, 2, 4, 2, 6, 3, 4);
    auto net = testing_util::random_network(rng, widths);
    spec::Problem p = testing_util::random_robustness_problem(rng, net, 0.0);
    spec::PruningBudget b;
    for (int k = 0; k < net->num_hidden(); ++k) b.s.push_back(std::min(2, net->hidden_width(k) - 1));
    p.budget = b;
    solvers::BruteOptions bo;
    bo.max_bits = 14;
    try {
      spec::Result r = solvers::solve_brute(p, bo);
      if (r.verdict == spec::Verdict::sat || r.verdict == spec::Verdict::unsat) out.push_back({p, r});
    } catch (const util::InputError&) {
    }
  }
  return out;
}

solvers::MilpOptions decide_per_class() {
  solvers::MilpOptions mo;
  mo.encode.goal = encodings::Goal::decide;
  mo.encode.property_mode = encodings::PropertyMode::per_class;
  mo.encode.decide_objective = true;
  return mo;
}

}  // namespace

// Every case "times out" unless its slice is at least `needed` seconds: the driver must come
// back to each case with longer slices and still reach brute's verdict.
TEST(DecideSchedule, CasesThatNeedLongerSlicesAreSolvedAgain) {
  const auto ps = problems(7000, 12);
  ASSERT_GE(ps.size(), 10u);
  const solvers::MilpOptions mo = decide_per_class();
  const double timeout = 40.0, needed = 4.0;  // first slice: 40 / (16 cases) < 1 s
  int sat = 0, unsat = 0;
  for (const auto& [p, brute] : ps) {
    std::map<int, int> calls;
    const solvers::Backend backend = [&](const encodings::Model& m, double limit, int round) {
      EXPECT_EQ(round, calls[m.disjunct]) << "a case's n-th solve is round n";  // the CBC setting depends on it
      ++calls[m.disjunct];
      if (limit < needed) {
        solvers::BackendAnswer a;
        a.status = solvers::BackendAnswer::Status::timeout;
        return a;
      }
      return solvers::cbc_solve_checked(m, limit, mo);
    };
    const spec::Result r = solvers::solve_encoded(p, mo.encode, timeout, "milp", backend);
    EXPECT_EQ(r.verdict, brute.verdict) << r.note;
    // Robust: every case had to be proved, after at least one slice too short for it. (With a
    // counterexample the loop ends at the first case that gives one.)
    if (brute.verdict == spec::Verdict::unsat) {
      EXPECT_EQ(calls.size(), p.property.disjuncts.size());
      for (const auto& [c, n] : calls) EXPECT_GE(n, 2) << "case " << c << " was never given a longer slice";
    }
    sat += brute.verdict == spec::Verdict::sat;
    unsat += brute.verdict == spec::Verdict::unsat;
  }
  EXPECT_GT(sat, 0);
  EXPECT_GT(unsat, 0);
}

// Every case without a counterexample never answers (it sleeps through its whole slice): a problem
// with a counterexample must still be decided `sat`, well within the limit.
TEST(DecideSchedule, AHopelessCaseDoesNotHideACounterexampleInAnother) {
  const auto ps = problems(7100, 20);
  const solvers::MilpOptions mo = decide_per_class();
  const double timeout = 8.0;
  int tried = 0;
  for (const auto& [p, brute] : ps) {
    if (brute.verdict != spec::Verdict::sat || !brute.witness) continue;
    const spec::Vector y = p.net->eval(brute.witness->x, brute.witness->mask);
    std::vector<bool> holds(p.property.disjuncts.size());
    for (size_t d = 0; d < holds.size(); ++d) holds[d] = p.property.disjuncts[d].margin(y) <= 0.0;  // brute's point is in case d
    const solvers::Backend backend = [&](const encodings::Model& m, double limit, int /*round*/) {
      if (!holds[m.disjunct]) {
        std::this_thread::sleep_for(std::chrono::duration<double>(limit));
        solvers::BackendAnswer a;
        a.status = solvers::BackendAnswer::Status::timeout;
        return a;
      }
      return solvers::cbc_solve_checked(m, limit, mo);
    };
    const auto t0 = std::chrono::steady_clock::now();
    const spec::Result r = solvers::solve_encoded(p, mo.encode, timeout, "milp", backend);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.verdict, spec::Verdict::sat) << r.note;
    EXPECT_LT(took, 0.75 * timeout);
    if (++tried == 5) break;
  }
  EXPECT_GE(tried, 3);
}

// One case never answers: the others are still decided, and the result says which disjuncts were
// proved unreachable (the distance bisection leaves those out at smaller radii), only those, each
// confirmed by brute on that disjunct alone.
TEST(DecideSchedule, DisjunctsProvedUnreachableAreReportedWhenAnotherStaysOpen) {
  const auto ps = problems(7200, 20);
  const solvers::MilpOptions mo = decide_per_class();
  int tried = 0, flagged = 0;
  for (const auto& [p, brute] : ps) {
    const solvers::Backend backend = [&](const encodings::Model& m, double limit, int /*round*/) {
      if (m.disjunct == 0) {
        solvers::BackendAnswer a;
        a.status = solvers::BackendAnswer::Status::timeout;
        return a;
      }
      return solvers::cbc_solve_checked(m, limit, mo);
    };
    const spec::Result r = solvers::solve_encoded(p, mo.encode, 4.0, "milp", backend);
    ASSERT_EQ(r.disjunct_unreachable.size(), p.property.disjuncts.size());
    EXPECT_FALSE(r.disjunct_unreachable[0]);
    if (r.verdict == spec::Verdict::sat) continue;  // stopped at a counterexample: flags are partial
    EXPECT_EQ(r.verdict, spec::Verdict::timeout) << r.note;
    for (size_t d = 1; d < p.property.disjuncts.size(); ++d) {
      spec::Problem one = p;
      one.property.disjuncts = {p.property.disjuncts[d]};
      solvers::BruteOptions bo;
      bo.max_bits = 14;
      const spec::Result alone = solvers::solve_brute(one, bo);
      EXPECT_EQ(r.disjunct_unreachable[d], alone.verdict == spec::Verdict::unsat) << "disjunct " << d;
      flagged += r.disjunct_unreachable[d];
    }
    ++tried;
  }
  EXPECT_GE(tried, 5);
  EXPECT_GT(flagged, 0);
  // Deciding one model for the whole disjunction gives no per-disjunct answer.
  solvers::MilpOptions whole = mo;
  whole.encode.property_mode = encodings::PropertyMode::disjunction;
  EXPECT_TRUE(solvers::solve_milp(ps.front().problem, whole).disjunct_unreachable.empty());
}

// Optimising, a back end that stops on its time limit (or without proof) holding a positive
// lower bound of the minimum margin gives no proof: CBC's bound at that moment is not re-checked
// (a wrong cut can lift it, as on the pruning models of the README). The verdict is timeout or
// unknown, the bound is reported in the note (not as margin_lower), and a finished search with
// the same bound is unsat.
TEST(DecideSchedule, AStoppedSearchsPositiveBoundIsNoProof) {
  const auto ps = problems(7300, 3);
  ASSERT_GE(ps.size(), 1u);
  solvers::MilpOptions mo;
  mo.encode.goal = encodings::Goal::optimize;
  for (auto status : {solvers::BackendAnswer::Status::timeout, solvers::BackendAnswer::Status::unknown,
                      solvers::BackendAnswer::Status::feasible}) {
    const solvers::Backend backend = [&](const encodings::Model&, double, int) {
      solvers::BackendAnswer a;
      a.status = status;
      a.objective_lower = 2.5;
      return a;
    };
    const spec::Result r = solvers::solve_encoded(ps.front().problem, mo.encode, 4.0, "milp", backend);
    if (status == solvers::BackendAnswer::Status::feasible) {
      EXPECT_DOUBLE_EQ(r.margin_lower, 2.5);
      EXPECT_EQ(r.verdict, spec::Verdict::unsat);
    } else {
      // Result::margin_lower is certified: the stopped search's bound is in the note only.
      EXPECT_EQ(r.margin_lower, -std::numeric_limits<double>::infinity());
      EXPECT_NE(r.note.find("2.5"), std::string::npos) << r.note;
      EXPECT_EQ(r.verdict, status == solvers::BackendAnswer::Status::timeout ? spec::Verdict::timeout
                                                                                : spec::Verdict::unknown)
          << r.note;
      EXPECT_NE(r.note.find("not re-checked"), std::string::npos) << r.note;
    }
  }
}
