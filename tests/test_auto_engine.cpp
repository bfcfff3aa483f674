// verify --engine auto (src/cli/engines.cpp): which problems get the portfolio after bab (CBC,
// then first-layer bab), and the portfolio's answers against brute force.
#include <gtest/gtest.h>

#include <random>

#include "solvers/solve.h"
#include "src/cli/cli.h"
#include "src/cli/engines.h"
#include "tests/random_problems.h"

namespace {

spec::Problem problem_of(const std::vector<int>& widths, uint64_t seed, double eps) {
  std::mt19937_64 rng(seed);
  return testing_util::random_robustness_problem(rng, testing_util::random_network(rng, widths), eps);
}

TEST(AutoEngine, PlansThePortfolioWhereBabSplitsReLUs) {
  util::Options o;
  // ACAS Xu-like: 5 inputs, input splitting, bab alone.
  using S = cli::AutoPlan::Stage;
  EXPECT_FALSE(cli::auto_plan(problem_of({5, 50, 50, 5}, 1, 0.1), o, false).portfolio());
  // MNIST-like, wide first layer: bab, then CBC.
  const cli::AutoPlan wide = cli::auto_plan(problem_of({784, 256, 256, 10}, 2, 0.01), o, false);
  EXPECT_EQ(wide.stages, (std::vector<S>{S::bab, S::milp}));
  // Marabou's mnist10x10-like: narrow first layer: CBC, bab, first-layer bab.
  const spec::Problem narrow = problem_of({784, 10, 10, 10}, 3, 0.01);
  EXPECT_EQ(cli::auto_plan(narrow, o, false).stages, (std::vector<S>{S::milp, S::bab, S::first_layer}));
  // Not with a certificate, a pruning budget or a branching rule given.
  EXPECT_FALSE(cli::auto_plan(narrow, o, true).portfolio());
  spec::Problem pruned = narrow;
  pruned.budget = spec::PruningBudget{{1, 0, 0}};
  EXPECT_FALSE(cli::auto_plan(pruned, o, false).portfolio());
  pruned.budget = spec::PruningBudget{{0, 0, 0}};
  EXPECT_TRUE(cli::auto_plan(pruned, o, false).portfolio()) << "a zero budget is no pruning query";
  util::Options given = o;
  given.branching = "relu-babsr";
  EXPECT_FALSE(cli::auto_plan(narrow, given, false).portfolio());
}

util::Options parse(const char* command, std::vector<const char*> args) {
  args.insert(args.begin(), "prunecert");
  util::Options o;
  for (const cli::Command& c : cli::commands())
    if (std::string(c.name) == command) {
      EXPECT_TRUE(cli::parse_options(c, static_cast<int>(args.size()), const_cast<char**>(args.data()), o));
      return o;
    }
  ADD_FAILURE() << "no command " << command;
  return o;
}

// The CBC stage takes LP-tightened big-M constants and --goal decide where the user typed
// neither, and what the user typed otherwise, the table's default value included.
TEST(AutoEngine, CbcStageKeepsWhatTheUserTyped) {
  const util::Options plain = parse("verify", {"--eps", "0.1"});
  EXPECT_TRUE(plain.was_given("eps"));
  EXPECT_FALSE(plain.was_given("encoding-bounds"));
  EXPECT_EQ(cli::auto_milp_options(plain).encoding_bounds, "lp");
  EXPECT_EQ(cli::auto_milp_options(plain).goal, "decide");
  const util::Options typed = parse("verify", {"--encoding-bounds", "crown", "--goal", "optimize"});
  EXPECT_EQ(typed.encoding_bounds, "crown");
  EXPECT_EQ(cli::auto_milp_options(typed).encoding_bounds, "crown");
  EXPECT_EQ(cli::auto_milp_options(typed).goal, "optimize");
  EXPECT_EQ(cli::auto_milp_options(parse("verify", {"--encoding-bounds", "milp"})).encoding_bounds, "milp");
}

// The portfolio's stages other than bab (CBC, then first-layer bab), from an undecided answer: on
// small networks with more than bab::kAutoInputDims inputs and a narrow first layer, every answer
// agrees with brute force and keeps the given bounds.
TEST(AutoEngine, PortfolioStagesAgreeWithBruteForce) {
  util::Options o;
  o.timeout = 20;
  int decided = 0, sat = 0, unsat = 0, compared = 0;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> E(0.05, 0.6);
    const spec::Problem p = problem_of({12, 4, 6, 3}, seed, E(rng));
    cli::AutoPlan plan = cli::auto_plan(p, o, false);
    ASSERT_EQ(plan.stages.size(), 3u);
    plan.stages.erase(plan.stages.begin() + 1);  // without bab
    spec::Result undecided;
    undecided.verdict = spec::Verdict::timeout;
    undecided.margin_lower = -1e6;
    undecided.note = "PGD found nothing";
    const spec::Result r = cli::run_auto_stages(p, o, plan, std::chrono::steady_clock::now(), undecided);
    solvers::BruteOptions bo;
    bo.max_bits = 16;
    const spec::Result b = solvers::solve_brute(p, bo);
    if (!std::isfinite(b.margin_lower) || std::abs(b.margin_lower) < 1e-6) continue;
    ++compared;
    const double m = b.margin_lower;
    EXPECT_LE(r.margin_lower, m + 1e-6 * (1 + std::abs(m)));
    EXPECT_GE(r.margin_upper, m - 1e-6 * (1 + std::abs(m)));
    if (r.verdict == spec::Verdict::unsat) {
      EXPECT_GT(m, 0);
      ++unsat;
    }
    if (r.verdict == spec::Verdict::sat) {
      EXPECT_LE(m, 0);
      ASSERT_TRUE(r.witness.has_value());
      spec::Witness w = *r.witness;
      EXPECT_TRUE(spec::confirm_witness(p, w));
      ++sat;
    }
    decided += r.verdict == spec::Verdict::sat || r.verdict == spec::Verdict::unsat;
    EXPECT_EQ(r.engine, "auto:milp") << "CBC decides these small problems";
  }
  std::printf("[ tally    ] %d compared, %d decided (%d sat, %d unsat)\n", compared, decided, sat, unsat);
  EXPECT_GE(compared, 20);
  EXPECT_EQ(decided, compared);
  EXPECT_GE(sat, 3);
  EXPECT_GE(unsat, 3);
}

}  // namespace
