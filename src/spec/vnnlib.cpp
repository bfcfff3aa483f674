// VNN-LIB reader and printer (accepted subset in vnnlib.h). Text -> s-expressions with line
// numbers -> each assert in disjunctive normal form over atoms (a bound on one X_i, or a row
// c.y <= d) -> the conjunction of all asserts as one DNF -> each disjunct split into its input
// box and its output rows; disjuncts with the same box form one case. < and > are read as <= and
// >= (the sets differ by measure zero, which no engine can tell apart); = as both <= and >=.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "src/spec/vnnlib.h"
#include "src/util/errors.h"

namespace spec {
namespace {

// Caps that keep crafted files from exhausting the stack or the memory.
constexpr size_t kMaxDepth = 256;                // s-expression nesting (real files use 4)
constexpr size_t kMaxDisjuncts = 10000;          // disjuncts of any DNF
constexpr size_t kMaxAtomRefs = 10'000'000;      // atoms summed over the disjuncts of any DNF
constexpr size_t kMaxCoefficients = 20'000'000;  // output rows times outputs, over the whole Spec
constexpr int kMaxIndexDigits = 7;               // X_i / Y_i with i < 10^7

struct SExpr {
  std::string atom;  // empty for a list (atoms are never empty)
  std::vector<SExpr> items;
  int line = 0;
  bool is_list() const { return atom.empty(); }
  std::string head() const { return is_list() && !items.empty() ? items[0].atom : ""; }
  size_t num_args() const { return items.empty() ? 0 : items.size() - 1; }
};

struct Var {
  bool output = false;  // Y_i, else X_i
  int index = 0;
  auto operator<=>(const Var&) const = default;
  std::string name() const { return (output ? "Y_" : "X_") + std::to_string(index); }
};

// sum of coef * var + constant
struct Linear {
  std::map<Var, double> coef;
  double constant = 0.0;
  bool is_constant() const { return coef.empty(); }
  Linear& operator+=(const Linear& o) {
    for (const auto& [v, c] : o.coef) coef[v] += c;
    constant += o.constant;
    return *this;
  }
  Linear& operator*=(double s) {
    for (auto& [v, c] : coef) c *= s;
    constant *= s;
    return *this;
  }
};

// Either the bound X_x <= value (upper) / X_x >= value, or (x < 0) the row sum_j c_j Y_j <= value.
struct Atom {
  int line = 0;
  int x = -1;
  bool upper = false;
  double value = 0.0;
  std::vector<std::pair<int, double>> y;
};

struct Dnf {
  std::vector<std::vector<const Atom*>> disjuncts;  // OR of ANDs
  size_t refs = 0;                                  // sum of the disjuncts' sizes
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string quote(const std::string& s) { return "'" + s.substr(0, 40) + (s.size() > 40 ? "...'" : "'"); }

std::optional<Var> parse_var(const std::string& s) {
  if (s.size() < 3 || s.size() > 2 + kMaxIndexDigits || (s[0] != 'X' && s[0] != 'Y') || s[1] != '_') return {};
  if (s.size() > 3 && s[2] == '0') return {};  // X_01 is not X_1: an unknown symbol
  Var v{s[0] == 'Y', 0};
  auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), v.index);
  if (ec != std::errc() || end != s.data() + s.size() || s[2] == '-' || s[2] == '+') return {};
  return v;
}

class Parser {
 public:
  explicit Parser(const std::string& source) : source_(source) {}

  Spec parse(const std::string& text) {
    Dnf all;
    all.disjuncts.emplace_back();  // true
    for (const SExpr& cmd : read_sexprs(text)) {
      const std::string head = cmd.head();
      if (head == "declare-const") {
        declare(cmd);
      } else if (head == "assert") {
        if (cmd.items.size() != 2) fail(cmd.line, "assert takes one formula");
        all = conjoin(std::move(all), formula(cmd.items[1]), cmd.line);
      } else {
        fail(cmd.line, "unknown command " + quote(head.empty() ? "(" : head) + " (expected declare-const or assert)");
      }
    }
    Spec spec;
    spec.num_inputs = check_declared(false);
    spec.num_outputs = check_declared(true);
    assemble(all, spec);
    return spec;
  }

 private:
  [[noreturn]] void fail(int line, const std::string& problem) const {
    throw util::InputError(source_, "line " + std::to_string(line), problem);
  }

  // Top-level lists, built without recursion; nesting is capped so later recursion is bounded.
  std::vector<SExpr> read_sexprs(const std::string& text) {
    std::vector<SExpr> open(1);  // open[0] collects the top level
    int line = 1;
    for (size_t i = 0; i < text.size();) {
      const char ch = text[i];
      if (ch == '\n') {
        ++line;
        ++i;
      } else if (std::isspace(static_cast<unsigned char>(ch))) {
        ++i;
      } else if (ch == ';') {
        while (i < text.size() && text[i] != '\n') ++i;
      } else if (ch == '(') {
        if (open.size() > kMaxDepth) fail(line, "expressions nested deeper than " + std::to_string(kMaxDepth));
        open.emplace_back().line = last_line_ = line;
        ++i;
      } else if (ch == ')') {
        if (open.size() == 1) fail(line, "unbalanced ')'");
        last_line_ = line;
        SExpr done = std::move(open.back());
        open.pop_back();
        open.back().items.push_back(std::move(done));
        ++i;
      } else {
        size_t j = i;
        while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != '(' &&
               text[j] != ')' && text[j] != ';')
          ++j;
        SExpr a{text.substr(i, j - i), {}, line};
        last_line_ = line;
        if (open.size() == 1) fail(line, "expected '(' before " + quote(a.atom));
        open.back().items.push_back(std::move(a));
        i = j;
      }
    }
    if (open.size() > 1) fail(open.back().line, "unbalanced '(': not closed by the end of the file");
    return std::move(open[0].items);
  }

  void declare(const SExpr& cmd) {
    if (cmd.items.size() != 3 || cmd.items[1].is_list() || cmd.items[2].atom != "Real")
      fail(cmd.line, "expected (declare-const X_i Real) or (declare-const Y_i Real)");
    auto v = parse_var(cmd.items[1].atom);
    if (!v) fail(cmd.line, "cannot declare " + quote(cmd.items[1].atom) + ": only X_i and Y_i are supported");
    if (!declared_[v->output].emplace(v->index, cmd.line).second) fail(cmd.line, v->name() + " is declared twice");
  }

  // The number of X (or Y) variables; their indices must be 0..n-1.
  int check_declared(bool output) const {
    const auto& d = declared_[output];
    const char* name = output ? "output variable Y_i" : "input variable X_i";
    if (d.empty()) fail(last_line_, std::string("no ") + name + " is declared");
    const int n = static_cast<int>(d.size());
    if (d.rbegin()->first != n - 1) {
      int missing = 0;
      while (d.count(missing)) ++missing;
      fail(d.rbegin()->second, Var{output, d.rbegin()->first}.name() + " is declared but " +
                                   Var{output, missing}.name() + " is not (indices must be 0..n-1)");
    }
    return n;
  }

  Linear term(const SExpr& e) {
    Linear out;
    if (!e.is_list()) {
      if (auto v = parse_var(e.atom)) {
        if (!declared_[v->output].count(v->index)) fail(e.line, "undeclared variable " + v->name());
        out.coef[*v] = 1.0;
      } else {
        const char* end = e.atom.data() + e.atom.size();
        auto [stop, ec] = std::from_chars(e.atom.data(), end, out.constant);
        if (stop != end) fail(e.line, "unknown symbol " + quote(e.atom));
        if (ec != std::errc() || !std::isfinite(out.constant)) fail(e.line, "number out of range " + quote(e.atom));
      }
      return out;
    }
    const std::string op = e.head();
    const size_t n = e.num_args();
    if (op == "+" && n >= 1) {
      for (size_t i = 1; i <= n; ++i) out += term(e.items[i]);
    } else if (op == "-" && n >= 1) {
      out = term(e.items[1]);
      if (n == 1) out *= -1.0;
      for (size_t i = 2; i <= n; ++i) out += term(e.items[i]) *= -1.0;
    } else if (op == "*" && n >= 1) {
      out = term(e.items[1]);
      for (size_t i = 2; i <= n; ++i) {
        Linear f = term(e.items[i]);
        if (!f.is_constant() && !out.is_constant()) fail(e.line, "nonlinear term (a product of variables)");
        if (f.is_constant()) std::swap(f, out);
        out = std::move(f *= out.constant);  // out is constant here
      }
    } else if (op == "/" && n == 2) {
      out = term(e.items[1]);
      const Linear div = term(e.items[2]);
      if (!div.is_constant()) fail(e.line, "nonlinear term (division by a variable)");
      if (div.constant == 0) fail(e.line, "division by zero");
      for (auto& [v, c] : out.coef) c /= div.constant;
      out.constant /= div.constant;
    } else {
      fail(e.line, "expected a number, a variable or (+ - * /) of linear terms, found (" + quote(op) + " ...)");
    }
    return out;
  }

  Dnf formula(const SExpr& e) {
    const std::string op = e.head();
    const size_t n = e.num_args();
    if ((op == "and" || op == "or") && n >= 1) {
      Dnf out = formula(e.items[1]);
      for (size_t i = 2; i <= n; ++i) {
        Dnf f = formula(e.items[i]);
        if (op == "and") {
          out = conjoin(std::move(out), std::move(f), e.line);
        } else {
          check_size(out.disjuncts.size() + f.disjuncts.size(), out.refs + f.refs, e.line);
          for (auto& d : f.disjuncts) out.disjuncts.push_back(std::move(d));
          out.refs += f.refs;
        }
      }
      return out;
    }
    if ((op == "<=" || op == "<" || op == ">=" || op == ">" || op == "=") && n >= 2) {
      std::vector<const Atom*> conj;
      Linear prev = term(e.items[1]);
      for (size_t i = 2; i <= n; ++i) {
        Linear next = term(e.items[i]);
        Linear diff = prev;
        diff += Linear(next) *= -1.0;  // prev - next
        if (op != ">=" && op != ">") conj.push_back(atom(diff, e.line));  // prev <= next
        if (op != "<=" && op != "<") conj.push_back(atom(diff *= -1.0, e.line));
        prev = std::move(next);
      }
      const size_t refs = conj.size();
      return Dnf{{std::move(conj)}, refs};
    }
    fail(e.line, "expected (<= a b), (>= a b), (and ...) or (or ...), found " +
                     (e.is_list() ? "(" + quote(op) + " ...)" : quote(e.atom)));
  }

  // The atom for lin <= 0.
  const Atom* atom(Linear lin, int line) {
    std::erase_if(lin.coef, [](const auto& vc) { return vc.second == 0.0; });
    for (const auto& [v, c] : lin.coef)
      if (!std::isfinite(c)) fail(line, "a coefficient of " + v.name() + " is out of range");
    if (!std::isfinite(lin.constant)) fail(line, "a constant is out of range");
    if (lin.coef.empty()) fail(line, "the constraint has no variables");
    Atom& a = atoms_.emplace_back();
    a.line = line;
    const auto [first, c0] = *lin.coef.begin();
    if (!first.output) {
      if (lin.coef.rbegin()->first.output) fail(line, "a constraint cannot mix inputs X_i and outputs Y_j");
      if (lin.coef.size() > 1) fail(line, "an input constraint must bound a single X_i (only boxes are supported)");
      a.x = first.index;
      a.upper = c0 > 0;
      a.value = -lin.constant / c0;
      if (!std::isfinite(a.value)) fail(line, "the bound on " + first.name() + " is out of range");
    } else {
      for (const auto& [v, c] : lin.coef) a.y.emplace_back(v.index, c);
      a.value = 0.0 - lin.constant;  // 0.0 - x never yields -0.0
    }
    return &a;
  }

  void check_size(size_t disjuncts, size_t refs, int line) const {
    if (disjuncts > kMaxDisjuncts)
      fail(line, "the formula in disjunctive normal form has more than " + std::to_string(kMaxDisjuncts) +
                     " disjuncts");
    if (refs > kMaxAtomRefs)
      fail(line, "the formula in disjunctive normal form has more than " + std::to_string(kMaxAtomRefs) + " atoms");
  }

  // (OR_i a_i) AND (OR_j b_j) = OR_ij (a_i AND b_j), in the order i-major.
  Dnf conjoin(Dnf a, Dnf b, int line) const {
    const size_t na = a.disjuncts.size(), nb = b.disjuncts.size();  // each <= kMaxDisjuncts
    const size_t refs = a.refs * nb + b.refs * na;
    check_size(na * nb, refs, line);
    if (nb == 1) {  // the common case (one assert after another): append in place
      for (auto& da : a.disjuncts) da.insert(da.end(), b.disjuncts[0].begin(), b.disjuncts[0].end());
      a.refs = refs;
      return a;
    }
    Dnf out{{}, refs};
    out.disjuncts.reserve(na * nb);
    for (const auto& da : a.disjuncts)
      for (const auto& db : b.disjuncts) {
        auto& d = out.disjuncts.emplace_back(da);
        d.insert(d.end(), db.begin(), db.end());
      }
    return out;
  }

  // Splits each disjunct into its box and its rows; disjuncts with equal boxes share a case.
  void assemble(const Dnf& all, Spec& spec) const {
    const int nx = spec.num_inputs, ny = spec.num_outputs;
    const double inf = std::numeric_limits<double>::infinity();
    std::map<std::vector<double>, size_t> case_of_box;  // lo then hi
    size_t coefficients = 0;
    for (const auto& conj : all.disjuncts) {
      Box box{Vector::Constant(nx, -inf), Vector::Constant(nx, inf)};
      std::vector<int> lo_line(nx, 0), hi_line(nx, 0);  // line of the tightest bound, 0 = none
      Conjunction rows;
      for (const Atom* a : conj) {
        if (a->x >= 0) {
          double& bound = a->upper ? box.hi[a->x] : box.lo[a->x];
          if (a->upper ? a->value < bound : a->value > bound) {
            bound = a->value;
            (a->upper ? hi_line : lo_line)[a->x] = a->line;
          }
          continue;
        }
        Row& r = rows.rows.emplace_back(Row{Vector::Zero(ny), a->value});
        for (const auto& [j, c] : a->y) r.c[j] = c;
      }
      const int line = conj.empty() ? last_line_ : conj.front()->line;
      for (int i = 0; i < nx; ++i) {
        const int decl = declared_[false].at(i);
        if (!lo_line[i]) fail(hi_line[i] ? hi_line[i] : decl, "X_" + std::to_string(i) + " has no lower bound");
        if (!hi_line[i]) fail(lo_line[i], "X_" + std::to_string(i) + " has no upper bound");
        if (box.lo[i] > box.hi[i])
          fail(std::max(lo_line[i], hi_line[i]), "X_" + std::to_string(i) + " has lower bound " + num(box.lo[i]) +
                                                     " > upper bound " + num(box.hi[i]));
      }
      if (rows.rows.empty()) fail(line, "no constraint on the outputs Y_j for this input box");
      coefficients += rows.rows.size() * ny;
      if (coefficients > kMaxCoefficients)
        fail(line, "the output property has more than " + std::to_string(kMaxCoefficients) + " coefficients");

      std::vector<double> key(box.lo.begin(), box.lo.end());
      key.insert(key.end(), box.hi.begin(), box.hi.end());
      auto [it, is_new] = case_of_box.emplace(std::move(key), spec.cases.size());
      if (is_new) spec.cases.push_back({std::move(box), {}});
      spec.cases[it->second].property.disjuncts.push_back(std::move(rows));
    }
  }

  const std::string& source_;
  std::map<int, int> declared_[2];  // [output][index] = line of the declaration
  std::deque<Atom> atoms_;          // stable addresses for the DNFs
  int last_line_ = 1;               // of the last token
};

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : " ") + p;
  return s;
}

// (<= X_i hi) (>= X_i lo) for every i.
std::vector<std::string> bound_atoms(const Box& b) {
  std::vector<std::string> out;
  for (int i = 0; i < b.dim(); ++i) {
    const std::string x = "X_" + std::to_string(i);
    out.push_back("(<= " + x + " " + num(b.hi[i]) + ")");
    out.push_back("(>= " + x + " " + num(b.lo[i]) + ")");
  }
  return out;
}

// (<= c.y d) for every row, zero coefficients left out.
std::vector<std::string> row_atoms(const Conjunction& conj) {
  std::vector<std::string> out;
  for (const Row& r : conj.rows) {
    std::vector<std::string> terms;
    for (Eigen::Index j = 0; j < r.c.size(); ++j) {
      const std::string y = "Y_" + std::to_string(j);
      if (r.c[j] == 1.0) terms.push_back(y);
      else if (r.c[j] == -1.0) terms.push_back("(- " + y + ")");
      else if (r.c[j] != 0.0) terms.push_back("(* " + num(r.c[j]) + " " + y + ")");
    }
    const std::string lhs = terms.empty() ? "0" : terms.size() == 1 ? terms[0] : "(+ " + join(terms) + ")";
    out.push_back("(<= " + lhs + " " + num(r.d) + ")");
  }
  return out;
}

}  // namespace

Spec parse_vnnlib(const std::string& text, const std::string& source_name) {
  return Parser(source_name).parse(text);
}

Spec read_vnnlib(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw util::InputError(path, "", "cannot open the file");
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad()) throw util::InputError(path, "", "cannot read the file");
  return parse_vnnlib(text.str(), path);
}

std::string print_vnnlib(const Spec& spec) {
  std::string out = "; written by prunecert\n\n";
  for (int i = 0; i < spec.num_inputs; ++i) out += "(declare-const X_" + std::to_string(i) + " Real)\n";
  out += "\n";
  for (int j = 0; j < spec.num_outputs; ++j) out += "(declare-const Y_" + std::to_string(j) + " Real)\n";
  out += "\n";
  if (spec.cases.size() == 1) {
    const SpecCase& c = spec.cases[0];
    for (const auto& b : bound_atoms(c.box)) out += "(assert " + b + ")\n";
    out += "\n";
    const auto& disjuncts = c.property.disjuncts;
    if (disjuncts.size() == 1) {
      for (const auto& r : row_atoms(disjuncts[0])) out += "(assert " + r + ")\n";
    } else {
      out += "(assert (or\n";
      for (const auto& d : disjuncts) out += "    (and " + join(row_atoms(d)) + ")\n";
      out += "))\n";
    }
  } else {
    // One disjunct per (case, output conjunction); parse_vnnlib groups them back by box.
    out += "(assert (or\n";
    for (const SpecCase& c : spec.cases) {
      const std::string box = join(bound_atoms(c.box));
      for (const auto& d : c.property.disjuncts) out += "    (and " + box + " " + join(row_atoms(d)) + ")\n";
    }
    out += "))\n";
  }
  return out;
}

}  // namespace spec
