// The solver-neutral constraint model every encoding is written into (DESIGN.md "Encodings are
// interchangeable"): variables with bounds, linear rows, and the non-linear relations of a
// network -- ReLU y = max(0, x), mask gating y = m * a, cardinality, clauses, OR-of-AND
// disjunctions -- kept as relations so that each lowering (big-M, sorting network) or back end
// (Z3, the SMT-LIB2 writer) turns them into its own constraints.
#pragma once
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace encodings {

constexpr double kInf = std::numeric_limits<double>::infinity();

enum class VarKind { real, integer, boolean };

struct Variable {
  std::string name;
  VarKind kind = VarKind::real;
  double lo = -kInf, hi = kInf;  // booleans: [0, 1] (0 false, 1 true)
};

struct Term {
  int var;
  double coef;
};

enum class Sense { le, ge, eq };

// sum(terms) (<=|>=|=) rhs. A boolean variable in a term stands for 0/1.
struct LinearConstraint {
  std::vector<Term> terms;
  Sense sense = Sense::le;
  double rhs = 0.0;
  std::string name;
};

// y = max(0, x); the bounds of x (its Variable) give the big-M constants when lowered.
struct ReluRelation {
  int y, x;
  int def = -1;  // the row x - sum(w h) = b that defines x (network models), -1 when unknown
};

// An unstable ReLU the big-M lowering gave a binary (bigm.cpp): y = max(0, z), d = 1 when active,
// and rows[def] is z - sum(w v) = b (with a bounded slack term where drop_negligible_terms removed
// weights). Kept for the ideal-formulation cuts (ideal_relu_cuts.cpp), which need the affine map
// into the neuron and the box of its inputs.
struct BinaryRelu {
  int y, z, d, def;
};

// y = m * a with m boolean (1 = neuron kept, 0 = pruned; seed 003 eq. 4). The bounds of a give
// the McCormick envelope (seed 003 eq. 8) when lowered.
struct MaskRelation {
  int y, m, a;
};

struct Literal {
  int var;  // a boolean (or a 0/1 integer) variable
  bool negated = false;
};

// At least k of the literals are true (the pruning budget: at most s_k of d_k neurons pruned
// is "at least d_k - s_k of the keep bits m_k[i]").
struct AtLeast {
  std::vector<Literal> lits;
  int k = 0;
  std::string name;
};

struct Clause {
  std::vector<Literal> lits;  // OR of literals
};

// OR over cases of AND of linear rows (the unsafe region of a property, or its epigraph).
struct Disjunction {
  std::vector<std::vector<LinearConstraint>> cases;
  std::string name;
};

struct Objective {
  std::vector<Term> terms;  // minimised
  double constant = 0.0;
};

struct Model {
  std::string name;
  std::vector<std::string> comments;  // provenance lines written at the top of every file

  std::vector<Variable> vars;
  std::vector<LinearConstraint> rows;
  std::vector<ReluRelation> relus;
  std::vector<BinaryRelu> binary_relus;  // filled by lower_bigm; rows only, not a relation
  std::vector<MaskRelation> masks;
  std::vector<AtLeast> cardinalities;
  std::vector<Clause> clauses;
  std::vector<Disjunction> disjunctions;
  std::optional<Objective> objective;  // absent: a feasibility (decision) model
  // A decision model that carries an objective only to guide the search: every feasible point
  // answers the question, so a solver may stop at the first one and its value is no bound.
  bool any_solution = false;

  // Where the verification problem lives, for reading witnesses back.
  std::vector<int> input_vars;               // x, one per network input
  std::vector<int> output_vars;              // y, one per network output
  std::vector<std::vector<int>> mask_vars;   // [hidden layer][neuron]: keep bit, -1 when fixed to kept
  int margin_var = -1;                       // t (optimisation models), -1 otherwise
  int disjunct = -1;                         // per-class models: the disjunct encoded, -1 = all

  int add_var(std::string name, VarKind kind, double lo, double hi);
  // True when only variables, linear rows and the objective are left (a MILP).
  bool is_linear() const;
  bool has_integers() const;
};

// Interval of sum(terms) + constant over the variable bounds (may be infinite).
struct Interval {
  double lo, hi;
};
Interval interval_of(const Model& model, const std::vector<Term>& terms, double constant = 0.0);

// Checks a full assignment (one value per variable) against every bound, row and relation with
// absolute tolerance tol; returns an empty string when it satisfies the model, otherwise a line
// naming the first violated item. Used by tests and as a debug check of back-end answers.
std::string check_assignment(const Model& model, const std::vector<double>& values, double tol = 1e-6);

// Counts for reports: "vars 120 (int 30, bool 0), rows 200, relu 30, mask 0, ...".
std::string summary(const Model& model);

}  // namespace encodings
