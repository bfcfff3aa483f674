// Regressions of the brute-force oracle (solvers/brute), which every differential test trusts.
#include <gtest/gtest.h>

#include <string>

#include "solvers/solve.h"
#include "tests/fixture_problem.h"

namespace {

// Found by the differential soak (benchmarks/soak, seed 2002255, a network "like a trained one"
// with weights of 1e-19 and exact zeros): brute reported the worst margin -1.8036 while CBC and
// Z3 (smt, exact) found a point with -2.0530. One leaf LP had gone to Z3's Optimize, which in
// Z3 4.8.12 stopped at -0.3387 on an LP whose minimum is below -2.05; brute took that as exact.
// Its answer is now certified by check-sat (solvers/brute/exact_lp.cpp).
TEST(Brute, AgreesWithZ3AndCbcWhereZ3OptimizeStopsAboveTheMinimum) {
  const spec::Problem p = testing_util::fixture_problem("brute/z3_optimize_regression");
  const spec::Result b = solvers::solve_brute(p, {});
  ASSERT_EQ(b.verdict, spec::Verdict::sat);
  EXPECT_LT(b.margin_lower, -2.05) << b.note;
  EXPECT_NEAR(b.margin_lower, b.margin_upper, 1e-9) << "brute's bound and its point must meet";

  solvers::SmtOptions so;
  so.encode.goal = encodings::Goal::optimize;
  so.timeout_s = 60;
  const spec::Result z = solvers::solve_smt(p, so);
  ASSERT_EQ(z.verdict, spec::Verdict::sat) << z.note;
  EXPECT_NEAR(b.margin_upper, z.margin_upper, 1e-9);
  EXPECT_NEAR(b.margin_lower, z.margin_lower, 1e-9);
  EXPECT_NEAR(b.margin_upper, -2.0530377, 1e-6);  // CBC: -2.0530377 (prunecert verify --engine milp)
}

}  // namespace
