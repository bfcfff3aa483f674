// Interval bound propagation (Gowal et al. 2018) for one affine layer, batched: one product of
// W with the centres and one of |W| with the radii for the whole batch. After a hidden layer
// that may still prune, each next-layer bound is refined by the cardinality limit (top-s).
#include "src/bounds/internal.h"

namespace bounds::detail {

void ibp_next_layer(const net::AffineLayer& layer, const Matrix& hlo, const Matrix& hhi, const Batch& batch, int j,
                    Matrix& lo_out, Matrix& hi_out, Matrix* magnitude) {
  const Matrix mid = 0.5 * (hlo + hhi), rad = 0.5 * (hhi - hlo);
  const Matrix center = (layer.W * mid).colwise() + layer.b;
  const Matrix absW = layer.W.cwiseAbs();
  const Matrix radius = absW * rad;
  lo_out = center - radius;
  hi_out = center + radius;
  // |W| (|mid| + rad) + |b| = |W| max(|lo|, |hi|) + |b|: the sum of the magnitudes of the terms
  // of every bound below, top-s or not (the scale of its rounding error).
  if (magnitude) *magnitude = (absW * (mid.cwiseAbs() + rad)).colwise() + layer.b.cwiseAbs();
  if (j < 0 || !batch.has_masks) return;
  // Subdomains that may still prune in layer j: exact top-s per output neuron (lower bound of
  // W h, and of -W h for the upper bound).
  const Matrix Wt = layer.W.transpose();
  for (int b = 0; b < batch.B; ++b) {
    if (!batch.maskable(j, b)) continue;
    const Vector lo = topk_masked_min(Wt, hlo.col(b), hhi.col(b), batch.mask[j].col(b), batch.budget[j][b], nullptr);
    const Vector nhi = topk_masked_min(-Wt, hlo.col(b), hhi.col(b), batch.mask[j].col(b), batch.budget[j][b], nullptr);
    lo_out.col(b) = lo + layer.b;
    hi_out.col(b) = -nhi + layer.b;
  }
}

}  // namespace bounds::detail
