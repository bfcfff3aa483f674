// Cuts of the ideal MILP formulation of a ReLU over a box (Anderson, Huchette, Ma, Tjandraatmadja
// and Vielma, "Strong mixed-integer programming formulations for trained neural networks", Math.
// Programming 2020, Theorem 1 and Proposition 12). For y = max(0, w.x + b) with x in [L, U] and
// d = 1 when active, the convex hull of {(x, y, d)} is the big-M rows plus, for every subset I of
// the inputs,
//   y <= sum_{i in I} w_i (x_i - Lb_i (1 - d)) + (b + sum_{i not in I} w_i Ub_i) d,
// Lb_i = L_i and Ub_i = U_i where w_i >= 0, swapped where w_i < 0. The big-M row of Tjeng et al.
// is I = all (with the interval lower bound) and y <= u d is I = none. Exponentially many, but the
// most violated one at a point (x*, y*, d*) is found term by term: i is in I exactly when
// w_i (x*_i - Lb_i (1 - d*)) < w_i Ub_i d*.
//
// Every cut holds for every point of the big-M model whose x lies in its bounds, whatever the
// pre-activation bounds the big-M rows used: it needs only the variables' bounds and the row that
// defines z (BinaryRelu::def; where drop_negligible_terms removed weights, their bounded slack
// variable is one more input). Its right-hand side is widened by a bound on the rounding of its
// coefficients, so it stays valid in floating point.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "encodings/encode.h"

namespace encodings {

std::vector<LinearConstraint> ideal_relu_cuts(const Model& m, const double* v, double min_violation,
                                              IdealCutStats* stats) {
  std::vector<LinearConstraint> cuts;
  for (const BinaryRelu& r : m.binary_relus) {
    const LinearConstraint& def = m.rows[r.def];  // z - sum(w v) = bias
    const double d = std::clamp(v[r.d], 0.0, 1.0), bias = def.rhs;
    double value = bias * d;  // the cut's right-hand side at the point
    double coef_d = bias, rhs = 0.0, magnitude = std::abs(bias);
    LinearConstraint c;
    c.sense = Sense::le;
    c.terms.push_back({r.y, 1.0});
    bool boxed = true;
    for (const Term& t : def.terms) {
      if (t.var == r.z) continue;
      const Variable& x = m.vars[t.var];
      const double w = -t.coef;
      if (w == 0.0) continue;
      const double lb = w > 0 ? x.lo : x.hi, ub = w > 0 ? x.hi : x.lo;
      if (!std::isfinite(lb) || !std::isfinite(ub)) {
        boxed = false;
        break;
      }
      const double in_I = w * (v[t.var] - lb * (1.0 - d)), out_I = w * ub * d;
      if (in_I < out_I) {  // y - w x - w lb d <= -w lb
        value += in_I;
        c.terms.push_back({t.var, -w});
        coef_d += w * lb;
        rhs -= w * lb;
        magnitude += 2.0 * std::abs(w * lb);
      } else {
        value += out_I;
        coef_d += w * ub;
        magnitude += std::abs(w * ub);
      }
    }
    // Unbounded or huge boxes (|w lb| past 1e12, or an overflow to inf or nan): no cut.
    if (!boxed || !(magnitude <= 1e12)) continue;
    if (stats) ++stats->separated;
    const double violation = v[r.y] - value;
    if (!(violation > min_violation * std::max(1.0, std::abs(v[r.y])))) continue;
    // |computed - exact| of coef_d and rhs together is at most about (n + 2) eps times the sum of
    // the magnitudes of their terms; d is in [0, 1], so that much on the right keeps the cut valid.
    rhs += (static_cast<double>(def.terms.size()) + 1.0) * DBL_EPSILON * magnitude;  // n inputs + 2
    // A coefficient of d that is zero or a cancellation residue (|coef_d| <= 1e-12; entries that
    // small upset Clp: bigm.cpp's drop_negligible_terms) is left out: with d in [0, 1] the cut then
    // needs max(0, coef_d) more on the right.
    if (std::abs(coef_d) > 1e-12)
      c.terms.push_back({r.d, -coef_d});
    else
      rhs += std::max(0.0, coef_d);
    c.rhs = rhs;
    c.name = "ideal_" + m.vars[r.y].name;
    cuts.push_back(std::move(c));
    if (stats) ++stats->cuts;
  }
  return cuts;
}

}  // namespace encodings
