// The engines of `prunecert prune-verify` (seed 003, Problem 1), cheap first in `auto`:
//  bound  - the margin-deviation bound (seed 003 Propositions 1-4, at a fixed input only) and the
//           mask-aware CROWN bound (top-s concretisation, bounds/topk_mask.cpp) over the ball and
//           every admissible mask; at a fixed input with only the last hidden layer pruned the
//           latter is exact, and its top-s argmin mask is the worst mask, so `bound` decides.
//  attack - the mask falsifiers of attack/mask_*.cpp at the centre of the ball.
//  bab, milp, smt, brute - the complete engines of `verify` on the pruning problem.
// Every not-robust answer is replayed by exact forward evaluation before it is returned.
#include "src/cli/prune_verify.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <sstream>

#include "src/attack/mask_attack.h"
#include "src/bounds/bound_engine.h"
#include "src/cli/engines.h"
#include "src/util/errors.h"

namespace cli {

const char* to_string(PruneVerdict v) {
  return v == PruneVerdict::robust ? "robust" : v == PruneVerdict::not_robust ? "not-robust" : "unknown";
}

std::vector<std::vector<int>> pruned_indices(const net::Mask& m) {
  std::vector<std::vector<int>> out;
  for (const auto& layer : m) {
    out.emplace_back();
    for (size_t i = 0; i < layer.size(); ++i)
      if (!layer[i]) out.back().push_back(static_cast<int>(i));
  }
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool point_query(const spec::Problem& p) { return p.box.lo == p.box.hi; }

// Keeps (x, mask) when its exact margin is the lowest seen; a margin <= 0 that exact evaluation
// confirms decides not-robust.
void offer(const spec::Problem& p, PruneAnswer& a, const Eigen::VectorXd& x, const net::Mask& mask,
           const std::string& who) {
  spec::Witness w{x, {}, mask};
  const bool violated = spec::confirm_witness(p, w);
  if (!w.y.size()) return;  // outside the box or an inadmissible mask
  const double m = p.property.margin(w.y);
  if (m < a.upper || a.worst.empty()) {
    a.upper = m;
    a.worst = mask;
    a.worst_x = x;
  }
  if (violated && a.verdict == PruneVerdict::unknown) {
    a.verdict = PruneVerdict::not_robust;
    a.engine = who;
  }
}

void take_lower(PruneAnswer& a, double lower, const std::string& who) {
  a.lower = std::max(a.lower, lower);
  if (a.lower > 0 && a.verdict == PruneVerdict::unknown) {
    a.verdict = PruneVerdict::robust;
    a.engine = who;
  }
}

// At a fixed input, the mask that prunes, in the last pruned hidden layer L only, the s_L
// neurons whose removal lowers the active competitor's margin most to first order (gradient
// under the unpruned activation pattern). When L is the only pruned layer and the last hidden
// one this is the exact minimiser for that competitor (the margin is linear in the mask there:
// the top-s selection of the mask-aware bound), so trying every competitor's row finds the worst
// mask of seed 003 Problem 1 exactly.
void top_s_witnesses(const spec::Problem& p, PruneAnswer& a) {
  const net::LayeredNetwork& net = *p.net;
  const int K = net.num_hidden();
  int L = -1;
  for (int k = 0; k < K; ++k)
    if (p.budget->s[k] > 0) L = k;
  if (L < 0) return;
  const Eigen::VectorXd x = p.box.lo;
  const std::vector<Eigen::VectorXd> z = net.pre_activations(x);
  const Eigen::VectorXd h = z[L].cwiseMax(0.0);
  std::vector<std::pair<double, int>> gains;
  for (const auto& conj : p.property.disjuncts)
    for (const auto& row : conj.rows) {
      // g = d (c.y) / d h_L under the unpruned pattern of the layers above L.
      Eigen::VectorXd gz = row.c;
      for (int k = K - 1; k >= L; --k) {
        Eigen::VectorXd gh = net.layers[k + 1].W.transpose() * gz;
        if (k == L) {
          gz = gh;
          break;
        }
        gz = gh.cwiseProduct((z[k].array() > 0).cast<double>().matrix());
      }
      gains.clear();
      for (int i = 0; i < h.size(); ++i)
        if (gz[i] * h[i] > 0) gains.push_back({gz[i] * h[i], i});
      const size_t s = std::min<size_t>(gains.size(), static_cast<size_t>(p.budget->s[L]));
      std::partial_sort(gains.begin(), gains.begin() + s, gains.end(),
                        [](const auto& u, const auto& v) { return u.first > v.first; });
      net::Mask mask = net.full_mask();
      for (size_t t = 0; t < s; ++t) mask[L][gains[t].second] = 0;
      offer(p, a, x, mask, "bound");
    }
}

// Mask pass-through back-substitution: lower bounds of the rows C z_k + c0 of layer k's
// pre-activations (k = K: the outputs) over the box and every admissible mask. Where the mask
// bundled CROWN (crown.cpp) stops at the topmost prunable layer and concretises it with interval
// bounds (losing how that layer depends on the layers below), this goes through every layer:
// with coefficient lam_i on the pruned output m_i h_i (0 <= h_i <= u_i),
//   lam_i >= 0:  lam_i m_i h_i >= lam_i h_i - lam_i u_i (1 - m_i)   (equality at m_i = 1),
//   lam_i <  0:  lam_i m_i h_i >= lam_i h_i,
// so the coefficient on h_i stays lam_i and the mask terms -lam_i u_i (1 - m_i) of each layer are
// minimised exactly by pruning the s_k largest lam_i u_i (seed 003's top-s, per layer).
// h = relu(z) is relaxed as in CROWN (adaptive lower slope, upper chord) with the bounds `pre`
// (valid for every admissible mask). Each layer's result is rounded down by a relative 1e-9.
Eigen::VectorXd pass_through_lower(const net::LayeredNetwork& net, const std::vector<bounds::LayerBounds>& pre,
                                   const spec::PruningBudget& budget, const spec::Box& box, int k,
                                   const Eigen::MatrixXd& C, const Eigen::VectorXd& c0) {
  const Eigen::Index R = C.rows();
  Eigen::MatrixXd lam = (C * net.layers[k].W).transpose();  // on h^p_{k-1} (or x when k = 0)
  Eigen::VectorXd cst = C * net.layers[k].b + c0;
  Eigen::VectorXd mag = cst.cwiseAbs();
  std::vector<double> gains;
  for (int j = k - 1; j >= 0; --j) {
    const Eigen::VectorXd& l = pre[j].lo;
    const Eigen::VectorXd& u = pre[j].hi;
    const Eigen::Index d = l.size();
    if (budget.s[j] > 0)
      for (Eigen::Index r = 0; r < R; ++r) {
        gains.clear();
        for (Eigen::Index i = 0; i < d; ++i)
          if (lam(i, r) > 0 && u[i] > 0) gains.push_back(lam(i, r) * u[i]);
        const size_t s = std::min<size_t>(gains.size(), static_cast<size_t>(budget.s[j]));
        std::partial_sort(gains.begin(), gains.begin() + s, gains.end(), std::greater<double>());
        for (size_t t = 0; t < s; ++t) {
          cst[r] -= gains[t];
          mag[r] += gains[t];
        }
      }
    Eigen::MatrixXd lz(d, R);
    for (Eigen::Index r = 0; r < R; ++r)
      for (Eigen::Index i = 0; i < d; ++i) {
        const double a = lam(i, r);
        if (u[i] <= 0) lz(i, r) = 0;
        else if (l[i] >= 0) lz(i, r) = a;
        else {  // the engine's lines (h <= u / (u - l) (z - l), or h <= u where u - l overflows)
          const bounds::ReluLines lines = bounds::unstable_relu_lines(l[i], u[i]);
          if (a >= 0) {
            lz(i, r) = a * lines.lower_slope;
          } else {
            lz(i, r) = a * lines.upper_slope;
            cst[r] += a * lines.upper_bias;
            mag[r] += std::abs(a * lines.upper_bias);
          }
        }
      }
    const Eigen::VectorXd bterm = lz.transpose() * net.layers[j].b;
    cst += bterm;
    mag += (lz.cwiseAbs().transpose() * net.layers[j].b.cwiseAbs());
    lam = net.layers[j].W.transpose() * lz;
  }
  const Eigen::VectorXd mid = box.center(), rad = 0.5 * (box.hi - box.lo);
  const Eigen::VectorXd v = cst + lam.transpose() * mid - lam.cwiseAbs().transpose() * rad;
  mag += lam.cwiseAbs().transpose() * (mid.cwiseAbs() + rad);
  return v - 1e-9 * mag - Eigen::VectorXd::Constant(R, 1e-12);
}

// The property's lower bound by pass_through_lower, with every hidden layer's bounds first
// tightened the same way (intersected with the engine's).
double pass_through_bound(const spec::Problem& p, std::vector<bounds::LayerBounds> pre) {
  const net::LayeredNetwork& net = *p.net;
  const int K = net.num_hidden();
  for (int k = 1; k < K; ++k) {
    const int d = net.hidden_width(k);
    Eigen::MatrixXd I2(2 * d, d);
    I2 << Eigen::MatrixXd::Identity(d, d), -Eigen::MatrixXd::Identity(d, d);
    const Eigen::VectorXd r = pass_through_lower(net, pre, *p.budget, p.box, k, I2, Eigen::VectorXd::Zero(2 * d));
    pre[k].lo = pre[k].lo.cwiseMax(r.head(d));
    pre[k].hi = pre[k].hi.cwiseMin(-r.tail(d));
    if ((pre[k].lo.array() > pre[k].hi.array()).any()) return -std::numeric_limits<double>::infinity();  // numerics
  }
  double margin = std::numeric_limits<double>::infinity();
  for (const auto& conj : p.property.disjuncts) {
    if (conj.rows.empty()) return -std::numeric_limits<double>::infinity();
    Eigen::MatrixXd C(conj.rows.size(), net.output_dim());
    Eigen::VectorXd c0(conj.rows.size());
    for (size_t r = 0; r < conj.rows.size(); ++r) {
      C.row(r) = conj.rows[r].c.transpose();
      c0[r] = -conj.rows[r].d;
    }
    margin = std::min(margin, pass_through_lower(net, pre, *p.budget, p.box, K, C, c0).maxCoeff());
  }
  return margin;
}

void run_bound(const spec::Problem& p, const bounds::MarginDeviation& deviation, PruneAnswer& a) {
  offer(p, a, p.box.center(), p.net->full_mask(), "bound");
  if (a.verdict != PruneVerdict::unknown) return;  // misclassified with nothing pruned
  if (point_query(p)) {
    const bounds::MarginDeviationResult r = deviation.bound(*p.net, p.box.lo, p.property, *p.budget);
    if (r.certified) take_lower(a, r.margin_lower, "bound");
    if (a.verdict != PruneVerdict::unknown) return;
    // The top-s masks cost one forward and one backward pass per competitor, far less than the
    // CROWN bounds below, and they end most not-robust queries: try them first.
    top_s_witnesses(p, a);
    if (a.verdict != PruneVerdict::unknown) return;
  }
  bounds::BoundOptions bo;
  bo.method = bounds::Method::crown;
  const bounds::SubdomainBounds root = bounds::bound_root(p, bo);
  take_lower(a, root.margin_lower, "bound");
  if (a.verdict == PruneVerdict::unknown && !root.infeasible && root.pre.size() == p.net->layers.size())
    take_lower(a, pass_through_bound(p, root.pre), "bound");
}

std::vector<attack::MaskAttackKind> parse_attack_list(const std::string& text) {
  std::vector<attack::MaskAttackKind> kinds;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) kinds.push_back(attack::parse_mask_attack(item));
  return kinds;
}

void run_attack(const spec::Problem& p, const util::Options& o, double time_left, PruneAnswer& a) {
  attack::MaskAttackOptions mo;
  mo.seed = static_cast<uint64_t>(o.seed);
  mo.stop_when_found = true;
  mo.time_limit_s = time_left;
  const attack::MaskAttackResult r = attack::mask_attack(p, p.box.center(), mo, parse_attack_list(o.mask_attacks));
  if (!r.best.mask.empty()) offer(p, a, r.best.x, r.best.mask, "attack");
}

void run_complete(const std::string& engine, const spec::Problem& p, const util::Options& o, PruneAnswer& a,
                  bab::BabTree* tree) {
  const spec::Result r = run_engine(engine, p, o, engine == "bab" ? tree : nullptr);
  a.note = r.note;
  if (r.witness) offer(p, a, r.witness->x, r.witness->mask.empty() ? p.net->full_mask() : r.witness->mask, engine);
  if (r.verdict == spec::Verdict::unsat) {
    // Robust. A decision engine (smt, milp --goal decide) proves the worst margin positive without
    // a positive number for it (its lower bound is 0), so the verdict is taken from `unsat`, not
    // from a positive lower bound as take_lower would.
    a.lower = std::max({a.lower, r.margin_lower, 0.0});
    if (a.verdict == PruneVerdict::unknown) {
      a.verdict = PruneVerdict::robust;
      a.engine = engine;
    }
  } else {
    a.lower = std::max(a.lower, r.margin_lower);
  }
  // r.margin_upper without a witness (robust answers) has no mask to show: `upper` stays the
  // margin of `worst`, so the two always agree.
}

}  // namespace

PruneVerifier::PruneVerifier(std::shared_ptr<const net::LayeredNetwork> net)
    : net_(std::move(net)), deviation_(*net_) {}

PruneAnswer PruneVerifier::verify(const spec::Problem& p, const util::Options& o, bab::BabTree* tree) const {
  const auto t0 = Clock::now();
  if (!p.budget) throw util::InternalError("prune-verify: a problem without a pruning budget");
  // The margin-deviation bound uses the spectral norms computed for net_: another network,
  // even of the same shape, would get a wrong "robust".
  auto same_network = [&] {
    if (p.net.get() == net_.get()) return true;
    if (p.net->layers.size() != net_->layers.size()) return false;
    for (size_t k = 0; k < net_->layers.size(); ++k) {
      const auto &a = p.net->layers[k], &b = net_->layers[k];
      if (a.W.rows() != b.W.rows() || a.W.cols() != b.W.cols() || a.W != b.W || a.b != b.b) return false;
    }
    return true;
  };
  if (!same_network()) throw util::InternalError("prune-verify: the problem's network is not the verifier's");
  const std::string& e = o.engine;
  const bool is_auto = e == "auto";
  if (!is_auto && e != "bound" && e != "attack" && e != "bab" && e != "milp" && e != "smt" && e != "brute")
    throw util::InputError("--engine", "", "'" + e + "' is not a prune-verify engine (auto, bound, attack, bab, milp, smt, brute)");
  PruneAnswer a;
  a.engine = e;
  if (is_auto || e == "bound") run_bound(p, deviation_, a);
  else offer(p, a, p.box.center(), p.net->full_mask(), e);
  if (a.verdict == PruneVerdict::unknown && (is_auto || e == "attack"))
    run_attack(p, o, std::max(0.0, o.timeout - seconds_since(t0)), a);
  if (a.verdict == PruneVerdict::unknown && e != "bound" && e != "attack") {
    util::Options rest = o;
    rest.timeout = std::max(0.0, o.timeout - seconds_since(t0));
    run_complete(is_auto ? "bab" : e, p, rest, a, tree);
  }
  if (a.verdict == PruneVerdict::not_robust) {  // independent replay of the counterexample
    spec::Witness w{a.worst_x, {}, a.worst};
    if (!spec::confirm_witness(p, w)) throw util::InternalError("prune-verify: unconfirmed worst mask from " + a.engine);
    a.lower = std::min(a.lower, a.upper);
  }
  if (is_auto && a.engine == "auto") a.engine = "auto:undecided";
  else if (is_auto) a.engine = "auto:" + a.engine;
  a.time_s = seconds_since(t0);
  return a;
}

}  // namespace cli
