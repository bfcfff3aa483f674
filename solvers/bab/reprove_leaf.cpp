// Re-proves one leaf of a BaB tree from its record alone (decisions, bound method, multipliers),
// with a fresh CPU engine: the double-precision counterpart of the exact certificate check, used
// by the tests and by anyone who wants to audit a tree without rerunning the search.
#include <algorithm>
#include <limits>

#include "solvers/bab/internal.h"

namespace bab {

LeafCheck reprove_leaf(const spec::Problem& problem, const ProvenLeaf& leaf, const bounds::BoundOptions& options) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const bounds::Subdomain s = apply_decisions(problem, leaf.decisions);
  bounds::BoundOptions o = options;
  o.method = leaf.method;
  const bounds::SubdomainBounds b = bounds::make_cpu_engine()->bound(problem, {s}, o)[0];
  LeafCheck out{b.infeasible, b.margin_lower};
  if (leaf.proof == LeafProof::bound || b.infeasible) return out;
  detail::LinearRegion region;
  if (!detail::linear_region(problem, s, b, &region)) return out;
  const auto& disjuncts = problem.property.disjuncts;
  if (leaf.infeasible) {
    if (leaf.multipliers.size() == 1 && detail::farkas_empty(s.box, region, leaf.multipliers[0], o))
      out = LeafCheck{true, kInf};
    return out;
  }
  if (leaf.multipliers.size() != disjuncts.size()) return out;
  double margin = kInf;
  for (size_t dj = 0; dj < disjuncts.size(); ++dj) {
    double v = b.disjunct_lower.size() ? b.disjunct_lower[dj] : -kInf;
    if (!leaf.multipliers[dj].empty())
      v = std::max(v, detail::lagrangian_bound(s.box, region, disjuncts[dj], leaf.multipliers[dj], o));
    margin = std::min(margin, v);
  }
  out.margin_lower = std::max(out.margin_lower, margin);
  return out;
}

}  // namespace bab
