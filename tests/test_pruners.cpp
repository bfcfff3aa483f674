// Heuristic pruners (seed 003, section 5.4): L1 and L2 prune the neurons with the smallest
// incoming weight norms (a hand-made layer where the two disagree), ActMean the smallest mean
// activation, Taylor the smallest |a * dCE/da| (checked against finite differences of the loss
// in a gate on the activation); masks prune exactly s_k; masked_accuracy agrees with eval.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "src/attack/mask_attack.h"
#include "src/attack/pruners.h"
#include "src/util/errors.h"
#include "tests/random_problems.h"

namespace {

// One hidden layer of 3 neurons; incoming rows (3,0): L1 3, L2 3; (2,2): L1 4, L2 2.83; (0,5): L1 5, L2 5.
net::LayeredNetwork norms_network() {
  net::LayeredNetwork n;
  n.layers.push_back({(Eigen::MatrixXd(3, 2) << 3, 0, 2, 2, 0, 5).finished(), Eigen::VectorXd::Zero(3)});
  n.layers.push_back({(Eigen::MatrixXd(2, 3) << 1, -1, 1, -1, 1, 0).finished(), Eigen::VectorXd::Zero(2)});
  return n;
}

// Cross-entropy of the label with every hidden activation multiplied by a gate.
double gated_ce(const net::LayeredNetwork& net, const Eigen::VectorXd& x, int label,
                const std::vector<Eigen::VectorXd>& gates) {
  Eigen::VectorXd h = x;
  for (int k = 0; k < net.num_hidden(); ++k)
    h = (net.layers[k].W * h + net.layers[k].b).cwiseMax(0.0).cwiseProduct(gates[k]);
  const Eigen::VectorXd y = net.layers.back().W * h + net.layers.back().b;
  const double mx = y.maxCoeff();
  return std::log((y.array() - mx).exp().sum()) + mx - y[label];
}

int pruned_count(const std::vector<uint8_t>& m) {
  int c = 0;
  for (auto v : m) c += v == 0;
  return c;
}

}  // namespace

TEST(Pruners, L1AndL2PruneTheSmallestIncomingNorms) {
  const net::LayeredNetwork n = norms_network();
  const spec::PruningBudget one{{1}}, two{{2}};
  EXPECT_EQ(attack::pruner_mask(n, attack::PrunerKind::l1, one), (net::Mask{{0, 1, 1}}));
  EXPECT_EQ(attack::pruner_mask(n, attack::PrunerKind::l2, one), (net::Mask{{1, 0, 1}}));
  EXPECT_EQ(attack::pruner_mask(n, attack::PrunerKind::l1, two), (net::Mask{{0, 0, 1}}));
  EXPECT_EQ(attack::pruner_mask(n, attack::PrunerKind::l2, two), (net::Mask{{0, 0, 1}}));
  const auto l2 = attack::neuron_scores(n, attack::PrunerKind::l2);
  EXPECT_NEAR(l2[0][1], std::sqrt(8.0), 1e-15);
  // The L2 attack of seed 003 section 5.3 is the opposite choice.
  spec::Problem p = spec::robustness_problem(std::make_shared<net::LayeredNetwork>(n), Eigen::VectorXd{{1.0, 1.0}}, 0, 0.0);
  p.budget = one;
  EXPECT_EQ(attack::l2_mask_attack(p, {}).best.mask, (net::Mask{{1, 1, 0}}));
}

TEST(Pruners, ActMeanPrunesTheLeastActiveNeurons) {
  const net::LayeredNetwork n = norms_network();
  // Inputs (1,0) and (0,1): activations (3,2,0) and (0,2,5): means 1.5, 2, 2.5.
  const Eigen::MatrixXd data = (Eigen::MatrixXd(2, 2) << 1, 0, 0, 1).finished();
  const auto s = attack::neuron_scores(n, attack::PrunerKind::act_mean, data);
  EXPECT_EQ(s[0], (Eigen::VectorXd{{1.5, 2.0, 2.5}}));
  EXPECT_EQ(attack::pruner_mask(n, attack::PrunerKind::act_mean, spec::PruningBudget{{1}}, data),
            (net::Mask{{0, 1, 1}}));
  // With data (0,1) alone neuron 0 is never active.
  const Eigen::MatrixXd only = Eigen::MatrixXd::Constant(1, 2, 0.0);
  EXPECT_EQ(attack::neuron_scores(n, attack::PrunerKind::act_mean, only)[0].sum(), 0.0);
}

TEST(Pruners, TaylorScoreIsTheLossSensitivityToEachNeuron) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> N(0.0, 1.0);
  auto net = testing_util::random_network(rng, {4, 6, 5, 3});
  const int n = 8;
  const Eigen::MatrixXd data = Eigen::MatrixXd::NullaryExpr(n, 4, [&] { return N(rng); });
  std::vector<int> labels;
  for (int j = 0; j < n; ++j) labels.push_back(j % 3);
  const auto score = attack::neuron_scores(*net, attack::PrunerKind::taylor, data, labels);
  // |a_i dCE/da_i| = |dCE/dg_i| at gates g = 1; averaged over the samples.
  std::vector<Eigen::VectorXd> ones{Eigen::VectorXd::Ones(6), Eigen::VectorXd::Ones(5)};
  const double h = 1e-6;
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < ones[k].size(); ++i) {
      double expect = 0;
      for (int j = 0; j < n; ++j) {
        auto up = ones, down = ones;
        up[k][i] += h;
        down[k][i] -= h;
        const Eigen::VectorXd x = data.row(j).transpose();
        expect += std::abs(gated_ce(*net, x, labels[j], up) - gated_ce(*net, x, labels[j], down)) / (2 * h);
      }
      expect /= n;
      EXPECT_NEAR(score[k][i], expect, 1e-6) << "layer " << k << " neuron " << i;
    }
  // Without labels the prediction is used.
  std::vector<int> predicted;
  for (int j = 0; j < n; ++j) {
    Eigen::Index arg;
    net->eval(data.row(j).transpose()).maxCoeff(&arg);
    predicted.push_back(static_cast<int>(arg));
  }
  const auto a = attack::neuron_scores(*net, attack::PrunerKind::taylor, data);
  const auto b = attack::neuron_scores(*net, attack::PrunerKind::taylor, data, predicted);
  EXPECT_TRUE(a[0] == b[0] && a[1] == b[1]);
}

TEST(Pruners, MasksPruneExactlyTheBudgetAndTheLowestScores) {
  std::mt19937_64 rng(23);
  std::normal_distribution<double> N(0.0, 1.0);
  for (int trial = 0; trial < 30; ++trial) {
    auto net = testing_util::random_network(rng, testing_util::random_widths(rng, 3, 5, 1, 3, 2, 8, 2, 4));
    const Eigen::MatrixXd data = Eigen::MatrixXd::NullaryExpr(10, net->input_dim(), [&] { return N(rng); });
    spec::PruningBudget b;
    for (int k = 0; k < net->num_hidden(); ++k)
      b.s.push_back(std::uniform_int_distribution<int>(0, net->hidden_width(k))(rng));
    for (auto kind : {attack::PrunerKind::l1, attack::PrunerKind::l2, attack::PrunerKind::taylor,
                      attack::PrunerKind::act_mean}) {
      const net::Mask m = attack::pruner_mask(*net, kind, b, data);
      const auto s = attack::neuron_scores(*net, kind, data);
      EXPECT_TRUE(attack::is_admissible_mask(*net, b, m));
      for (int k = 0; k < net->num_hidden(); ++k) {
        EXPECT_EQ(pruned_count(m[k]), b.s[k]) << attack::to_string(kind);
        double max_pruned = -1, min_kept = std::numeric_limits<double>::infinity();
        for (int i = 0; i < net->hidden_width(k); ++i) {
          if (m[k][i]) min_kept = std::min(min_kept, s[k][i]);
          else max_pruned = std::max(max_pruned, s[k][i]);
        }
        EXPECT_LE(max_pruned, min_kept) << attack::to_string(kind);
      }
      // masked_accuracy agrees with exact evaluation sample by sample.
      std::vector<int> labels;
      int correct = 0;
      for (int j = 0; j < data.rows(); ++j) {
        labels.push_back(j % net->output_dim());
        Eigen::Index arg;
        net->eval(data.row(j).transpose(), m).maxCoeff(&arg);
        correct += arg == labels.back();
      }
      EXPECT_DOUBLE_EQ(attack::masked_accuracy(*net, m, data, labels), correct / 10.0);
    }
  }
}

TEST(Pruners, RejectMissingDataAndUnknownNames) {
  const net::LayeredNetwork n = norms_network();
  EXPECT_THROW(attack::pruner_mask(n, attack::PrunerKind::taylor, spec::PruningBudget{{1}}), util::InputError);
  EXPECT_THROW(attack::neuron_scores(n, attack::PrunerKind::act_mean, Eigen::MatrixXd::Zero(2, 3)), util::InputError);
  EXPECT_THROW(attack::neuron_scores(n, attack::PrunerKind::taylor, Eigen::MatrixXd::Zero(2, 2), {0, 5}),
               util::InputError);
  EXPECT_THROW(attack::pruner_mask(n, attack::PrunerKind::l1, spec::PruningBudget{{1, 1}}), util::InputError);
  EXPECT_THROW(attack::parse_pruner("random"), util::InputError);
  EXPECT_EQ(attack::parse_pruner("actmean"), attack::PrunerKind::act_mean);
  EXPECT_EQ(attack::parse_pruner("taylor"), attack::PrunerKind::taylor);
}
