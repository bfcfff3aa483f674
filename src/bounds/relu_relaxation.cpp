// Batch layout of subdomains, fixed ReLU phases, and the linear ReLU relaxation of CROWN /
// DeepPoly (Zhang et al. 2018; Singh et al. 2019): upper line through (l, 0) and (u, u), lower
// line h >= a z with the adaptive slope a = 1 if u >= -l else 0 (alpha-CROWN optimises it).
#include <limits>

#include <cmath>

#include "src/bounds/internal.h"
#include "src/util/errors.h"

namespace bounds {

ReluLines unstable_relu_lines(double l, double u) {
  ReluLines r;
  if (const double width = u - l; std::isfinite(width)) {
    r.upper_slope = u / width;
    r.upper_bias = -r.upper_slope * l;
  } else {  // u - l overflowed (the slope would be 0 with intercept 0, i.e. h <= 0): h <= u holds
    r.upper_slope = 0.0;
    r.upper_bias = u;
  }
  r.lower_slope = u >= -l ? 1.0 : 0.0;
  return r;
}

}  // namespace bounds

namespace bounds::detail {

bool Batch::maskable(int j, int b) const {
  if (!has_masks || budget[j][b] <= 0) return false;
  for (Eigen::Index i = 0; i < mask[j].rows(); ++i)
    if (mask[j](i, b) < 0) return true;
  return false;
}

Batch make_batch(const net::LayeredNetwork& net, std::span<const Subdomain> subs) {
  Batch batch;
  batch.B = static_cast<int>(subs.size());
  const int n = net.input_dim(), K = net.num_hidden();
  batch.xlo.resize(n, batch.B);
  batch.xhi.resize(n, batch.B);
  batch.phase.resize(K);
  batch.mask.resize(K);
  batch.budget.resize(K);
  for (int j = 0; j < K; ++j) {
    batch.phase[j] = Eigen::MatrixXi::Zero(net.hidden_width(j), batch.B);
    batch.mask[j] = Eigen::MatrixXi::Ones(net.hidden_width(j), batch.B);
    batch.budget[j] = Eigen::VectorXi::Zero(batch.B);
  }
  for (int b = 0; b < batch.B; ++b) {
    const Subdomain& s = subs[b];
    if (s.box.dim() != n) throw util::InternalError("subdomain box has the wrong dimension");
    batch.xlo.col(b) = s.box.lo;
    batch.xhi.col(b) = s.box.hi;
    for (int j = 0; j < K && j < static_cast<int>(s.phase.size()); ++j)
      for (int i = 0; i < net.hidden_width(j) && i < static_cast<int>(s.phase[j].size()); ++i)
        batch.phase[j](i, b) = s.phase[j][i];
    if (!s.mask.empty()) {
      batch.has_masks = true;
      for (int j = 0; j < K; ++j) {
        for (int i = 0; i < net.hidden_width(j); ++i) batch.mask[j](i, b) = s.mask[j][i];
        batch.budget[j][b] = s.budget_left[j];
      }
    }
  }
  return batch;
}

void apply_phases(Matrix& lo, Matrix& hi, const Batch& batch, int j, std::vector<uint8_t>& infeasible) {
  const auto& ph = batch.phase[j];
  for (Eigen::Index b = 0; b < lo.cols(); ++b)
    for (Eigen::Index i = 0; i < lo.rows(); ++i) {
      if (ph(i, b) > 0) lo(i, b) = std::max(lo(i, b), 0.0);
      else if (ph(i, b) < 0) hi(i, b) = std::min(hi(i, b), 0.0);
      if (lo(i, b) > hi(i, b)) infeasible[b] = 1;
    }
}

void post_activation_bounds(const Matrix& lo, const Matrix& hi, const Batch& batch, int j, Matrix& hlo, Matrix& hhi) {
  hlo = lo.cwiseMax(0.0);
  hhi = hi.cwiseMax(0.0);
  if (!batch.has_masks) return;
  const auto& mk = batch.mask[j];
  for (Eigen::Index b = 0; b < lo.cols(); ++b)
    for (Eigen::Index i = 0; i < lo.rows(); ++i)
      if (mk(i, b) == 0) hlo(i, b) = hhi(i, b) = 0.0;
}

Relaxation relax_layer(const Matrix& lo, const Matrix& hi, const Batch& batch, int j) {
  const Eigen::Index d = lo.rows(), B = lo.cols();
  Relaxation r;
  r.lower_slope = Matrix::Zero(d, B);
  r.upper_slope = Matrix::Zero(d, B);
  r.upper_bias = Matrix::Zero(d, B);
  r.unstable = Matrix::Zero(d, B);
  const auto& ph = batch.phase[j];
  const auto& mk = batch.mask[j];
  for (Eigen::Index b = 0; b < B; ++b)
    for (Eigen::Index i = 0; i < d; ++i) {
      const double l = lo(i, b), u = hi(i, b);
      if (mk(i, b) == 0 || ph(i, b) < 0 || u <= 0) continue;  // h = 0
      if (ph(i, b) > 0 || l >= 0) {                          // h = z
        r.lower_slope(i, b) = r.upper_slope(i, b) = 1.0;
        continue;
      }
      const ReluLines lines = unstable_relu_lines(l, u);
      r.upper_slope(i, b) = lines.upper_slope;
      r.upper_bias(i, b) = lines.upper_bias;
      r.lower_slope(i, b) = lines.lower_slope;
      r.unstable(i, b) = 1.0;
    }
  return r;
}

}  // namespace bounds::detail
