// PGD (src/attack/pgd.cpp): every counterexample it reports is confirmed and inside the box,
// and its restarts include the box's corners, which reach points that no gradient step from
// the center or from random points can (dead ReLUs give a zero subgradient).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "src/attack/attack.h"
#include "tests/random_problems.h"

namespace {

// 8 inputs in [0, 1]; class 1 wins only near the lower corner:
//   y_0 = 0.5,  y_1 = relu(1 - 10 * sum_i x_i).
// At the center and at uniform random points the hidden ReLU is dead, so the margin's
// subgradient is zero and signed-gradient steps do not move.
std::shared_ptr<net::LayeredNetwork> corner_net() {
  auto n = std::make_shared<net::LayeredNetwork>();
  n->layers.push_back({Eigen::MatrixXd::Constant(1, 8, -10.0), Eigen::VectorXd::Constant(1, 1.0)});
  Eigen::MatrixXd W(2, 1);
  W << 0.0, 1.0;
  Eigen::VectorXd b(2);
  b << 0.5, 0.0;
  n->layers.push_back({W, b});
  return n;
}

}  // namespace

TEST(Pgd, LowerCornerStartFindsThePointBehindDeadReLUs) {
  auto n = corner_net();
  const Eigen::VectorXd x0 = Eigen::VectorXd::Constant(8, 0.5);
  ASSERT_LT(n->eval(x0)[1], n->eval(x0)[0]);  // x0 is of class 0
  const spec::Problem p = spec::robustness_problem(n, x0, 0, 0.5, 0.0, 1.0);
  attack::AttackOptions o;
  o.restarts = 3;  // center, lower corner, upper corner
  const attack::AttackResult r = attack::pgd_attack(p, o);
  ASSERT_TRUE(r.found);
  EXPECT_TRUE(p.box.contains(r.best.x));
  EXPECT_LE(p.property.margin(n->eval(r.best.x)), 0.0);
  // With a given start the corners come after it.
  const attack::AttackResult s = attack::pgd_attack(p, o, {x0});
  EXPECT_TRUE(s.found);
  // At a radius where the lower corner is not adversarial (sum x >= 8 * 0.45), nothing is found.
  const spec::Problem q = spec::robustness_problem(n, x0, 0, 0.05, 0.0, 1.0);
  EXPECT_FALSE(attack::pgd_attack(q, o).found);
}

// On random networks and radii: a reported counterexample lies in the box and violates the
// property by exact evaluation; the best point's margin is the margin at that point.
TEST(Pgd, ReportedPointsAreInTheBoxAndConfirmed) {
  std::mt19937_64 rng(7);
  int found = 0;
  for (int trial = 0; trial < 40; ++trial) {
    auto n = testing_util::random_network(rng, {4, 12, 12, 3});
    std::normal_distribution<double> N(0.0, 1.0);
    const Eigen::VectorXd x0 = Eigen::VectorXd::NullaryExpr(4, [&] { return std::clamp(N(rng), -1.4, 1.4); });
    int label = 0;
    n->eval(x0).maxCoeff(&label);
    const double eps = 0.05 * (1 + trial % 10);
    const spec::Problem p = spec::robustness_problem(n, x0, label, eps, -1.5, 1.5);
    attack::AttackOptions o;
    o.seed = trial;
    const attack::AttackResult r = attack::pgd_attack(p, o);
    ASSERT_EQ(r.best.x.size(), 4);
    EXPECT_TRUE(p.box.contains(r.best.x, 1e-12));
    EXPECT_NEAR(r.best_margin, p.property.margin(n->eval(r.best.x)), 1e-12);
    if (r.found) {
      ++found;
      EXPECT_LE(r.best_margin, 0.0);
    }
  }
  EXPECT_GT(found, 0);
}
