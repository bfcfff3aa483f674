// Structured deactivation of seed 004 (VeriCompress, Algorithm 1 and "Parameter Deactivation
// based on Element Importance"): per hidden layer, the neurons whose incoming weights (and
// bias) have the least L2 norm become dormant. Departures: the seed picks the per-layer
// fractions by Erdos-Renyi-Kernel scaling; we keep the same fraction of every hidden layer.
// Dormant neurons are gated off rather than zeroed, so their weights keep training (mlp.cpp).
#include <algorithm>
#include <numeric>

#include "src/train/train.h"
#include "src/util/errors.h"

namespace train {

namespace {
int64_t parameters(int input_dim, const std::vector<int>& keep, int outputs, bool bias) {
  int64_t n = 0;
  int prev = input_dim;
  for (int k : keep) {
    n += static_cast<int64_t>(k) * prev + (bias ? k : 0);
    prev = k;
  }
  return n + static_cast<int64_t>(outputs) * prev + (bias ? outputs : 0);
}

std::vector<int> keep_fraction(const std::vector<int>& widths, double rho) {
  std::vector<int> keep;
  for (int d : widths) keep.push_back(std::clamp(static_cast<int>(std::floor(rho * d)), 1, d));
  return keep;
}
}  // namespace

std::vector<int> widths_for_budget(int input_dim, const std::vector<int>& widths, int outputs, bool bias,
                                   int64_t budget) {
  if (parameters(input_dim, widths, outputs, bias) <= budget) return widths;
  const std::vector<int> ones(widths.size(), 1);
  const int64_t least = parameters(input_dim, ones, outputs, bias);
  if (budget < least)
    throw util::InputError("--param-budget", "", std::to_string(budget) + " is below the " + std::to_string(least) +
                                                     " parameters of one neuron per hidden layer");
  double lo = 0, hi = 1;  // keep_fraction(lo) fits, keep_fraction(hi) does not
  for (int it = 0; it < 60; ++it) {
    const double mid = (lo + hi) / 2;
    (parameters(input_dim, keep_fraction(widths, mid), outputs, bias) <= budget ? lo : hi) = mid;
  }
  return keep_fraction(widths, lo);
}

void deactivate(Mlp& mlp, const std::vector<int>& keep) {
  const int K = mlp.num_hidden();
  if (static_cast<int>(keep.size()) != K)
    throw util::InternalError("deactivate: " + std::to_string(keep.size()) + " widths for " + std::to_string(K) +
                              " hidden layers");
  mlp.active.assign(K, {});
  for (int k = 0; k < K; ++k) {
    const int d = static_cast<int>(mlp.w.W[k].rows());
    std::vector<double> score(d);
    for (int i = 0; i < d; ++i) score[i] = mlp.w.W[k].row(i).squaredNorm() + mlp.w.b[k][i] * mlp.w.b[k][i];
    std::vector<int> order(d);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[a] > score[b]; });
    mlp.active[k].assign(d, 0);
    for (int r = 0; r < std::min(keep[k], d); ++r) mlp.active[k][order[r]] = 1;
  }
}

}  // namespace train
