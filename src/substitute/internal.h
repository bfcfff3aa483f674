// Internal to substitute/: surgery on layered networks shared by the pruners, and plain
// interval propagation through a layered network.
#pragma once
#include <vector>

#include "src/net/network.h"
#include "src/spec/property.h"

namespace substitute {

// Removes the neurons of hidden layer k not listed in `keep` (increasing indices); each removed
// neuron i outputs the constant post_value[i], folded into the next layer's bias.
void remove_neurons(net::LayeredNetwork& g, int k, const std::vector<int>& keep, const Eigen::VectorXd& post_value);

// Interval bounds of the pre-activations of every layer of `net` on `box` (IBP, widened outward
// by a relative 1e-12 per layer against rounding): one (lo, hi) pair per layer.
struct Interval {
  Eigen::VectorXd lo, hi;
};
std::vector<Interval> interval_bounds(const net::LayeredNetwork& net, const spec::Box& box);

}  // namespace substitute
