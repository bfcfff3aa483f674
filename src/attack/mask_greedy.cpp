// Greedy mask attack: prune, one neuron at a time, the neuron (in any hidden layer with budget
// left) whose removal lowers the property margin most, until every s_k is used; the lowest margin
// along the way is reported. Not one of seed 003's attacks (section 5.3 lists PGD, L2, random):
// it is the adversarial counterpart of greedy subset selection. Candidates are evaluated exactly
// and incrementally: removing neuron i of layer k changes layer k+1's pre-activation by a column.
#include "src/attack/mask_attack.h"
#include "src/attack/mask_internal.h"

namespace attack {

MaskAttackResult greedy_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                    const MaskAttackOptions& options, util::Stats* stats) {
  const detail::Deadline deadline(options.time_limit_s);
  const detail::MaskQuery q = detail::resolve_query(problem, x);
  const net::LayeredNetwork& net = *q.net;
  const int K = net.num_hidden();
  MaskAttackResult res;
  net::Mask mask = net.full_mask();
  detail::offer_mask(problem, q, mask, "greedy", &res);
  res.evaluations = 1;
  std::vector<int> left = q.s;
  while (!(options.stop_when_found && res.best_margin <= 0) && !deadline.passed()) {
    const std::vector<Eigen::VectorXd> hidden = detail::masked_hidden(net, q.x, mask);
    double best_value = std::numeric_limits<double>::infinity();
    int best_k = -1, best_i = -1;
    for (int k = 0; k < K; ++k) {
      if (left[k] <= 0) continue;
      const auto& next = net.layers[k + 1];
      const Eigen::VectorXd z_next = next.W * hidden[k] + next.b;
      for (int i = 0; i < net.hidden_width(k); ++i) {
        // A kept neuron that outputs 0 changes nothing when pruned.
        if (!mask[k][i] || hidden[k][i] == 0.0) continue;
        const Eigen::VectorXd y =
            detail::forward_from_pre(net, k + 1, z_next - next.W.col(i) * hidden[k][i], mask);
        const double v = problem.property.margin(y);
        ++res.evaluations;
        if (v < best_value) {
          best_value = v;
          best_k = k;
          best_i = i;
        }
      }
    }
    if (best_k < 0) break;
    mask[best_k][best_i] = 0;
    --left[best_k];
    detail::offer_mask(problem, q, mask, "greedy", &res);
  }
  if (stats) stats->attack_steps += res.evaluations;
  detail::confirm_result(problem, &res);
  return res;
}

}  // namespace attack
