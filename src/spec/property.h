// Input boxes and output properties. A property is given as its *unsafe region* (as VNN-LIB
// does): a disjunction of conjunctions of linear rows c.y <= d over the outputs y. The
// property holds at y when no disjunct is satisfied. Its margin at y is
//     margin(y) = min over disjuncts D of  max over rows (c,d) in D of  (c.y - d),
// so margin(y) > 0 means safe, margin(y) <= 0 means y lies in the unsafe region.
// For "class t stays the arg-max" the disjuncts are {y_t - y_i <= 0}, i != t, and the
// margin is min_i (y_t - y_i).
#pragma once
#include <Eigen/Dense>
#include <string>
#include <vector>

namespace spec {

using Vector = Eigen::VectorXd;

struct Box {
  Vector lo, hi;
  int dim() const { return static_cast<int>(lo.size()); }
  bool contains(const Vector& x, double tol = 0.0) const;
  Vector center() const { return 0.5 * (lo + hi); }
};

struct Row {       // c . y <= d
  Vector c;
  double d = 0.0;
};
struct Conjunction {
  std::vector<Row> rows;
  // max over rows of c.y - d: <= 0 exactly when y satisfies every row (-inf without rows).
  double margin(const Vector& y) const;
};
struct OutputProperty {
  std::vector<Conjunction> disjuncts;  // unsafe region: OR of ANDs
  int output_dim() const;
  // With `active`: also the row that attains it (the largest row of the smallest disjunct, the
  // first on ties; null when that disjunct has no rows), e.g. for the margin's gradient.
  double margin(const Vector& y, const Row** active = nullptr) const;
  // True when y lies in the unsafe region (margin(y) <= 0).
  bool violated(const Vector& y) const { return margin(y) <= 0.0; }
};

// "class t stays the arg-max" over `num_classes` outputs.
OutputProperty robustness_property(int num_classes, int label);

// A VNN-LIB file may give several (box, property) cases (a disjunction over input boxes);
// the whole file is unsafe when any case is.
struct SpecCase {
  Box box;
  OutputProperty property;
};
struct Spec {
  std::vector<SpecCase> cases;
  int num_inputs = 0, num_outputs = 0;
};

}  // namespace spec
