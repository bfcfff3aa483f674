// Internal to substitute/: surgery on layered networks shared by the pruners, and plain interval
// propagation through an affine layer.
#pragma once
#include <vector>

#include "src/net/network.h"

namespace substitute {

// Removes the neurons of hidden layer k not listed in `keep` (increasing indices); each removed
// neuron i outputs the constant post_value[i], folded into the next layer's bias.
void remove_neurons(net::LayeredNetwork& g, int k, const std::vector<int>& keep, const Eigen::VectorXd& post_value);

// Interval bounds (IBP) of the pre-activations of L on the box [lo, hi] of its inputs, widened
// outward by a relative 1e-12 against rounding.
struct Interval {
  Eigen::VectorXd lo, hi;
};
Interval affine_interval(const net::AffineLayer& L, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi);

// The largest radius in [lo, hi] found by bisection where holds(radius) is true, given that it
// holds at lo: stops when hi - lo <= rel_tol hi, or when hi <= floor (with lo = 0 the relative
// test alone would halve hi about 1075 times, to 0, each a bound computation).
template <class Pred>
double bisect_largest(double lo, double hi, double rel_tol, double floor, Pred holds) {
  while (hi - lo > rel_tol * hi && hi > floor) {
    const double mid = 0.5 * (lo + hi);
    (holds(mid) ? lo : hi) = mid;
  }
  return lo;
}

// Radii below this give boxes that differ from x0 only by rounding: 1e-12 (1 + |x0|_inf).
inline double radius_floor(const Eigen::VectorXd& x0) { return 1e-12 * (1.0 + x0.lpNorm<Eigen::Infinity>()); }

}  // namespace substitute
