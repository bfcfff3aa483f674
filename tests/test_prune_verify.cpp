// Differential tests of prune-verify's engines (seed 003, Problem 1) against the brute-force
// oracle on hundreds of seeded random small networks, inputs and budgets, at a point (eps = 0)
// and on a ball (eps > 0): bab, milp (CBC) and smt (Z3) find the exact worst margin to 1e-6;
// the bounds never exceed it (so `bound` never claims robust when brute says not); the mask
// attacks never go below it; auto's verdict is brute's.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "random_problems.h"
#include "solvers/bab/bab.h"
#include "solvers/solve.h"
#include "src/attack/mask_attack.h"
#include "src/cli/prune_verify.h"
#include "src/util/errors.h"

namespace {

constexpr double kTol = 1e-6;

std::string describe(const spec::Problem& p, uint64_t seed) {
  std::ostringstream s;
  s << "seed " << seed << ", widths " << p.net->input_dim();
  for (const auto& l : p.net->layers) s << "-" << l.W.rows();
  s << ", eps " << 0.5 * (p.box.hi - p.box.lo).maxCoeff() << ", budget";
  for (int v : p.budget->s) s << " " << v;
  return s.str();
}

// A random pruning problem small enough for brute. At a point the budgets go up to 3 per layer.
spec::Problem random_pruning_problem(uint64_t seed, bool point) {
  std::mt19937_64 rng(seed);
  const auto widths = testing_util::random_widths(rng, 2, 4, 1, 3, 2, 7, 2, 4);
  auto net = testing_util::random_network(rng, widths);
  const double eps = point ? 0.0 : std::uniform_real_distribution<double>(0.01, 0.2)(rng);
  spec::Problem p = testing_util::random_robustness_problem(rng, net, eps);
  spec::PruningBudget b;
  for (int k = 0; k < net->num_hidden(); ++k) {
    const int cap = std::min(point ? 3 : 2, net->hidden_width(k) - 1);
    b.s.push_back(std::uniform_int_distribution<int>(0, std::max(0, cap))(rng));
  }
  if (!b.any()) b.s.back() = 1;
  p.budget = b;
  return p;
}

// The same query with every row's offset raised by theta: the margin drops by exactly theta, so
// "worst margin > theta" is the shifted query's robustness.
spec::Problem shifted(const spec::Problem& p, double theta) {
  spec::Problem q = p;
  for (auto& conj : q.property.disjuncts)
    for (auto& row : conj.rows) row.d += theta;
  return q;
}

util::Options engine_options(const std::string& engine) {
  util::Options o;
  o.engine = engine;
  o.timeout = 30;
  return o;
}

struct Tally {
  int compared = 0, refused = 0, robust = 0, milp = 0, smt = 0, decide = 0;
  int local_exact = 0;           // cases where local search reached the exact worst margin
  int local_from_full = 0;       // ... starting from the full mask (nothing pruned), not the attack's
  int bound_robust = 0;          // robust cases the `bound` engine proved on its own
  std::vector<int> cbc_crashes;  // case indices where the CBC child process aborted
};

void check_case(const spec::Problem& p, const cli::PruneVerifier& verifier, int index, Tally& t) {
  solvers::BruteOptions bro;
  bro.max_bits = 14;
  bro.timeout_s = 20;
  spec::Result brute;
  try {
    brute = solvers::solve_brute(p, bro);
  } catch (const util::InputError&) {
    ++t.refused;
    return;
  }
  ASSERT_TRUE(brute.verdict == spec::Verdict::sat || brute.verdict == spec::Verdict::unsat) << brute.note;
  ASSERT_LE(brute.margin_upper - brute.margin_lower, 1e-9) << "brute is not exact: " << brute.note;
  const double W = brute.margin_lower;  // the exact worst margin
  const bool robust = W > 0;
  ++t.compared;
  t.robust += robust;

  // bab: the worst margin lies in (W - tol, W + tol]: robust above W - tol, a confirmed
  // counterexample below W + tol.
  bab::BabOptions bo;
  bo.timeout_s = 30;
  const spec::Result above = bab::solve_bab(shifted(p, W - kTol), bo);
  EXPECT_EQ(above.verdict, spec::Verdict::unsat) << "bab misses the worst margin " << W << ": " << above.note;
  const spec::Problem below_p = shifted(p, W + kTol);
  const spec::Result below = bab::solve_bab(below_p, bo);
  ASSERT_EQ(below.verdict, spec::Verdict::sat) << "bab claims a margin above " << W + kTol << ": " << below.note;
  spec::Witness w = *below.witness;
  EXPECT_TRUE(spec::confirm_witness(below_p, w));
  EXPECT_GE(p.property.margin(w.y), W - 1e-9) << "bab's witness beats the exact worst margin";

  // milp (CBC) and smt (Z3) optimise the worst margin (on every 2nd and 4th case: time).
  if (index % 2 == 0) {
    solvers::MilpOptions mo;
    mo.timeout_s = 30;
    const spec::Result milp = solvers::solve_milp(p, mo);
    if (milp.note.find("cbc crashed") != std::string::npos) {
      // CBC (run in a child process) aborts in OsiClpSolverInterface::crunch on a few of these
      // tiny models; reported to the MILP back end's owner. Counted, and bounded below.
      t.cbc_crashes.push_back(index);
    } else {
      EXPECT_NEAR(milp.margin_lower, W, kTol) << milp.note;
      EXPECT_NEAR(milp.margin_upper, W, kTol) << milp.note;
      EXPECT_EQ(milp.verdict, brute.verdict) << milp.note;
      ++t.milp;
    }
  }
  if (index % 4 == 1) {
    solvers::SmtOptions so;
    so.timeout_s = 30;
    so.encode.goal = encodings::Goal::optimize;
    const spec::Result smt = solvers::solve_smt(p, so);
    EXPECT_NEAR(smt.margin_lower, W, kTol) << smt.note;
    EXPECT_EQ(smt.verdict, brute.verdict) << smt.note;
    ++t.smt;
  }

  // bound: a lower bound of W, robust only when brute says so.
  const cli::PruneAnswer bound = verifier.verify(p, engine_options("bound"));
  EXPECT_LE(bound.lower, W + 1e-9);
  EXPECT_GE(bound.upper, W - 1e-9);
  if (bound.verdict == cli::PruneVerdict::robust) EXPECT_TRUE(robust) << "bound claims robust, brute's margin " << W;
  if (bound.verdict == cli::PruneVerdict::not_robust) EXPECT_FALSE(robust);
  if (p.box.lo == p.box.hi) {
    const bounds::MarginDeviation dev(*p.net);
    EXPECT_LE(dev.bound(*p.net, p.box.lo, p.property, *p.budget).margin_lower, W + 1e-9)
        << "margin-deviation bound above the exact worst margin";
  }

  // attack: never below W (every mask it reports is admissible and evaluated exactly).
  attack::MaskAttackOptions ao;
  ao.pgd_steps = 100;
  ao.random_masks = 200;
  const attack::MaskAttackResult atk = attack::mask_attack(p, p.box.center(), ao);
  EXPECT_GE(atk.best_margin, W - 1e-9) << "attack " << atk.method << " below the exact worst margin";
  if (atk.found) EXPECT_FALSE(robust);
  // local search from that mask: never worse than its start, never below W.
  const attack::MaskAttackResult local = attack::local_search_mask_attack(p, p.box.center(), atk.best.mask, ao);
  EXPECT_LE(local.best_margin, atk.best_margin);
  EXPECT_GE(local.best_margin, W - 1e-9) << "local search below the exact worst margin";
  t.local_exact += std::abs(local.best_margin - W) <= 1e-9;
  // From nothing pruned, so that the search itself has to find the worst mask (the attack's best
  // mask mostly reaches W already).
  const attack::MaskAttackResult scratch =
      attack::local_search_mask_attack(p, p.box.center(), p.net->full_mask(), ao);
  EXPECT_GE(scratch.best_margin, W - 1e-9) << "local search below the exact worst margin";
  if (p.box.lo == p.box.hi) t.local_from_full += std::abs(scratch.best_margin - W) <= 1e-9;
  t.bound_robust += bound.verdict == cli::PruneVerdict::robust;

  // auto and the bab engine end to end: brute's verdict, bounds bracketing W.
  for (const char* e : {"auto", "bab"}) {
    const cli::PruneAnswer a = verifier.verify(p, engine_options(e));
    EXPECT_EQ(a.verdict, robust ? cli::PruneVerdict::robust : cli::PruneVerdict::not_robust) << e << " " << a.engine;
    EXPECT_LE(a.lower, W + 1e-9) << e;
    EXPECT_GE(a.upper, W - 1e-9) << e;
  }
  // The decision engines end to end (every 4th case: time): a robust answer comes without a
  // positive lower bound (it was reported `unknown` until 2026-12-04), a not-robust one with a
  // confirmed mask.
  if (index % 4 == 3) {
    for (const char* e : {"smt", "milp"}) {
      util::Options o = engine_options(e);
      o.goal = "decide";
      const cli::PruneAnswer a = verifier.verify(p, o);
      EXPECT_EQ(a.verdict, robust ? cli::PruneVerdict::robust : cli::PruneVerdict::not_robust) << e << " decide";
      EXPECT_LE(a.lower, W + 1e-9) << e;
      EXPECT_GE(a.upper, W - 1e-9) << e;
      ++t.decide;
    }
  }
}

// The verifier's margin-deviation bound uses spectral norms computed for its own network: a
// problem on another network of the same shape must be refused, not answered (a review found
// the check compared only the layer counts, and only when the pointers differed).
TEST(PruneVerify, RefusesAProblemOnAnotherNetworkOfTheSameShape) {
  const spec::Problem p = random_pruning_problem(11, true);
  const cli::PruneVerifier verifier(p.net);
  spec::Problem copy = p;  // the same weights in another object: accepted
  copy.net = std::make_shared<const net::LayeredNetwork>(*p.net);
  EXPECT_NO_THROW(verifier.verify(copy, engine_options("bound")));
  auto scaled = std::make_shared<net::LayeredNetwork>(*p.net);
  scaled->layers[1].W *= 10.0;
  spec::Problem other = p;
  other.net = scaled;
  EXPECT_THROW(verifier.verify(other, engine_options("bound")), util::InternalError);
}

void run_suite(uint64_t first_seed, int count, bool point, int min_compared) {
  Tally t;
  for (int i = 0; i < count; ++i) {
    const uint64_t seed = first_seed + static_cast<uint64_t>(i);
    const spec::Problem p = random_pruning_problem(seed, point);
    SCOPED_TRACE(describe(p, seed));
    const cli::PruneVerifier verifier(p.net);
    check_case(p, verifier, i, t);
    if (::testing::Test::HasFailure()) break;
  }
  std::printf(
      "%s: %d compared (%d robust, %d of them proved by `bound`; milp %d, smt %d, decision engines end to end %d; local "
      "search exact on %d, from the full mask on %d), %d too large for brute\n",
      point ? "point" : "ball", t.compared, t.robust, t.bound_robust, t.milp, t.smt, t.decide, t.local_exact,
      t.local_from_full, t.refused);
  for (int i : t.cbc_crashes) std::printf("  CBC crashed on seed %llu\n", static_cast<unsigned long long>(first_seed + i));
  EXPECT_LE(t.cbc_crashes.size(), 2u);
  EXPECT_GE(t.compared, min_compared);
  EXPECT_GT(t.robust, t.compared / 10) << "too few robust cases to test the certificates";
  EXPECT_LT(t.robust, t.compared - t.compared / 10) << "too few non-robust cases to test the falsifiers";
  // 2026-12-07: `bound` proved 88 of 90 robust cases at a point and 49 of 50 on a ball; local
  // search from nothing pruned reached the worst margin on 144 of 152 points.
  EXPECT_GE(t.bound_robust, t.robust * 3 / 4) << "the bound engine proves too few robust cases";
  if (point) EXPECT_GE(t.local_from_full, t.compared * 3 / 4) << "local search finds the worst mask too rarely";
}

}  // namespace

TEST(PruneVerifyDifferential, EnginesAgreeWithBruteOnTheWorstMarginAtAPoint) { run_suite(60000, 160, true, 150); }

TEST(PruneVerifyDifferential, EnginesAgreeWithBruteOnTheWorstMarginOnABall) { run_suite(61000, 100, false, 80); }

TEST(PruneVerify, PassThroughBoundSurvivesAnOverflowingWidth) {
  // y = -relu(1.5 x) on [-6e307, 6e307], budget 1, unsafe y <= -1 (at x = 10 with nothing pruned,
  // y = -15). z spans +-9e307, so u - l overflows: the pass-through bound's own chord had slope 0
  // and intercept 0 there (h <= 0) and proved the query robust (a review of first-layer bab found
  // the same line there).
  auto net = std::make_shared<net::LayeredNetwork>();
  net->layers = {{Eigen::MatrixXd::Constant(1, 1, 1.5), Eigen::VectorXd::Zero(1)},
                 {Eigen::MatrixXd::Constant(1, 1, -1.0), Eigen::VectorXd::Zero(1)}};
  spec::Problem p;
  p.net = net;
  p.box = {Eigen::VectorXd::Constant(1, -6e307), Eigen::VectorXd::Constant(1, 6e307)};
  spec::Row r;
  r.c = Eigen::VectorXd::Constant(1, 1.0);
  r.d = -1.0;
  p.property.disjuncts.push_back({{r}});
  p.budget = spec::PruningBudget{{1}};
  const cli::PruneVerifier verifier(p.net);
  for (const char* engine : {"bound", "auto"}) {
    const cli::PruneAnswer a = verifier.verify(p, engine_options(engine));
    EXPECT_NE(a.verdict, cli::PruneVerdict::robust) << engine;
    EXPECT_LE(a.lower, -14.0) << engine;
  }
}
