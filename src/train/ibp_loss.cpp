// IBP certified training, seed 004 eq. 1: the cross-entropy of the worst-case logits over the
// L-inf ball B(x, eps), bounded with interval bound propagation (Gowal et al. 2018, which
// VeriCompress cites for its verified accuracy; it trains with CROWN-IBP, we train with IBP).
// The last layer is folded into the margins f_t - f_i before bounding (the specification
// matrix C of seed 004 eq. 4), which is tighter than bounding the logits separately.
// Optional: kappa times the clean cross-entropy, and the RS loss (seed 002 eq. 4).
#include "src/train/internal.h"

namespace train::detail {

void ibp_terms(const Mlp& mlp, const LossConfig& config, const Matrix& X, const int* y, bool want_grad, Weights& grad,
               LossValue& sums) {
  const int K = mlp.num_hidden();
  const bool gated = mlp.has_dormant();
  const Eigen::Index n = X.cols();
  // Input box: the ball intersected with [clip_lo, clip_hi], as centre and radius.
  const Matrix lo0 = (X.array() - config.eps).max(config.clip_lo).min(config.clip_hi).matrix();
  const Matrix hi0 = (X.array() + config.eps).max(config.clip_lo).min(config.clip_hi).matrix();
  const Matrix mu0 = (lo0 + hi0) / 2, r0 = (hi0 - lo0) / 2;

  // Forward: pre-activation bounds lo[k], hi[k]; post-ReLU centre/radius, ungated (mu_a, r_a)
  // and gated (mu_x, r_x; dormant rows 0).
  std::vector<Matrix> absW(K + 1), lo(K), hi(K), mu_a(K), r_a(K), mu_x(K), r_x(K);
  for (int k = 0; k <= K; ++k) absW[k] = mlp.w.W[k].cwiseAbs();
  for (int k = 0; k < K; ++k) {
    const Matrix& mu_in = k == 0 ? mu0 : mu_x[k - 1];
    const Matrix& r_in = k == 0 ? r0 : r_x[k - 1];
    Matrix M = mlp.w.W[k] * mu_in;
    M.colwise() += mlp.w.b[k];
    const Matrix R = absW[k] * r_in;
    lo[k] = M - R;
    hi[k] = M + R;
    const Matrix l = lo[k].cwiseMax(0.0), u = hi[k].cwiseMax(0.0);
    mu_a[k] = (u + l) / 2;
    r_a[k] = (u - l) / 2;
    mu_x[k] = mu_a[k];
    r_x[k] = r_a[k];
    if (gated) {
      zero_dormant_rows(mlp, k, mu_x[k]);
      zero_dormant_rows(mlp, k, r_x[k]);
    }
  }

  // Margins m_i = f_t - f_i >= a.mu + b_t - b_i - |a|.r with a = W_out[t] - W_out[i].
  const Matrix& W = mlp.w.W[K];
  const Vector& bK = mlp.w.b[K];
  const Eigen::Index C = W.rows();
  const Matrix& mu = K > 0 ? mu_x[K - 1] : mu0;
  const Matrix& r = K > 0 ? r_x[K - 1] : r0;
  // Straight-through gradients of the output weights of dormant neurons use the ungated box.
  const Matrix& mu_u = K > 0 && gated ? mu_a[K - 1] : mu;
  const Matrix& r_u = K > 0 && gated ? r_a[K - 1] : r;
  Matrix g_mu, g_r;
  if (want_grad) {
    g_mu.setZero(mu.rows(), n);
    g_r.setZero(r.rows(), n);
  }
  const double w_rob = 1.0 - config.kappa;
  Vector s(C), a(W.cols()), abs_a(W.cols());
  for (Eigen::Index j = 0; j < n; ++j) {
    const int t = y[j];
    bool verified = true;
    for (Eigen::Index i = 0; i < C; ++i) {
      if (i == t) {
        s[i] = 0;
        continue;
      }
      a = (W.row(t) - W.row(i)).transpose();
      const double m = a.dot(mu.col(j)) + bK[t] - bK[i] - a.cwiseAbs().dot(r.col(j));
      verified = verified && m > 0;
      s[i] = -m;  // worst-case logit relative to the true class
    }
    if (verified) ++sums.verified;
    const double top = s.maxCoeff();
    const Vector e = (s.array() - top).exp().matrix();
    const double sum = e.sum();
    const double ce = std::log(sum) + top - s[t];
    sums.robust_ce += ce;
    sums.total += w_rob * ce;
    if (!want_grad) continue;
    for (Eigen::Index i = 0; i < C; ++i) {
      if (i == t) continue;
      const double dm = -w_rob * e[i] / sum;  // d loss / d m_i = -(softmax_i)
      a = (W.row(t) - W.row(i)).transpose();
      abs_a = a.cwiseAbs();
      const Vector da = dm * (mu_u.col(j) - a.cwiseSign().cwiseProduct(r_u.col(j)));
      grad.W[K].row(t) += da.transpose();
      grad.W[K].row(i) -= da.transpose();
      if (mlp.bias) {
        grad.b[K][t] += dm;
        grad.b[K][i] -= dm;
      }
      g_mu.col(j) += dm * a;
      g_r.col(j) -= dm * abs_a;
    }
  }

  // RS loss on the hidden pre-activation bounds, mean over active neurons.
  std::vector<Matrix> g_lo_rs(K), g_hi_rs(K);
  if (config.rs_weight > 0 && K > 0) {
    int active = 0;
    for (int k = 0; k < K; ++k)
      for (Eigen::Index i = 0; i < lo[k].rows(); ++i) active += mlp.active.empty() || mlp.active[k][i];
    const double scale = config.rs_weight / std::max(1, active);
    double rs = 0;
    for (int k = 0; k < K; ++k) {
      const std::vector<uint8_t>* act = mlp.active.empty() ? nullptr : &mlp.active[k];
      rs += rs_loss_sum(lo[k], hi[k], act, want_grad ? &g_lo_rs[k] : nullptr, want_grad ? &g_hi_rs[k] : nullptr);
      if (want_grad) {
        g_lo_rs[k] *= scale;
        g_hi_rs[k] *= scale;
      }
    }
    sums.rs += rs / std::max(1, active);
    sums.total += scale * rs;
  }
  if (!want_grad || K == 0) return;

  // Backward through the hidden layers: gradients with respect to (mu_x, r_x) of layer k.
  for (int k = K - 1; k >= 0; --k) {
    // Gate straight-through, then the interval ReLU: mu = (relu(u) + relu(l)) / 2, r = (relu(u) - relu(l)) / 2.
    Matrix g_lo = ((g_mu - g_r) / 2).cwiseProduct((lo[k].array() > 0.0).cast<double>().matrix());
    Matrix g_hi = ((g_mu + g_r) / 2).cwiseProduct((hi[k].array() > 0.0).cast<double>().matrix());
    if (config.rs_weight > 0) {
      g_lo += g_lo_rs[k];
      g_hi += g_hi_rs[k];
    }
    Matrix g_M = g_lo + g_hi, g_R = g_hi - g_lo;
    const Matrix& mu_in = k == 0 ? mu0 : (gated ? mu_a[k - 1] : mu_x[k - 1]);
    const Matrix& r_in = k == 0 ? r0 : (gated ? r_a[k - 1] : r_x[k - 1]);
    grad.W[k].noalias() += g_M * mu_in.transpose();
    grad.W[k] += mlp.w.W[k].cwiseSign().cwiseProduct(g_R * r_in.transpose());
    if (mlp.bias) grad.b[k] += g_M.rowwise().sum();
    if (k == 0) break;
    if (gated) {  // dormant neurons do not propagate
      zero_dormant_rows(mlp, k, g_M);
      zero_dormant_rows(mlp, k, g_R);
    }
    g_mu.noalias() = mlp.w.W[k].transpose() * g_M;
    g_r.noalias() = absW[k].transpose() * g_R;
  }
}

}  // namespace train::detail
