// Internal to substitute/: surgery on layered networks shared by the pruners, plain interval
// propagation through an affine layer, and floating-point error constants.
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

// Floating-point error analysis (Higham, Accuracy and Stability of Numerical Algorithms, 3.1):
// the unit roundoff of double, and gamma_n = n u / (1 - n u), which bounds the relative error of
// a sum or dot product of n terms (|fl(sum) - sum| <= gamma_n sum |terms|), in any order.
inline constexpr double kUnitRoundoff = 0x1p-53;
inline double rounding_gamma(double n) { return n * kUnitRoundoff / (1 - n * kUnitRoundoff); }

}  // namespace substitute
