// Mask splitting for pruning queries (seed 003, Problem 1): decide the undecided mask bit whose
// pruning would lower the margin most at the bound's candidate point x, to first order:
// pruning neuron i of hidden layer k removes h_ki, changing the margin by -g_ki * h_ki with
// g_k the margin's gradient with respect to h_k (backpropagated under x's activation pattern
// and the decided mask). Mask bits are decided before any input or ReLU split, so that every
// leaf has a fixed mask and the usual splits complete the search.
#include <cmath>
#include <limits>

#include "solvers/bab/internal.h"

namespace bab::detail {

Split choose_mask_split(const spec::Problem& problem, const bounds::Subdomain& s, const Eigen::VectorXd& x) {
  const net::LayeredNetwork& net = *problem.net;
  const int K = net.num_hidden();
  const net::Mask mask = decided_mask(problem, s);
  const std::vector<Eigen::VectorXd> z = net.pre_activations(x, &mask);
  // The active row of the margin at x: the smallest disjunct's largest row.
  const spec::Row* active = nullptr;
  double margin = std::numeric_limits<double>::infinity();
  for (const auto& conj : problem.property.disjuncts) {
    double worst = -std::numeric_limits<double>::infinity();
    const spec::Row* arg = nullptr;
    for (const auto& r : conj.rows) {
      const double v = r.c.dot(z.back()) - r.d;
      if (v > worst) { worst = v; arg = &r; }
    }
    if (arg && worst < margin) { margin = worst; active = arg; }
  }
  // g: gradient of the active row with respect to the post-activations of each hidden layer.
  std::vector<Eigen::VectorXd> g(K);
  if (active && K > 0) {
    Eigen::VectorXd gh = net.layers[K].W.transpose() * active->c;
    for (int k = K - 1; k >= 0; --k) {
      g[k] = gh;
      Eigen::VectorXd gz = gh;
      for (int i = 0; i < gz.size(); ++i)
        if (!(z[k][i] > 0) || mask[k][i] == 0) gz[i] = 0;
      gh = net.layers[k].W.transpose() * gz;
    }
  }
  Split best_harm, best_any, first;
  double harm_score = 0, any_score = 0;
  for (int k = 0; k < K && k < static_cast<int>(s.mask.size()); ++k) {
    if (s.budget_left[k] <= 0) continue;
    for (int i = 0; i < net.hidden_width(k); ++i) {
      if (s.mask[k][i] >= 0) continue;
      const Split here{Split::Kind::mask, k, i, 0};
      if (first.kind == Split::Kind::none) first = here;
      if (g[k].size() == 0) continue;
      const double h = std::max(z[k][i], 0.0);
      const double change = g[k][i] * h;  // margin lost if neuron i is pruned
      if (change > harm_score) { harm_score = change; best_harm = here; }
      if (std::abs(change) > any_score) { any_score = std::abs(change); best_any = here; }
    }
  }
  if (best_harm.kind != Split::Kind::none) return best_harm;
  if (best_any.kind != Split::Kind::none) return best_any;
  return first;
}

}  // namespace bab::detail
