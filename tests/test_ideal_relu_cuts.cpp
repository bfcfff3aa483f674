// The ideal-formulation cuts (encodings/ideal_relu_cuts.cpp) are cutting planes: separated at
// random fractional points of the big-M model's LP box, every cut must hold at every point of the
// network itself (x in the box, h = max(0, z), d = [z > 0]), on seeded random networks. Their use
// inside CBC meets brute in test_differential_encodings.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "encodings/encode.h"
#include "random_problems.h"

namespace {

// The value of every network variable of the model (x_j, z_k_i, h_k_i, d_k_i) at input x; NaN
// for the rest (outputs, margin, selectors: no cut mentions them).
std::vector<double> network_point(const encodings::Model& m, const net::LayeredNetwork& net, const Eigen::VectorXd& x) {
  std::vector<Eigen::VectorXd> z;
  Eigen::VectorXd h = x;
  for (const auto& layer : net.layers) {
    z.push_back(layer.W * h + layer.b);
    h = z.back().cwiseMax(0.0);
  }
  std::vector<double> v(m.vars.size(), std::nan(""));
  for (size_t i = 0; i < m.vars.size(); ++i) {
    const std::string& n = m.vars[i].name;
    const char kind = n[0];
    if (kind == 'x') {
      v[i] = x[std::stoi(n.substr(2))];
    } else if (kind == 'z' || kind == 'h' || kind == 'd') {
      const size_t u = n.find('_', 2);
      const int k = std::stoi(n.substr(2, u - 2)), j = std::stoi(n.substr(u + 1));
      const double pre = z[k][j];
      v[i] = kind == 'z' ? pre : kind == 'h' ? std::max(0.0, pre) : (pre > 0.0 ? 1.0 : 0.0);
    }
  }
  return v;
}

TEST(IdealReluCuts, EveryCutHoldsAtEveryPointOfTheNetwork) {
  int problems = 0, cuts_checked = 0;
  for (uint64_t seed = 7000; seed < 7150; ++seed) {
    std::mt19937_64 rng(seed);
    const spec::Problem p = testing_util::random_ball_problem(rng, 2, 8);
    encodings::EncodeOptions o;
    o.bounds = seed % 2 ? encodings::BoundSource::crown : encodings::BoundSource::ibp;
    const encodings::Model m = encodings::encode(p, o);
    if (m.binary_relus.empty()) continue;
    ++problems;
    std::vector<std::vector<double>> truth;
    for (int s = 0; s < 200; ++s) truth.push_back(network_point(m, *p.net, testing_util::sample_box(rng, p.box)));
    std::uniform_real_distribution<double> U(0.0, 1.0);
    for (int round = 0; round < 20; ++round) {
      // A point of the LP box: every variable anywhere in its bounds, the binaries fractional.
      std::vector<double> v(m.vars.size());
      for (size_t i = 0; i < v.size(); ++i) {
        const double lo = std::isfinite(m.vars[i].lo) ? m.vars[i].lo : -10.0;
        const double hi = std::isfinite(m.vars[i].hi) ? m.vars[i].hi : 10.0;
        v[i] = lo + U(rng) * (hi - lo);
      }
      encodings::IdealCutStats stats;
      const auto cuts = encodings::ideal_relu_cuts(m, v.data(), 1e-6, &stats);
      EXPECT_EQ(stats.separated, static_cast<long long>(m.binary_relus.size()));
      for (const auto& c : cuts) {
        double at_v = 0.0;
        for (const auto& t : c.terms) at_v += t.coef * v[t.var];
        EXPECT_GT(at_v, c.rhs) << "a cut not violated at its separation point, seed " << seed;
        for (const auto& w : truth) {
          double lhs = 0.0, scale = std::abs(c.rhs);
          for (const auto& t : c.terms) {
            ASSERT_FALSE(std::isnan(w[t.var])) << "cut " << c.name << " mentions " << m.vars[t.var].name;
            lhs += t.coef * w[t.var];
            scale += std::abs(t.coef * w[t.var]);
          }
          ASSERT_LE(lhs, c.rhs + 1e-12 * std::max(1.0, scale)) << "cut " << c.name << " cuts off a point of the network, seed "
                                                              << seed;
        }
        ++cuts_checked;
      }
    }
  }
  std::printf("%d problems, %d cuts each checked at 200 network points\n", problems, cuts_checked);
  EXPECT_GE(problems, 100);
  EXPECT_GE(cuts_checked, 2000);
}

// The cuts are the convex hull's: at a point of the network itself none is violated, and at the
// LP vertex that the big-M rows allow (y = u d with a fractional d over an input at its lower
// corner) a cut is found.
TEST(IdealReluCuts, NoCutAtANetworkPointAndOneAtAFractionalVertex) {
  auto net = std::make_shared<net::LayeredNetwork>();
  net::Matrix W(1, 2);
  W << 1.0, 1.0;
  net->layers.push_back({W, net::Vector::Constant(1, -1.0)});        // z = x0 + x1 - 1 on [0, 1]^2
  net->layers.push_back({net::Matrix::Constant(2, 1, 1.0), net::Vector::Zero(2)});
  net->layers.back().W(1, 0) = -1.0;
  spec::Problem p = spec::robustness_problem(net, Eigen::Vector2d(0.5, 0.5), 0, 0.5);
  encodings::EncodeOptions o;
  o.bounds = encodings::BoundSource::ibp;
  const encodings::Model m = encodings::encode(p, o);
  ASSERT_EQ(m.binary_relus.size(), 1u);
  const auto& r = m.binary_relus[0];
  std::vector<double> v = network_point(m, *net, Eigen::Vector2d(0.9, 0.7));
  for (double& x : v)
    if (std::isnan(x)) x = 0.0;
  EXPECT_TRUE(encodings::ideal_relu_cuts(m, v.data()).empty());
  // x = (1, 0): z = 0, so y = 0; the big-M rows allow d = 0.5, y = u d = 0.5 (u = 1, l = -1).
  v[m.input_vars[0]] = 1.0;
  v[m.input_vars[1]] = 0.0;
  v[r.z] = 0.0;
  v[r.d] = 0.5;
  v[r.y] = 0.5;
  const auto cuts = encodings::ideal_relu_cuts(m, v.data());
  ASSERT_EQ(cuts.size(), 1u);
  // The most violated inequality there is y <= x1 (I = {x1}): 0 at the point.
  double rhs_at_v = cuts[0].rhs;
  for (const auto& t : cuts[0].terms)
    if (t.var != r.y) rhs_at_v -= t.coef * v[t.var];
  EXPECT_NEAR(rhs_at_v, 0.0, 1e-12);
  EXPECT_EQ(cuts[0].terms.size(), 2u);  // y and x1; the coefficient of d is 0 and left out
}

// z = 0.1 x0 + 0.2 x1 + x2 - 0.3 on [0, 1]^3. At x = (1, 1, 0), d = 0.5, y = 0.5 the most
// violated cut has I = {x2}; its coefficient of d, -0.3 + 0.1 + 0.2, is not 0 in floating point
// but a residue of about 3e-17. A cut carries no such entry (Clp mishandles them); it moves to the
// right-hand side instead, where the cut still holds at every network point.
TEST(IdealReluCuts, ACancellationResidueOnDIsLeftOutAndTheCutStillHolds) {
  auto net = std::make_shared<net::LayeredNetwork>();
  net::Matrix W(1, 3);
  W << 0.1, 0.2, 1.0;
  net->layers.push_back({W, net::Vector::Constant(1, -0.3)});
  net->layers.push_back({net::Matrix::Constant(2, 1, 1.0), net::Vector::Zero(2)});
  net->layers.back().W(1, 0) = -1.0;
  spec::Problem p = spec::robustness_problem(net, Eigen::Vector3d(0.5, 0.5, 0.5), 0, 0.5);
  encodings::EncodeOptions o;
  o.bounds = encodings::BoundSource::ibp;
  const encodings::Model m = encodings::encode(p, o);
  ASSERT_EQ(m.binary_relus.size(), 1u);
  const auto& r = m.binary_relus[0];
  std::vector<double> v(m.vars.size(), 0.0);
  v[m.input_vars[0]] = 1.0;
  v[m.input_vars[1]] = 1.0;
  v[m.input_vars[2]] = 0.0;
  v[r.d] = 0.5;
  v[r.y] = 0.5;
  const auto cuts = encodings::ideal_relu_cuts(m, v.data());
  ASSERT_EQ(cuts.size(), 1u);
  for (const auto& t : cuts[0].terms) {
    EXPECT_NE(t.var, r.d);
    EXPECT_GT(std::abs(t.coef), 1e-12);
  }
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  for (int s = 0; s < 200; ++s) {
    Eigen::Vector3d x(U(rng), U(rng), U(rng));
    if (s == 0) x = Eigen::Vector3d(1.0, 1.0, 0.0);  // z = 0 up to rounding: y = 0, d = 0
    const std::vector<double> at = network_point(m, *net, x);
    double lhs = 0.0;
    for (const auto& t : cuts[0].terms) lhs += t.coef * at[t.var];
    EXPECT_LE(lhs, cuts[0].rhs) << "at x = " << x.transpose();
  }
}

}  // namespace
