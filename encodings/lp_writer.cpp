// CPLEX-LP writer for linear models (a big-M MILP): Minimize / Subject To / Bounds / Generals /
// End. Every bound is written explicitly (LP's default lower bound is 0). Terms of a row on the
// same variable are merged; long rows are wrapped. Numbers are shortest round-trip decimals.
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "encodings/internal.h"
#include "src/util/errors.h"

namespace encodings {

namespace {

bool lp_name_ok(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  const char c0 = s[0];
  if (std::isdigit(static_cast<unsigned char>(c0)) || c0 == '.' || c0 == 'e' || c0 == 'E') return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("!\"#$%&()/,.;?@_`'{}|~").find(c) == std::string::npos)
      return false;
  return true;
}

std::vector<std::string> unique_names(const std::vector<std::string>& given, const char* prefix) {
  std::set<std::string> seen;
  bool ok = true;
  for (const auto& n : given) ok = ok && lp_name_ok(n) && seen.insert(n).second;
  std::vector<std::string> out;
  for (size_t i = 0; i < given.size(); ++i) out.push_back(ok ? given[i] : prefix + std::to_string(i));
  return out;
}

void write_terms(std::ostringstream& o, const std::vector<Term>& terms, const std::vector<std::string>& names,
                 const std::string& fallback_var) {
  std::map<int, double> merged;
  for (const auto& t : terms) merged[t.var] += t.coef;
  int written = 0;
  for (const auto& [var, c] : merged) {
    if (c == 0.0) continue;
    if (written > 0 && written % 8 == 0) o << "\n  ";
    o << (c < 0 || std::signbit(c) ? " - " : " + ") << shortest_double(std::abs(c)) << " " << names[var];
    ++written;
  }
  if (written == 0) o << " 0 " << fallback_var;
}

}  // namespace

std::string lp_text(const Model& model) {
  if (!model.is_linear())
    throw util::InputError("--format", "", "CPLEX-LP needs a linear model: encode with --encoding bigm");
  if (model.vars.empty()) throw util::InternalError("lp writer: model has no variables");
  Model m = model;
  drop_negligible_terms(m, kSmallMatrixEntry);  // before readers drop them unrelaxed
  std::vector<Term> obj = m.objective ? m.objective->terms : std::vector<Term>{};
  if (m.objective && m.objective->constant != 0.0) {
    int c = m.add_var("obj_constant", VarKind::real, 1.0, 1.0);
    obj.push_back({c, m.objective->constant});
  }
  std::vector<std::string> vn, rn;
  for (const auto& v : m.vars) vn.push_back(v.name);
  for (const auto& r : m.rows) rn.push_back(r.name);
  vn = unique_names(vn, "c");
  rn = unique_names(rn, "r");

  std::ostringstream o;
  for (const auto& c : m.comments) o << "\\ " << c << "\n";
  o << "\\ " << summary(model) << "\n";
  o << "Minimize\n obj:";
  write_terms(o, obj, vn, vn[0]);
  o << "\nSubject To\n";
  for (size_t i = 0; i < m.rows.size(); ++i) {
    const auto& r = m.rows[i];
    o << " " << rn[i] << ":";
    write_terms(o, r.terms, vn, vn[0]);
    o << (r.sense == Sense::le ? " <= " : r.sense == Sense::ge ? " >= " : " = ")
      << (r.rhs < 0 ? "-" + shortest_double(-r.rhs) : shortest_double(r.rhs)) << "\n";
  }
  auto num = [](double v) { return v < 0 ? "-" + shortest_double(-v) : shortest_double(v); };
  o << "Bounds\n";
  for (size_t j = 0; j < m.vars.size(); ++j) {
    const auto& v = m.vars[j];
    const bool flo = std::isfinite(v.lo), fhi = std::isfinite(v.hi);
    if (flo && fhi && v.lo == v.hi) o << " " << vn[j] << " = " << num(v.lo) << "\n";
    else if (!flo && !fhi) o << " " << vn[j] << " free\n";
    else
      o << " " << (flo ? num(v.lo) : "-inf") << " <= " << vn[j] << " <= " << (fhi ? num(v.hi) : "+inf") << "\n";
  }
  bool any_int = false;
  for (size_t j = 0; j < m.vars.size(); ++j)
    if (m.vars[j].kind != VarKind::real) {
      if (!any_int) o << "Generals\n";
      any_int = true;
      o << " " << vn[j] << "\n";
    }
  o << "End\n";
  return o.str();
}

}  // namespace encodings
