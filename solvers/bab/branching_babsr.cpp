// ReLU splitting with a BaBSR-style score (Bunel et al. 2020, "Branch and bound for piecewise
// linear neural network verification", Sec. 5.1): for an unstable neuron i of hidden layer j
// with bounds l < 0 < u, the triangle relaxation's intercept u(-l)/(u-l) weighted by the
// magnitude of the neuron's coefficient in the bound's linear form, |hidden_coef_ji|. Departure:
// no separate backup score; when every score is zero (e.g. below a maskable layer, where the
// form has no coefficients) the widest rule decides.
#include <algorithm>
#include <cmath>

#include "solvers/bab/internal.h"

namespace bab::detail {

Split choose_relu_babsr(const bounds::Subdomain& s, const bounds::SubdomainBounds& b, int first, int end) {
  Split split;
  double best = 0;
  const int K = static_cast<int>(b.pre.size()) - 1;
  for (int j = first; j < (end < 0 ? K : std::min(end, K)) && j < static_cast<int>(b.hidden_coef.size()); ++j)
    for (int i = 0; i < b.pre[j].lo.size(); ++i) {
      if (!unstable(s, b, j, i)) continue;
      const double l = b.pre[j].lo[i], u = b.pre[j].hi[i];
      const double score = std::abs(b.hidden_coef[j][i]) * u * (-l) / (u - l);
      if (score > best) {
        best = score;
        split.kind = Split::Kind::relu;
        split.layer = j;
        split.index = i;
      }
    }
  if (split.kind == Split::Kind::none) return choose_relu_widest(s, b, first, end);
  return split;
}

}  // namespace bab::detail
