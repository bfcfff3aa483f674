// Random mask attack (seed 003, section 5.3): sample masks that prune exactly s_k neurons of
// every hidden layer k, uniformly among such masks, and report the lowest margin together with
// the mean and standard deviation over the samples (the seed's "mean +- std over 1000"). The
// layers before the first pruned one are evaluated once.
#include <cmath>
#include <numeric>
#include <random>

#include "src/attack/mask_attack.h"
#include "src/attack/mask_internal.h"

namespace attack {

MaskAttackResult random_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                    const MaskAttackOptions& options, util::Stats* stats) {
  const detail::Deadline deadline(options.time_limit_s);
  const detail::MaskQuery q = detail::resolve_query(problem, x);
  const net::LayeredNetwork& net = *q.net;
  const int K = net.num_hidden();
  MaskAttackResult res;
  int first = 0;
  while (first < K && q.s[first] == 0) ++first;
  net::Mask mask = net.full_mask();
  if (first == K) {
    // Nothing may be pruned: the full mask is the only one.
    const double m = detail::offer_mask(problem, q, mask, "random", &res);
    res.evaluations = 1;
    res.mean_margin = m;
    res.violating_fraction = m <= 0 ? 1.0 : 0.0;
    detail::confirm_result(problem, &res);
    return res;
  }
  // Pre-activation of the first pruned layer: the same for every mask.
  Eigen::VectorXd h = q.x;
  for (int k = 0; k < first; ++k) h = (net.layers[k].W * h + net.layers[k].b).cwiseMax(0.0);
  const Eigen::VectorXd z_first = net.layers[first].W * h + net.layers[first].b;

  std::mt19937_64 rng(options.seed);
  std::vector<std::vector<int>> perm(K);
  for (int k = 0; k < K; ++k) {
    perm[k].resize(net.hidden_width(k));
    std::iota(perm[k].begin(), perm[k].end(), 0);
  }
  double sum = 0, sum_sq = 0;
  int64_t violating = 0, n = 0;
  for (int t = 0; t < std::max(1, options.random_masks); ++t) {
    if (t > 0 && deadline.passed()) break;
    for (int k = first; k < K; ++k) {
      std::fill(mask[k].begin(), mask[k].end(), uint8_t{1});
      // Partial Fisher-Yates: the first s_k entries of perm[k] are a uniform s_k-subset.
      const int d = net.hidden_width(k);
      for (int j = 0; j < q.s[k]; ++j) {
        std::swap(perm[k][j], perm[k][std::uniform_int_distribution<int>(j, d - 1)(rng)]);
        mask[k][perm[k][j]] = 0;
      }
    }
    const double m = problem.property.margin(detail::forward_from_pre(net, first, z_first, mask));
    ++n;
    sum += m;
    sum_sq += m * m;
    violating += m <= 0;
    if (m < res.best_margin || res.best.mask.empty()) detail::offer_mask(problem, q, mask, "random", &res);
    if (options.stop_when_found && res.best_margin <= 0) break;
  }
  res.evaluations = n;
  res.mean_margin = sum / n;
  res.std_margin = n > 1 ? std::sqrt(std::max(0.0, (sum_sq - sum * sum / n) / (n - 1))) : 0.0;
  res.violating_fraction = static_cast<double>(violating) / n;
  if (stats) stats->attack_steps += n;
  detail::confirm_result(problem, &res);
  return res;
}

}  // namespace attack
