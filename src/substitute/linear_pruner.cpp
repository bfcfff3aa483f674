// Adversarial-preserving layerwise pruning (seed 001 Algorithm 2): every ReLU of a chosen hidden
// layer becomes the line through (z_i(x0), relu z_i(x0)) and (z_i(x_adv), relu z_i(x_adv)), so the
// layer is affine and merges with the next one: W' = W^{l+1} diag(c) W^l,
// b' = W^{l+1} (diag(c) b^l + d) + b^{l+1}. Layers are pruned from the deepest down, so the
// indices given stay valid. Departure: a neuron with z_i(x0) = z_i(x_adv) gets c_i = 0 and
// d_i = relu z_i(x0) (the seed writes z_i(x0), which would change g(x0) when z_i(x0) < 0).
#include <algorithm>
#include <chrono>
#include <cmath>

#include "src/substitute/substitute.h"
#include "src/util/errors.h"

namespace substitute {

net::LayeredNetwork linear_substitute(const net::LayeredNetwork& f, const Vector& x0, const Vector& x_adv,
                                      std::vector<int> layers, PruneReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  std::sort(layers.begin(), layers.end());
  layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
  for (int l : layers)
    if (l < 0 || l >= f.num_hidden())
      throw util::InputError("--layers", "", "hidden layer " + std::to_string(l + 1) + " does not exist (the network has " +
                                                 std::to_string(f.num_hidden()) + ")");
  net::LayeredNetwork g = f;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    const int l = *it;
    // Deeper layers were merged already; layers 0..l are untouched, so z^l is f's.
    const Vector a = g.pre_activations(x0)[l], b = g.pre_activations(x_adv)[l];
    Vector c(a.size()), d(a.size());
    for (Eigen::Index i = 0; i < a.size(); ++i) {
      const double ra = std::max(0.0, a[i]), rb = std::max(0.0, b[i]);
      // Same phase at both points: the line is the ReLU's own piece (exact, no cancellation).
      if (a[i] >= 0 && b[i] >= 0) {
        c[i] = 1;
        d[i] = 0;
      } else if (a[i] <= 0 && b[i] <= 0) {
        c[i] = 0;
        d[i] = 0;
      } else if (a[i] == b[i]) {
        c[i] = 0;
        d[i] = ra;
      } else {
        c[i] = (ra - rb) / (a[i] - b[i]);
        d[i] = ra - c[i] * a[i];
      }
    }
    const net::AffineLayer& cur = g.layers[l];
    const net::AffineLayer& next = g.layers[l + 1];
    net::AffineLayer merged;
    const net::Matrix WnC = next.W * c.asDiagonal();
    merged.W = WnC * cur.W;
    merged.b = WnC * cur.b + next.W * d + next.b;
    g.layers[l] = std::move(merged);
    g.layers.erase(g.layers.begin() + l + 1);
  }
  if (report) {
    report->method = "linear";
    report->neurons_before = f.num_relus();
    report->neurons_after = g.num_relus();
    report->nonlinear_after = g.num_relus();
    report->radius = (x_adv - x0).lpNorm<Eigen::Infinity>();
    report->time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return g;
}

}  // namespace substitute
