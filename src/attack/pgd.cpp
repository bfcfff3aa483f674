// PGD on the input box (Madry et al. 2018) with the property margin as the loss: the margin is
// min over disjuncts of max over rows of c.y - d, and its subgradient is c^T J(x) for the
// active row, J the network's Jacobian under x's activation pattern (backpropagated exactly).
#include <chrono>
#include <random>

#include "src/attack/attack.h"

namespace attack {

double margin_and_gradient(const spec::Problem& problem, const Eigen::VectorXd& x, Eigen::VectorXd* grad) {
  const net::LayeredNetwork& net = *problem.net;
  const std::vector<Eigen::VectorXd> z = net.pre_activations(x);
  const Eigen::VectorXd& y = z.back();
  // Active disjunct (smallest value) and its active row (largest value).
  const spec::Row* active = nullptr;
  const double margin = problem.property.margin(y, &active);
  if (grad) {
    if (!active) { *grad = Eigen::VectorXd::Zero(x.size()); return margin; }
    Eigen::VectorXd g = net.layers.back().W.transpose() * active->c;  // d margin / d h_{K-1}
    for (int k = net.num_hidden() - 1; k >= 0; --k) {
      g = g.cwiseProduct((z[k].array() > 0).cast<double>().matrix());
      g = net.layers[k].W.transpose() * g;
    }
    *grad = g;
  }
  return margin;
}

AttackResult pgd_attack(const spec::Problem& problem, const AttackOptions& o, const std::vector<Eigen::VectorXd>& starts,
                        util::Stats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const spec::Box& box = problem.box;
  const Eigen::VectorXd width = box.hi - box.lo;
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  AttackResult res;
  auto consider = [&](const Eigen::VectorXd& x, double m) {
    if (m < res.best_margin) {
      res.best_margin = m;
      res.best.x = x;
    }
  };
  const int total = static_cast<int>(starts.size()) + o.restarts;
  for (int t = 0; t < total && !res.found; ++t) {
    if (elapsed() > o.time_limit_s) break;
    Eigen::VectorXd x;
    // After the given starts: the box's center (without given starts), its lower and its upper
    // corner, then uniform random points. The corners matter where most ReLUs are dead around
    // x0 (e.g. an MNIST "8" on mnist-net_256x2: 2 of 256 first-layer neurons active): the
    // subgradient sees only the active neurons, and PGD from x0, the center or noise stays in the
    // same plateau, while the darkened image lo = max(x0 - eps, 0) may already cross the boundary.
    const int r = t - static_cast<int>(starts.size());
    if (r < 0) x = starts[t].cwiseMax(box.lo).cwiseMin(box.hi);
    else if (r == 0 && starts.empty()) x = box.center();
    else if (r == 1) x = box.lo;
    else if (r == 2) x = box.hi;
    else x = box.lo + width.cwiseProduct(Eigen::VectorXd::NullaryExpr(box.dim(), [&] { return U(rng); }));
    Eigen::VectorXd g;
    for (int s = 0; s <= o.steps; ++s) {
      const double m = margin_and_gradient(problem, x, &g);
      consider(x, m);
      if (m <= 0) break;
      if (s == o.steps) break;
      // Step size decays linearly from width/4 to width/100.
      const double frac = 0.25 - (0.25 - 0.01) * s / std::max(1, o.steps);
      x = (x - frac * width.cwiseProduct(g.cwiseSign())).cwiseMax(box.lo).cwiseMin(box.hi);
      if (stats) stats->attack_steps++;
    }
    if (stats) stats->attack_restarts++;
    if (res.best_margin <= 0) {
      spec::Witness w{res.best.x, {}, {}};
      res.found = spec::confirm_witness(problem, w);
      if (res.found) res.best = w;
    }
  }
  if (res.best.x.size() && !res.found) res.best.y = problem.net->eval(res.best.x);
  return res;
}

}  // namespace attack
