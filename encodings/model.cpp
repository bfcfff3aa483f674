// The constraint model: variable bookkeeping, interval evaluation of linear forms (the source
// of every big-M constant), and an exact-enough checker of assignments used by tests and debug
// checks of back-end answers.
#include "encodings/model.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "src/util/rounding.h"

namespace encodings {

int Model::add_var(std::string var_name, VarKind kind, double lo, double hi) {
  vars.push_back({std::move(var_name), kind, lo, hi});
  return static_cast<int>(vars.size()) - 1;
}

bool Model::is_linear() const {
  return relus.empty() && masks.empty() && cardinalities.empty() && clauses.empty() && disjunctions.empty();
}

bool Model::has_integers() const {
  for (const auto& v : vars)
    if (v.kind != VarKind::real) return true;
  return false;
}

Interval interval_of(const Model& model, const std::vector<Term>& terms, double constant) {
  Interval r{constant, constant};
  double magnitude = std::abs(constant);  // of the terms summed: the scale of the rounding error
  for (const Term& t : terms) {
    const Variable& v = model.vars[t.var];
    if (t.coef == 0.0) continue;
    // 0 * inf must not poison the sum: a zero coefficient was skipped above.
    if (t.coef > 0) {
      r.lo += t.coef * v.lo;
      r.hi += t.coef * v.hi;
    } else {
      r.lo += t.coef * v.hi;
      r.hi += t.coef * v.lo;
    }
    magnitude += std::abs(t.coef) * std::max(std::abs(v.lo), std::abs(v.hi));
  }
  // Outward: n products and n sums in round-to-nearest err by at most gamma_{n+1} * magnitude
  // (Higham); the exact backends (Z3 on bigm) take these constants literally.
  const double err = std::isfinite(magnitude) ? util::rounding_gamma(terms.size() + 1.0) * magnitude : 0.0;
  if (std::isfinite(r.lo)) r.lo = std::nextafter(r.lo - err, -HUGE_VAL);
  if (std::isfinite(r.hi)) r.hi = std::nextafter(r.hi + err, HUGE_VAL);
  return r;
}

namespace {

double eval_terms(const std::vector<Term>& terms, const std::vector<double>& values) {
  double s = 0;
  for (const Term& t : terms) s += t.coef * values[t.var];
  return s;
}

bool row_holds(const LinearConstraint& c, const std::vector<double>& values, double tol) {
  const double lhs = eval_terms(c.terms, values);
  switch (c.sense) {
    case Sense::le: return lhs <= c.rhs + tol;
    case Sense::ge: return lhs >= c.rhs - tol;
    case Sense::eq: return std::abs(lhs - c.rhs) <= tol;
  }
  return false;
}

bool lit_true(const Literal& l, const std::vector<double>& values) {
  const bool v = values[l.var] > 0.5;
  return l.negated ? !v : v;
}

}  // namespace

std::string check_assignment(const Model& model, const std::vector<double>& values, double tol) {
  if (values.size() != model.vars.size()) return "assignment has the wrong number of values";
  for (size_t j = 0; j < model.vars.size(); ++j) {
    const Variable& v = model.vars[j];
    const double x = values[j];
    if (!(x >= v.lo - tol && x <= v.hi + tol)) return "bound of " + v.name;
    if (v.kind != VarKind::real && std::abs(x - std::round(x)) > tol) return "integrality of " + v.name;
  }
  for (size_t i = 0; i < model.rows.size(); ++i)
    if (!row_holds(model.rows[i], values, tol))
      return "row " + (model.rows[i].name.empty() ? std::to_string(i) : model.rows[i].name);
  for (const auto& r : model.relus)
    if (std::abs(values[r.y] - std::max(0.0, values[r.x])) > tol) return "relu " + model.vars[r.y].name;
  for (const auto& m : model.masks) {
    const double want = values[m.m] > 0.5 ? values[m.a] : 0.0;
    if (std::abs(values[m.y] - want) > tol) return "mask " + model.vars[m.y].name;
  }
  for (const auto& c : model.cardinalities) {
    int n = 0;
    for (const auto& l : c.lits) n += lit_true(l, values);
    if (n < c.k) return "cardinality " + c.name;
  }
  for (size_t i = 0; i < model.clauses.size(); ++i) {
    bool any = false;
    for (const auto& l : model.clauses[i].lits) any = any || lit_true(l, values);
    if (!any) return "clause " + std::to_string(i);
  }
  for (const auto& d : model.disjunctions) {
    bool any = false;
    for (const auto& conj : d.cases) {
      bool all = true;
      for (const auto& c : conj) all = all && row_holds(c, values, tol);
      any = any || all;
    }
    if (!any) return "disjunction " + d.name;
  }
  return "";
}

std::string summary(const Model& model) {
  int ints = 0, bools = 0;
  for (const auto& v : model.vars) {
    ints += v.kind == VarKind::integer;
    bools += v.kind == VarKind::boolean;
  }
  std::ostringstream s;
  s << "vars " << model.vars.size() << " (int " << ints << ", bool " << bools << "), rows " << model.rows.size()
    << ", relu " << model.relus.size() << ", mask " << model.masks.size() << ", cardinality "
    << model.cardinalities.size() << ", clauses " << model.clauses.size() << ", disjunctions "
    << model.disjunctions.size() << (model.objective ? ", minimise" : ", feasibility");
  return s.str();
}

}  // namespace encodings
