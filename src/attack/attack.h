// Falsifiers: they search for a counterexample and report the best point found. The public
// header of attack/. Every counterexample they report has been confirmed by exact forward
// evaluation (spec::confirm_witness); a "best point" that is not a counterexample only gives
// an upper bound on the worst margin.
#pragma once
#include <vector>

#include "src/spec/problem.h"
#include "src/util/stats.h"

namespace attack {

struct AttackOptions {
  int restarts = 10;        // random restarts (the given starting points come first)
  int steps = 50;           // signed-gradient steps per restart
  uint64_t seed = 0;
  double time_limit_s = 1e9;
};

struct AttackResult {
  bool found = false;       // a confirmed counterexample (witness violates the property)
  spec::Witness best;       // the best point (x, y) found, confirmed or not
  double best_margin = std::numeric_limits<double>::infinity();  // margin at best (exact)
};

// PGD (Madry et al. 2018) with restarts on the input box, minimising the property margin
// (signed L-inf steps, step size decaying from a quarter of the box width). Restarts begin at
// the given starts, then the box's center (only without given starts), its lower and upper
// corners, then uniform random points.
AttackResult pgd_attack(const spec::Problem& problem, const AttackOptions& options,
                        const std::vector<Eigen::VectorXd>& starts = {}, util::Stats* stats = nullptr);

// Gradient of the property margin with respect to the input at x (a subgradient where the
// active disjunct/row or a ReLU phase changes), together with the margin itself.
double margin_and_gradient(const spec::Problem& problem, const Eigen::VectorXd& x, Eigen::VectorXd* grad);

}  // namespace attack
