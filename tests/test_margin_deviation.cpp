// Margin-deviation bounds (seed 003, Propositions 1-4) against enumeration of every admissible
// mask on hundreds of small random networks: the bound never under-estimates the worst margin
// deviation, its "robust" claim never contradicts the exact worst margin, and its first pruned
// layer is exact. Also a hand-computed case, spectral norms, and the training gradient against
// central finite differences.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>

#include "src/bounds/margin_deviation.h"
#include "src/util/errors.h"
#include "tests/random_problems.h"

namespace {


struct Exact {
  double worst_margin = std::numeric_limits<double>::infinity();  // min over masks of the property margin
  double max_deviation = 0;                                      // Delta(S,x,t), seed 003 eq. 6
  double first_layer_deviation = 0;  // max over masks of ||x^p_l - x_l||_2 at the first pruned layer l
};

Exact enumerate(const net::LayeredNetwork& net, const Eigen::VectorXd& x, int label, const std::vector<int>& s) {
  Exact e;
  const Eigen::VectorXd y = net.eval(x);
  const auto z = net.pre_activations(x);
  int first = 0;
  while (first < net.num_hidden() && s[first] == 0) ++first;
  for (const net::Mask& m : testing_util::all_masks(net, s)) {
    const Eigen::VectorXd yp = net.eval(x, m);
    for (int i = 0; i < y.size(); ++i) {
      if (i == label) continue;
      e.worst_margin = std::min(e.worst_margin, yp[label] - yp[i]);
      e.max_deviation = std::max(e.max_deviation, std::abs((yp[label] - yp[i]) - (y[label] - y[i])));
    }
    if (first < net.num_hidden()) {
      const auto zp = net.pre_activations(x, &m);
      Eigen::VectorXd hp = zp[first].cwiseMax(0.0);
      for (int i = 0; i < hp.size(); ++i)
        if (!m[first][i]) hp[i] = 0;
      e.first_layer_deviation = std::max(e.first_layer_deviation, (hp - z[first].cwiseMax(0.0)).norm());
    }
  }
  return e;
}

net::LayeredNetwork hand_network() {
  net::LayeredNetwork n;
  n.layers.push_back({Eigen::MatrixXd::Identity(2, 2), Eigen::VectorXd::Zero(2)});
  n.layers.push_back({(Eigen::MatrixXd(2, 2) << 2, 0, 0, 1).finished(), Eigen::VectorXd::Zero(2)});
  n.layers.push_back({(Eigen::MatrixXd(3, 2) << 1, 0, 0, 1, 0, 0).finished(), Eigen::VectorXd::Zero(3)});
  return n;
}

}  // namespace

TEST(MarginDeviation, MatchesHandComputedRecursion) {
  const net::LayeredNetwork n = hand_network();
  const Eigen::VectorXd x{{3.0, 4.0}};
  // x_1 = (3,4), x_2 = (6,4), y = (6,4,0): gamma = 2. ||W_2||_2 = 2; c* = ||w_0 - w_1|| = sqrt(2).
  auto r = bounds::margin_deviation(n, x, 0, spec::PruningBudget{{1, 1}});
  EXPECT_EQ(r.proposition, 3);
  EXPECT_NEAR(r.layer_delta[0], 4.0, 1e-12);                 // ||top_1(3,4)||
  EXPECT_NEAR(r.layer_delta[1], 2.0 * 4.0 + 6.0, 1e-7);      // Prop. 3: ||W_2|| delta_1 + ||top_1(6,4)||
  EXPECT_NEAR(r.delta, 14.0 * std::sqrt(2.0), 1e-6);
  EXPECT_EQ(r.nominal_margin, 2.0);
  EXPECT_NEAR(r.margin_lower, std::min(2.0 - 14.0 * std::sqrt(2.0), 6.0 - 14.0), 1e-6);
  EXPECT_TRUE(r.certified);
  EXPECT_FALSE(r.robust());

  r = bounds::margin_deviation(n, x, 0, spec::PruningBudget{{0, 1}});  // Prop. 2, last layer only
  EXPECT_EQ(r.proposition, 2);
  EXPECT_EQ(r.layer_delta[0], 0.0);
  EXPECT_NEAR(r.delta, 6.0 * std::sqrt(2.0), 1e-9);
  r = bounds::margin_deviation(n, x, 0, spec::PruningBudget{{1, 0}});  // Prop. 2, first layer only
  EXPECT_NEAR(r.layer_delta[1], 8.0, 1e-7);
  EXPECT_NEAR(r.delta, 8.0 * std::sqrt(2.0), 1e-6);
  r = bounds::margin_deviation(n, x, 0, spec::PruningBudget{{0, 0}});
  EXPECT_EQ(r.proposition, 0);
  EXPECT_EQ(r.delta, 0.0);
  EXPECT_NEAR(r.margin_lower, 2.0, 1e-7);  // less the allowance for rounding, 1e-9 of the magnitudes
  EXPECT_LT(r.margin_lower, 2.0);
  EXPECT_TRUE(r.robust());
}

TEST(MarginDeviation, NeverUnderestimatesTheWorstDeviationOnRandomNetworks) {
  std::mt19937_64 rng(20240603);
  std::normal_distribution<double> N(0.0, 1.0);
  int robust_claims = 0, robust_exact = 0, by_prop[5] = {0, 0, 0, 0, 0};
  double ratio_sum = 0;
  int ratio_n = 0;
  for (int trial = 0; trial < 400; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const auto widths = testing_util::random_widths(rng, 2, 4, 1, 3, 2, 5, 2, 4);
    auto net = testing_util::random_network(rng, widths);
    const Eigen::VectorXd x = Eigen::VectorXd::NullaryExpr(net->input_dim(), [&] { return N(rng); });
    int label = 0;
    net->eval(x).maxCoeff(&label);
    if (trial % 5 == 0) label = std::uniform_int_distribution<int>(0, net->output_dim() - 1)(rng);
    spec::PruningBudget budget;
    for (int k = 0; k < net->num_hidden(); ++k)
      budget.s.push_back(std::uniform_int_distribution<int>(0, std::min(2, net->hidden_width(k)))(rng));
    const bounds::MarginDeviationResult r = bounds::margin_deviation(*net, x, label, budget);
    const Exact e = enumerate(*net, x, label, budget.s);
    by_prop[r.proposition]++;
    const double tol = 1e-9 * (1.0 + r.delta);
    EXPECT_LE(e.max_deviation, r.delta + tol);
    EXPECT_GE(e.worst_margin, r.margin_lower - tol);
    // The bound is gamma - delta less its rounding allowance (1e-9 of the terms' magnitudes).
    EXPECT_GE(r.margin_lower, r.nominal_margin - r.delta - 1e-6 * (1.0 + r.delta + std::abs(r.nominal_margin)));
    if (r.robust()) {
      ++robust_claims;
      EXPECT_GT(e.worst_margin, 0.0) << "robust claim contradicted by enumeration";
    }
    robust_exact += e.worst_margin > 0;
    // Seed 003, proof of Prop. 2: the first pruned layer's deviation is exactly ||top_s(x_l)||.
    int first = 0;
    while (first < net->num_hidden() && budget.s[first] == 0) ++first;
    if (first < net->num_hidden()) {
      EXPECT_NEAR(r.layer_delta[first], e.first_layer_deviation, 1e-12);
    }
    if (e.max_deviation > 1e-9) {
      ratio_sum += e.max_deviation / r.delta;
      ++ratio_n;
    }
  }
  // The test must exercise every proposition and both answers of the sufficient condition.
  EXPECT_GT(by_prop[0], 10);
  EXPECT_GT(by_prop[2], 50);
  EXPECT_GT(by_prop[3], 50);
  EXPECT_GT(by_prop[4], 10);
  EXPECT_GT(robust_claims, 40);
  EXPECT_GT(robust_exact - robust_claims, 10);  // the bound is sufficient, not necessary
  // Not vacuous either: on these tiny nets the bound is within a small factor of the exact deviation.
  EXPECT_GT(ratio_sum / ratio_n, 0.2);
  std::printf("robust: %d claimed, %d exact of 400; mean Delta/delta = %.3f\n", robust_claims, robust_exact,
              ratio_sum / ratio_n);
}

TEST(MarginDeviation, GeneralPropertyBoundHoldsForEveryMask) {
  std::mt19937_64 rng(77);
  std::normal_distribution<double> N(0.0, 1.0);
  for (int trial = 0; trial < 100; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const auto widths = testing_util::random_widths(rng, 2, 3, 1, 3, 2, 4, 2, 4);
    auto net = testing_util::random_network(rng, widths);
    const Eigen::VectorXd x = Eigen::VectorXd::NullaryExpr(net->input_dim(), [&] { return N(rng); });
    spec::OutputProperty prop;
    for (int d = 0; d < 2; ++d) {
      spec::Conjunction c;
      for (int r = 0; r < 1 + trial % 2; ++r)
        c.rows.push_back({Eigen::VectorXd::NullaryExpr(net->output_dim(), [&] { return N(rng); }), N(rng)});
      prop.disjuncts.push_back(c);
    }
    spec::PruningBudget budget;
    for (int k = 0; k < net->num_hidden(); ++k)
      budget.s.push_back(std::uniform_int_distribution<int>(0, std::min(2, net->hidden_width(k)))(rng));
    const bounds::MarginDeviation md(*net);
    const auto r = md.bound(*net, x, prop, budget);
    EXPECT_EQ(r.nominal_margin, prop.margin(net->eval(x)));
    for (const net::Mask& m : testing_util::all_masks(*net, budget.s))
      EXPECT_GE(prop.margin(net->eval(x, m)), r.margin_lower - 1e-9 * (1 + r.delta));
  }
}

TEST(MarginDeviation, LabelFormEqualsTheRobustnessProperty) {
  std::mt19937_64 rng(5);
  auto net = testing_util::random_network(rng, {3, 4, 4, 3});
  const Eigen::VectorXd x{{0.3, -1.0, 0.7}};
  const bounds::MarginDeviation md(*net);
  const spec::PruningBudget b{{1, 2}};
  for (int label = 0; label < 3; ++label) {
    const auto a = md.bound(*net, x, label, b);
    const auto p = md.bound(*net, x, spec::robustness_property(3, label), b);
    EXPECT_EQ(a.delta, p.delta);
    EXPECT_EQ(a.margin_lower, p.margin_lower);
  }
}

TEST(MarginDeviation, SpectralNormsAreUpperBoundsAndPowerIterationApproachesFromBelow) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> N(0.0, 1.0);
  for (int trial = 0; trial < 50; ++trial) {
    const int r = 2 + trial % 5, c = 2 + (trial * 3) % 7;
    const Eigen::MatrixXd W = Eigen::MatrixXd::NullaryExpr(r, c, [&] { return N(rng); });
    const double truth = Eigen::JacobiSVD<Eigen::MatrixXd>(W).singularValues()(0);
    Eigen::VectorXd u, v;
    const double up = bounds::spectral_norm_svd(W, true, &u, &v);
    EXPECT_GE(up, truth);
    EXPECT_LE(up, truth * (1 + 1e-8));
    EXPECT_NEAR((W * v - truth * u).norm(), 0.0, 1e-9);
    Eigen::VectorXd pu, pv = Eigen::VectorXd::NullaryExpr(c, [&] { return N(rng); });
    const double few = bounds::spectral_norm_power(W, 2, &pu, &pv);
    EXPECT_LE(few, truth * (1 + 1e-12));
    const double many = bounds::spectral_norm_power(W, 2000, &pu, &pv);
    EXPECT_LE(many, truth * (1 + 1e-12));
    EXPECT_GE(many, few * (1 - 1e-12));
    EXPECT_NEAR(many, truth, 1e-3 * truth);
  }
  // A net bounded with power-iteration norms is never called robust: the norms may be too small.
  std::mt19937_64 rng2(3);
  auto net = testing_util::random_network(rng2, {2, 3, 3, 2});
  bounds::MarginDeviationOptions o;
  o.spectral = bounds::SpectralNormMethod::power;
  const auto r = bounds::margin_deviation(*net, Eigen::VectorXd::Zero(2), 0, spec::PruningBudget{{0, 0}}, o);
  EXPECT_FALSE(r.certified);
  EXPECT_FALSE(r.robust());
}

TEST(MarginDeviation, GradientMatchesFiniteDifferences) {
  std::mt19937_64 rng(99);
  std::normal_distribution<double> N(0.0, 1.0);
  int checked = 0;
  for (int trial = 0; trial < 12; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const int K = 2 + trial % 2;
    std::vector<int> widths{3};
    for (int k = 0; k < K; ++k) widths.push_back(3 + (trial + k) % 3);
    widths.push_back(3);
    auto net = testing_util::random_network(rng, widths);
    const Eigen::VectorXd x = Eigen::VectorXd::NullaryExpr(3, [&] { return N(rng); });
    spec::PruningBudget budget;
    for (int k = 0; k < K; ++k) budget.s.push_back(trial % 4 == 0 && k == 0 ? 0 : 1 + k % 2);
    const int label = trial % 3;
    const double scale = 0.7;
    bounds::MarginDeviation md(*net);
    auto grad = bounds::DeviationGradient::zeros_like(*net);
    const double delta = md.backward(*net, x, label, budget, scale, &grad);
    md.finish_gradient(&grad);
    EXPECT_NEAR(delta, md.bound(*net, x, label, budget).delta, 1e-12 * (1 + delta));
    auto f = [&](net::LayeredNetwork& n) { return bounds::margin_deviation(n, x, label, budget).delta; };
    net::LayeredNetwork n = *net;
    const double h = 1e-6;
    for (size_t L = 0; L < n.layers.size(); ++L) {
      for (Eigen::Index i = 0; i < n.layers[L].W.size(); ++i) {
        double& w = n.layers[L].W.data()[i];
        const double w0 = w;
        w = w0 + h;
        const double up = f(n);
        w = w0 - h;
        const double down = f(n);
        w = w0;
        const double fd = scale * (up - down) / (2 * h);
        EXPECT_NEAR(grad.dW[L].data()[i], fd, 1e-5 * (1 + std::abs(fd))) << "W layer " << L << " entry " << i;
        ++checked;
      }
      for (Eigen::Index i = 0; i < n.layers[L].b.size(); ++i) {
        double& b = n.layers[L].b[i];
        const double b0 = b;
        b = b0 + h;
        const double up = f(n);
        b = b0 - h;
        const double down = f(n);
        b = b0;
        const double fd = scale * (up - down) / (2 * h);
        EXPECT_NEAR(grad.db[L][i], fd, 1e-5 * (1 + std::abs(fd))) << "b layer " << L << " entry " << i;
      }
    }
    // The gradient is not trivially zero.
    double total = 0;
    for (const auto& g : grad.dW) total += g.norm();
    EXPECT_GT(total, 0.0);
  }
  EXPECT_GT(checked, 300);
}

TEST(MarginDeviation, RejectsBudgetsAndLabelsThatDoNotFit) {
  const net::LayeredNetwork n = hand_network();
  const Eigen::VectorXd x{{3.0, 4.0}};
  EXPECT_THROW(bounds::margin_deviation(n, x, 0, spec::PruningBudget{{1}}), util::InputError);
  EXPECT_THROW(bounds::margin_deviation(n, x, 0, spec::PruningBudget{{3, 0}}), util::InputError);
  EXPECT_THROW(bounds::margin_deviation(n, x, 3, spec::PruningBudget{{1, 0}}), util::InputError);
  EXPECT_THROW(bounds::margin_deviation(n, Eigen::VectorXd::Zero(3), 0, spec::PruningBudget{{1, 0}}),
               util::InputError);
}
