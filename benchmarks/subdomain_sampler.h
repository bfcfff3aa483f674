// Subdomains as a ReLU-splitting BaB makes them, for the batching benchmarks (bench_batching,
// bench_cuda): random half-width sub-boxes of the property's box with 20% of the ReLU phases
// fixed to those of the sub-box's centre, optionally carrying the root's intermediate bounds
// (computed with `root`), so that CROWN back-substitutes the property rows only.
#pragma once
#include <memory>
#include <random>
#include <vector>

#include "src/bounds/bound_engine.h"

namespace bench_util {

inline std::vector<bounds::Subdomain> sample_subdomains(const spec::Problem& p, int N, bool reuse, uint64_t seed,
                                                        const bounds::BoundOptions& root = {}) {
  const auto& net = *p.net;
  std::shared_ptr<const std::vector<bounds::LayerBounds>> known;
  if (reuse) known = std::make_shared<const std::vector<bounds::LayerBounds>>(bounds::bound_root(p, root).pre);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> U(0, 1);
  std::vector<bounds::Subdomain> subs;
  for (int t = 0; t < N; ++t) {
    bounds::Subdomain d = bounds::root_subdomain(p);
    d.known = known;
    for (int i = 0; i < d.box.dim(); ++i) {
      const double w = p.box.hi[i] - p.box.lo[i], a = p.box.lo[i] + 0.5 * w * U(rng);
      d.box.lo[i] = a;
      d.box.hi[i] = a + 0.5 * w;
    }
    const auto z = net.pre_activations(d.box.center());
    d.phase.assign(net.num_hidden(), {});
    for (int k = 0; k < net.num_hidden(); ++k) {
      d.phase[k].assign(net.hidden_width(k), 0);
      for (int i = 0; i < net.hidden_width(k); ++i)
        if (U(rng) < 0.2) d.phase[k][i] = z[k][i] > 0 ? 1 : -1;
    }
    subs.push_back(std::move(d));
  }
  return subs;
}

}  // namespace bench_util
