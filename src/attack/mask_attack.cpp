// The shared part of the mask attacks (seed 003, section 5.3): admissibility, exact margins of
// pruned networks, the gate gradient the PGD-STE attack follows, and the driver that runs the
// attacks cheap first and keeps the lowest margin. Every reported mask is re-evaluated here.
#include <algorithm>
#include <limits>

#include "src/attack/mask_attack.h"
#include "src/attack/mask_internal.h"
#include "src/util/errors.h"

namespace attack {

const char* to_string(MaskAttackKind kind) {
  switch (kind) {
    case MaskAttackKind::greedy: return "greedy";
    case MaskAttackKind::pgd_ste: return "pgd-ste";
    case MaskAttackKind::l2: return "l2";
    case MaskAttackKind::random: return "random";
    case MaskAttackKind::local: return "local";
  }
  return "?";
}

MaskAttackKind parse_mask_attack(const std::string& name) {
  if (name == "greedy") return MaskAttackKind::greedy;
  if (name == "pgd" || name == "pgd-ste") return MaskAttackKind::pgd_ste;
  if (name == "l2") return MaskAttackKind::l2;
  if (name == "random") return MaskAttackKind::random;
  if (name == "local") return MaskAttackKind::local;
  throw util::InputError("--mask-attacks", "", "'" + name + "' is not greedy, pgd, l2, random or local");
}

bool is_admissible_mask(const net::LayeredNetwork& net, const spec::PruningBudget& budget, const net::Mask& mask) {
  if (static_cast<int>(mask.size()) != net.num_hidden() || static_cast<int>(budget.s.size()) != net.num_hidden())
    return false;
  for (int k = 0; k < net.num_hidden(); ++k) {
    if (static_cast<int>(mask[k].size()) != net.hidden_width(k)) return false;
    int pruned = 0;
    for (uint8_t m : mask[k]) {
      if (m > 1) return false;
      pruned += m == 0;
    }
    if (pruned > budget.s[k]) return false;
  }
  return true;
}

double mask_margin(const spec::Problem& problem, const Eigen::VectorXd& x, const net::Mask& mask) {
  return problem.property.margin(problem.net->eval(x, mask));
}

double gated_margin_and_gradient(const spec::Problem& problem, const Eigen::VectorXd& x,
                                 const std::vector<Eigen::VectorXd>& gates, std::vector<Eigen::VectorXd>* grad) {
  const net::LayeredNetwork& net = *problem.net;
  const int K = net.num_hidden();
  std::vector<Eigen::VectorXd> z(K + 1), relu(K);
  Eigen::VectorXd h = x;
  for (int k = 0; k <= K; ++k) {
    z[k] = net.layers[k].W * h + net.layers[k].b;
    if (k < K) {
      relu[k] = z[k].cwiseMax(0.0);
      h = relu[k].cwiseProduct(gates[k]);
    }
  }
  const Eigen::VectorXd& y = z[K];
  const spec::Row* active = nullptr;
  const double margin = problem.property.margin(y, &active);
  if (grad) {
    grad->resize(K);
    Eigen::VectorXd gz = active ? active->c : Eigen::VectorXd::Zero(y.size());  // d margin / d z_{k+1}
    for (int k = K - 1; k >= 0; --k) {
      const Eigen::VectorXd gh = net.layers[k + 1].W.transpose() * gz;  // d margin / d (gated h_k)
      (*grad)[k] = gh.cwiseProduct(relu[k]);
      gz = gh.cwiseProduct(gates[k]).cwiseProduct((z[k].array() > 0).cast<double>().matrix());
    }
  }
  return margin;
}

namespace detail {

MaskQuery resolve_query(const spec::Problem& problem, const Eigen::VectorXd& x) {
  if (!problem.net) throw util::InternalError("mask attack: problem without a network");
  MaskQuery q;
  q.net = problem.net.get();
  q.x = x.size() ? x : problem.box.center();
  if (q.x.size() != q.net->input_dim())
    throw util::InternalError("mask attack: the point has " + std::to_string(q.x.size()) +
                              " coordinates, the network " + std::to_string(q.net->input_dim()) + " inputs");
  if (problem.box.dim() == q.x.size() && !problem.box.contains(q.x))
    throw util::InternalError("mask attack: the point lies outside the problem's box");
  q.s.assign(q.net->num_hidden(), 0);
  if (problem.budget) {
    if (static_cast<int>(problem.budget->s.size()) != q.net->num_hidden())
      throw util::InputError("--budget", "", "has " + std::to_string(problem.budget->s.size()) +
                                                 " entries, the network has " +
                                                 std::to_string(q.net->num_hidden()) + " hidden layers");
    for (int k = 0; k < q.net->num_hidden(); ++k) q.s[k] = std::clamp(problem.budget->s[k], 0, q.net->hidden_width(k));
  }
  return q;
}

std::vector<Eigen::VectorXd> masked_hidden(const net::LayeredNetwork& net, const Eigen::VectorXd& x,
                                           const net::Mask& mask) {
  std::vector<Eigen::VectorXd> out(net.num_hidden());
  Eigen::VectorXd h = x;
  for (int k = 0; k < net.num_hidden(); ++k) {
    h = (net.layers[k].W * h + net.layers[k].b).cwiseMax(0.0);
    for (int i = 0; i < h.size(); ++i)
      if (!mask[k][i]) h[i] = 0.0;
    out[k] = h;
  }
  return out;
}

Eigen::VectorXd forward_from_pre(const net::LayeredNetwork& net, int layer, const Eigen::VectorXd& z,
                                 const net::Mask& mask) {
  if (layer == net.num_hidden()) return z;
  Eigen::VectorXd h = z.cwiseMax(0.0);
  for (int i = 0; i < h.size(); ++i)
    if (!mask[layer][i]) h[i] = 0.0;
  return forward_from(net, layer + 1, h, mask);
}

Eigen::VectorXd forward_from(const net::LayeredNetwork& net, int layer, const Eigen::VectorXd& h,
                             const net::Mask& mask) {
  return forward_from_pre(net, layer, net.layers[layer].W * h + net.layers[layer].b, mask);
}

double offer_mask(const spec::Problem& problem, const MaskQuery& q, const net::Mask& mask, const char* method,
                  MaskAttackResult* result) {
  spec::PruningBudget b{q.s};
  if (!is_admissible_mask(*q.net, b, mask))
    throw util::InternalError(std::string("mask attack ") + method + " produced an inadmissible mask");
  const Eigen::VectorXd y = q.net->eval(q.x, mask);
  const double m = problem.property.margin(y);
  if (m < result->best_margin || result->best.mask.empty()) {
    result->best_margin = m;
    result->best.x = q.x;
    result->best.y = y;
    result->best.mask = mask;
    result->method = method;
  }
  return m;
}

void confirm_result(const spec::Problem& problem, MaskAttackResult* result) {
  result->found = false;
  if (result->best.mask.empty() || !(result->best_margin <= 0)) return;
  spec::Witness w = result->best;
  if (!problem.budget) {
    // confirm_witness needs a budget for a masked witness; with none, only the full mask exists.
    spec::Problem with_budget = problem;
    with_budget.budget = spec::PruningBudget{std::vector<int>(problem.net->num_hidden(), 0)};
    result->found = spec::confirm_witness(with_budget, w);
  } else {
    result->found = spec::confirm_witness(problem, w);
  }
  if (result->found) result->best = w;
}

}  // namespace detail

MaskAttackResult mask_attack(const spec::Problem& problem, const Eigen::VectorXd& x, const MaskAttackOptions& options,
                             const std::vector<MaskAttackKind>& kinds, util::Stats* stats) {
  const detail::Deadline deadline(options.time_limit_s);
  MaskAttackResult best, random_run;
  bool ran_random = false;
  int64_t evaluations = 0;
  for (MaskAttackKind kind : kinds) {
    if (deadline.passed() && !best.best.mask.empty()) break;
    MaskAttackOptions o = options;
    o.time_limit_s = std::max(0.0, deadline.left());
    MaskAttackResult r;
    switch (kind) {
      case MaskAttackKind::greedy: r = greedy_mask_attack(problem, x, o, stats); break;
      case MaskAttackKind::pgd_ste: r = pgd_mask_attack(problem, x, o, stats); break;
      case MaskAttackKind::l2: r = l2_mask_attack(problem, x, o, stats); break;
      case MaskAttackKind::random:
        r = random_mask_attack(problem, x, o, stats);
        random_run = r;
        ran_random = true;
        break;
      case MaskAttackKind::local: r = local_search_mask_attack(problem, x, best.best.mask, o, stats); break;
    }
    evaluations += r.evaluations;
    if (best.best.mask.empty() || r.best_margin < best.best_margin) best = r;
    if (best.found && options.stop_when_found) break;
  }
  best.evaluations = evaluations;
  if (ran_random) {
    best.mean_margin = random_run.mean_margin;
    best.std_margin = random_run.std_margin;
    best.violating_fraction = random_run.violating_fraction;
  }
  return best;
}

}  // namespace attack
