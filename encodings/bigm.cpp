// The big-M lowering to a MILP. ReLU h = max(0, z) with l < 0 < u (Tjeng et al.; seed 000
// eq. 6-8): h >= z, h >= 0, h <= z - l (1 - d), h <= u d, d binary (1 = active). Mask gating
// p = m a with a in [L, U] by the McCormick envelope (seed 003 eq. 8), exact for binary m.
// Cardinality and clauses become rows; an OR of ANDs gets one selector binary per case with
// sum = 1 and each row relaxed by M (1 - sel), M from the interval of the row over the bounds.
// Last, negligible terms (|coef| * bound <= 1e-12) are removed by a sound relaxation.
//
// Narrow intervals. At a fixed input (eps = 0) every activation is a number, and its bounds are
// an interval of width ~1e-7 (outward rounding of 784-term sums), about CBC's primal
// feasibility tolerance. The McCormick rows mc3/mc4 of such a gate, y - a <= L (m - 1) and
// y - a >= U (m - 1), are then parallel to within the tolerance; Gomory and two-MIR cuts derived
// from bases holding both are invalid, and CBC 2.10 proved minimum margins above margins reached
// by exactly evaluated masks (FashionMNIST MLP, budget 0,0,10%: 10 of 1,000 samples `robust`
// where they are not, 32 lower bounds above the optimum; which samples changed with last-bit
// changes of the coefficients). So a gate whose [L, U] is narrow (U - L <= kNarrow max(1, |L|,
// |U|)) keeps only mc1/mc2, L m <= y <= U m: y is in [L, U] when m = 1 and 0 when m = 0, whatever
// a is (a sound relaxation; y may differ from a by at most U - L). Likewise an unstable ReLU
// with a narrow [l, u] keeps y >= 0, y >= z, y <= z - l, y <= u and no binary (y is within
// u - l of max(0, z)). The minimum of the model is then a lower bound of the true minimum that
// can be below it by at most the widths times the downstream weights; witnesses are
// re-evaluated exactly in any case.
#include <algorithm>
#include <cmath>

#include "encodings/internal.h"
#include "src/util/errors.h"

namespace encodings {

namespace {

void require_finite(const Model& m, int var, const char* what) {
  const Variable& v = m.vars[var];
  if (!std::isfinite(v.lo) || !std::isfinite(v.hi))
    throw util::InputError("--encoding", "",
                           std::string("bigm needs finite bounds for the ") + what + " " + v.name +
                               " (use --encoding-bounds ibp, crown, alpha or lp, or --encoding smt)");
}

std::string suffix_of(const std::string& name) {
  const size_t u = name.find('_');
  return u == std::string::npos ? name : name.substr(u + 1);
}

LinearConstraint row(std::vector<Term> terms, Sense sense, double rhs, std::string name) {
  std::erase_if(terms, [](const Term& t) { return t.coef == 0.0; });  // e.g. L m with L = 0
  return LinearConstraint{std::move(terms), sense, rhs, std::move(name)};
}

// sum(lits) >= k as a row over 0/1 variables: a negated literal is (1 - v).
LinearConstraint literal_row(const std::vector<Literal>& lits, int k, std::string name) {
  LinearConstraint c;
  double rhs = k;
  for (const auto& l : lits) {
    c.terms.push_back({l.var, l.negated ? -1.0 : 1.0});
    if (l.negated) rhs -= 1.0;
  }
  c.sense = Sense::ge;
  c.rhs = rhs;
  c.name = std::move(name);
  return c;
}

// Relaxes `c` so that it holds for every point of the bounds when sel = 0 and is `c` when sel = 1.
void add_relaxed(Model& m, const LinearConstraint& c, int sel, const std::string& name) {
  const Interval iv = interval_of(m, c.terms);
  auto push = [&](Sense sense, double M, const std::string& n) {
    if (!std::isfinite(M))
      throw util::InputError("--encoding", "",
                             "bigm needs finite bounds for the property row " + c.name +
                                 " (use --encoding-bounds ibp, crown, alpha or lp, or --encoding smt)");
    M = std::max(0.0, M);
    LinearConstraint r;
    r.terms = c.terms;
    r.name = n;
    r.sense = sense;
    // M and b + M rounded outward: with sel = 0 the row must hold on the whole box, exactly.
    if (M != 0.0) M = std::nextafter(M, HUGE_VAL);
    if (sense == Sense::le) {  // a.v <= b + M (1 - sel)  <=>  a.v + M sel <= b + M
      if (M != 0.0) r.terms.push_back({sel, M});
      r.rhs = M != 0.0 ? std::nextafter(c.rhs + M, HUGE_VAL) : c.rhs;
    } else {  // a.v >= b - M (1 - sel)  <=>  a.v - M sel >= b - M
      if (M != 0.0) r.terms.push_back({sel, -M});
      r.rhs = M != 0.0 ? std::nextafter(c.rhs - M, -HUGE_VAL) : c.rhs;
    }
    m.rows.push_back(std::move(r));
  };
  if (c.sense == Sense::le || c.sense == Sense::eq) push(Sense::le, iv.hi - c.rhs, name + (c.sense == Sense::eq ? "_le" : ""));
  if (c.sense == Sense::ge || c.sense == Sense::eq) push(Sense::ge, c.rhs - iv.lo, name + (c.sense == Sense::eq ? "_ge" : ""));
}

}  // namespace

bool narrow(double lo, double hi) { return hi - lo <= kNarrow * std::max({1.0, std::abs(lo), std::abs(hi)}); }

void lower_bigm(Model& m) {
  int narrow_relus = 0, narrow_gates = 0;
  // Booleans become 0/1 integers: after lowering only rows mention them.
  for (auto& v : m.vars)
    if (v.kind == VarKind::boolean) {
      v.kind = VarKind::integer;
      v.lo = std::max(0.0, v.lo);
      v.hi = std::min(1.0, v.hi);
    }

  for (const auto& r : m.relus) {
    require_finite(m, r.x, "pre-activation");
    const double l = m.vars[r.x].lo, u = m.vars[r.x].hi;
    const std::string s = suffix_of(m.vars[r.y].name);
    if (l >= 0.0) {
      m.rows.push_back(row({{r.y, 1.0}, {r.x, -1.0}}, Sense::eq, 0.0, "relu_" + s));
    } else if (u <= 0.0) {
      m.vars[r.y].lo = m.vars[r.y].hi = 0.0;
    } else if (narrow(l, u)) {
      m.vars[r.y].lo = std::max(0.0, m.vars[r.y].lo);
      m.vars[r.y].hi = std::min(m.vars[r.y].hi, u);
      m.rows.push_back(row({{r.y, 1.0}, {r.x, -1.0}}, Sense::ge, 0.0, "relu_lo_" + s));
      m.rows.push_back(row({{r.y, 1.0}, {r.x, -1.0}}, Sense::le, -l, "relu_nw_" + s));
      ++narrow_relus;
    } else {
      const int d = m.add_var("d_" + s, VarKind::integer, 0.0, 1.0);
      if (r.def >= 0) {  // z - sum(w v) = b: z once, with coefficient 1
        const LinearConstraint& def = m.rows[r.def];
        int own = 0;
        bool unit = false;
        for (const Term& t : def.terms)
          if (t.var == r.x) ++own, unit = t.coef == 1.0;
        if (def.sense == Sense::eq && own == 1 && unit) m.binary_relus.push_back({r.y, r.x, d, r.def});
      }
      m.vars[r.y].lo = std::max(0.0, m.vars[r.y].lo);                                 // eq. 8: h >= 0
      m.rows.push_back(row({{r.y, 1.0}, {r.x, -1.0}}, Sense::ge, 0.0, "relu_lo_" + s));  // eq. 7
      m.rows.push_back(row({{r.y, 1.0}, {r.x, -1.0}, {d, -l}}, Sense::le, -l, "relu_up_" + s));  // eq. 6
      m.rows.push_back(row({{r.y, 1.0}, {d, -u}}, Sense::le, 0.0, "relu_on_" + s));               // eq. 8
    }
  }
  m.relus.clear();

  for (const auto& g : m.masks) {
    require_finite(m, g.a, "masked activation");
    const double L = m.vars[g.a].lo, U = m.vars[g.a].hi;
    const std::string s = suffix_of(m.vars[g.y].name);
    // seed 003 eq. 8, in the order of the paper.
    m.rows.push_back(row({{g.y, 1.0}, {g.m, -U}}, Sense::le, 0.0, "mc1_" + s));
    m.rows.push_back(row({{g.y, 1.0}, {g.m, -L}}, Sense::ge, 0.0, "mc2_" + s));
    if (narrow(L, U)) {
      ++narrow_gates;
      continue;
    }
    m.rows.push_back(row({{g.y, 1.0}, {g.a, -1.0}, {g.m, -L}}, Sense::le, -L, "mc3_" + s));
    m.rows.push_back(row({{g.y, 1.0}, {g.a, -1.0}, {g.m, -U}}, Sense::ge, -U, "mc4_" + s));
  }
  m.masks.clear();

  for (const auto& c : m.cardinalities) m.rows.push_back(literal_row(c.lits, c.k, c.name));
  m.cardinalities.clear();
  for (size_t i = 0; i < m.clauses.size(); ++i) m.rows.push_back(literal_row(m.clauses[i].lits, 1, "cl_" + std::to_string(i)));
  m.clauses.clear();

  for (size_t di = 0; di < m.disjunctions.size(); ++di) {
    const Disjunction& d = m.disjunctions[di];
    LinearConstraint one;
    one.sense = Sense::eq;
    one.rhs = 1.0;
    one.name = "sel_" + d.name;
    for (size_t c = 0; c < d.cases.size(); ++c) {
      const int sel = m.add_var("s_" + d.name + "_" + std::to_string(c), VarKind::integer, 0.0, 1.0);
      one.terms.push_back({sel, 1.0});
      for (size_t r = 0; r < d.cases[c].size(); ++r) {
        const auto& row_c = d.cases[c][r];
        add_relaxed(m, row_c, sel, row_c.name.empty() ? "case_" + std::to_string(c) + "_" + std::to_string(r) : row_c.name);
      }
    }
    m.rows.push_back(std::move(one));
  }
  m.disjunctions.clear();
  if (narrow_relus + narrow_gates > 0)
    m.comments.push_back(std::to_string(narrow_relus) + " ReLUs and " + std::to_string(narrow_gates) +
                         " mask gates with intervals of relative width <= 1e-6 relaxed (no binary, no mc3/mc4)");
  drop_negligible_terms(m);
}

}  // namespace encodings
