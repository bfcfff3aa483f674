// The three substitutes (substitute/*_pruner.cpp) are correct: g(x0) = f(x0) for all of them,
// g(x_adv) = f(x_adv) for the linear one, g = f on sampled points of B_delta for the activation-
// preserving one; and they are smaller as asked. Seeded random networks.
#include <gtest/gtest.h>

#include <random>

#include "solvers/solve.h"
#include "src/net/io.h"
#include "src/substitute/substitute.h"
#include "tests/random_problems.h"
#include "tests/substitute_cases.h"
#include "tests/temp_file.h"

namespace {

using Case = testing_util::AnchoredNetwork;


double max_diff(const net::LayeredNetwork& f, const net::LayeredNetwork& g, const Eigen::VectorXd& x) {
  return (f.eval(x) - g.eval(x)).lpNorm<Eigen::Infinity>();
}

// The network's outputs in long double (64-bit significand, 11 more bits than double): close
// enough to exact arithmetic on the stored weights to measure the rounding of g's folded maps.
using VectorLd = Eigen::Matrix<long double, Eigen::Dynamic, 1>;
VectorLd eval_ld(const net::LayeredNetwork& n, const Eigen::VectorXd& x) {
  VectorLd h = x.cast<long double>();
  for (size_t k = 0; k < n.layers.size(); ++k) {
    VectorLd z = n.layers[k].W.cast<long double>() * h + n.layers[k].b.cast<long double>();
    h = k + 1 < n.layers.size() ? VectorLd(z.cwiseMax(0.0L)) : z;
  }
  return h;
}

double max_diff_ld(const net::LayeredNetwork& f, const net::LayeredNetwork& g, const Eigen::VectorXd& x) {
  return static_cast<double>((eval_ld(f, x) - eval_ld(g, x)).cwiseAbs().maxCoeff());
}

}  // namespace

TEST(ConstantSubstitute, KeepsTheOutputAtX0AndRemovesTheRequestedFraction) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = testing_util::random_anchored_network(seed, {6, 20, 20, 20, 4});
    for (double gamma : {0.25, 0.5, 0.9}) {
      substitute::ConstantOptions o;
      o.gamma = gamma;
      o.gamma0 = 0.1;
      substitute::PruneReport rep;
      const net::LayeredNetwork g = substitute::constant_substitute(*c.net, c.anchor, 0.1, o, &rep);
      EXPECT_LT(max_diff(*c.net, g, c.anchor.x0), 1e-9);
      EXPECT_EQ(g.num_hidden(), 3);
      EXPECT_EQ(g.hidden_width(0), 20) << "the first hidden layer is kept";
      EXPECT_EQ(rep.neurons_before - rep.neurons_after, static_cast<int>(std::ceil(gamma * 40 - 1e-9)));
    }
  }
}

TEST(ConstantSubstitute, PrunesTheLeastVariableNeuronsAndKeepsOnePerLayer) {
  Case c = testing_util::random_anchored_network(3, {4, 10, 10, 3});
  substitute::ConstantOptions o;
  o.gamma = 1.0;
  o.prune_first = true;
  const net::LayeredNetwork g = substitute::constant_substitute(*c.net, c.anchor, 0.2, o);
  EXPECT_EQ(g.hidden_width(0), 1);
  EXPECT_EQ(g.hidden_width(1), 1);
  EXPECT_LT(max_diff(*c.net, g, c.anchor.x0), 1e-9);
  // One round with gamma0 = gamma removes exactly the smallest-width neurons of the prunable layers.
  o.gamma = 0.3;
  o.gamma0 = 0.3;
  o.prune_first = false;
  o.method = bounds::Method::ibp;
  const net::LayeredNetwork g2 = substitute::constant_substitute(*c.net, c.anchor, 0.2, o);
  const auto b = bounds::bound_root(substitute::ball_problem(c.net, c.anchor, 0.2), {bounds::Method::ibp});
  std::vector<double> widths;
  for (int i = 0; i < 10; ++i) widths.push_back(b.pre[1].hi[i] - b.pre[1].lo[i]);
  std::vector<double> sorted = widths;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(g2.hidden_width(1), 7);
  // The kept neurons are the 7 widest: their incoming rows survive in order.
  int r = 0;
  for (int i = 0; i < 10; ++i)
    if (widths[i] > sorted[2]) {
      EXPECT_TRUE(g2.layers[1].W.row(r).isApprox(c.net->layers[1].W.row(i)));
      ++r;
    }
  EXPECT_EQ(r, 7);
}

TEST(LinearSubstitute, KeepsTheOutputAtX0AndAtTheAdversarialPoint) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = testing_util::random_anchored_network(seed, {5, 16, 16, 16, 3});
    std::mt19937_64 rng(seed + 100);
    std::normal_distribution<double> N(0.0, 1.0);
    const Eigen::VectorXd x_adv = c.anchor.x0 + 0.5 * Eigen::VectorXd::NullaryExpr(5, [&] { return N(rng); });
    for (const std::vector<int>& layers : std::vector<std::vector<int>>{{1}, {1, 2}, {0, 1, 2}, {2, 0}}) {
      substitute::PruneReport rep;
      const net::LayeredNetwork g = substitute::linear_substitute(*c.net, c.anchor.x0, x_adv, layers, &rep);
      EXPECT_EQ(g.num_hidden(), 3 - static_cast<int>(layers.size()));
      EXPECT_LT(max_diff(*c.net, g, c.anchor.x0), 1e-9);
      EXPECT_LT(max_diff(*c.net, g, x_adv), 1e-9);
    }
  }
}

TEST(ActivationSubstitute, EqualsFOnSampledPointsOfBDelta) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = testing_util::random_anchored_network(seed, {4, 12, 12, 12, 3});
    for (double gamma : {0.5, 0.8, 0.95}) {
      const double delta = substitute::delta_for_fraction(c.net, c.anchor, gamma, 1.0, bounds::Method::crown);
      const auto ph = substitute::stable_phases(substitute::ball_problem(c.net, c.anchor, delta), bounds::Method::crown);
      EXPECT_GE(substitute::count_stable(ph), static_cast<int>(gamma * 36 - 1e-9));
      const spec::Problem region = substitute::ball_problem(c.net, c.anchor, 2 * delta);
      substitute::PruneReport rep;
      const net::LayeredNetwork g = substitute::activation_substitute(*c.net, ph, region.box, &rep);
      EXPECT_EQ(rep.nonlinear_after, 36 - substitute::count_stable(ph));
      std::mt19937_64 rng(seed);
      const spec::Box ball = substitute::ball_problem(c.net, c.anchor, delta).box;
      double worst = 0, worst_ld = 0;
      for (int s = 0; s < 300; ++s) {
        const Eigen::VectorXd x = testing_util::sample_box(rng, ball);
        worst = std::max(worst, max_diff(*c.net, g, x));
        worst_ld = std::max(worst_ld, max_diff_ld(*c.net, g, x));
      }
      EXPECT_LT(worst, 1e-9);
      EXPECT_LE(worst_ld, rep.output_error + 1e-15) << "the rounding bound of g's folded maps";
      EXPECT_LT(rep.output_error, 1e-9);
    }
  }
}

// The activation substitute rests on every removed neuron keeping its phase on all of B_delta,
// not only on sampled points: brute force (exact LPs over activation patterns) on the network
// cut at each such neuron gives its exact minimum (active) or maximum (inactive) over the ball.
TEST(ActivationSubstitute, EveryRemovedNeuronIsStableOnBDeltaByBruteForce) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = testing_util::random_anchored_network(seed, {4, 12, 12, 12, 3});
    for (double gamma : {0.5, 0.8}) {
      const double delta = substitute::delta_for_fraction(c.net, c.anchor, gamma, 1.0, bounds::Method::crown);
      const spec::Problem ball = substitute::ball_problem(c.net, c.anchor, delta);
      const auto ph = substitute::stable_phases(ball, bounds::Method::crown);
      for (size_t k = 0; k < ph.size(); ++k)
        for (size_t i = 0; i < ph[k].size(); ++i) {
          if (ph[k][i] == 0) continue;
          if (k == 0) {  // affine in the input: its extreme over the box, in long double
            const net::AffineLayer& L = c.net->layers[0];
            const double sign = ph[k][i] > 0 ? 1.0 : -1.0;
            long double m = sign * L.b[static_cast<Eigen::Index>(i)];
            for (Eigen::Index j = 0; j < L.W.cols(); ++j) {
              const long double w = sign * L.W(static_cast<Eigen::Index>(i), j);
              m += w * (w > 0 ? ball.box.lo[j] : ball.box.hi[j]);
            }
            EXPECT_GE(m, 0.0L) << "layer 0 neuron " << i;
            ++checked;
            continue;
          }
          // The network up to layer k, its output neuron i's pre-activation; the row sign z_i
          // (active) or -z_i (inactive) must be >= 0 everywhere on the ball.
          auto cut = std::make_shared<net::LayeredNetwork>();
          cut->layers.assign(c.net->layers.begin(), c.net->layers.begin() + static_cast<long>(k));
          const net::AffineLayer& L = c.net->layers[k];
          cut->layers.push_back({L.W.row(static_cast<Eigen::Index>(i)), L.b.segment(static_cast<Eigen::Index>(i), 1)});
          spec::Problem q;
          q.net = cut;
          q.box = ball.box;
          spec::Row r;
          r.c = Eigen::VectorXd::Constant(1, ph[k][i] > 0 ? 1.0 : -1.0);
          r.d = 0.0;
          q.property.disjuncts.push_back({{r}});
          solvers::BruteOptions bo;
          bo.max_bits = 16;
          const spec::Result exact = solvers::solve_brute(q, bo);
          EXPECT_GE(exact.margin_lower, 0.0) << "layer " << k << " neuron " << i << " phase " << int(ph[k][i]);
          ++checked;
        }
    }
  }
  std::printf("[ tally    ] %d removed neurons checked by brute force\n", checked);
  EXPECT_GE(checked, 100);
}

// A linear neuron beside an undecided one is written relu(z + M) - M, M from interval bounds on
// the region. On a wide region M is huge and the bias b + M keeps only M's ulp of b: here
// z = x + 0.1 on B_0.05(0) (active), region [-1e9, 1e9], M about 2e9 with an ulp of 2.4e-7. g
// then differs from f by far more than 1e-8 of the outputs (the transfer's allowance before
// PruneReport::output_error), and output_error bounds the difference.
TEST(ActivationSubstitute, OutputErrorBoundsTheRoundingOfAHugeShift) {
  net::LayeredNetwork f;
  net::Matrix W1(2, 1), W2(2, 2);
  W1 << 1.0, 1.0;
  W2 << 1.0, 1.0, 1.0, -1.0;
  f.layers.push_back({W1, Eigen::Vector2d(0.1, 0.0)});
  f.layers.push_back({W2, Eigen::Vector2d::Zero()});
  const substitute::Phases ph = {{1, 0}};
  spec::Box region;
  region.lo = Eigen::VectorXd::Constant(1, -1e9);
  region.hi = Eigen::VectorXd::Constant(1, 1e9);
  substitute::PruneReport rep;
  const net::LayeredNetwork g = substitute::activation_substitute(f, ph, region, &rep);
  ASSERT_EQ(g.num_hidden(), 1);
  ASSERT_GT(std::abs(g.layers[0].b[1]), 1e9) << "the linear neuron is shifted";
  double worst = 0;
  for (int s = 0; s <= 100; ++s) {
    const Eigen::VectorXd x = Eigen::VectorXd::Constant(1, -0.05 + 0.001 * s);
    worst = std::max(worst, max_diff_ld(f, g, x));
  }
  EXPECT_GT(worst, 1e-8 * (1 + 0.1)) << "the case matters: 1e-8 of f's outputs would not cover it";
  EXPECT_LE(worst, rep.output_error);
  EXPECT_LT(rep.output_error, 1e-5);
}

TEST(ActivationSubstitute, DiffersFromFOutsideBDeltaOnlyWhereAPhaseChanges) {
  // With every neuron fixed to its phase at x0, g is the affine map of x0's linear region:
  // no hidden layers, and different from f somewhere far away.
  Case c = testing_util::random_anchored_network(5, {3, 10, 10, 2});
  const auto ph = substitute::stable_phases(substitute::ball_problem(c.net, c.anchor, 0.0), bounds::Method::ibp);
  ASSERT_EQ(substitute::count_stable(ph), 20);
  const net::LayeredNetwork g =
      substitute::activation_substitute(*c.net, ph, substitute::ball_problem(c.net, c.anchor, 1.0).box);
  EXPECT_EQ(g.num_hidden(), 0);
  EXPECT_LT(max_diff(*c.net, g, c.anchor.x0), 1e-9);
  double far = 0;
  for (int i = 0; i < 3; ++i) far = std::max(far, max_diff(*c.net, g, c.anchor.x0 + 50.0 * Eigen::VectorXd::Unit(3, i)));
  EXPECT_GT(far, 1e-6);
}

TEST(Substitutes, SurviveAnOnnxRoundTrip) {
  Case c = testing_util::random_anchored_network(7, {5, 8, 8, 3});
  substitute::ConstantOptions o;
  const net::LayeredNetwork g = substitute::constant_substitute(*c.net, c.anchor, 0.1, o);
  const std::string path = testutil::temp_file("constant_substitute.onnx");
  net::write_network(net::Network::from_layered(g), path);
  const net::LayeredNetwork back = net::read_network(path).layered();
  EXPECT_LT(max_diff(g, back, c.anchor.x0), 1e-12);
}
