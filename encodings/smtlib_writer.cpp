// SMT-LIB2 writer for any model: QF_LRA (reals and Booleans), QF_LIRA (with integers, i.e. a
// big-M model), or ALL when pseudo-Boolean at-least constraints are kept (Z3's `(_ at-least k)`).
// Numbers are exact decimals of the doubles. ReLU h = max(0, z) is written as the disjunction
// h >= 0, h >= z, (h <= z or h <= 0); masks as p = ite(m, a, 0). An objective becomes Z3's
// `(minimize t)` with `(get-objectives)`; decision models end with `(check-sat)`.
#include <cmath>
#include <sstream>

#include "encodings/internal.h"

namespace encodings {

namespace {

bool simple_symbol(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("~!@$%^&*_-+=<>.?/").find(c) == std::string::npos)
      return false;
  return true;
}

class SmtWriter {
 public:
  explicit SmtWriter(const Model& m) : m_(m) {
    for (const auto& v : m.vars) names_.push_back(simple_symbol(v.name) ? v.name : "|" + v.name + "|");
  }

  std::string text() {
    for (const auto& c : m_.comments) out_ << "; " << c << "\n";
    out_ << "; " << summary(m_) << "\n";
    const bool pb = !m_.cardinalities.empty();
    const char* logic = pb ? "ALL" : (m_.has_integers() ? "QF_LIRA" : "QF_LRA");
    if (pb) out_ << "; uses Z3's pseudo-Boolean (_ at-least k)\n";
    if (m_.objective) out_ << "; uses Z3's (minimize ...) extension\n";
    out_ << "(set-info :smt-lib-version 2.6)\n(set-option :produce-models true)\n(set-logic " << logic << ")\n";
    for (size_t j = 0; j < m_.vars.size(); ++j) {
      const auto& v = m_.vars[j];
      const char* sort = v.kind == VarKind::real ? "Real" : v.kind == VarKind::integer ? "Int" : "Bool";
      out_ << "(declare-fun " << names_[j] << " () " << sort << ")\n";
    }
    for (size_t j = 0; j < m_.vars.size(); ++j) {
      const auto& v = m_.vars[j];
      if (v.kind == VarKind::boolean) {
        if (v.lo > 0.5) out_ << "(assert " << names_[j] << ")\n";
        if (v.hi < 0.5) out_ << "(assert (not " << names_[j] << "))\n";
        continue;
      }
      const std::string x = num_var(static_cast<int>(j));
      if (std::isfinite(v.lo) && v.lo == v.hi) {
        out_ << "(assert (= " << x << " " << number(v.lo, v.kind) << "))\n";
        continue;
      }
      if (std::isfinite(v.lo)) out_ << "(assert (<= " << number(v.lo, v.kind) << " " << x << "))\n";
      if (std::isfinite(v.hi)) out_ << "(assert (<= " << x << " " << number(v.hi, v.kind) << "))\n";
    }
    for (const auto& r : m_.rows) out_ << "(assert " << row(r) << ")\n";
    for (const auto& r : m_.relus) {
      const std::string h = num_var(r.y), z = num_var(r.x);
      out_ << "(assert (and (>= " << h << " 0.0) (>= " << h << " " << z << ") (or (<= " << h << " " << z << ") (<= " << h
           << " 0.0))))\n";
    }
    for (const auto& g : m_.masks)
      out_ << "(assert (= " << num_var(g.y) << " (ite " << bool_var(g.m) << " " << num_var(g.a) << " 0.0)))\n";
    for (const auto& c : m_.cardinalities) {
      out_ << "(assert ((_ at-least " << c.k << ")";
      for (const auto& l : c.lits) out_ << " " << lit(l);
      out_ << "))\n";
    }
    for (const auto& c : m_.clauses) {
      if (c.lits.empty()) {
        out_ << "(assert false)\n";
      } else if (c.lits.size() == 1) {
        out_ << "(assert " << lit(c.lits[0]) << ")\n";
      } else {
        out_ << "(assert (or";
        for (const auto& l : c.lits) out_ << " " << lit(l);
        out_ << "))\n";
      }
    }
    for (const auto& d : m_.disjunctions) {
      out_ << "(assert (or";
      if (d.cases.empty()) out_ << " false";
      for (const auto& conj : d.cases) {
        out_ << "\n  (and";
        for (const auto& r : conj) out_ << " " << row(r);
        if (conj.empty()) out_ << " true";
        out_ << ")";
      }
      out_ << "))\n";
    }
    if (m_.objective) {
      out_ << "(minimize " << sum(m_.objective->terms, m_.objective->constant) << ")\n(check-sat)\n(get-objectives)\n";
    } else {
      out_ << "(check-sat)\n";
    }
    return out_.str();
  }

 private:
  // A variable as a Real term: integers through to_real, Booleans as 0/1.
  std::string num_var(int j) const {
    switch (m_.vars[j].kind) {
      case VarKind::real: return names_[j];
      case VarKind::integer: return "(to_real " + names_[j] + ")";
      case VarKind::boolean: return "(ite " + names_[j] + " 1.0 0.0)";
    }
    return names_[j];
  }
  std::string bool_var(int j) const {
    if (m_.vars[j].kind == VarKind::boolean) return names_[j];
    return "(>= " + num_var(j) + " 0.5)";
  }
  std::string lit(const Literal& l) const {
    const std::string b = bool_var(l.var);
    return l.negated ? "(not " + b + ")" : b;
  }
  static std::string number(double v, VarKind) { return smt_number(v); }
  std::string sum(const std::vector<Term>& terms, double constant) const {
    std::vector<std::string> parts;
    for (const auto& t : terms) {
      if (t.coef == 0.0) continue;
      parts.push_back(t.coef == 1.0 ? num_var(t.var) : "(* " + smt_number(t.coef) + " " + num_var(t.var) + ")");
    }
    if (constant != 0.0 || parts.empty()) parts.push_back(smt_number(constant));
    if (parts.size() == 1) return parts[0];
    std::string s = "(+";
    for (const auto& p : parts) s += " " + p;
    return s + ")";
  }
  std::string row(const LinearConstraint& r) const {
    const char* op = r.sense == Sense::le ? "<=" : r.sense == Sense::ge ? ">=" : "=";
    return std::string("(") + op + " " + sum(r.terms, 0.0) + " " + smt_number(r.rhs) + ")";
  }

  const Model& m_;
  std::vector<std::string> names_;
  std::ostringstream out_;
};

}  // namespace

std::string smtlib_text(const Model& model) { return SmtWriter(model).text(); }

}  // namespace encodings
