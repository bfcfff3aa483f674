// The losses of `prunecert train` put together on a chunk of samples: cross-entropy alone,
// with the pruning-robust terms (seed 003 eq. 11), or IBP certified training (seed 004 eq. 1,
// RS term of seed 002 eq. 4). Each chunk returns sums; the spectral norms' gradient
// (seed 003 Propositions 2-4 use ||W_k||_2) is added once per step, after the chunks.
#include "src/train/internal.h"
#include "src/util/errors.h"

namespace train {

const char* to_string(LossKind kind) {
  switch (kind) {
    case LossKind::ce: return "ce";
    case LossKind::prune_robust: return "prune-robust";
    case LossKind::ibp: return "ibp";
  }
  return "?";
}

LossKind parse_loss(const std::string& text) {
  if (text == "ce") return LossKind::ce;
  if (text == "prune-robust") return LossKind::prune_robust;
  if (text == "ibp") return LossKind::ibp;
  throw util::InputError("--loss", "", "'" + text + "' is not a loss (ce, prune-robust, ibp)");
}

namespace detail {

void accumulate_chunk(const Mlp& mlp, const LossConfig& config, const std::vector<SpectralNorm>& norms,
                      const Matrix& X, const int* y, bool want_grad, ChunkSums& out) {
  const int K = mlp.num_hidden();
  if (want_grad && out.grad.W.empty()) out.grad = mlp.w.zeros_like();
  if (out.dsigma.size() != K + 1) out.dsigma = Vector::Zero(K + 1);
  PointPass pass;
  forward_points(mlp, X, pass);
  LossValue& sums = out.sums;
  const bool ibp = config.kind == LossKind::ibp;
  const double ce_weight = ibp ? config.kappa : 1.0;
  const bool point_grad = want_grad && ce_weight > 0;
  Matrix g;
  const double ce = softmax_cross_entropy(pass.z[K], y, point_grad ? &g : nullptr, &sums.correct);
  sums.ce += ce;
  sums.total += ce_weight * ce;
  if (point_grad && ce_weight != 1.0) g *= ce_weight;
  if (config.kind == LossKind::prune_robust) {
    std::vector<Matrix> g_x(K);
    for (int k = 0; k < K; ++k) g_x[k].setZero(pass.x[k].rows(), pass.x[k].cols());
    prune_robust_terms(mlp, config, norms, pass, y, want_grad, g, g_x, out.grad, out.dsigma, sums, nullptr);
    if (want_grad) backward_points(mlp, X, pass, g, &g_x, out.grad);
  } else if (point_grad) {
    backward_points(mlp, X, pass, g, nullptr, out.grad);
  }
  if (ibp) ibp_terms(mlp, config, X, y, want_grad, out.grad, sums);
}

void add_spectral_gradients(const std::vector<SpectralNorm>& norms, const Vector& dsigma, Weights& grad) {
  for (Eigen::Index k = 0; k < dsigma.size(); ++k)
    if (dsigma[k] != 0) grad.W[k].noalias() += dsigma[k] * norms[k].u * norms[k].v.transpose();
}

LossValue mean_of(const LossValue& s, double n) {
  LossValue m = s;
  const double inv = n > 0 ? 1.0 / n : 0.0;
  m.total *= inv;
  m.ce *= inv;
  m.hinge *= inv;
  m.ratio *= inv;
  m.delta *= inv;
  m.robust_ce *= inv;
  m.rs *= inv;
  return m;
}

}  // namespace detail

LossValue loss_and_gradient(const Mlp& mlp, const LossConfig& config, const Matrix& X, const std::vector<int>& y,
                            Weights* grad) {
  if (static_cast<Eigen::Index>(y.size()) != X.cols())
    throw util::InternalError("loss_and_gradient: " + std::to_string(y.size()) + " labels for " +
                              std::to_string(X.cols()) + " samples");
  std::vector<detail::SpectralNorm> norms(mlp.num_hidden() + 1);
  if (config.kind == LossKind::prune_robust)
    for (int k : detail::layers_needing_norms(mlp, config.budget))
      norms[k] = detail::spectral_norm(detail::effective_weight(mlp, k), Vector(), 20000, 1e-15);
  detail::ChunkSums out;
  detail::accumulate_chunk(mlp, config, norms, X, y.data(), grad != nullptr, out);
  if (grad) {
    detail::add_spectral_gradients(norms, out.dsigma, out.grad);
    out.grad.scale(1.0 / static_cast<double>(X.cols()));
    *grad = std::move(out.grad);
  }
  return detail::mean_of(out.sums, static_cast<double>(X.cols()));
}

}  // namespace train
