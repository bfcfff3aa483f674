// Training fully connected ReLU classifiers: cross-entropy, the pruning-robust loss of
// seed 003 (eq. 11 with the margin-deviation bound of Propositions 2-4), and IBP certified
// training (seed 004 eq. 1 with its eps scheduler, optionally the RS regulariser of seed 002
// eq. 4), with structured L2-norm deactivation to a parameter budget (seed 004 Algorithm 1).
// The public header of train/. Batches are column-wise: X is d_0 x n, column j = sample j.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/data/idx.h"
#include "src/net/network.h"

namespace train {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// Weights of layers k = 0..K (K hidden layers): W[k] is d_{k+1} x d_k, b[k] has d_{k+1} entries.
// Also the shape of a gradient.
struct Weights {
  std::vector<Matrix> W;
  std::vector<Vector> b;
  Weights zeros_like() const;
  void add(const Weights& other);
  void scale(double factor);
};

// A network being trained. Hidden neuron i of layer k is dormant when active[k][i] == 0
// (seed 004): it outputs 0 in every forward pass, as if its parameters were zero, while its
// stored weights are still updated (straight-through gradients) so that a later deactivation
// can pick it again. Without biases, b stays zero and gets no update.
struct Mlp {
  Weights w;
  bool bias = true;
  std::vector<std::vector<uint8_t>> active;  // per hidden layer; empty: every neuron active

  int num_hidden() const { return static_cast<int>(w.W.size()) - 1; }
  int input_dim() const { return static_cast<int>(w.W.front().cols()); }
  int output_dim() const { return static_cast<int>(w.W.back().rows()); }
  bool has_dormant() const;
  // Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights and biases (PyTorch's nn.Linear default);
  // biases zero when bias is false. Deterministic for a seed.
  static Mlp random(int input_dim, const std::vector<int>& widths, int outputs, bool bias, uint64_t seed);
  // Logits of every column of X (dormant neurons output 0).
  Matrix logits(const Matrix& X) const;
  // The network with dormant neurons removed (seed 004 Algorithm 1, line 12): same outputs.
  net::LayeredNetwork to_layered() const;
  // Trained parameters of the network to_layered() returns (biases only when bias is true).
  int64_t num_parameters() const;
};

enum class LossKind { ce, prune_robust, ibp };
const char* to_string(LossKind kind);
// "ce" | "prune-robust" | "ibp"; util::InputError("--loss", ...) otherwise.
LossKind parse_loss(const std::string& text);

// The loss of one step, with the scheduled values (lambda1, lambda2, eps) already applied.
struct LossConfig {
  LossKind kind = LossKind::ce;
  // prune-robust (seed 003 eq. 11): L = CE + lambda1 max(delta - gamma, 0) + lambda2 delta / max(gamma, floor)
  std::vector<int> budget;     // s_k, neurons that may be pruned in hidden layer k
  double lambda1 = 0.3;        // weight of the hinge term
  double lambda2 = 0.1;        // weight of the ratio term
  double margin_floor = 0.1;   // the epsilon of eq. 11 under the nominal margin gamma
  // ibp (seed 004 eq. 1): L = kappa CE(f(x)) + (1 - kappa) CE(-m_lower(x, eps)) + rs_weight RS
  double eps = 0;                       // L-inf radius of the input ball
  double clip_lo = 0, clip_hi = 1;      // the ball is intersected with [clip_lo, clip_hi]^d
  double kappa = 0;                     // weight of the clean cross-entropy
  double rs_weight = 0;                 // weight of the RS loss (seed 002 eq. 4), mean over neurons
};

// Mean loss over a batch and its parts (the parts that the loss kind does not use stay 0).
struct LossValue {
  double total = 0;
  double ce = 0;         // cross-entropy of the clean logits
  double hinge = 0;      // mean max(delta - gamma, 0)
  double ratio = 0;      // mean delta / max(gamma, floor)
  double delta = 0;      // mean margin-deviation bound delta (seed 003, Propositions 2-4)
  double robust_ce = 0;  // mean cross-entropy of the IBP worst-case logits
  double rs = 0;         // mean RS loss
  int correct = 0;       // clean predictions equal to the label
  int verified = 0;      // IBP margin lower bound > 0 at eps (ibp loss only)
};

// Mean loss over the columns of X (labels y) and, when grad is not null, its exact gradient
// with respect to every weight (dormant neurons get straight-through gradients). Spectral norms
// of the prune-robust bound are computed to convergence here. Single-threaded; for tests and
// small batches (the trainer splits batches over threads).
LossValue loss_and_gradient(const Mlp& mlp, const LossConfig& config, const Matrix& X, const std::vector<int>& y,
                            Weights* grad);

// The worst-case margin-deviation bound delta(S, x, t) of seed 003 (Proposition 4, which is
// Proposition 2 or 3 when one or all layers are pruned) for every column of X with label y.
Vector margin_deviation_bound(const Mlp& mlp, const std::vector<int>& budget, const Matrix& X,
                              const std::vector<int>& y);

// Schedules (schedules.cpp).
// seed 003 A.5: 0 for the first `warmup` epochs, then linear up to 1 over `ramp` epochs,
// updated at every batch; `progress` counts epochs, fractional within an epoch.
double lambda_scale(double progress, double warmup, double ramp);
// seed 004 eps-scheduler(eps_max, t, s, l): 0 until epoch s, then linear to eps_max over l
// epochs (per batch here, not per epoch), eps_max afterwards.
double scheduled_eps(double eps_max, double progress, double start, double length);
// The progress (in epochs) at which batch b of `batches` in epoch `epoch` is trained: the end of
// the batch, so that the last batch of epoch E-1 is at progress E and a ramp ending there
// reaches its target on that batch (the start of the batch reached it one batch later).
double batch_progress(int epoch, int b, int batches);

// Structured deactivation (structured_deactivation.cpp, seed 004 Algorithm 1).
// Active neurons per hidden layer for a budget of `budget` trained parameters: the same
// fraction of every hidden layer (at least one neuron each), the largest that fits. Throws
// util::InputError("--param-budget", ...) when even one neuron per layer does not fit.
std::vector<int> widths_for_budget(int input_dim, const std::vector<int>& widths, int outputs, bool bias,
                                   int64_t budget);
// Keeps, in every hidden layer k, the keep[k] neurons of largest L2 norm of incoming weights
// (and bias); the others become dormant.
void deactivate(Mlp& mlp, const std::vector<int>& keep);

struct TrainConfig {
  std::vector<int> widths = {128, 64, 32};
  bool bias = true;
  LossConfig loss;             // lambda1, lambda2 and eps are the targets; the schedules scale them
  int epochs = 10;
  int batch_size = 128;
  double lr = 1e-3;            // Adam step size
  double weight_decay = 0;     // L2 term added to the gradient (PyTorch Adam's weight_decay)
  double lr_decay = 1.0;       // step size multiplied by this after every epoch
  uint64_t seed = 0;
  int threads = 2;             // results do not depend on this (fixed chunks, fixed summation order)
  double warmup_epochs = 5, ramp_epochs = 10;   // lambda schedule (prune-robust)
  double eps_start = 2, eps_length = 10;        // eps schedule (ibp)
  int64_t param_budget = 0;    // > 0: structured deactivation to this many parameters
  int deactivate_every = 2;    // T-exp of seed 004 Algorithm 1, in epochs
  double timeout_s = 0;        // > 0: stop after the batch that crosses it
};

struct EpochReport {
  int epoch = 0;             // 1-based
  double loss = 0;           // mean training loss over the epoch
  LossValue parts;           // its parts, means over the epoch
  double train_accuracy = 0; // clean accuracy on the training batches while training
  double test_accuracy = 0;
  double ibp_verified = -1;  // ibp: IBP-verified test accuracy at the target eps
  double bound_robust = -1;  // prune-robust: test samples with delta(S, x, t) < gamma(x, t), seed 003 section 4.3
  double eps = 0, lambda_scale = 0;  // schedule values at the end of the epoch
  int active_neurons = 0;    // active hidden neurons after the epoch
  double seconds = 0;
};

struct TrainResult {
  Mlp mlp;
  std::vector<EpochReport> epochs;
  double test_accuracy = 0, train_accuracy = 0;  // of the final network on the full sets
  double seconds = 0;
  bool timed_out = false;
};

// Mini-batch Adam on `train_set`, evaluated on `test_set` after every epoch. `progress` (may
// be empty) is called after every epoch. Throws util::InputError on data that does not fit.
TrainResult train(const data::Dataset& train_set, const data::Dataset& test_set, const TrainConfig& config,
                  const std::function<void(const EpochReport&)>& progress = {});

// Clean accuracy of the network on a data set (rows of x are samples), using `threads` threads.
double accuracy(const Mlp& mlp, const data::Dataset& set, int threads = 2);

}  // namespace train
