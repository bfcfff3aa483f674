// Problems whose double arithmetic goes wrong (cancellation of huge terms, a huge box, a box
// width that overflows), shared by the CPU tests (test_numerical_safety.cpp) and the CUDA
// engine's (test_cuda_engine.cpp): no bound engine may return a margin lower bound above the
// true minimum, or a first-layer interval that misses a true value.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "src/net/network.h"
#include "src/spec/problem.h"

namespace testutil {

// z = -1e16 x1 - x2 + 1e16 at the point x = (1, -1): exactly 1, but 0 in double
// (-1e16 + 1 rounds to -1e16).
inline net::AffineLayer cancelling_layer() {
  net::Matrix W(1, 2);
  W << -1e16, -1.0;
  return {W, net::Vector::Constant(1, 1e16)};
}

inline spec::Problem point_problem(std::shared_ptr<net::LayeredNetwork> net, const net::Vector& x,
                                   spec::OutputProperty property) {
  spec::Problem p;
  p.net = std::move(net);
  p.box = {x, x};
  p.property = std::move(property);
  return p;
}

// One row c.y - d; the property is violated where it is <= 0.
inline spec::OutputProperty one_row(const net::Vector& c, double d) {
  spec::Row r;
  r.c = c;
  r.d = d;
  spec::OutputProperty p;
  p.disjuncts.push_back({{r}});
  return p;
}

struct RoundingCase {
  std::string name;
  spec::Problem problem;
  double margin_at_most;  // the true minimum of the row, or a value it takes
  double z0;              // a true value of the first layer's neuron 0 over the box
};

inline std::vector<RoundingCase> rounding_cases() {
  using net::Matrix;
  using net::Vector;
  std::vector<RoundingCase> cases;
  {  // y = relu(z) = 1 at the only point; the row 0.5 - y (violated where y >= 0.5) is -0.5 there.
    auto net = std::make_shared<net::LayeredNetwork>();
    net->layers = {cancelling_layer(), {Matrix::Constant(1, 1, 1.0), Vector::Zero(1)}};
    cases.push_back({"cancellation", point_problem(net, Vector{{1.0, -1.0}}, one_row(Vector::Constant(1, -1.0), -0.5)),
                     -0.5, 1.0});
  }
  {  // z = x on [9, 1e17], y = relu(z), row y - 12: -3 at x = 9. The box's centre and radius
     // round (5e16 + 8 and 5e16 - 8), so centre - radius is 16 (a review of the CUDA engine).
    auto net = std::make_shared<net::LayeredNetwork>();
    net->layers = {{Matrix::Constant(1, 1, 1.0), Vector::Zero(1)}, {Matrix::Constant(1, 1, 1.0), Vector::Zero(1)}};
    spec::Problem p = point_problem(net, Vector::Constant(1, 9.0), one_row(Vector::Constant(1, 1.0), 12.0));
    p.box.hi = Vector::Constant(1, 1e17);
    cases.push_back({"huge box", std::move(p), -3.0, 9.0});
  }
  {  // z = x1 - x2 on [0, 1e308]^2: u - l = 2e308 overflows. y = -relu(z); row y + 1 is -9 at (10, 0).
    auto net = std::make_shared<net::LayeredNetwork>();
    Matrix W(1, 2);
    W << 1.0, -1.0;
    net->layers = {{W, Vector::Zero(1)}, {Matrix::Constant(1, 1, -1.0), Vector::Zero(1)}};
    spec::Problem p = point_problem(net, Vector::Zero(2), one_row(Vector::Constant(1, 1.0), -1.0));
    p.box.hi = Vector::Constant(2, 1e308);
    cases.push_back({"overflowing width", std::move(p), -9.0, 10.0});
  }
  return cases;
}

}  // namespace testutil
