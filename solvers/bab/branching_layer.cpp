// ReLU splitting in layer order: fix an unstable neuron of the earliest hidden layer that has
// one, picked within that layer by the BaBSR-style score (branching_babsr.cpp), or by the widest
// interval when the layer's scores are all zero. On deep networks whose bounds blow up with
// depth (Marabou's mnist20x20: CROWN's output bounds of 1e5 where the logits are about 30), a
// split in a deep layer rests on meaningless intermediate bounds; splitting the earliest layer
// first leaves every subdomain's leading layers linear, so that re-bounding the layer after them
// (--intermediate alpha, beta-CROWN's split multipliers) is close to exact there.
#include "solvers/bab/internal.h"

namespace bab::detail {

Split choose_relu_layer(const bounds::Subdomain& s, const bounds::SubdomainBounds& b) {
  const int K = static_cast<int>(b.pre.size()) - 1;
  for (int j = 0; j < K; ++j) {
    const Split split = choose_relu_babsr(s, b, j, j + 1);
    if (split.kind != Split::Kind::none) return split;
  }
  return Split{};
}

}  // namespace bab::detail
