// ReLU splitting by the widest rule: fix the unstable neuron (undecided, l < 0 < u) with the
// largest pre-activation interval u - l, over all hidden layers (or layers [first, end)). Also the fallback of the BaBSR
// rule when the bound's linear form gives every unstable neuron a zero score.
#include <algorithm>

#include "solvers/bab/internal.h"

namespace bab::detail {

Split choose_relu_widest(const bounds::Subdomain& s, const bounds::SubdomainBounds& b, int first, int end) {
  Split split;
  double best = 0;
  const int K = static_cast<int>(b.pre.size()) - 1;
  for (int j = first; j < (end < 0 ? K : std::min(end, K)); ++j)
    for (int i = 0; i < b.pre[j].lo.size(); ++i) {
      if (!unstable(s, b, j, i)) continue;
      const double w = b.pre[j].hi[i] - b.pre[j].lo[i];
      if (w > best) {
        best = w;
        split.kind = Split::Kind::relu;
        split.layer = j;
        split.index = i;
      }
    }
  return split;
}

}  // namespace bab::detail
