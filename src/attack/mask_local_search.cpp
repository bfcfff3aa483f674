// Local search over masks: from a start mask (the best another attack found), repeatedly apply
// the best single move of one hidden layer - prune one more kept neuron while budget is left, or
// swap a pruned neuron for a kept one - until no move lowers the property margin. Not one of
// seed 003's attacks; it repairs the greedy attack's early choices, which is where greedy misses
// the worst masks of multi-layer budgets. Moves are evaluated exactly and incrementally: a move
// in layer k changes layer k+1's pre-activation by at most two columns of W_{k+1}.
#include "src/attack/mask_attack.h"
#include "src/attack/mask_internal.h"

namespace attack {

MaskAttackResult local_search_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                          const net::Mask& start, const MaskAttackOptions& options,
                                          util::Stats* stats) {
  const detail::Deadline deadline(options.time_limit_s);
  const detail::MaskQuery q = detail::resolve_query(problem, x);
  const net::LayeredNetwork& net = *q.net;
  const int K = net.num_hidden();
  MaskAttackResult res;
  net::Mask mask = start.empty() ? net.full_mask() : start;
  double current = detail::offer_mask(problem, q, mask, "local", &res);
  res.evaluations = 1;
  for (int sweep = 0; sweep < options.local_sweeps && !deadline.passed(); ++sweep) {
    if (options.stop_when_found && res.best_margin <= 0) break;
    // Unpruned activations of every layer under the current mask (each move is one layer's).
    const std::vector<Eigen::VectorXd> hidden = detail::masked_hidden(net, q.x, mask);
    double best_value = current;
    int best_k = -1, best_out = -1, best_in = -1;  // prune best_in, restore best_out (-1: none)
    for (int k = 0; k < K && !deadline.passed(); ++k) {
      if (q.s[k] <= 0) continue;
      const auto& next = net.layers[k + 1];
      const Eigen::VectorXd z_next = next.W * hidden[k] + next.b;
      // Activations of layer k as the unpruned network (under the lower layers' mask) computes them.
      const Eigen::VectorXd z_k = k == 0 ? Eigen::VectorXd(net.layers[0].W * q.x + net.layers[0].b)
                                         : Eigen::VectorXd(net.layers[k].W * hidden[k - 1] + net.layers[k].b);
      const Eigen::VectorXd h_k = z_k.cwiseMax(0.0);
      std::vector<int> pruned, kept;
      for (int i = 0; i < net.hidden_width(k); ++i) {
        if (!mask[k][i]) pruned.push_back(i);
        else if (h_k[i] > 0) kept.push_back(i);
      }
      std::vector<int> outs = pruned;
      if (static_cast<int>(pruned.size()) < q.s[k]) outs.push_back(-1);  // a free prune
      for (int out : outs) {
        const Eigen::VectorXd base = out < 0 ? z_next : Eigen::VectorXd(z_next + next.W.col(out) * h_k[out]);
        if (out >= 0) mask[k][out] = 1;
        for (int in : kept) {
          mask[k][in] = 0;
          const double v = problem.property.margin(detail::forward_from_pre(net, k + 1, base - next.W.col(in) * h_k[in], mask));
          mask[k][in] = 1;
          ++res.evaluations;
          if (v < best_value) {
            best_value = v;
            best_k = k;
            best_out = out;
            best_in = in;
          }
        }
        if (out >= 0) mask[k][out] = 0;
      }
    }
    if (best_k < 0) break;  // a local minimum
    if (best_out >= 0) mask[best_k][best_out] = 1;
    mask[best_k][best_in] = 0;
    current = detail::offer_mask(problem, q, mask, "local", &res);
  }
  if (stats) stats->attack_steps += res.evaluations;
  detail::confirm_result(problem, &res);
  return res;
}

}  // namespace attack
