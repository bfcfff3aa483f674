// alpha-CROWN (Xu et al. 2021): the lower slopes a_ji in [0,1] of unstable ReLUs are free
// parameters of a valid bound, one set per specification row; projected gradient ascent (Adam)
// on the bound, keeping the best bound seen per row (every iterate is sound).
// Gradient: the bound is c0 + sum_j lam_j^+ a_j (W_j v_{j-1} + b_j) + ..., so d/d a_ji equals
// lam_ji * u_ji with u the pre-activations of the relaxed forward pass from the minimiser
// (crown.cpp computes it). Only the output rows are optimised; intermediate layers keep the
// adaptive slopes.
#include <cmath>

#include "src/bounds/internal.h"

namespace bounds::detail {

BacksubResult alpha_crown_lower(const net::LayeredNetwork& net, int k, const Matrix& Ct, const Matrix& c,
                                const Batch& batch, const LayerBoundsBatch& pre, const std::vector<Relaxation>& relax,
                                const BoundOptions& o) {
  const Eigen::Index m = c.rows(), B = batch.B;
  std::vector<Matrix> alpha(k), grad, mom(k), vel(k);
  for (int j = 0; j < k; ++j) {
    alpha[j].resize(relax[j].lower_slope.rows(), m * B);
    for (Eigen::Index b = 0; b < B; ++b) alpha[j].middleCols(b * m, m) = relax[j].lower_slope.col(b).replicate(1, m);
    mom[j] = vel[j] = Matrix::Zero(alpha[j].rows(), alpha[j].cols());
  }
  BacksubResult best = backsub_lower(net, k, Ct, c, batch, pre, relax, &alpha, &grad, true);
  const double beta1 = 0.9, beta2 = 0.999, tiny = 1e-12;
  for (int it = 1; it <= o.alpha_iters && k > 0; ++it) {
    for (int j = 0; j < k; ++j) {  // Adam ascent step, projected onto [0,1]
      mom[j] = beta1 * mom[j] + (1 - beta1) * grad[j];
      vel[j] = beta2 * vel[j] + (1 - beta2) * grad[j].cwiseAbs2();
      const double bc1 = 1 - std::pow(beta1, it), bc2 = 1 - std::pow(beta2, it);
      alpha[j] += (o.alpha_lr * (mom[j] / bc1).array() / ((vel[j] / bc2).array().sqrt() + tiny)).matrix();
      alpha[j] = alpha[j].cwiseMax(0.0).cwiseMin(1.0);
    }
    BacksubResult cur = backsub_lower(net, k, Ct, c, batch, pre, relax, &alpha, &grad, true);
    for (Eigen::Index b = 0; b < B; ++b)
      for (Eigen::Index r = 0; r < m; ++r)
        if (cur.lower(r, b) > best.lower(r, b)) {
          best.lower(r, b) = cur.lower(r, b);
          best.minimiser.col(b * m + r) = cur.minimiser.col(b * m + r);
          best.input_coef.col(b * m + r) = cur.input_coef.col(b * m + r);
          for (int j = 0; j < k; ++j) best.hidden_coef[j].col(b * m + r) = cur.hidden_coef[j].col(b * m + r);
        }
  }
  return best;
}

}  // namespace bounds::detail
