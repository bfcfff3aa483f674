// Upper bounds of local Lipschitz constants of the margin functions m_j = y_t - y_j with respect
// to L-inf: L_j = max over the box of ||grad m_j||_1 (a piecewise-linear function on a convex
// box changes along a segment at most by its largest dual-norm gradient times the length).
// The gradient is c_j^T W_L D_{L-1} W_{L-1} ... D_1 W_1 over every activation pattern D the
// pre-activation bounds allow; it is bounded by interval arithmetic in midpoint-radius form
// (unstable ReLUs: derivative in [0, 1]), all classes at once, with an outward rounding slack.
#include <cmath>

#include "src/substitute/substitute.h"

namespace substitute {

Vector margin_lipschitz(const net::LayeredNetwork& net, const std::vector<bounds::LayerBounds>& pre, int label) {
  const int m = net.output_dim();
  // Row j: c_j^T = e_t - e_j (row t is zero).
  Matrix C = Matrix::Zero(m, m);
  for (int j = 0; j < m; ++j)
    if (j != label) {
      C(j, label) = 1;
      C(j, j) = -1;
    }
  Matrix mid = C * net.layers.back().W, rad = Matrix::Zero(mid.rows(), mid.cols());
  for (int k = net.num_hidden() - 1; k >= 0; --k) {
    // Multiply by D_k: active keeps, inactive zeroes, unstable maps [l, u] to [min(l,0), max(u,0)].
    for (int i = 0; i < net.hidden_width(k); ++i) {
      const double lo = pre[k].lo[i], hi = pre[k].hi[i];
      if (lo >= 0) continue;
      if (hi <= 0) {
        mid.col(i).setZero();
        rad.col(i).setZero();
        continue;
      }
      for (int j = 0; j < m; ++j) {
        const double l = std::min(0.0, mid(j, i) - rad(j, i)), u = std::max(0.0, mid(j, i) + rad(j, i));
        mid(j, i) = 0.5 * (l + u);
        rad(j, i) = 0.5 * (u - l);
      }
    }
    const Matrix& W = net.layers[k].W;
    const Matrix new_mid = mid * W;
    Matrix new_rad = rad * W.cwiseAbs();
    new_rad += 1e-12 * (mid.cwiseAbs() * W.cwiseAbs() + new_rad);  // rounding of both products
    mid = new_mid;
    rad = new_rad;
  }
  Vector L = (mid.cwiseAbs() + rad).rowwise().sum();
  L *= 1 + 1e-12 * net.input_dim();
  L[label] = 0;
  return L;
}

Vector margin_lipschitz(const spec::Problem& problem, int label, bounds::Method method) {
  bounds::BoundOptions bo;
  bo.method = method;
  bounds::SubdomainBounds b = bounds::bound_root(problem, bo);
  return margin_lipschitz(*problem.net, b.pre, label);
}

}  // namespace substitute
