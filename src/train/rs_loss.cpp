// The RS loss of seed 002 (eq. 4, from Xiao et al. 2018): -tanh(1 + l u) per hidden neuron with
// pre-activation bounds [l, u]; it is largest for unstable neurons (l < 0 < u) and pushes them
// to a stable phase. The trainer averages it over active neurons and samples, using the IBP
// bounds of the current eps (seed 002 uses the bounds of its certified training the same way).
#include "src/train/internal.h"

namespace train::detail {

double rs_loss_sum(const Matrix& lo, const Matrix& hi, const std::vector<uint8_t>* active, Matrix* g_lo, Matrix* g_hi) {
  double total = 0;
  if (g_lo) g_lo->setZero(lo.rows(), lo.cols());
  if (g_hi) g_hi->setZero(lo.rows(), lo.cols());
  for (Eigen::Index j = 0; j < lo.cols(); ++j)
    for (Eigen::Index i = 0; i < lo.rows(); ++i) {
      if (active && !(*active)[i]) continue;
      const double th = std::tanh(1.0 + lo(i, j) * hi(i, j));
      total -= th;
      const double dth = -(1.0 - th * th);  // d(-tanh(v))/dv
      if (g_lo) (*g_lo)(i, j) = dth * hi(i, j);
      if (g_hi) (*g_hi)(i, j) = dth * lo(i, j);
    }
  return total;
}

}  // namespace train::detail
