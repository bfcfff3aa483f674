// ReLU splitting in layer order: fix an unstable neuron of the earliest hidden layer that has
// one, picked within that layer by the BaBSR-style score (branching_babsr.cpp), or by the widest
// interval when the layer's scores are all zero. On deep networks whose bounds blow up with
// depth (Marabou's mnist20x20: CROWN's output bounds of 1e5 where the logits are about 30), a
// split in a deep layer rests on meaningless intermediate bounds; splitting the earliest layer
// first leaves every subdomain's leading layers linear, so that re-bounding the layer after them
// (--intermediate alpha, beta-CROWN's split multipliers) is close to exact there.
#include <cmath>

#include "solvers/bab/internal.h"

namespace bab::detail {

Split choose_relu_layer(const bounds::Subdomain& s, const bounds::SubdomainBounds& b) {
  const int K = static_cast<int>(b.pre.size()) - 1;
  for (int j = 0; j < K; ++j) {
    Split split;
    double best_score = -1, best_width = -1;
    int widest = -1;
    for (int i = 0; i < b.pre[j].lo.size(); ++i) {
      if (!unstable(s, b, j, i)) continue;
      const double l = b.pre[j].lo[i], u = b.pre[j].hi[i];
      if (u - l > best_width) {
        best_width = u - l;
        widest = i;
      }
      const double coef = j < static_cast<int>(b.hidden_coef.size()) ? std::abs(b.hidden_coef[j][i]) : 0.0;
      const double score = coef * u * (-l) / (u - l);
      if (score > best_score && score > 0) {
        best_score = score;
        split.index = i;
      }
    }
    if (widest < 0) continue;
    split.kind = Split::Kind::relu;
    split.layer = j;
    if (best_score <= 0) split.index = widest;
    return split;
  }
  return Split{};
}

}  // namespace bab::detail
