// Seeded random networks with an anchor point (x0 and its predicted label), shared by the
// substitute and transfer tests.
#pragma once
#include <memory>
#include <random>
#include <vector>

#include "src/substitute/substitute.h"
#include "tests/random_problems.h"

namespace testing_util {

struct AnchoredNetwork {
  std::shared_ptr<net::LayeredNetwork> net;
  substitute::Anchor anchor;
};

inline AnchoredNetwork random_anchored_network(uint64_t seed, const std::vector<int>& widths) {
  std::mt19937_64 rng(seed);
  AnchoredNetwork c;
  c.net = random_network(rng, widths);
  std::normal_distribution<double> N(0.0, 1.0);
  c.anchor.x0 = Eigen::VectorXd::NullaryExpr(widths.front(), [&] { return N(rng); });
  c.net->eval(c.anchor.x0).maxCoeff(&c.anchor.label);
  return c;
}

}  // namespace testing_util
