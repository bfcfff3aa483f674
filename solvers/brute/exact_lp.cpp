// Certified small LPs for the brute-force oracle. Clp (double simplex) proposes duals y >= 0;
// weak duality over the box gives the exact bound
//   min_{v in box, rows <= 0} f(v) >= min_{v in box} f(v) + sum_i y_i row_i(v),
// evaluated in GMP rationals, so no floating-point error enters the bound. A bound further than
// `gap` from Clp's objective, or a Clp failure, sends the LP to Z3 (exact rational simplex).
#include "solvers/brute/exact_lp.h"

#include <z3++.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <memory>
#include <optional>

#include "encodings/clp_handle.h"
#include "src/util/errors.h"

namespace solvers::brute {

namespace {

using encodings::ClpHandle;

// min over the box of objective + sum_i y_i row_i (exact).
mpq_class lagrangian_bound(const ExactLp& lp, const std::vector<double>& y) {
  Affine f = lp.objective;
  for (size_t i = 0; i < lp.rows.size(); ++i) {
    if (!(y[i] > 0) || !std::isfinite(y[i])) continue;  // mpq_class(inf) is undefined; any y >= 0 is valid
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

mpq_class eval(const Affine& f, const std::vector<mpq_class>& v) {
  mpq_class s = f.c;
  for (size_t j = 0; j < f.a.size(); ++j) s += f.a[j] * v[j];
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
  for (int j = 0; j < n; ++j) {  // a NaN would pass clamp and reach the exact evaluation
    if (!std::isfinite(x[j])) {
      r.status = -1;
      return r;
    }
    r.point[j] = std::clamp(x[j], collb[j], colub[j]);
  }
  r.duals.resize(m);
  for (int i = 0; i < m; ++i) r.duals[i] = std::max(0.0, -pi[i]);  // rows are a.v <= b: prices <= 0
  r.objective = Clp_getObjValue(h.m);
  return r;
}

std::string q_str(const mpq_class& q) { return q.get_str(); }

// Exact LP by Z3. Z3 4.8.12's Optimize (Debian 12) was seen to stop above the minimum of these
// LPs: on a 6-6-4 network with tiny weights it answered -0.3387 where a point of the same LP has
// -2.0530 (the differential soak, benchmarks/soak, seed 2002255), so brute reported a worst
// margin above the true one. The solvers/z3 engine already avoids Optimize for the same reason.
// Here its answer is only a candidate: check-sat of "objective < candidate" must be unsat (then it
// is the exact minimum); otherwise the minimum is bisected with check-sat between a certified
// lower end (`lower_start`, or a bound from an unsat check) and the best point found, to within
// 1e-12 relative. Every point is re-checked exactly against the rows and the box.
LpAnswer z3_lp(const ExactLp& lp, bool optimise, const mpq_class& lower_start) {
  LpAnswer ans;
  z3::context c;
  const size_t n = lp.lo.size();
  z3::expr_vector v(c);
  for (size_t j = 0; j < n; ++j) v.push_back(c.real_const(("v" + std::to_string(j)).c_str()));
  auto number = [&](const mpq_class& q) { return c.real_val(q_str(q).c_str()); };
  auto affine = [&](const Affine& f) {
    z3::expr s = number(f.c);
    for (size_t j = 0; j < n; ++j)
      if (f.a[j] != 0) s = s + number(f.a[j]) * v[static_cast<int>(j)];
    return s;
  };
  auto add_constraints = [&](auto& solver) {
    for (size_t j = 0; j < n; ++j) {
      solver.add(v[static_cast<int>(j)] >= number(lp.lo[j]));
      solver.add(v[static_cast<int>(j)] <= number(lp.hi[j]));
    }
    for (const auto& r : lp.rows) solver.add(affine(r) <= c.real_val(0));
  };
  // A model's point, exactly; nullopt when it violates the box or a row (never expected).
  auto point_of = [&](const z3::model& m) -> std::optional<std::vector<mpq_class>> {
    std::vector<mpq_class> x(n);
    for (size_t j = 0; j < n; ++j) {
      std::string s;
      if (!m.eval(v[static_cast<int>(j)], true).is_numeral(s)) throw util::InternalError("brute: Z3 value is not a numeral");
      x[j] = mpq_class(s);
      x[j].canonicalize();
      if (x[j] < lp.lo[j] || x[j] > lp.hi[j]) return std::nullopt;
    }
    for (const auto& r : lp.rows)
      if (eval(r, x) > 0) return std::nullopt;
    return x;
  };
  auto value_at = [&](const std::vector<mpq_class>& x) { return eval(lp.objective, x); };
  auto to_doubles = [&](const std::vector<mpq_class>& x) {
    std::vector<double> d(n);
    for (size_t j = 0; j < n; ++j) d[j] = std::clamp(x[j].get_d(), lp.lo[j].get_d(), lp.hi[j].get_d());
    return d;
  };
  z3::solver s(c);
  add_constraints(s);
  switch (s.check()) {
    case z3::unsat: ans.infeasible = true; return ans;
    case z3::unknown: throw util::InternalError("brute: Z3 could not solve an exact LP");
    case z3::sat: break;
  }
  std::optional<std::vector<mpq_class>> best = point_of(s.get_model());
  if (!best) throw util::InternalError("brute: Z3's point violates the LP");
  if (!optimise) {
    ans.point = to_doubles(*best);
    ans.lower = 0;
    return ans;
  }
  const z3::expr obj = affine(lp.objective);
  {  // Optimize's candidate
    z3::optimize opt(c);
    add_constraints(opt);
    opt.minimize(obj);
    if (opt.check() == z3::sat) {
      const auto x = point_of(opt.get_model());
      if (x && value_at(*x) < value_at(*best)) best = x;
    }
  }
  mpq_class upper = value_at(*best), lower = std::min(lower_start, upper);
  // "objective < t" unsat proves the minimum >= t; sat gives a point below t.
  auto below = [&](const mpq_class& t) {
    s.push();
    s.add(obj < number(t));
    const z3::check_result r = s.check();
    if (r == z3::unknown) throw util::InternalError("brute: Z3 could not solve an exact LP");
    std::optional<std::vector<mpq_class>> x;
    if (r == z3::sat) {
      x = point_of(s.get_model());
      if (!x) throw util::InternalError("brute: Z3's point violates the LP");
    }
    s.pop();
    return x;
  };
  if (auto x = below(upper)) {  // the candidate is not the minimum
    best = x;
    upper = value_at(*best);
    for (int it = 0; it < 400; ++it) {
      const mpq_class width = upper - lower;
      if (width <= mpq_class(1, 1000000000000) * (1 + abs(upper))) break;
      const mpq_class mid = (lower + upper) / 2;
      if (auto y = below(mid)) {
        best = y;
        upper = value_at(*best);
      } else {
        lower = mid;
      }
    }
  } else {
    lower = upper;  // certified: nothing below the candidate
  }
  ans.point = to_doubles(*best);
  ans.lower = lower;
  ans.exact = lower == upper;
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
  std::optional<mpq_class> lagrangian;  // Clp's certified bound, where it solved
  if (r.status == 0) {
    LpAnswer a;
    a.lower = lagrangian_bound(lp, r.duals);
    lagrangian = a.lower;
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
  // A certified lower end for Z3's bisection: the objective's minimum over the box, or Clp's
  // Lagrangian bound where it is higher.
  mpq_class start = min_over_box(lp.objective, lp.lo, lp.hi);
  if (lagrangian) start = std::max(start, *lagrangian);
  return z3_lp(lp, true, start);
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
  return !z3_lp(feas, false, 0).infeasible;
}

}  // namespace solvers::brute
