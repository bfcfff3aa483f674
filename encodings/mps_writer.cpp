// Free-format MPS writer for linear models (a big-M MILP). Integer columns are bracketed by
// MARKER INTORG / INTEND; every column gets explicit bounds (LO/UP, FX, MI, PL, FR), so readers
// that default integer columns to [0, 1] read the same problem. Numbers are shortest round-trip
// decimals (read back as the same doubles).
#include <cmath>
#include <set>
#include <sstream>

#include "encodings/internal.h"
#include "src/util/errors.h"

namespace encodings {

namespace {

bool mps_name_ok(const std::string& s) {
  if (s.empty() || s[0] == '$') return false;
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || !std::isprint(static_cast<unsigned char>(c))) return false;
  return true;
}

// Names as given when they are valid and unique, otherwise generated ones.
std::vector<std::string> unique_names(const std::vector<std::string>& given, const char* prefix) {
  std::set<std::string> seen;
  bool ok = true;
  for (const auto& n : given) ok = ok && mps_name_ok(n) && seen.insert(n).second && n != "obj" && n != "RHS" && n != "BND";
  std::vector<std::string> out;
  for (size_t i = 0; i < given.size(); ++i) out.push_back(ok ? given[i] : prefix + std::to_string(i));
  return out;
}

}  // namespace

std::string mps_text(const Model& model) {
  if (!model.is_linear())
    throw util::InputError("--format", "", "MPS needs a linear model: encode with --encoding bigm");
  Model m = model;  // an objective constant becomes a fixed column
  drop_negligible_terms(m, kSmallMatrixEntry);  // before readers drop them unrelaxed
  std::vector<Term> obj = m.objective ? m.objective->terms : std::vector<Term>{};
  if (m.objective && m.objective->constant != 0.0) {
    int c = m.add_var("obj_constant", VarKind::real, 1.0, 1.0);
    obj.push_back({c, m.objective->constant});
  }
  std::vector<std::string> vnames, rnames;
  for (const auto& v : m.vars) vnames.push_back(v.name);
  for (const auto& r : m.rows) rnames.push_back(r.name);
  vnames = unique_names(vnames, "C");
  rnames = unique_names(rnames, "R");

  // Column-wise coefficients (row -1 = objective); duplicate terms of a row are summed.
  std::vector<std::vector<std::pair<int, double>>> cols(m.vars.size());
  for (const auto& t : obj) cols[t.var].push_back({-1, t.coef});
  for (size_t i = 0; i < m.rows.size(); ++i)
    for (const auto& t : m.rows[i].terms) {
      auto& col = cols[t.var];
      if (!col.empty() && col.back().first == static_cast<int>(i)) col.back().second += t.coef;
      else col.push_back({static_cast<int>(i), t.coef});
    }

  std::ostringstream o;
  for (const auto& c : m.comments) o << "* " << c << "\n";
  o << "* " << summary(model) << "\n";
  o << "NAME prunecert\nROWS\n N obj\n";
  for (size_t i = 0; i < m.rows.size(); ++i) {
    const char* s = m.rows[i].sense == Sense::le ? "L" : m.rows[i].sense == Sense::ge ? "G" : "E";
    o << " " << s << " " << rnames[i] << "\n";
  }
  o << "COLUMNS\n";
  bool in_int = false;
  int markers = 0;
  for (size_t j = 0; j < m.vars.size(); ++j) {
    const bool is_int = m.vars[j].kind != VarKind::real;
    if (is_int != in_int) {
      o << " MARKER" << markers++ << " 'MARKER' " << (is_int ? "'INTORG'" : "'INTEND'") << "\n";
      in_int = is_int;
    }
    bool written = false;
    for (const auto& [r, v] : cols[j]) {
      if (v == 0.0) continue;
      written = true;
      o << " " << vnames[j] << " " << (r < 0 ? std::string("obj") : rnames[r]) << " " << shortest_double(v) << "\n";
    }
    if (!written) o << " " << vnames[j] << " obj 0\n";  // a column must appear to exist
  }
  if (in_int) o << " MARKER" << markers++ << " 'MARKER' 'INTEND'\n";
  o << "RHS\n";
  for (size_t i = 0; i < m.rows.size(); ++i)
    if (m.rows[i].rhs != 0.0) o << " RHS " << rnames[i] << " " << shortest_double(m.rows[i].rhs) << "\n";
  o << "BOUNDS\n";
  for (size_t j = 0; j < m.vars.size(); ++j) {
    const auto& v = m.vars[j];
    const std::string& n = vnames[j];
    const bool flo = std::isfinite(v.lo), fhi = std::isfinite(v.hi);
    if (flo && fhi && v.lo == v.hi) {
      o << " FX BND " << n << " " << shortest_double(v.lo) << "\n";
    } else if (!flo && !fhi) {
      o << " FR BND " << n << "\n";
    } else {
      if (flo) o << " LO BND " << n << " " << shortest_double(v.lo) << "\n";
      else o << " MI BND " << n << "\n";
      if (fhi) o << " UP BND " << n << " " << shortest_double(v.hi) << "\n";
      else o << " PL BND " << n << "\n";
    }
  }
  o << "ENDATA\n";
  return o.str();
}

}  // namespace encodings
