// Certified small LPs for the brute-force oracle. Clp (double simplex) proposes duals y >= 0;
// weak duality over the box gives the exact bound
//   min_{v in box, rows <= 0} f(v) >= min_{v in box} f(v) + sum_i y_i row_i(v),
// evaluated in GMP rationals, so no floating-point error enters the bound. A bound further than
// `gap` from Clp's objective, or a Clp failure, sends the LP to Z3 (exact rational simplex).
#include "solvers/brute/exact_lp.h"

#include <Clp_C_Interface.h>
#include <z3++.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <memory>

#include "src/util/errors.h"

namespace solvers::brute {

namespace {

// Owns a Clp_Simplex.
struct ClpHandle {
  Clp_Simplex* m = Clp_newModel();
  ~ClpHandle() { Clp_deleteModel(m); }
  ClpHandle() = default;
  ClpHandle(const ClpHandle&) = delete;
  ClpHandle& operator=(const ClpHandle&) = delete;
};

// min over the box of objective + sum_i y_i row_i (exact).
mpq_class lagrangian_bound(const ExactLp& lp, const std::vector<double>& y) {
  Affine f = lp.objective;
  for (size_t i = 0; i < lp.rows.size(); ++i) {
    if (!(y[i] > 0)) continue;
    const mpq_class yi(y[i]);
    for (size_t j = 0; j < f.a.size(); ++j) f.a[j] += yi * lp.rows[i].a[j];
    f.c += yi * lp.rows[i].c;
  }
  return min_over_box(f, lp.lo, lp.hi);
}

mpq_class eval(const Affine& f, const std::vector<double>& v) {
  mpq_class s = f.c;
  for (size_t j = 0; j < f.a.size(); ++j) s += f.a[j] * mpq_class(v[j]);
  return s;
}

struct ClpResult {
  int status = 4;              // Clp_status: 0 optimal, 1 primal infeasible, ...
  std::vector<double> point;   // clamped into the box
  std::vector<double> duals;   // y >= 0 per row
  double objective = 0;
};

ClpResult clp_solve(const ExactLp& lp) {
  const int n = static_cast<int>(lp.lo.size()), m = static_cast<int>(lp.rows.size());
  std::vector<CoinBigIndex> start{0};
  std::vector<int> index;
  std::vector<double> value, collb(n), colub(n), obj(n), rowlb(m, -DBL_MAX), rowub(m);
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) {
      const double v = lp.rows[i].a[j].get_d();
      if (v != 0.0) {
        index.push_back(i);
        value.push_back(v);
      }
    }
    start.push_back(static_cast<CoinBigIndex>(index.size()));
    collb[j] = lp.lo[j].get_d();
    colub[j] = lp.hi[j].get_d();
    obj[j] = lp.objective.a[j].get_d();
  }
  for (int i = 0; i < m; ++i) rowub[i] = -lp.rows[i].c.get_d();
  ClpHandle h;
  Clp_setLogLevel(h.m, 0);
  Clp_loadProblem(h.m, n, m, start.data(), index.data(), value.data(), collb.data(), colub.data(), obj.data(),
                  rowlb.data(), rowub.data());
  Clp_initialSolve(h.m);
  ClpResult r;
  r.status = Clp_status(h.m);
  if (r.status != 0) return r;
  const double* x = Clp_getColSolution(h.m);
  const double* pi = Clp_getRowPrice(h.m);
  r.point.resize(n);
  for (int j = 0; j < n; ++j) r.point[j] = std::clamp(x[j], collb[j], colub[j]);
  r.duals.resize(m);
  for (int i = 0; i < m; ++i) r.duals[i] = std::max(0.0, -pi[i]);  // rows are a.v <= b: prices <= 0
  r.objective = Clp_getObjValue(h.m);
  return r;
}

std::string q_str(const mpq_class& q) { return q.get_str(); }

// Exact LP by Z3 (Optimize over the reals). Returns nullopt-like infeasible flag via answer.
LpAnswer z3_lp(const ExactLp& lp, bool optimise) {
  LpAnswer ans;
  z3::context c;
  const size_t n = lp.lo.size();
  z3::expr_vector v(c);
  for (size_t j = 0; j < n; ++j) v.push_back(c.real_const(("v" + std::to_string(j)).c_str()));
  auto affine = [&](const Affine& f) {
    z3::expr s = c.real_val(q_str(f.c).c_str());
    for (size_t j = 0; j < n; ++j)
      if (f.a[j] != 0) s = s + c.real_val(q_str(f.a[j]).c_str()) * v[static_cast<int>(j)];
    return s;
  };
  z3::optimize opt(c);
  for (size_t j = 0; j < n; ++j) {
    opt.add(v[static_cast<int>(j)] >= c.real_val(q_str(lp.lo[j]).c_str()));
    opt.add(v[static_cast<int>(j)] <= c.real_val(q_str(lp.hi[j]).c_str()));
  }
  for (const auto& r : lp.rows) opt.add(affine(r) <= c.real_val(0));
  const z3::expr obj = affine(lp.objective);
  if (optimise) opt.minimize(obj);
  switch (opt.check()) {
    case z3::unsat: ans.infeasible = true; return ans;
    case z3::unknown: throw util::InternalError("brute: Z3 could not solve an exact LP");
    case z3::sat: break;
  }
  z3::model m = opt.get_model();
  auto value = [&](const z3::expr& e) {
    std::string s;
    if (!m.eval(e, true).is_numeral(s)) throw util::InternalError("brute: Z3 value is not a numeral");
    mpq_class q(s);
    q.canonicalize();
    return q;
  };
  ans.point.resize(n);
  for (size_t j = 0; j < n; ++j) {
    const double d = value(v[static_cast<int>(j)]).get_d();
    ans.point[j] = std::clamp(d, lp.lo[j].get_d(), lp.hi[j].get_d());
  }
  ans.lower = optimise ? value(obj) : mpq_class(0);
  ans.exact = optimise;
  return ans;
}

bool fixed_box(const ExactLp& lp) {
  for (size_t j = 0; j < lp.lo.size(); ++j)
    if (lp.lo[j] != lp.hi[j]) return false;
  return true;
}

}  // namespace

mpq_class min_over_box(const Affine& f, const std::vector<mpq_class>& lo, const std::vector<mpq_class>& hi) {
  mpq_class s = f.c;
  for (size_t j = 0; j < f.a.size(); ++j) s += f.a[j] * (sgn(f.a[j]) > 0 ? lo[j] : hi[j]);
  return s;
}

mpq_class max_over_box(const Affine& f, const std::vector<mpq_class>& lo, const std::vector<mpq_class>& hi) {
  mpq_class s = f.c;
  for (size_t j = 0; j < f.a.size(); ++j) s += f.a[j] * (sgn(f.a[j]) > 0 ? hi[j] : lo[j]);
  return s;
}

LpAnswer solve_lp(const ExactLp& lp, LpCounters& counters, double gap) {
  if (fixed_box(lp)) {  // a single point: evaluate exactly
    LpAnswer a;
    for (const auto& r : lp.rows)
      if (min_over_box(r, lp.lo, lp.hi) > 0) {
        a.infeasible = true;
        return a;
      }
    a.lower = min_over_box(lp.objective, lp.lo, lp.hi);
    for (const auto& q : lp.lo) a.point.push_back(q.get_d());
    a.exact = true;
    return a;
  }
  counters.lp_calls += 1;
  const ClpResult r = clp_solve(lp);
  if (r.status == 0) {
    LpAnswer a;
    a.lower = lagrangian_bound(lp, r.duals);
    a.point = r.point;
    const mpq_class at_point = eval(lp.objective, r.point);
    const double slack = mpq_class(at_point - a.lower).get_d();
    if (slack <= gap * std::max(1.0, std::abs(at_point.get_d()))) return a;
  } else if (r.status == 1 && !maybe_feasible(lp.rows, lp.lo, lp.hi, counters)) {
    LpAnswer a;
    a.infeasible = true;
    return a;
  }
  counters.exact_calls += 1;
  return z3_lp(lp, true);
}

bool maybe_feasible(const std::vector<Affine>& rows, const std::vector<mpq_class>& lo, const std::vector<mpq_class>& hi,
                    LpCounters& counters) {
  // Phase 1: min s subject to row_i(v) - s <= 0, v in the box, 0 <= s <= S (always feasible).
  mpq_class S = 0;
  for (const auto& r : rows) S = std::max(S, max_over_box(r, lo, hi));
  if (S <= 0) return true;  // every row holds on the whole box
  for (const auto& r : rows)
    if (min_over_box(r, lo, hi) > 0) return false;  // one row fails on the whole box (also: a point box)
  ExactLp p1;
  p1.lo = lo;
  p1.hi = hi;
  p1.lo.push_back(0);
  p1.hi.push_back(S);
  const size_t n = lo.size();
  for (const auto& r : rows) {
    Affine a = r;
    a.a.push_back(-1);
    p1.rows.push_back(std::move(a));
  }
  p1.objective.a.assign(n + 1, 0);
  p1.objective.a[n] = 1;
  p1.objective.c = 0;
  counters.lp_calls += 1;
  const ClpResult r = clp_solve(p1);
  if (r.status == 0) {
    if (lagrangian_bound(p1, r.duals) > 0) return false;  // certified infeasible
    if (r.objective <= 1e-9) return true;                 // feasible up to Clp's tolerance
  }
  counters.exact_calls += 1;
  ExactLp feas{lo, hi, rows, Affine{std::vector<mpq_class>(n, 0), 0}};
  return !z3_lp(feas, false).infeasible;
}

}  // namespace solvers::brute
