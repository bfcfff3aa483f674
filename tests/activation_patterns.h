// Exact oracles over one activation pattern (shared by the bound tests): under a pattern that
// fixes every ReLU's phase, each layer's pre-activations are affine in the input, z_k = A_k x + a_k,
// and the pattern holds exactly where s z >= 0 for every neuron (s = +1 active, -1 inactive).
// With solvers/brute/exact_lp.h these give certified minima over the pattern's region.
#pragma once
#include <random>
#include <vector>

#include "solvers/brute/exact_lp.h"
#include "src/bounds/bound_engine.h"
#include "src/net/network.h"
#include "tests/random_problems.h"

namespace testing_util {

inline solvers::brute::Affine to_affine(const Eigen::RowVectorXd& a, double c) {
  solvers::brute::Affine f;
  for (Eigen::Index i = 0; i < a.size(); ++i) f.a.emplace_back(a[i]);
  f.c = c;
  return f;
}

struct PatternMaps {
  std::vector<Eigen::MatrixXd> A;  // per layer k = 0..K (K: the output layer)
  std::vector<Eigen::VectorXd> a;
};

// The affine maps of every layer under the pattern ph (per hidden layer, +1 or -1 per neuron);
// appends the pattern's constraints s z >= 0 to `rows`, as -s z <= 0.
inline PatternMaps pattern_maps(const net::LayeredNetwork& net, const std::vector<std::vector<int>>& ph,
                                std::vector<solvers::brute::Affine>& rows) {
  const int K = net.num_hidden(), n = net.input_dim();
  PatternMaps m;
  Eigen::MatrixXd A = Eigen::MatrixXd::Identity(n, n);
  Eigen::VectorXd a = Eigen::VectorXd::Zero(n);
  for (int k = 0; k <= K; ++k) {
    A = net.layers[k].W * A;
    a = net.layers[k].W * a + net.layers[k].b;
    m.A.push_back(A);
    m.a.push_back(a);
    if (k == K) break;  // the output layer: no ReLU
    for (int i = 0; i < net.hidden_width(k); ++i) {
      const double sgn = ph[k][i];
      rows.push_back(to_affine(-sgn * A.row(i), -sgn * a[i]));
      if (sgn < 0) {
        A.row(i).setZero();
        a[i] = 0;
      }
    }
  }
  return m;
}

// Random split phases of a subdomain that is not empty: the phases of a random point of the box,
// each neuron's fixed with probability p_fix (0: left open).
inline bounds::Phases random_phases(std::mt19937_64& rng, const net::LayeredNetwork& net, const spec::Box& box,
                                    double p_fix) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const auto z = net.pre_activations(sample_box(rng, box));
  bounds::Phases ph(net.num_hidden());
  for (int k = 0; k < net.num_hidden(); ++k)
    for (int i = 0; i < net.hidden_width(k); ++i) ph[k].push_back(U(rng) < p_fix ? (z[k][i] > 0 ? 1 : -1) : 0);
  return ph;
}

}  // namespace testing_util
