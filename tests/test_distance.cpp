// Robustness distances (substitute/distances.cpp): d_rob <= d_bnd <= d_adv when each is computed
// on its own, and the d_bnd bracket checked against the brute-force oracle (robust at the lower
// end, an adversarial point at the upper end). Small seeded random networks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "solvers/solve.h"
#include "src/substitute/substitute.h"
#include "tests/random_problems.h"

namespace {

struct Case {
  std::shared_ptr<net::LayeredNetwork> net;
  substitute::Anchor anchor;
};

Case random_case(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Case c;
  c.net = testing_util::random_network(rng, {3, 8, 8, 3});
  std::normal_distribution<double> N(0.0, 1.0);
  c.anchor.x0 = Eigen::VectorXd::NullaryExpr(3, [&] { return N(rng); });
  c.net->eval(c.anchor.x0).maxCoeff(&c.anchor.label);
  return c;
}

substitute::DistanceOptions options() {
  substitute::DistanceOptions o;
  o.rel_tol = 1e-3;
  o.eps_max = 20;
  o.bab.timeout_s = 20;
  o.timeout_s = 60;
  return o;
}

}  // namespace

TEST(Distances, AreOrderedRobBelowBndBelowAdv) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = random_case(seed);
    const auto o = options();
    const auto adv = substitute::adversarial_distance(c.net, c.anchor, o);
    const auto rob = substitute::robust_distance(c.net, c.anchor, o);
    const auto bnd = substitute::boundary_distance(c.net, c.anchor, o);  // unbracketed: independent
    ASSERT_TRUE(adv.complete);
    ASSERT_TRUE(bnd.complete);
    ASSERT_TRUE(rob.complete);
    // The exact d_bnd lies in [bnd.lower, bnd.upper]; d_rob is certified, d_adv attained.
    EXPECT_LE(rob.value, bnd.upper);
    EXPECT_LE(bnd.value, adv.value);
    EXPECT_LE(rob.value, adv.value);
    EXPECT_LE(bnd.upper - bnd.lower, 1e-3 * bnd.upper + 1e-12);
    // The witnesses are adversarial points at the reported distances.
    ASSERT_EQ(adv.witness.size(), 3);
    int top = 0;
    c.net->eval(adv.witness).maxCoeff(&top);
    EXPECT_NE(top, c.anchor.label);
    EXPECT_NEAR((adv.witness - c.anchor.x0).lpNorm<Eigen::Infinity>(), adv.upper, 1e-12);
  }
}

TEST(Distances, BoundaryBracketAgreesWithBruteForce) {
  for (uint64_t seed = 11; seed <= 14; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = random_case(seed);
    const auto bnd = substitute::boundary_distance(c.net, c.anchor, options());
    ASSERT_TRUE(bnd.complete);
    solvers::BruteOptions bo;
    const auto below = solvers::solve_brute(substitute::ball_problem(c.net, c.anchor, bnd.lower), bo);
    const auto above = solvers::solve_brute(substitute::ball_problem(c.net, c.anchor, bnd.upper), bo);
    EXPECT_EQ(below.verdict, spec::Verdict::unsat) << "d_bnd lower end " << bnd.lower;
    EXPECT_EQ(above.verdict, spec::Verdict::sat) << "d_bnd upper end " << bnd.upper;
  }
}

TEST(Distances, RobustDistanceIsZeroWhenTheLabelIsNotPredicted) {
  Case c = random_case(21);
  c.anchor.label = (c.anchor.label + 1) % 3;
  const auto rob = substitute::robust_distance(c.net, c.anchor, options());
  EXPECT_EQ(rob.value, 0.0);
}

// d_bnd as one MILP (minimise eps) against the bab bisection and brute force: the MILP's value
// lies in bab's certified bracket, brute says robust just below it (1e-6 relative: CBC's
// tolerances) and the MILP's witness is adversarial at its distance. Anchors with and without
// clipping, bounded by d_adv as in the CLI.
TEST(Distances, MilpBoundaryDistanceMatchesBisectionAndBruteForce) {
  for (uint64_t seed = 31; seed <= 42; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = random_case(seed);
    if (seed % 2) {
      c.anchor.clip_lo = c.anchor.x0.minCoeff() - 0.2;
      c.anchor.clip_hi = c.anchor.x0.maxCoeff() + 0.3;
    }
    auto o = options();
    const auto adv = substitute::adversarial_distance(c.net, c.anchor, o);
    const auto rob = substitute::robust_distance(c.net, c.anchor, o);
    const auto bab = substitute::boundary_distance(c.net, c.anchor, o, rob.lower, adv.upper);
    o.bnd_milp = true;
    o.milp.encode.bounds = seed % 3 ? encodings::BoundSource::crown : encodings::BoundSource::lp;
    const auto milp = substitute::boundary_distance(c.net, c.anchor, o, rob.lower, adv.upper);
    ASSERT_TRUE(bab.complete);
    ASSERT_TRUE(milp.complete) << milp.note;
    if (!std::isfinite(adv.upper)) continue;  // no boundary point in the clip box
    EXPECT_GE(milp.value, bab.lower - 1e-6 * bab.upper);
    EXPECT_LE(milp.value, bab.upper + 1e-6 * bab.upper);
    ASSERT_EQ(milp.witness.size(), 3);
    EXPECT_NEAR((milp.witness - c.anchor.x0).lpNorm<Eigen::Infinity>(), milp.upper, 1e-12);
    EXPECT_LE(milp.upper - milp.lower, 1e-5 * milp.upper + 1e-9);
    solvers::BruteOptions bo;
    const auto below = solvers::solve_brute(substitute::ball_problem(c.net, c.anchor, milp.lower * (1 - 1e-6)), bo);
    const auto at = solvers::solve_brute(substitute::ball_problem(c.net, c.anchor, milp.upper), bo);
    EXPECT_EQ(below.verdict, spec::Verdict::unsat) << "MILP d_bnd lower end " << milp.lower;
    EXPECT_EQ(at.verdict, spec::Verdict::sat) << "MILP d_bnd upper end " << milp.upper;
  }
}
