// Negligible terms of a linear model, removed with a sound relaxation of their row.
//
// Trained networks carry weights such as 1e-37 (inputs that are always 0, decayed by training).
// Written into a MILP they are matrix entries 30 orders of magnitude below the rest, and CBC
// 2.10 / Clp 1.17 mishandle them: on a FashionMNIST pruning query (784-128-64-32-10 MLP, test
// sample 11, budget 0,10%,0) CBC proved a minimum margin of 2.71 (with Gomory cuts) or -0.046
// (without) where an exactly evaluated mask reaches -0.124; with these terms removed it finds
// -0.124 with either setting. The cbc binary reading the MPS file drops them itself
// (CoinMpsIO's small-element threshold), which is why it answered correctly.
//
// The MPS and LP writers also remove every entry with |a| <= kSmallMatrixEntry (1e-9): HiGHS
// drops entries below its small_matrix_value (1e-9 by default) and CoinMpsIO below 1e-14, both
// without relaxing the row.
//
// A term a v with |a| max(1, |lo(v)|, |hi(v)|) <= kNegligible contributes a value in
// [min(a lo, a hi), max(a lo, a hi)] =: [cl, ch] whatever v is. Removing it and
//   - `<=` rows: raising the right-hand side by -cl,
//   - `>=` rows: lowering it by ch,
//   - `=` rows: adding a slack variable bounded to [cl, ch],
// every point of the original model stays feasible (the model is relaxed, never tightened), with
// outward rounding. The relaxation is at most 1e-12 per removed term, far below CBC's feasibility
// tolerance (the writers' entries can relax more: 1e-9 times the variable's range); witnesses are
// re-evaluated exactly in any case.
#include <algorithm>
#include <cmath>
#include <limits>

#include "encodings/internal.h"
#include "src/util/rounding.h"

namespace encodings {

int drop_negligible_terms(Model& m, double min_coef) {
  const size_t rows = m.rows.size();  // slack variables are added below, rows are not
  int dropped = 0;
  for (size_t r = 0; r < rows; ++r) {
    LinearConstraint& c = m.rows[r];
    double cl = 0.0, ch = 0.0;  // range of the removed part
    double magnitude = 0.0;     // of its terms: the scale of the summation's rounding error
    int n = 0;
    bool any = false;
    std::erase_if(c.terms, [&](const Term& t) {
      const Variable& v = m.vars[t.var];
      if (!std::isfinite(v.lo) || !std::isfinite(v.hi)) return false;
      if (std::abs(t.coef) > min_coef &&
          std::abs(t.coef) * std::max({1.0, std::abs(v.lo), std::abs(v.hi)}) > kNegligible)
        return false;
      const double a = t.coef * v.lo, b = t.coef * v.hi;
      cl += std::min(a, b);
      ch += std::max(a, b);
      magnitude += std::max(std::abs(a), std::abs(b));
      ++n;
      any = true;
      ++dropped;
      return true;
    });
    if (!any) continue;
    // n products and sums in round-to-nearest: at most gamma_{n+1} * magnitude, plus n
    // subnormal steps for products that underflow.
    const double err = util::rounding_gamma(n + 1.0) * magnitude + n * std::numeric_limits<double>::denorm_min();
    cl = std::nextafter(cl - err, -kInf);
    ch = std::nextafter(ch + err, kInf);
    switch (c.sense) {
      case Sense::le: c.rhs = std::nextafter(c.rhs - cl, kInf); break;
      case Sense::ge: c.rhs = std::nextafter(c.rhs - ch, -kInf); break;
      case Sense::eq: {
        const int s = m.add_var("negl_" + c.name, VarKind::real, cl, ch);  // grows vars, not rows
        c.terms.push_back({s, 1.0});
        break;
      }
    }
  }
  if (dropped > 0)
    m.comments.push_back(std::to_string(dropped) + " terms with |coef| max(1, |bound|) <= 1e-12" +
                         (min_coef > 0.0 ? " or |coef| <= " + shortest_double(min_coef) : std::string()) +
                         " removed, their rows relaxed by the terms' range");
  return dropped;
}

}  // namespace encodings
