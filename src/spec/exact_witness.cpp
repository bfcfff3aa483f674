// The exact re-evaluation behind spec::confirm_witness: the network's forward pass and the
// property's rows at a point in rational arithmetic (GMP). Every double is a dyadic rational, so
// the inputs, weights, biases and rows are taken exactly and nothing is rounded: the margin's sign
// is that of the real network at the point. The double pass (problem.cpp) is the filter; a point
// it calls violated is accepted at once when its margin is below minus a rounding-error bound
// (certainly_violated), and decided here otherwise (a double margin of 0 at y = relu(x) + 1 with
// x = 1e-20 was a "confirmed" counterexample of y <= 1, which holds there: a review).
#include <gmpxx.h>

#include <cfloat>
#include <cmath>

#include "src/spec/problem.h"

namespace spec {

namespace {

// gamma_n = n u / (1 - n u), u = 2^-53: a sum of n products computed in double, in any order
// (with or without FMA), is within gamma_n times the sum of the terms' magnitudes of the exact
// sum (Higham, Accuracy and Stability of Numerical Algorithms, 3.1).
double gamma(double n) {
  const double nu = n * (DBL_EPSILON / 2);
  return nu / (1 - nu);
}

}  // namespace

bool certainly_violated(const Problem& problem, const Vector& x, const net::Mask& mask) {
  // The double forward pass and a bound E_k of its error per neuron: the inputs are exact
  // (E = 0); a layer adds gamma_{n+1} (|W| |h| + |b|) to |W| E (ReLU and the mask do not widen
  // errors). The bound itself is computed in double, enlarged by (1 + 4 gamma_{n+1}) per layer
  // for its own rounding.
  const net::LayeredNetwork& n = *problem.net;
  Vector h = x, err = Vector::Zero(x.size());
  Vector z, ez;
  for (size_t k = 0; k < n.layers.size(); ++k) {
    const net::AffineLayer& L = n.layers[k];
    const double g = gamma(static_cast<double>(L.W.cols() + 1));
    const net::Matrix absW = L.W.cwiseAbs();
    z = L.W * h + L.b;
    ez = (absW * err + g * (absW * h.cwiseAbs() + L.b.cwiseAbs())) * (1 + 4 * g);
    if (!z.allFinite() || !ez.allFinite()) return false;
    if (k + 1 == n.layers.size()) break;
    h = z.cwiseMax(0.0);
    err = ez;
    if (!mask.empty())
      for (Eigen::Index i = 0; i < h.size(); ++i)
        if (!mask[k][i]) h[i] = err[i] = 0.0;
  }
  for (const Conjunction& dj : problem.property.disjuncts) {
    bool all = true;
    for (const Row& r : dj.rows) {
      const double g = gamma(static_cast<double>(r.c.size() + 1));
      const double v = r.c.dot(z) - r.d;
      const double e = (r.c.cwiseAbs().dot(ez) + g * (r.c.cwiseAbs().dot(z.cwiseAbs()) + std::abs(r.d))) * (1 + 4 * g);
      if (!(v + e <= 0)) {  // the sign of a double sum is exact
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

bool exactly_violated(const Problem& problem, const Vector& x, const net::Mask& mask) {
  const net::LayeredNetwork& n = *problem.net;
  // GMP takes finite doubles only; a network or property with inf or NaN in it confirms nothing.
  if (!x.allFinite()) return false;
  for (const net::AffineLayer& L : n.layers)
    if (!L.W.allFinite() || !L.b.allFinite()) return false;
  for (const Conjunction& dj : problem.property.disjuncts)
    for (const Row& r : dj.rows)
      if (!r.c.allFinite() || !std::isfinite(r.d)) return false;
  std::vector<mpq_class> h(static_cast<size_t>(x.size()));
  for (Eigen::Index j = 0; j < x.size(); ++j) h[j] = mpq_class(x[j]);
  std::vector<mpq_class> z;
  for (size_t k = 0; k < n.layers.size(); ++k) {
    const net::AffineLayer& L = n.layers[k];
    z.assign(static_cast<size_t>(L.W.rows()), mpq_class(0));
    for (Eigen::Index i = 0; i < L.W.rows(); ++i) {
      mpq_class s(L.b[i]);
      for (Eigen::Index j = 0; j < L.W.cols(); ++j)
        if (L.W(i, j) != 0.0 && sgn(h[j]) != 0) s += mpq_class(L.W(i, j)) * h[j];
      z[i] = std::move(s);
    }
    if (k + 1 == n.layers.size()) break;
    h.assign(z.size(), mpq_class(0));
    for (size_t i = 0; i < z.size(); ++i)
      if (sgn(z[i]) > 0 && (mask.empty() || mask[k][i])) h[i] = z[i];
  }
  // margin(y) = min over disjuncts of max over rows of (c.y - d): violated iff some disjunct has
  // every row <= 0.
  for (const Conjunction& dj : problem.property.disjuncts) {
    bool all = true;  // an empty conjunction holds everywhere (margin -inf, as property.cpp has it)
    for (const Row& r : dj.rows) {
      mpq_class v(-r.d);
      for (Eigen::Index i = 0; i < r.c.size(); ++i)
        if (r.c[i] != 0.0) v += mpq_class(r.c[i]) * z[static_cast<size_t>(i)];
      if (sgn(v) > 0) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace spec
