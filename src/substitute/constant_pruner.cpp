// Bounds-propagation based iterative constant pruning (seed 001 Algorithm 1): the least variable
// neurons on B_eps(x0) (smallest u - l of the pre-activation) are replaced by their constant
// output at x0, folded into the next layer's bias; bounds are recomputed after every round so
// that the removals spread over the layers. Departures: the round removes a gamma0 fraction of
// the neurons still prunable (the seed's quantile threshold, without ties removing more), the
// loop stops when a gamma fraction of the prunable neurons is gone (the seed's stopping test
// reads reversed), and every hidden layer keeps at least one neuron.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "src/substitute/internal.h"
#include "src/substitute/substitute.h"
#include "src/util/errors.h"

namespace substitute {

net::LayeredNetwork constant_substitute(const net::LayeredNetwork& f, const Anchor& a, double eps,
                                        const ConstantOptions& o, PruneReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!(o.gamma >= 0 && o.gamma <= 1)) throw util::InputError("--gamma", "", "must lie in [0, 1]");
  if (!(o.gamma0 > 0 && o.gamma0 <= 1)) throw util::InputError("--gamma0", "", "must lie in (0, 1]");
  net::LayeredNetwork g = f;
  const int first = o.prune_first ? 0 : 1;
  int prunable = 0;
  for (int k = first; k < g.num_hidden(); ++k) prunable += g.hidden_width(k);
  const int target = static_cast<int>(std::ceil(o.gamma * prunable - 1e-9));
  int removed = 0;
  bounds::BoundOptions bo;
  bo.method = o.method;
  while (removed < target) {
    auto gp = std::make_shared<const net::LayeredNetwork>(g);
    bounds::SubdomainBounds b = bounds::bound_root(ball_problem(gp, a, eps), bo);
    // Candidates: (width u - l, layer, neuron), for layers that keep more than one neuron.
    struct Cand {
      double width;
      int layer, index;
    };
    std::vector<Cand> cands;
    int remaining = 0;
    for (int k = first; k < g.num_hidden(); ++k) {
      remaining += g.hidden_width(k);
      for (int i = 0; i < g.hidden_width(k); ++i) cands.push_back({b.pre[k].hi[i] - b.pre[k].lo[i], k, i});
    }
    std::stable_sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& y) { return x.width < y.width; });
    const int round = std::min(target - removed, std::max(1, static_cast<int>(std::ceil(o.gamma0 * remaining))));
    std::vector<std::vector<uint8_t>> drop(g.num_hidden());
    std::vector<int> left(g.num_hidden());
    for (int k = 0; k < g.num_hidden(); ++k) {
      drop[k].assign(g.hidden_width(k), 0);
      left[k] = g.hidden_width(k);
    }
    int taken = 0;
    for (const Cand& c : cands) {
      if (taken == round) break;
      if (left[c.layer] <= 1) continue;
      drop[c.layer][c.index] = 1;
      --left[c.layer];
      ++taken;
    }
    if (taken == 0) break;  // every prunable layer is down to one neuron
    const std::vector<Vector> z = g.pre_activations(a.x0);
    for (int k = 0; k < g.num_hidden(); ++k) {
      std::vector<int> keep;
      Vector constant = Vector::Zero(g.hidden_width(k));
      for (int i = 0; i < g.hidden_width(k); ++i) {
        if (drop[k][i])
          constant[i] = std::max(0.0, z[k][i]);
        else
          keep.push_back(i);
      }
      if (static_cast<int>(keep.size()) == g.hidden_width(k)) continue;
      remove_neurons(g, k, keep, constant);
    }
    removed += taken;
  }
  if (report) {
    report->method = "constant";
    report->neurons_before = f.num_relus();
    report->neurons_after = g.num_relus();
    report->nonlinear_after = g.num_relus();
    report->radius = eps;
    report->time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return g;
}

}  // namespace substitute
