// Seeded random networks, boxes, phases and masks shared by the property and differential tests.
#pragma once
#include <bit>
#include <memory>
#include <random>
#include <vector>

#include "src/bounds/bound_engine.h"
#include "src/net/network.h"
#include "src/spec/problem.h"

namespace testing_util {

inline std::shared_ptr<net::LayeredNetwork> random_network(std::mt19937_64& rng, const std::vector<int>& widths) {
  std::normal_distribution<double> N(0.0, 1.0);
  auto net = std::make_shared<net::LayeredNetwork>();
  for (size_t k = 0; k + 1 < widths.size(); ++k) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(widths[k]));
    net->layers.push_back({net::Matrix::NullaryExpr(widths[k + 1], widths[k], [&] { return scale * N(rng); }),
                           net::Vector::NullaryExpr(widths[k + 1], [&] { return 0.3 * N(rng); })});
  }
  return net;
}

inline std::vector<int> random_widths(std::mt19937_64& rng, int in_lo, int in_hi, int hidden_lo, int hidden_hi,
                                      int width_lo, int width_hi, int out_lo, int out_hi) {
  std::uniform_int_distribution<int> in(in_lo, in_hi), hid(hidden_lo, hidden_hi), w(width_lo, width_hi),
      out(out_lo, out_hi);
  std::vector<int> widths{in(rng)};
  const int K = hid(rng);
  for (int k = 0; k < K; ++k) widths.push_back(w(rng));
  widths.push_back(out(rng));
  return widths;
}

// Robustness problem around a random point (label = the prediction), with the given radius.
inline spec::Problem random_robustness_problem(std::mt19937_64& rng, std::shared_ptr<net::LayeredNetwork> net,
                                               double eps) {
  std::normal_distribution<double> N(0.0, 1.0);
  Eigen::VectorXd x0 = Eigen::VectorXd::NullaryExpr(net->input_dim(), [&] { return N(rng); });
  int label = 0;
  net->eval(x0).maxCoeff(&label);
  return spec::robustness_problem(net, x0, label, eps);
}

// A small robustness problem on a random ball: 2-5 inputs, 2-4 hidden layers of width_lo..width_hi
// neurons, 2-4 outputs, radius in [0.05, 1].
inline spec::Problem random_ball_problem(std::mt19937_64& rng, int width_lo, int width_hi) {
  const auto widths = random_widths(rng, 2, 5, 2, 4, width_lo, width_hi, 2, 4);
  auto net = random_network(rng, widths);
  const double eps = std::uniform_real_distribution<double>(0.05, 1.0)(rng);
  return random_robustness_problem(rng, net, eps);
}

inline Eigen::VectorXd sample_box(std::mt19937_64& rng, const spec::Box& box) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  Eigen::VectorXd x(box.dim());
  for (int i = 0; i < box.dim(); ++i) {
    const double u = U(rng);
    // Corners are where bounds are tight: sample them a third of the time.
    const double t = u < 0.15 ? 0.0 : (u > 0.85 ? 1.0 : U(rng));
    x[i] = box.lo[i] + t * (box.hi[i] - box.lo[i]);
  }
  return x;
}

// A random admissible mask for a subdomain (fixed bits respected, at most budget_left undecided pruned).
inline net::Mask sample_mask(std::mt19937_64& rng, const net::LayeredNetwork& net, const bounds::Subdomain& s) {
  net::Mask m = net.full_mask();
  if (s.mask.empty()) return m;
  for (int k = 0; k < net.num_hidden(); ++k) {
    std::vector<int> undecided;
    for (int i = 0; i < net.hidden_width(k); ++i) {
      if (s.mask[k][i] == 0) m[k][i] = 0;
      if (s.mask[k][i] < 0) undecided.push_back(i);
    }
    std::shuffle(undecided.begin(), undecided.end(), rng);
    const int limit = std::min<int>(s.budget_left[k], static_cast<int>(undecided.size()));
    const int count = std::uniform_int_distribution<int>(0, limit)(rng);
    for (int t = 0; t < count; ++t) m[k][undecided[t]] = 0;
  }
  return m;
}

// Every mask pruning at most s[k] neurons of hidden layer k (for widths up to about 8).
inline std::vector<net::Mask> all_masks(const net::LayeredNetwork& net, const std::vector<int>& s) {
  const int K = net.num_hidden();
  std::vector<std::vector<std::vector<uint8_t>>> per_layer(K);
  for (int k = 0; k < K; ++k) {
    const int d = net.hidden_width(k);
    for (unsigned bits = 0; bits < (1u << d); ++bits) {
      if (std::popcount(bits) > s[k]) continue;
      std::vector<uint8_t> m(d, 1);
      for (int i = 0; i < d; ++i)
        if (bits >> i & 1u) m[i] = 0;
      per_layer[k].push_back(m);
    }
  }
  std::vector<net::Mask> out;
  std::vector<size_t> pick(K, 0);
  while (true) {
    net::Mask m(K);
    for (int k = 0; k < K; ++k) m[k] = per_layer[k][pick[k]];
    out.push_back(m);
    int k = 0;
    while (k < K && ++pick[k] == per_layer[k].size()) pick[k++] = 0;
    if (k == K) break;
  }
  return out;
}

}  // namespace testing_util
