// PGD-STE mask attack (seed 003, section 5.3, after Madry et al. 2018): continuous scores per
// hidden neuron; the forward pass uses their projection onto a top-k binary mask (k = d_k - s_k
// kept), the backward pass copies the margin's gradient with respect to the mask to the scores
// (straight-through estimator); 400 steps. The seed does not give the step rule: we take steps
// normalised by the largest gradient entry of each layer, decaying linearly to a tenth.
#include <algorithm>
#include <numeric>
#include <random>

#include "src/attack/mask_attack.h"
#include "src/attack/mask_internal.h"

namespace attack {

namespace {

// Keeps the d - s highest scores (ties: lower index kept), prunes the rest.
void project_top_k(const Eigen::VectorXd& score, int s, std::vector<uint8_t>* mask, std::vector<int>* order) {
  std::iota(order->begin(), order->end(), 0);
  std::stable_sort(order->begin(), order->end(), [&](int a, int b) { return score[a] < score[b]; });
  std::fill(mask->begin(), mask->end(), uint8_t{1});
  for (int t = 0; t < s; ++t) (*mask)[(*order)[t]] = 0;
}

}  // namespace

MaskAttackResult pgd_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                 const MaskAttackOptions& options, util::Stats* stats) {
  const detail::Deadline deadline(options.time_limit_s);
  const detail::MaskQuery q = detail::resolve_query(problem, x);
  const net::LayeredNetwork& net = *q.net;
  const int K = net.num_hidden();
  MaskAttackResult res;
  net::Mask mask = net.full_mask();
  detail::offer_mask(problem, q, mask, "pgd-ste", &res);
  res.evaluations = 1;
  bool any = false;
  for (int s : q.s) any = any || s > 0;
  if (!any) {
    detail::confirm_result(problem, &res);
    return res;
  }
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::vector<Eigen::VectorXd> score(K), gates(K), grad;
  std::vector<std::vector<int>> order(K);
  for (int k = 0; k < K; ++k) order[k].resize(net.hidden_width(k));
  const int steps = std::max(0, options.pgd_steps);
  for (int restart = 0; restart < std::max(1, options.pgd_restarts); ++restart) {
    if (restart > 0 && deadline.passed()) break;
    // First run: all scores 1 (tiny noise breaks ties), so the first step's gradient decides the
    // first mask; later runs: random scores.
    for (int k = 0; k < K; ++k)
      score[k] = Eigen::VectorXd::NullaryExpr(net.hidden_width(k),
                                              [&] { return restart == 0 ? 1.0 + 1e-6 * U(rng) : U(rng); });
    for (int step = 0; step <= steps; ++step) {
      for (int k = 0; k < K; ++k) {
        if (q.s[k] > 0) project_top_k(score[k], q.s[k], &mask[k], &order[k]);
        gates[k] = Eigen::Map<const Eigen::Matrix<uint8_t, Eigen::Dynamic, 1>>(mask[k].data(), mask[k].size())
                       .cast<double>();
      }
      const double m = gated_margin_and_gradient(problem, q.x, gates, &grad);
      ++res.evaluations;
      if (m < res.best_margin) detail::offer_mask(problem, q, mask, "pgd-ste", &res);
      if ((options.stop_when_found && res.best_margin <= 0) || step == steps || deadline.passed()) break;
      const double lr = options.pgd_step_size * (1.0 - 0.9 * step / std::max(1, steps));
      for (int k = 0; k < K; ++k) {
        if (q.s[k] == 0) continue;
        const double gmax = grad[k].cwiseAbs().maxCoeff();
        // Descent on the margin: a neuron whose gate raises the margin loses score (gets pruned).
        if (gmax > 0) score[k] -= (lr / gmax) * grad[k];
      }
      if (stats) stats->attack_steps++;
    }
    if (stats) stats->attack_restarts++;
    if (options.stop_when_found && res.best_margin <= 0) break;
  }
  detail::confirm_result(problem, &res);
  return res;
}

}  // namespace attack
