// Margin-deviation bounds under neuron pruning (seed 003, Propositions 1-4): at a fixed input x,
// an upper bound delta(S,x,t) on how far any admissible mask (at most s_k pruned in hidden layer
// k) can move a pairwise class margin, from the nominal activations' top-s_k norms and the
// layers' spectral norms; robust when delta < gamma (section 4.3). Also the (sub)gradient of
// delta with respect to the weights, for the pruning-robust training loss (eq. 11).
#pragma once
#include <Eigen/Dense>
#include <vector>

#include "src/net/network.h"
#include "src/spec/problem.h"
#include "src/spec/property.h"

namespace bounds {

enum class SpectralNormMethod {
  // Singular values by SVD (Eigen BDCSVD), rounded up by a relative 1e-9 and capped by the
  // Frobenius norm: upper bounds of ||W_k||_2, so delta is a sound bound (a certificate).
  exact,
  // r power iterations per refresh, warm-started from the previous vectors (seed 003, Remark 3).
  // Converges from below, so delta is an estimate, not a certificate: for training.
  power,
};

struct MarginDeviationOptions {
  SpectralNormMethod spectral = SpectralNormMethod::exact;
  int power_iterations = 20;  // r: power iterations per refresh (power method only)
  uint64_t seed = 0;          // start vectors of the power method
};

struct MarginDeviationResult {
  // delta(S,x,t) = max_{i != t} ||W_{K+1}[t] - W_{K+1}[i]||_2 * delta_K (seed 003, Propositions 1-4),
  // an upper bound of the worst-case margin deviation Delta(S,x,t) of eq. 6. For a general
  // property: max over its rows c of ||W_{K+1}^T c||_2 * delta_K.
  double delta = 0;
  // gamma(x,t) = f_t(x) - max_{i != t} f_i(x), or the property margin at x (spec::OutputProperty).
  double nominal_margin = 0;
  // Lower bound of the worst margin over admissible masks, competitor by competitor:
  // min_{i != t} (f_t - f_i - ||W_{K+1}[t] - W_{K+1}[i]||_2 delta_K) >= gamma - delta, lowered
  // by an allowance for the rounding of the double forward pass and of delta (1e-9 times the
  // magnitudes of the terms, as the bound engines widen).
  double margin_lower = 0;
  // delta_k (0-based hidden layers): upper bound of max_m ||x^p_k - x_k||_2; 0 before the first
  // pruned layer, exact (= ||top_{s_l}(x_l)||_2) at the first pruned layer l.
  std::vector<double> layer_delta;
  // Which statement of the seed applies to the budget: 2 (one pruned layer), 3 (all hidden layers
  // pruned), 4 (a selection), 0 (nothing pruned, delta = 0). All are the recursion of Prop. 4.
  int proposition = 0;
  // The spectral norms were upper bounds (exact method), so the bound is sound.
  bool certified = false;
  // Sufficient condition for pruning robustness at x (seed 003, section 4.3, delta < gamma, in
  // the per-competitor form above): no admissible mask changes the decision.
  bool robust() const { return certified && margin_lower > 0; }
};

// Gradient of the training terms with respect to the network's parameters, same shapes as
// net.layers. d_sigma[k] accumulates dL/d||W_k||_2; finish_gradient folds it into dW.
struct DeviationGradient {
  std::vector<Eigen::MatrixXd> dW;
  std::vector<Eigen::VectorXd> db;
  std::vector<double> d_sigma;
  // Zeros shaped like net's layers.
  static DeviationGradient zeros_like(const net::LayeredNetwork& net);
};

// The x-independent part of the bound (spectral norms and their singular vectors), computed once
// per network and reused for every input. All calls must pass the network it was built or last
// refreshed with.
class MarginDeviation {
 public:
  explicit MarginDeviation(const net::LayeredNetwork& net, MarginDeviationOptions options = {});
  // After the weights changed: recompute the norms (power method: r more iterations from the
  // current vectors, so a training loop pays r matrix-vector products per layer and step).
  void refresh(const net::LayeredNetwork& net);

  // ||W_k||_2 for every layer k of net.layers (the recursion uses k = 1 .. K-1: the hidden-to-
  // hidden maps; the first layer's norm does not enter the bound).
  const std::vector<double>& spectral_norms() const { return sigma_; }
  bool certified() const { return options_.spectral == SpectralNormMethod::exact; }

  // The bound at x for the robustness property of class `label` (seed 003, Problem 1).
  // budget.s must have one entry per hidden layer, each in [0, width].
  MarginDeviationResult bound(const net::LayeredNetwork& net, const Eigen::VectorXd& x, int label,
                              const spec::PruningBudget& budget) const;
  // The same for any output property: a row c.y - d moves by at most ||W_{K+1}^T c||_2 delta_K.
  MarginDeviationResult bound(const net::LayeredNetwork& net, const Eigen::VectorXd& x,
                              const spec::OutputProperty& property, const spec::PruningBudget& budget) const;

  // Training (seed 003, eq. 11): adds scale * d delta(S,x,t) / d theta to grad (a subgradient at
  // ReLU kinks, top-s ties and ties between competitors), theta = every W_k and b_k; returns
  // delta. The spectral-norm part goes to grad->d_sigma; call finish_gradient once per batch.
  // For L = lambda1 max(delta - gamma, 0) + lambda2 delta / max(gamma, eps), scale is
  // dL/d delta = lambda1 [delta > gamma] + lambda2 / max(gamma, eps); gamma's own gradient is
  // ordinary backpropagation and is left to the caller.
  double backward(const net::LayeredNetwork& net, const Eigen::VectorXd& x, int label,
                  const spec::PruningBudget& budget, double scale, DeviationGradient* grad) const;
  // grad->dW[k] += d_sigma[k] * u_k v_k^T (d||W||_2 / dW = u v^T, the top singular pair), then
  // clears d_sigma.
  void finish_gradient(DeviationGradient* grad) const;

 private:
  MarginDeviationOptions options_;
  std::vector<double> sigma_;       // ||W_k||_2 (exact: rounded up)
  std::vector<Eigen::VectorXd> u_, v_;  // top singular pair: W_k v = sigma u
};

// One-off bound for a single input (spectral norms computed on the spot).
MarginDeviationResult margin_deviation(const net::LayeredNetwork& net, const Eigen::VectorXd& x, int label,
                                       const spec::PruningBudget& budget, MarginDeviationOptions options = {});

// ||W||_2 and its top singular pair by SVD (an upper bound when `round_up`), or by `iterations`
// power iterations started from *v (updated in place; a lower estimate).
double spectral_norm_svd(const Eigen::MatrixXd& W, bool round_up, Eigen::VectorXd* u, Eigen::VectorXd* v);
double spectral_norm_power(const Eigen::MatrixXd& W, int iterations, Eigen::VectorXd* u, Eigen::VectorXd* v);

}  // namespace bounds
