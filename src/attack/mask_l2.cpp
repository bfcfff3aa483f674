// L2 mask attack (seed 003, section 5.3, "l2-based adversarial pruning"): prune, in every hidden
// layer k, the s_k neurons whose incoming weight rows W_k[i] have the largest L2 norms (the
// opposite of the L2-norm pruner, which removes the smallest). One mask, evaluated exactly.
#include <algorithm>
#include <numeric>

#include "src/attack/mask_attack.h"
#include "src/attack/mask_internal.h"

namespace attack {

MaskAttackResult l2_mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x,
                                const MaskAttackOptions& options, util::Stats* stats) {
  const detail::MaskQuery q = detail::resolve_query(problem, x);
  const net::LayeredNetwork& net = *q.net;
  net::Mask mask = net.full_mask();
  for (int k = 0; k < net.num_hidden(); ++k) {
    const Eigen::VectorXd norms = net.layers[k].W.rowwise().norm();
    std::vector<int> order(norms.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return norms[a] > norms[b]; });
    for (int t = 0; t < q.s[k]; ++t) mask[k][order[t]] = 0;
  }
  MaskAttackResult res;
  detail::offer_mask(problem, q, mask, "l2", &res);
  res.evaluations = 1;
  if (stats) stats->attack_steps += 1;
  detail::confirm_result(problem, &res);
  return res;
}

}  // namespace attack
