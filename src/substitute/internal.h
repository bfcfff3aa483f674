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

}  // namespace substitute
