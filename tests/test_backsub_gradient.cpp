// The gradients that alpha-CROWN and beta-CROWN ascend (backsub_lower in crown.cpp: d bound /
// d alpha from the relaxed forward pass, d bound / d beta = -s u) against central finite
// differences of the bound itself, on random networks, batches and fixed phases. The bound is
// piecewise linear in each slope and multiplier (the minimiser jumps at kinks), so a coefficient
// is compared where both one-sided differences agree; a wrong gradient leaves every bound sound
// but stalls the ascent, which no soundness test would see.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "src/bounds/internal.h"
#include "tests/activation_patterns.h"
#include "tests/random_problems.h"

namespace {

using bounds::Matrix;
using bounds::Vector;
using namespace bounds::detail;

struct BatchSetup {
  Batch batch;
  LayerBoundsBatch pre;
  std::vector<Relaxation> relax;
};

// Pre-activation bounds from the CPU engine (CROWN), clipped by the fixed phases, and the
// triangle relaxations of every hidden layer, in the batch layout of internal.h.
BatchSetup make_setup(const spec::Problem& p, const std::vector<bounds::Subdomain>& subs) {
  const auto& net = *p.net;
  const int K = net.num_hidden(), B = static_cast<int>(subs.size());
  bounds::BoundOptions o;
  o.method = bounds::Method::crown;
  const auto sb = bounds::make_cpu_engine()->bound(p, subs, o);
  BatchSetup s;
  s.batch = make_batch(net, subs);
  s.pre.lo.resize(K + 1);
  s.pre.hi.resize(K + 1);
  s.pre.infeasible.assign(B, 0);
  for (int k = 0; k <= K; ++k) {
    const int d = static_cast<int>(sb[0].pre[k].lo.size());
    s.pre.lo[k].resize(d, B);
    s.pre.hi[k].resize(d, B);
    for (int b = 0; b < B; ++b) {
      s.pre.lo[k].col(b) = sb[b].pre[k].lo;
      s.pre.hi[k].col(b) = sb[b].pre[k].hi;
    }
  }
  for (int j = 0; j < K; ++j) s.relax.push_back(relax_layer(s.pre.lo[j], s.pre.hi[j], s.batch, j));
  return s;
}

}  // namespace

TEST(BacksubGradient, SlopeAndSplitMultiplierGradientsMatchFiniteDifferences) {
  int compared_alpha = 0, compared_beta = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto widths = testing_util::random_widths(rng, 3, 9, 2, 4, 4, 9, 2, 4);
    auto net = testing_util::random_network(rng, widths);
    const spec::Problem p = testing_util::random_robustness_problem(rng, net, 0.6);
    std::vector<bounds::Subdomain> subs;
    for (int t = 0; t < 3; ++t) {
      bounds::Subdomain s = bounds::root_subdomain(p);
      s.phase = testing_util::random_phases(rng, *net, p.box, 0.3);
      subs.push_back(std::move(s));
    }
    BatchSetup s = make_setup(p, subs);
    if (std::find(s.pre.infeasible.begin(), s.pre.infeasible.end(), 1) != s.pre.infeasible.end()) continue;
    const int K = net->num_hidden(), B = s.batch.B, m = 3;
    const Matrix C = Matrix::NullaryExpr(m, net->output_dim(), [&] { return std::normal_distribution<>(0, 1)(rng); });
    const Matrix Ct = shared_rows(C, B), c = Matrix::Zero(m, B);
    std::uniform_real_distribution<double> U(0.0, 1.0);
    std::vector<Matrix> alpha(K);
    SplitMultipliers split;
    split.beta.resize(K);
    for (int j = 0; j < K; ++j) {
      alpha[j] = Matrix::NullaryExpr(net->hidden_width(j), m * B, [&] { return U(rng); });
      split.beta[j] = Matrix::NullaryExpr(net->hidden_width(j), m * B, [&] { return U(rng); });
    }
    std::vector<Matrix> grad;
    const BacksubResult base = backsub_lower(*net, K, Ct, c, s.batch, s.pre, s.relax, &alpha, &grad, false, &split);
    const std::vector<Matrix> beta_grad = split.grad;
    // Central difference of bound (r, b) in one coefficient; NaN where the two sides disagree.
    const double h = 1e-5;
    auto difference = [&](Matrix& coef, Eigen::Index i, Eigen::Index col) {
      auto bound_at = [&](double value) {
        const double keep = coef(i, col);
        coef(i, col) = value;
        SplitMultipliers sp = split;  // after the change: coef may be one of split's multipliers
        std::vector<Matrix> g;
        const double r = backsub_lower(*net, K, Ct, c, s.batch, s.pre, s.relax, &alpha, &g, false, &sp).lower(col % m, col / m);
        coef(i, col) = keep;
        return r;
      };
      const double up = bound_at(coef(i, col) + h), down = bound_at(coef(i, col) - h);
      const double mid = base.lower(col % m, col / m), hi_side = (up - mid) / h, lo_side = (mid - down) / h;
      return std::abs(hi_side - lo_side) > 1e-6 * (1 + std::abs(hi_side)) ? NAN : 0.5 * (hi_side + lo_side);
    };
    for (int j = 0; j < K; ++j)
      for (Eigen::Index i = 0; i < alpha[j].rows(); ++i)
        for (Eigen::Index col = 0; col < m * B; ++col) {
          const Eigen::Index b = col / m;
          if (s.relax[j].unstable(i, b) > 0) {
            const double fd = difference(alpha[j], i, col);
            if (!std::isnan(fd)) {
              ++compared_alpha;
              EXPECT_NEAR(grad[j](i, col), fd, 1e-6 * (1 + std::abs(fd))) << "alpha layer " << j << " neuron " << i;
            }
          }
          if (s.batch.phase[j](i, b) != 0) {
            Matrix& be = split.beta[j];
            const double fd = difference(be, i, col);
            if (!std::isnan(fd)) {
              ++compared_beta;
              EXPECT_NEAR(beta_grad[j](i, col), fd, 1e-6 * (1 + std::abs(fd))) << "beta layer " << j << " neuron " << i;
            }
          } else {
            EXPECT_EQ(beta_grad[j](i, col), 0.0) << "no split constraint, no gradient";
          }
        }
  }
  std::printf("compared %d slope and %d split-multiplier gradients\n", compared_alpha, compared_beta);
  EXPECT_GT(compared_alpha, 200);
  EXPECT_GT(compared_beta, 200);
}
