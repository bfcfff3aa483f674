// Internal declarations shared by the files of train/ (not part of the public header).
// Every per-neuron quantity of a chunk of samples is a (d x n) matrix, column j = sample j.
// Chunk functions return sums over the chunk's samples (losses and gradients); the caller
// divides by the batch size once, after adding the chunks up in a fixed order.
#pragma once
#include <vector>

#include "src/train/train.h"

namespace train::detail {

// Point forward pass: per layer k = 0..K the pre-activations z[k] (d_{k+1} x n); per hidden
// layer the gated post-ReLU values x[k] (dormant rows 0) and, when the network has dormant
// neurons, the ungated ones a[k] (the straight-through gradients of outgoing weights use them).
struct PointPass {
  std::vector<Matrix> z, x, a;
};
void forward_points(const Mlp& mlp, const Matrix& X, PointPass& pass);
// Adds to grad the gradient of sum_j <g_logits_j, f(x_j)> + sum_k <g_x[k], x_k> (g_x may be
// null). Gradients of dormant neurons are straight-through: the gate is taken as identity for
// their own weights, while only active neurons propagate to earlier layers.
void backward_points(const Mlp& mlp, const Matrix& X, const PointPass& pass, const Matrix& g_logits,
                     const std::vector<Matrix>* g_x, Weights& grad);
// Rows of dormant neurons of hidden layer k set to zero (k < num_hidden()).
void zero_dormant_rows(const Mlp& mlp, int k, Matrix& m);

// Softmax cross-entropy summed over the columns of `logits` (cross_entropy.cpp). When g is not
// null it receives d CE / d logits per column (softmax - one-hot). Counts correct arg-maxes.
double softmax_cross_entropy(const Matrix& logits, const int* y, Matrix* g, int* correct);

// ||A||_2 = u^T A v by power iteration (spectral_norm.cpp), warm-started from v (random when
// empty or zero), until the relative change of sigma is below tol or max_iters is reached.
struct SpectralNorm {
  double sigma = 0;
  Vector u, v;
};
SpectralNorm spectral_norm(const Matrix& A, const Vector& v_start, int max_iters, double tol);
// The weights layer k acts with: W[k] with rows of dormant neurons of hidden layer k and
// columns of dormant neurons of hidden layer k - 1 zeroed.
Matrix effective_weight(const Mlp& mlp, int k);
// Layers whose spectral norm the prune-robust bound uses (every layer after the first pruned
// hidden layer, up to the last hidden layer).
std::vector<int> layers_needing_norms(const Mlp& mlp, const std::vector<int>& budget);

// What one chunk contributes to a step.
struct ChunkSums {
  Weights grad;
  Vector dsigma;      // d loss / d ||W_k||_2 per layer (prune-robust); the caller adds dsigma_k u_k v_k^T
  LossValue sums;     // sums over the chunk, not means
};
// Adds the loss of the columns of X (labels y) to `out`; gradients only when want_grad.
// norms[k] must hold ||effective_weight(k)||_2 for layers_needing_norms (prune-robust).
void accumulate_chunk(const Mlp& mlp, const LossConfig& config, const std::vector<SpectralNorm>& norms,
                      const Matrix& X, const int* y, bool want_grad, ChunkSums& out);

// grad.W[k] += dsigma[k] u_k v_k^T: the spectral norms' share of the gradient.
void add_spectral_gradients(const std::vector<SpectralNorm>& norms, const Vector& dsigma, Weights& grad);
// Sums over n samples to means (counts stay counts).
LossValue mean_of(const LossValue& sums, double n);

// seed 003 eq. 11 on a chunk (prune_robust_loss.cpp): adds the hinge and ratio terms' sums to
// `sums`, their gradients with respect to the logits to g_logits, with respect to the gated
// hidden values to g_x, with respect to the output weights to grad, and with respect to the
// spectral norms to dsigma. Also returns delta per column when delta_out is not null.
void prune_robust_terms(const Mlp& mlp, const LossConfig& config, const std::vector<SpectralNorm>& norms,
                        const PointPass& pass, const int* y, bool want_grad, Matrix& g_logits,
                        std::vector<Matrix>& g_x, Weights& grad, Vector& dsigma, LossValue& sums, Vector* delta_out);

// seed 004 eq. 1 with IBP bounds (ibp_loss.cpp), the RS term included: adds (1 - kappa) times
// the robust cross-entropy and rs_weight times the RS loss to sums.total and the gradient to grad.
void ibp_terms(const Mlp& mlp, const LossConfig& config, const Matrix& X, const int* y, bool want_grad, Weights& grad,
               LossValue& sums);

// seed 002 eq. 4 (rs_loss.cpp): sum over the entries with active(i) != 0 of -tanh(1 + l u),
// with its gradient with respect to l and u written to g_lo, g_hi (when not null).
double rs_loss_sum(const Matrix& lo, const Matrix& hi, const std::vector<uint8_t>* active, Matrix* g_lo, Matrix* g_hi);

// Adam (Kingma and Ba) with weight decay added to the gradient, as PyTorch's Adam (seed 003
// A.5 trains with it); biases are left alone when the network has none (adam.cpp).
class Adam {
 public:
  Adam(const Weights& shape, double lr, double weight_decay, bool train_bias);
  void step(Weights& w, const Weights& grad);
  double lr;

 private:
  Weights m_, v_;
  long long t_ = 0;
  double weight_decay_;
  bool train_bias_;
  static constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
};

// Splits [0, n) into fixed chunks of kChunk columns and runs fn(chunk index, begin, end) on
// `threads` threads; chunk c always covers the same columns, whatever the thread count.
constexpr int kChunk = 64;
void parallel_chunks(int n, int threads, const std::function<void(int, int, int)>& fn);

}  // namespace train::detail
