// Exact worst case of a linear form over pruning masks (DESIGN.md "Masks are first-class";
// seed 003 Problem 1). With h_i in [hlo_i, hhi_i] and mask bits m_i (1 kept, 0 pruned, -1
// undecided with at most s undecided bits pruned), min sum_i c_i m_i h_i is: every kept or
// undecided neuron at its own minimum v_i = min(c_i hlo_i, c_i hhi_i), then the s largest
// positive v_i of undecided neurons removed by pruning them (their term becomes 0). Exact when the h_i are independent
// intervals (in particular fixed numbers, i.e. a fixed input); sound in general.
#include <algorithm>

#include "src/bounds/internal.h"

namespace bounds::detail {

Vector topk_masked_min(const Matrix& coef, const Vector& hlo, const Vector& hhi, const Eigen::VectorXi& mask,
                       int budget, Matrix* argmin) {
  const Eigen::Index d = coef.rows(), m = coef.cols();
  Vector out(m);
  if (argmin) argmin->resize(d, m);
  std::vector<std::pair<double, Eigen::Index>> gains;
  for (Eigen::Index r = 0; r < m; ++r) {
    double total = 0;
    gains.clear();
    for (Eigen::Index i = 0; i < d; ++i) {
      const double c = coef(i, r);
      double v = 0, at = 0;
      if (mask[i] != 0) {
        const double vl = c * hlo[i], vh = c * hhi[i];
        v = std::min(vl, vh);
        at = vl <= vh ? hlo[i] : hhi[i];
        if (mask[i] < 0 && v > 0) gains.push_back({v, i});
      }
      total += v;
      if (argmin) (*argmin)(i, r) = at;
    }
    const size_t s = std::min(gains.size(), static_cast<size_t>(std::max(budget, 0)));
    std::partial_sort(gains.begin(), gains.begin() + s, gains.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t t = 0; t < s; ++t) {
      total -= gains[t].first;
      if (argmin) (*argmin)(gains[t].second, r) = 0.0;
    }
    out[r] = total;
  }
  return out;
}

}  // namespace bounds::detail
