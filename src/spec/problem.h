// Problem and Result: what every engine takes and returns (DESIGN.md "Data flow").
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/net/network.h"
#include "src/spec/property.h"
#include "src/util/stats.h"

namespace spec {

// At most s_k neurons of hidden layer k may be pruned (post-ReLU output zeroed).
struct PruningBudget {
  std::vector<int> s;  // one entry per hidden layer
  bool any() const;
};
// Parses "s1,...,sK" (counts or "N%" of the layer width, rounded to nearest, halves up) against the
// network's hidden widths. Throws util::InputError("--budget", ...) on a wrong count, a
// negative entry or an entry above the layer's width.
PruningBudget parse_budget(const std::string& text, const net::LayeredNetwork& net);

struct Problem {
  std::shared_ptr<const net::LayeredNetwork> net;
  Box box;
  OutputProperty property;
  std::optional<PruningBudget> budget;  // pruning query when set
  std::string name;                     // for reports
};

enum class Verdict { sat, unsat, unknown, timeout };
const char* to_string(Verdict v);

struct Witness {
  Vector x;          // input in the box
  Vector y;          // outputs at x (with the mask, if any)
  net::Mask mask;    // empty unless a pruning query
};

struct Result {
  Verdict verdict = Verdict::unknown;
  double margin_lower = -std::numeric_limits<double>::infinity();  // certified lower bound of min margin
  double margin_upper = std::numeric_limits<double>::infinity();   // best margin found (attack / witness)
  std::optional<Witness> witness;  // set only for sat, confirmed by exact forward evaluation
  std::string engine;
  std::string note;                // e.g. "floating-point MILP answer"
  util::Stats stats;
  // Per disjunct of the property: true where the engine proved that disjunct unreachable on its
  // own (one model per disjunct: milp/smt with PropertyMode::per_class), also when other
  // disjuncts stayed open. Empty when the engine does not decide disjuncts separately.
  std::vector<bool> disjunct_unreachable;
};

// Re-evaluates a candidate witness and returns true when it really violates the property inside
// the box (and respects the budget); fills w.y (double). Every sat answer passes this. The double
// forward pass filters; a point it calls violated is decided by exactly_violated.
bool confirm_witness(const Problem& problem, Witness& w);
// The network (with `mask` applied where not empty) and the property's rows evaluated at x in
// rational arithmetic (exact_witness.cpp): true when x lies in the unsafe region exactly.
bool exactly_violated(const Problem& problem, const Vector& x, const net::Mask& mask);
// True when the double forward pass puts x in the unsafe region by more than a bound of its own
// rounding error (every row of some disjunct below minus that bound): then exactly_violated is
// true too, and confirm_witness skips it. False says nothing.
bool certainly_violated(const Problem& problem, const Vector& x, const net::Mask& mask);

// The L-inf ball of radius eps around x0 intersected with [clip_lo, clip_hi], in floating point
// (x0 -+ eps, then clipped): the box of robustness_problem.
Box ball_box(const Vector& x0, double eps, double clip_lo = -std::numeric_limits<double>::infinity(),
             double clip_hi = std::numeric_limits<double>::infinity());

// Robustness problem around x0: the L-inf ball of radius eps, intersected with [clip_lo, clip_hi].
Problem robustness_problem(std::shared_ptr<const net::LayeredNetwork> net, const Vector& x0, int label,
                           double eps, double clip_lo = -std::numeric_limits<double>::infinity(),
                           double clip_hi = std::numeric_limits<double>::infinity());

}  // namespace spec
