// The trained network: initialisation, gated forward and backward passes on points, and the
// saved network with dormant neurons removed. Dormant neurons (seed 004) output 0 in the
// forward pass; their own weights receive straight-through gradients (the gate read as the
// identity) so that Algorithm 1's later deactivations can bring them back.
#include <random>

#include "src/train/internal.h"
#include "src/util/errors.h"

namespace train {

Weights Weights::zeros_like() const {
  Weights z;
  for (const auto& W : this->W) z.W.push_back(Matrix::Zero(W.rows(), W.cols()));
  for (const auto& b : this->b) z.b.push_back(Vector::Zero(b.size()));
  return z;
}

void Weights::add(const Weights& other) {
  for (size_t k = 0; k < W.size(); ++k) {
    W[k] += other.W[k];
    b[k] += other.b[k];
  }
}

void Weights::scale(double factor) {
  for (size_t k = 0; k < W.size(); ++k) {
    W[k] *= factor;
    b[k] *= factor;
  }
}

bool Mlp::has_dormant() const {
  for (const auto& layer : active)
    for (uint8_t a : layer)
      if (!a) return true;
  return false;
}

Mlp Mlp::random(int input_dim, const std::vector<int>& widths, int outputs, bool bias, uint64_t seed) {
  Mlp mlp;
  mlp.bias = bias;
  std::mt19937_64 rng(seed);
  // 53 random bits to [0, 1): the same numbers on every platform, unlike uniform_real_distribution.
  auto uniform = [&rng]() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<int> dims = {input_dim};
  dims.insert(dims.end(), widths.begin(), widths.end());
  dims.push_back(outputs);
  for (size_t k = 0; k + 1 < dims.size(); ++k) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(dims[k]));
    Matrix W(dims[k + 1], dims[k]);
    for (Eigen::Index i = 0; i < W.rows(); ++i)
      for (Eigen::Index j = 0; j < W.cols(); ++j) W(i, j) = (2 * uniform() - 1) * bound;
    Vector b = Vector::Zero(dims[k + 1]);
    if (bias)
      for (Eigen::Index i = 0; i < b.size(); ++i) b[i] = (2 * uniform() - 1) * bound;
    mlp.w.W.push_back(std::move(W));
    mlp.w.b.push_back(std::move(b));
  }
  return mlp;
}

Matrix Mlp::logits(const Matrix& X) const {
  Matrix h = X;
  for (int k = 0; k <= num_hidden(); ++k) {
    Matrix z = w.W[k] * h;
    z.colwise() += w.b[k];
    if (k == num_hidden()) return z;
    h = z.cwiseMax(0.0);
    detail::zero_dormant_rows(*this, k, h);
  }
  return h;
}

net::LayeredNetwork Mlp::to_layered() const {
  std::vector<std::vector<int>> kept(num_hidden());
  for (int k = 0; k < num_hidden(); ++k)
    for (int i = 0; i < static_cast<int>(w.W[k].rows()); ++i)
      if (active.empty() || active[k][i]) kept[k].push_back(i);
  net::LayeredNetwork out;
  for (int k = 0; k <= num_hidden(); ++k) {
    const std::vector<int>* rows = k < num_hidden() ? &kept[k] : nullptr;
    const std::vector<int>* cols = k > 0 ? &kept[k - 1] : nullptr;
    const int nr = rows ? static_cast<int>(rows->size()) : static_cast<int>(w.W[k].rows());
    const int nc = cols ? static_cast<int>(cols->size()) : static_cast<int>(w.W[k].cols());
    net::AffineLayer layer{Matrix(nr, nc), Vector(nr)};
    for (int i = 0; i < nr; ++i) {
      const int si = rows ? (*rows)[i] : i;
      layer.b[i] = w.b[k][si];
      for (int j = 0; j < nc; ++j) layer.W(i, j) = w.W[k](si, cols ? (*cols)[j] : j);
    }
    out.layers.push_back(std::move(layer));
  }
  out.check();
  return out;
}

int64_t Mlp::num_parameters() const {
  const net::LayeredNetwork l = to_layered();
  int64_t n = 0;
  for (const auto& layer : l.layers) n += layer.W.size() + (bias ? layer.b.size() : 0);
  return n;
}

namespace detail {

void zero_dormant_rows(const Mlp& mlp, int k, Matrix& m) {
  if (mlp.active.empty()) return;
  const auto& act = mlp.active[k];
  for (size_t i = 0; i < act.size(); ++i)
    if (!act[i]) m.row(static_cast<Eigen::Index>(i)).setZero();
}

Matrix effective_weight(const Mlp& mlp, int k) {
  Matrix W = mlp.w.W[k];
  if (mlp.active.empty()) return W;
  if (k < mlp.num_hidden()) zero_dormant_rows(mlp, k, W);
  if (k > 0) {
    const auto& act = mlp.active[k - 1];
    for (size_t j = 0; j < act.size(); ++j)
      if (!act[j]) W.col(static_cast<Eigen::Index>(j)).setZero();
  }
  return W;
}

void forward_points(const Mlp& mlp, const Matrix& X, PointPass& pass) {
  const int K = mlp.num_hidden();
  const bool gated = mlp.has_dormant();
  pass.z.resize(K + 1);
  pass.x.resize(K);
  pass.a.resize(gated ? K : 0);
  for (int k = 0; k <= K; ++k) {
    const Matrix& in = k == 0 ? X : pass.x[k - 1];
    pass.z[k].noalias() = mlp.w.W[k] * in;
    pass.z[k].colwise() += mlp.w.b[k];
    if (k == K) break;
    pass.x[k] = pass.z[k].cwiseMax(0.0);
    if (gated) {
      pass.a[k] = pass.x[k];
      zero_dormant_rows(mlp, k, pass.x[k]);
    }
  }
}

void backward_points(const Mlp& mlp, const Matrix& X, const PointPass& pass, const Matrix& g_logits,
                     const std::vector<Matrix>* g_x, Weights& grad) {
  const int K = mlp.num_hidden();
  const bool gated = mlp.has_dormant();
  Matrix g_z = g_logits;
  for (int k = K; k >= 0; --k) {
    const Matrix& in = k == 0 ? X : (gated ? pass.a[k - 1] : pass.x[k - 1]);
    grad.W[k].noalias() += g_z * in.transpose();
    if (mlp.bias) grad.b[k] += g_z.rowwise().sum();
    if (k == 0) break;
    if (gated && k < K) zero_dormant_rows(mlp, k, g_z);  // dormant neurons do not propagate
    Matrix g_h = mlp.w.W[k].transpose() * g_z;
    if (g_x) g_h += (*g_x)[k - 1];
    g_z = (pass.z[k - 1].array() > 0.0).select(g_h, 0.0);
  }
}

}  // namespace detail
}  // namespace train
