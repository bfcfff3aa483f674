// Margin-deviation bounds under neuron pruning (seed 003, Propositions 1-4, eq. 11). One recursion
// covers Props. 2-4: delta_k = ||W_k||_2 delta_{k-1} + ||top_{s_k}(x_k)||_2 (second term where s_k > 0),
// then Prop. 1. Departures: biases are kept (they cancel in x^p_k - x_k); spectral norms are rounded-up
// SVD values (the seed's power iteration converges from below: offered for training only); robustness
// is tested per competitor, never looser than delta < gamma.
#include "src/bounds/margin_deviation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "src/bounds/bound_engine.h"
#include "src/util/errors.h"

namespace bounds {

namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// Relative rounding-up of SVD singular values: BDCSVD is backward stable, so its error is a
// small multiple of machine epsilon times ||W||_2; 1e-9 leaves a wide margin for that.
constexpr double kSvdRoundUp = 1e-9;

void check_query(const net::LayeredNetwork& net, const VectorXd& x, const spec::PruningBudget& budget) {
  if (x.size() != net.input_dim())
    throw util::InputError("--input", "", "has " + std::to_string(x.size()) + " numbers, the network expects " +
                                              std::to_string(net.input_dim()));
  if (static_cast<int>(budget.s.size()) != net.num_hidden())
    throw util::InputError("--budget", "", "has " + std::to_string(budget.s.size()) + " entries, the network has " +
                                               std::to_string(net.num_hidden()) + " hidden layers");
  for (int k = 0; k < net.num_hidden(); ++k)
    if (budget.s[k] < 0 || budget.s[k] > net.hidden_width(k))
      throw util::InputError("--budget", "entry " + std::to_string(k + 1),
                             std::to_string(budget.s[k]) + " is outside [0, " +
                                 std::to_string(net.hidden_width(k)) + "]");
}

int proposition_for(const spec::PruningBudget& budget) {
  const int K = static_cast<int>(budget.s.size());
  const int pruned = static_cast<int>(std::count_if(budget.s.begin(), budget.s.end(), [](int s) { return s > 0; }));
  if (pruned == 0) return 0;
  if (pruned == 1) return 2;
  return pruned == K ? 3 : 4;
}

// Indices of the s largest entries of h (h >= 0 after the ReLU, so largest = largest |h|).
std::vector<int> top_indices(const VectorXd& h, int s) {
  std::vector<int> idx(h.size());
  std::iota(idx.begin(), idx.end(), 0);
  s = std::min<int>(s, static_cast<int>(h.size()));
  std::partial_sort(idx.begin(), idx.begin() + s, idx.end(), [&](int a, int b) {
    const double va = std::abs(h[a]), vb = std::abs(h[b]);
    return va != vb ? va > vb : a < b;
  });
  idx.resize(s);
  return idx;
}

// The forward part shared by bound() and backward(): nominal activations, the top-s sets and
// the recursion delta_k.
struct Recursion {
  std::vector<VectorXd> z;               // pre-activations of every layer, unpruned
  std::vector<std::vector<int>> top;     // per hidden layer, the s_k largest activations
  std::vector<double> tau;               // ||top_{s_k}(x_k)||_2
  std::vector<double> delta;             // delta_k
  // Rounding (bound() subtracts it): magnitude = |W_K| ... |W_1| |x| with the |b_k| (each layer's
  // terms are at most this in size, so rel * magnitude bounds the forward pass's error), and
  // delta_error the recursion run on the error of the top-s norms (rel * ||magnitude_k||).
  VectorXd magnitude;
  double delta_error = 0;
};

// Relative rounding allowance: the bound engines' default widening (BoundOptions::widen_rel),
// far above n u for any layer width here.
const double kRoundingRel = BoundOptions{}.widen_rel, kRoundingAbs = BoundOptions{}.widen_abs;

Recursion run_recursion(const net::LayeredNetwork& net, const VectorXd& x, const spec::PruningBudget& budget,
                        const std::vector<double>& sigma) {
  Recursion r;
  r.z = net.pre_activations(x);
  const int K = net.num_hidden();
  r.top.resize(K);
  r.tau.assign(K, 0.0);
  r.delta.assign(K, 0.0);
  double prev = 0.0, prev_error = 0.0;
  r.magnitude = x.cwiseAbs();
  for (int k = 0; k <= K; ++k) {
    r.magnitude = net.layers[k].W.cwiseAbs() * r.magnitude + net.layers[k].b.cwiseAbs();
    if (k == K) break;
    const double tau_error = budget.s[k] > 0 ? kRoundingRel * r.magnitude.norm() : 0.0;
    r.delta_error = (prev_error > 0 ? sigma[k] * prev_error : 0.0) + tau_error;
    prev_error = r.delta_error;
  }
  for (int k = 0; k < K; ++k) {
    if (budget.s[k] > 0) {
      const VectorXd h = r.z[k].cwiseMax(0.0);
      r.top[k] = top_indices(h, budget.s[k]);
      double sq = 0;
      for (int i : r.top[k]) sq += h[i] * h[i];
      r.tau[k] = std::sqrt(sq);
    }
    // Layer k's own map W_k only carries deviation from an earlier pruned layer (prev > 0).
    r.delta[k] = (prev > 0 ? sigma[k] * prev : 0.0) + r.tau[k];
    prev = r.delta[k];
  }
  return r;
}

}  // namespace

double spectral_norm_svd(const MatrixXd& W, bool round_up, VectorXd* u, VectorXd* v) {
  if (W.size() == 0) return 0.0;
  double s;
  if (u || v) {
    Eigen::BDCSVD<MatrixXd> svd(W, Eigen::ComputeThinU | Eigen::ComputeThinV);
    s = svd.singularValues()(0);
    if (u) *u = svd.matrixU().col(0);
    if (v) *v = svd.matrixV().col(0);
  } else {
    Eigen::BDCSVD<MatrixXd> svd(W);
    s = svd.singularValues()(0);
  }
  if (round_up) s = std::min(s, W.norm()) * (1.0 + kSvdRoundUp);
  return s;
}

double spectral_norm_power(const MatrixXd& W, int iterations, VectorXd* u, VectorXd* v) {
  if (W.size() == 0) return 0.0;
  if (v->size() != W.cols() || v->norm() == 0) *v = VectorXd::Ones(W.cols()) / std::sqrt(double(W.cols()));
  double s = 0;
  for (int it = 0; it < std::max(1, iterations); ++it) {
    VectorXd wu = W * *v;
    const double nu = wu.norm();
    if (nu == 0) {
      *u = VectorXd::Zero(W.rows());
      return 0.0;
    }
    *u = wu / nu;
    VectorXd wv = W.transpose() * *u;
    s = wv.norm();  // = u^T W v' for the new unit v' = wv / s; at most ||W||_2
    *v = wv / s;
  }
  return s;
}

DeviationGradient DeviationGradient::zeros_like(const net::LayeredNetwork& net) {
  DeviationGradient g;
  for (const auto& L : net.layers) {
    g.dW.push_back(MatrixXd::Zero(L.W.rows(), L.W.cols()));
    g.db.push_back(VectorXd::Zero(L.b.size()));
  }
  g.d_sigma.assign(net.layers.size(), 0.0);
  return g;
}

MarginDeviation::MarginDeviation(const net::LayeredNetwork& net, MarginDeviationOptions options)
    : options_(options) {
  if (options_.spectral == SpectralNormMethod::power) {
    // Random start vectors: a fixed start such as all-ones can be orthogonal to the top pair.
    std::mt19937_64 rng(options_.seed);
    std::normal_distribution<double> N(0.0, 1.0);
    for (const auto& L : net.layers) {
      v_.push_back(VectorXd::NullaryExpr(L.W.cols(), [&] { return N(rng); }).normalized());
      u_.push_back(VectorXd::Zero(L.W.rows()));
    }
  }
  refresh(net);
}

void MarginDeviation::refresh(const net::LayeredNetwork& net) {
  const size_t n = net.layers.size();
  sigma_.assign(n, 0.0);
  u_.resize(n);
  v_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    // The first layer's norm never enters the recursion; skip its cost (it is the widest).
    if (k == 0) continue;
    const MatrixXd& W = net.layers[k].W;
    if (options_.spectral == SpectralNormMethod::exact) sigma_[k] = spectral_norm_svd(W, true, &u_[k], &v_[k]);
    else sigma_[k] = spectral_norm_power(W, options_.power_iterations, &u_[k], &v_[k]);
  }
}

MarginDeviationResult MarginDeviation::bound(const net::LayeredNetwork& net, const VectorXd& x,
                                             const spec::OutputProperty& property,
                                             const spec::PruningBudget& budget) const {
  check_query(net, x, budget);
  if (sigma_.size() != net.layers.size())
    throw util::InternalError("MarginDeviation used with a network it was not built for");
  const Recursion r = run_recursion(net, x, budget, sigma_);
  const VectorXd& y = r.z.back();
  const MatrixXd& Wout = net.layers.back().W;
  const double delta_K = net.num_hidden() > 0 ? r.delta.back() : 0.0;

  MarginDeviationResult res;
  res.layer_delta = r.delta;
  res.proposition = proposition_for(budget);
  res.certified = certified();
  res.nominal_margin = property.margin(y);
  double lower = std::numeric_limits<double>::infinity(), delta = 0;
  for (const auto& conj : property.disjuncts) {
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& row : conj.rows) {
      if (row.c.size() != y.size())
        throw util::InternalError("output property has " + std::to_string(row.c.size()) +
                                  " coefficients, the network " + std::to_string(y.size()) + " outputs");
      // seed 003, Proposition 1 for this row: |c^T W_{K+1} (x^p_K - x_K)| <= ||W_{K+1}^T c|| delta_K,
      // rounded up (relative error of the products, error of the top-s norms from the forward
      // pass), and the row's value lowered by its forward pass's rounding error.
      // `delta` reports the seed's quantity (as backward() computes it for training).
      const double wc = (Wout.transpose() * row.c).norm();
      const double dev = wc * delta_K * (1 + kRoundingRel) + wc * r.delta_error;
      const double rounding = kRoundingRel * (row.c.cwiseAbs().dot(r.magnitude) + std::abs(row.d)) + kRoundingAbs;
      delta = std::max(delta, wc * delta_K);
      best = std::max(best, row.c.dot(y) - row.d - dev - rounding);
    }
    lower = std::min(lower, best);
  }
  res.delta = delta;
  res.margin_lower = lower;
  return res;
}

MarginDeviationResult MarginDeviation::bound(const net::LayeredNetwork& net, const VectorXd& x, int label,
                                             const spec::PruningBudget& budget) const {
  if (label < 0 || label >= net.output_dim())
    throw util::InputError("--label", "", std::to_string(label) + " is out of range: the network has " +
                                              std::to_string(net.output_dim()) + " outputs");
  return bound(net, x, spec::robustness_property(net.output_dim(), label), budget);
}

double MarginDeviation::backward(const net::LayeredNetwork& net, const VectorXd& x, int label,
                                 const spec::PruningBudget& budget, double scale, DeviationGradient* grad) const {
  check_query(net, x, budget);
  if (label < 0 || label >= net.output_dim())
    throw util::InputError("--label", "", std::to_string(label) + " is out of range");
  const int K = net.num_hidden();
  if (K == 0) return 0.0;
  if (grad->dW.size() != net.layers.size()) *grad = DeviationGradient::zeros_like(net);
  const Recursion r = run_recursion(net, x, budget, sigma_);
  const MatrixXd& Wout = net.layers.back().W;
  const double delta_K = r.delta.back();

  // c* = max_{i != t} ||W[t] - W[i]||_2 and its competitor.
  double c_star = 0;
  int i_star = -1;
  for (int i = 0; i < Wout.rows(); ++i) {
    if (i == label) continue;
    const double c = (Wout.row(label) - Wout.row(i)).norm();
    if (i_star < 0 || c > c_star) { c_star = c; i_star = i; }
  }
  if (i_star < 0) return 0.0;
  const double delta = c_star * delta_K;

  // d delta / d W_{K+1}: only rows t and i* through c*.
  if (c_star > 0 && delta_K > 0) {
    const Eigen::RowVectorXd dc = (Wout.row(label) - Wout.row(i_star)) / c_star;
    grad->dW[K].row(label) += scale * delta_K * dc;
    grad->dW[K].row(i_star) -= scale * delta_K * dc;
  }
  // a_k = d delta_K / d delta_k.
  std::vector<double> a(K, 0.0);
  a[K - 1] = 1.0;
  for (int k = K - 1; k > 0; --k) a[k - 1] = a[k] * sigma_[k];
  for (int k = 1; k < K; ++k)
    if (r.delta[k - 1] > 0) grad->d_sigma[k] += scale * c_star * a[k] * r.delta[k - 1];
  // Backpropagate d delta / d x_k = c* a_k top(x_k) / tau_k through the unpruned network.
  VectorXd g = VectorXd::Zero(net.hidden_width(K - 1));
  for (int k = K - 1; k >= 0; --k) {
    if (r.tau[k] > 0)
      for (int i : r.top[k]) g[i] += c_star * a[k] * std::max(r.z[k][i], 0.0) / r.tau[k];
    const VectorXd gz = g.cwiseProduct((r.z[k].array() > 0).cast<double>().matrix());
    const VectorXd in = k == 0 ? x : VectorXd(r.z[k - 1].cwiseMax(0.0));
    grad->dW[k].noalias() += scale * gz * in.transpose();
    grad->db[k] += scale * gz;
    if (k > 0) g = net.layers[k].W.transpose() * gz;
  }
  return delta;
}

void MarginDeviation::finish_gradient(DeviationGradient* grad) const {
  for (size_t k = 0; k < grad->d_sigma.size() && k < u_.size(); ++k) {
    if (grad->d_sigma[k] != 0 && u_[k].size() && v_[k].size())
      grad->dW[k].noalias() += grad->d_sigma[k] * u_[k] * v_[k].transpose();
    grad->d_sigma[k] = 0;
  }
}

MarginDeviationResult margin_deviation(const net::LayeredNetwork& net, const VectorXd& x, int label,
                                       const spec::PruningBudget& budget, MarginDeviationOptions options) {
  return MarginDeviation(net, options).bound(net, x, label, budget);
}

}  // namespace bounds
