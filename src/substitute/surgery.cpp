// Network surgery shared by the pruners (removing neurons with their constant folded into the
// next bias) and plain interval propagation through one affine layer (for the shifts of
// activation_pruner.cpp).
#include <cmath>

#include "src/substitute/internal.h"

namespace substitute {

void remove_neurons(net::LayeredNetwork& g, int k, const std::vector<int>& keep, const Eigen::VectorXd& post_value) {
  net::AffineLayer& cur = g.layers[k];
  net::AffineLayer& next = g.layers[k + 1];
  const int n = static_cast<int>(cur.W.rows());
  std::vector<uint8_t> kept(n, 0);
  for (int i : keep) kept[i] = 1;
  for (int i = 0; i < n; ++i)
    if (!kept[i]) next.b += next.W.col(i) * post_value[i];
  const int m = static_cast<int>(keep.size());
  net::Matrix W(m, cur.W.cols()), Wn(next.W.rows(), m);
  net::Vector b(m);
  for (int r = 0; r < m; ++r) {
    W.row(r) = cur.W.row(keep[r]);
    b[r] = cur.b[keep[r]];
    Wn.col(r) = next.W.col(keep[r]);
  }
  cur.W = std::move(W);
  cur.b = std::move(b);
  next.W = std::move(Wn);
}

Interval affine_interval(const net::AffineLayer& L, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi) {
  const Eigen::VectorXd mid = 0.5 * (lo + hi), rad = 0.5 * (hi - lo);
  const Eigen::VectorXd c = L.W * mid + L.b;
  const Eigen::VectorXd r = L.W.cwiseAbs() * rad;
  // Outward rounding allowance: relative to the magnitudes summed in the products.
  const Eigen::VectorXd slack =
      1e-12 * (L.W.cwiseAbs() * mid.cwiseAbs() + r + L.b.cwiseAbs()) + Eigen::VectorXd::Constant(c.size(), 1e-300);
  return {c - r - slack, c + r + slack};
}

}  // namespace substitute
