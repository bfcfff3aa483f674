// Input splitting: bisect the input dimension whose width contributes most to the bound's
// linear form, |input_coef_i| * width_i (the "smear" influence of ReluVal/Neurify input
// splitting), plus a tenth of the largest coefficient times the width so that every dimension
// is split eventually (the form belongs to one row: with several rows per disjunct, a dimension
// it ignores may still hold the bound back). Widest dimension when the form is flat or missing
// (IBP bounds). Dimensions too narrow to bisect in double are never chosen.
#include <cmath>

#include "solvers/bab/internal.h"

namespace bab::detail {

Split choose_input_split(const bounds::Subdomain& s, const bounds::SubdomainBounds& b) {
  const spec::Box& box = s.box;
  int best = -1, widest = -1;
  double best_score = 0, widest_width = 0;
  const bool has_coef = b.input_coef.size() == box.dim();
  const double floor = has_coef && box.dim() > 0 ? 0.1 * b.input_coef.cwiseAbs().maxCoeff() : 0.0;
  for (int i = 0; i < box.dim(); ++i) {
    const double w = box.hi[i] - box.lo[i];
    const double mid = box.lo[i] + 0.5 * w;
    if (!(mid > box.lo[i] && mid < box.hi[i])) continue;  // no double strictly inside
    if (w > widest_width) {
      widest_width = w;
      widest = i;
    }
    const double score = has_coef ? (std::abs(b.input_coef[i]) + floor) * w : 0.0;
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  if (best < 0) best = widest;
  Split split;
  if (best < 0) return split;
  split.kind = Split::Kind::input;
  split.index = best;
  split.at = box.lo[best] + 0.5 * (box.hi[best] - box.lo[best]);
  return split;
}

}  // namespace bab::detail
