// The pruning-robust loss of seed 003 (eq. 11): CE + lambda1 max(delta - gamma, 0)
// + lambda2 delta / max(gamma, eps), with delta the worst-case margin-deviation bound of
// Proposition 4 (Propositions 2 and 3 are its one-layer and all-layer cases):
// delta_l = ||top_s(x_l)||_2 at the first pruned layer l, delta_k = ||W_k||_2 delta_{k-1}
// (+ ||top_s(x_k)||_2 when k is pruned), delta = max_{i != t} ||W_out[t] - W_out[i]||_2 delta_K.
// Biases (which the seed omits) cancel in every difference, so the bound holds with them.
#include <algorithm>
#include <numeric>

#include "src/train/internal.h"
#include "src/util/errors.h"

namespace train {
namespace detail {

namespace {

int first_pruned_layer(const Mlp& mlp, const std::vector<int>& budget) {
  if (static_cast<int>(budget.size()) != mlp.num_hidden())
    throw util::InternalError("prune-robust loss: the budget has " + std::to_string(budget.size()) +
                              " entries for " + std::to_string(mlp.num_hidden()) + " hidden layers");
  for (int k = 0; k < mlp.num_hidden(); ++k)
    if (budget[k] > 0) return k;
  return -1;
}

}  // namespace

std::vector<int> layers_needing_norms(const Mlp& mlp, const std::vector<int>& budget) {
  std::vector<int> layers;
  const int first = first_pruned_layer(mlp, budget);
  if (first < 0) return layers;
  for (int k = first + 1; k < mlp.num_hidden(); ++k) layers.push_back(k);
  return layers;
}

void prune_robust_terms(const Mlp& mlp, const LossConfig& config, const std::vector<SpectralNorm>& norms,
                        const PointPass& pass, const int* y, bool want_grad, Matrix& g_logits,
                        std::vector<Matrix>& g_x, Weights& grad, Vector& dsigma, LossValue& sums, Vector* delta_out) {
  const int K = mlp.num_hidden();
  const int first = first_pruned_layer(mlp, config.budget);
  const Matrix& f = pass.z[K];
  const Eigen::Index n = f.cols(), C = f.rows();
  if (delta_out) delta_out->setZero(n);
  for (int k = first + 1; first >= 0 && k < K; ++k)
    if (static_cast<int>(norms.size()) <= k || norms[k].u.size() != mlp.w.W[k].rows())
      throw util::InternalError("prune-robust loss: spectral norm of layer " + std::to_string(k) + " missing");
  // ||W_out[t] - W_out[i]||_2 for every pair of classes (Proposition 1).
  const Matrix W_out = effective_weight(mlp, K);
  Matrix D(C, C);
  for (Eigen::Index t = 0; t < C; ++t)
    for (Eigen::Index i = 0; i < C; ++i) D(t, i) = (W_out.row(t) - W_out.row(i)).norm();

  std::vector<double> tau(K), delta_k(K);
  std::vector<std::vector<int>> top(K);
  std::vector<int> order;
  for (Eigen::Index j = 0; j < n; ++j) {
    const int t = y[j];
    Eigen::Index rival = t == 0 ? 1 : 0;
    for (Eigen::Index i = 0; i < C; ++i)
      if (i != t && f(i, j) > f(rival, j)) rival = i;
    const double gamma = f(t, j) - f(rival, j);

    double d = 0;
    for (int k = 0; k < K; ++k) {
      tau[k] = 0;
      top[k].clear();
      const int s = config.budget[k];
      if (s > 0) {
        const auto& x = pass.x[k];
        order.resize(x.rows());
        std::iota(order.begin(), order.end(), 0);
        const int m = std::min<int>(s, static_cast<int>(x.rows()));
        std::nth_element(order.begin(), order.begin() + m - 1, order.end(),
                         [&](int a, int b) { return x(a, j) > x(b, j); });
        double sq = 0;
        for (int r = 0; r < m; ++r) sq += x(order[r], j) * x(order[r], j);
        tau[k] = std::sqrt(sq);
        top[k].assign(order.begin(), order.begin() + m);
      }
      d = (first >= 0 && k > first ? norms[k].sigma * d : 0.0) + tau[k];
      delta_k[k] = d;
    }
    Eigen::Index worst = rival;
    double c = -1;
    for (Eigen::Index i = 0; i < C; ++i)
      if (i != t && D(t, i) > c) c = D(t, i), worst = i;
    const double delta = first >= 0 ? c * delta_k[K - 1] : 0.0;
    if (delta_out) (*delta_out)[j] = delta;

    const double floor = std::max(gamma, config.margin_floor);
    const double hinge = std::max(delta - gamma, 0.0);
    const double ratio = delta / floor;
    sums.hinge += hinge;
    sums.ratio += ratio;
    sums.delta += delta;
    sums.total += config.lambda1 * hinge + config.lambda2 * ratio;
    if (!want_grad || first < 0) continue;

    const double violated = delta > gamma ? 1.0 : 0.0;
    const double d_delta = config.lambda1 * violated + config.lambda2 / floor;
    const double d_gamma = -config.lambda1 * violated - (gamma > config.margin_floor ? config.lambda2 * delta / (gamma * gamma) : 0.0);
    g_logits(t, j) += d_gamma;
    g_logits(rival, j) -= d_gamma;
    if (c > 0) {
      const Vector row_grad = (d_delta * delta_k[K - 1] / c) * (W_out.row(t) - W_out.row(worst)).transpose();
      grad.W[K].row(t) += row_grad.transpose();
      grad.W[K].row(worst) -= row_grad.transpose();
    }
    double dd = d_delta * c;  // d loss / d delta_k, from k = K-1 down
    for (int k = K - 1; k >= first; --k) {
      if (tau[k] > 0)
        for (int i : top[k]) g_x[k](i, j) += dd * pass.x[k](i, j) / tau[k];
      if (k > first) {
        dsigma[k] += dd * delta_k[k - 1];
        dd *= norms[k].sigma;
      }
    }
  }
}

}  // namespace detail

Vector margin_deviation_bound(const Mlp& mlp, const std::vector<int>& budget, const Matrix& X,
                              const std::vector<int>& y) {
  detail::PointPass pass;
  detail::forward_points(mlp, X, pass);
  std::vector<detail::SpectralNorm> norms(mlp.num_hidden() + 1);
  for (int k : detail::layers_needing_norms(mlp, budget))
    norms[k] = detail::spectral_norm(detail::effective_weight(mlp, k), Vector(), 10000, 1e-15);
  LossConfig config;
  config.kind = LossKind::prune_robust;
  config.budget = budget;
  Matrix g_logits;
  std::vector<Matrix> g_x;
  Weights grad;
  Vector dsigma;
  LossValue sums;
  Vector delta;
  detail::prune_robust_terms(mlp, config, norms, pass, y.data(), false, g_logits, g_x, grad, dsigma, sums, &delta);
  return delta;
}

}  // namespace train
