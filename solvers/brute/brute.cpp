// The `brute` engine, the test oracle: independent of the encoders and of the BoundEngine. A
// depth-first enumeration over hidden neurons, layer by layer, of every admissible mask (at most
// s_k pruned per layer) and every activation phase; on a fixed prefix the network is affine in x,
// so pre-activations are exact rational affine forms, phases fixed by their exact range on the
// box are not branched, and branches are cut only when an LP certifies them empty. Each leaf is
// an LP per disjunct (exact_lp.h); the minimum over leaves is the exact worst margin.
#include <gmpxx.h>

#include <cmath>
#include <sstream>

#include "solvers/brute/exact_lp.h"
#include "solvers/internal.h"
#include "src/util/errors.h"

namespace solvers {

namespace {

using brute::Affine;
using brute::ExactLp;

constexpr double kInf = std::numeric_limits<double>::infinity();

double round_down(const mpq_class& q) {
  double d = q.get_d();
  if (mpq_class(d) > q) d = std::nextafter(d, -kInf);
  return d;
}

// log2 of the number of admissible masks and the number of ReLUs that interval arithmetic
// (in doubles, widened) cannot fix on the box, for the size check. Pruning can only lower a
// post-activation to 0, so the hidden intervals are [0, hi] when a layer can be pruned.
std::pair<double, int> enumeration_size(const spec::Problem& p) {
  const auto& net = *p.net;
  Eigen::VectorXd lo = p.box.lo, hi = p.box.hi;
  double mask_bits = 0;
  int unstable = 0;
  for (int k = 0; k < net.num_hidden(); ++k) {
    const auto& W = net.layers[k].W;
    const Eigen::MatrixXd Wp = W.cwiseMax(0.0), Wn = W.cwiseMin(0.0);
    Eigen::VectorXd zl = Wp * lo + Wn * hi + net.layers[k].b, zu = Wp * hi + Wn * lo + net.layers[k].b;
    const double widen = 1e-9 * (zl.cwiseAbs().maxCoeff() + zu.cwiseAbs().maxCoeff() + 1.0);
    int live = 0;
    for (int i = 0; i < zl.size(); ++i) {
      unstable += zl[i] < widen && zu[i] > -widen;
      live += zu[i] > -widen;
    }
    const int s = p.budget ? p.budget->s[k] : 0;
    double masks = 0;  // sum_{j <= s} C(live, j)
    for (int j = 0; j <= std::min(s, live); ++j) masks += std::exp(std::lgamma(live + 1.0) - std::lgamma(j + 1.0) - std::lgamma(live - j + 1.0));
    mask_bits += std::log2(std::max(1.0, masks));
    lo = zl.cwiseMax(0.0);
    hi = zu.cwiseMax(0.0);
    if (s > 0) lo.setZero();
  }
  return {mask_bits, unstable};
}

class Enumerator {
 public:
  Enumerator(const spec::Problem& p, const BruteOptions& o) : p_(p), o_(o), start_(std::chrono::steady_clock::now()) {
    const auto& net = *p.net;
    d_ = net.input_dim();
    for (int j = 0; j < d_; ++j) {
      lo_.emplace_back(p.box.lo[j]);
      hi_.emplace_back(p.box.hi[j]);
    }
    W_.resize(net.layers.size());
    b_.resize(net.layers.size());
    for (size_t k = 0; k < net.layers.size(); ++k) {
      const auto& l = net.layers[k];
      W_[k].assign(l.W.rows(), std::vector<mpq_class>(l.W.cols()));
      for (int i = 0; i < l.W.rows(); ++i)
        for (int j = 0; j < l.W.cols(); ++j) W_[k][i][j] = l.W(i, j);
      for (int i = 0; i < l.b.size(); ++i) b_[k].emplace_back(l.b[i]);
    }
    budget_left_ = p.budget ? p.budget->s : std::vector<int>(net.num_hidden(), 0);
    mask_ = net.full_mask();
  }

  // Returns false on timeout.
  bool run() {
    std::vector<Affine> x(d_);
    for (int j = 0; j < d_; ++j) {
      x[j].a.assign(d_, 0);
      x[j].a[j] = 1;
      x[j].c = 0;
    }
    std::vector<std::optional<Affine>> in(x.begin(), x.end());
    z_ = next_layer(0, in);
    h_.assign(z_.size(), std::nullopt);
    return dfs(0, 0);
  }

  mpq_class lower() const { return lower_; }
  bool has_point() const { return best_.has_value(); }
  spec::Witness witness() const { return *best_; }
  util::Stats& stats() { return stats_; }
  const brute::LpCounters& counters() const { return counters_; }

 private:
  // Pre-activations of layer k from the values h of the layer below (nullopt = 0).
  std::vector<Affine> next_layer(size_t k, const std::vector<std::optional<Affine>>& h) const {
    std::vector<Affine> z(W_[k].size());
    for (size_t i = 0; i < z.size(); ++i) {
      z[i].a.assign(d_, 0);
      z[i].c = b_[k][i];
      for (size_t j = 0; j < h.size(); ++j) {
        if (!h[j] || W_[k][i][j] == 0) continue;
        for (int t = 0; t < d_; ++t) z[i].a[t] += W_[k][i][j] * h[j]->a[t];
        z[i].c += W_[k][i][j] * h[j]->c;
      }
    }
    return z;
  }

  bool timed_out() const { return seconds_since(start_) > o_.timeout_s; }

  bool dfs(size_t k, size_t i) {
    const size_t hidden = W_.size() - 1;
    if (i == z_.size()) {  // layer k done
      std::vector<Affine> z_next = next_layer(k + 1, h_);
      if (k + 1 == hidden) return leaf(z_next);
      std::vector<Affine> z_saved = std::move(z_);
      std::vector<std::optional<Affine>> h_saved = std::move(h_);
      z_ = std::move(z_next);
      h_.assign(z_.size(), std::nullopt);
      const bool ok = dfs(k + 1, 0);
      z_ = std::move(z_saved);
      h_ = std::move(h_saved);
      return ok;
    }
    const Affine& z = z_[i];
    const mpq_class zl = brute::min_over_box(z, lo_, hi_), zu = brute::max_over_box(z, lo_, hi_);
    if (zu > 0 && budget_left_[k] > 0) {  // pruned: h = 0 whatever the phase
      --budget_left_[k];
      mask_[k][i] = 0;
      h_[i].reset();
      const bool ok = dfs(k, i + 1);
      mask_[k][i] = 1;
      ++budget_left_[k];
      if (!ok) return false;
    }
    if (zu <= 0) {  // inactive on the whole box
      h_[i].reset();
      return dfs(k, i + 1);
    }
    if (zl >= 0) {  // active on the whole box
      h_[i] = z;
      return dfs(k, i + 1);
    }
    // Both phases possible on the box: active is -z <= 0, inactive is z <= 0.
    Affine neg = z;
    for (auto& a : neg.a) a = -a;
    neg.c = -neg.c;
    region_.push_back(neg);
    const bool active_ok = brute::maybe_feasible(region_, lo_, hi_, counters_);
    if (active_ok) {
      h_[i] = z;
      if (!dfs(k, i + 1)) return false;
    }
    region_.pop_back();
    if (active_ok) {
      region_.push_back(z);
      const bool inactive_ok = brute::maybe_feasible(region_, lo_, hi_, counters_);
      if (inactive_ok) {
        h_[i].reset();
        if (!dfs(k, i + 1)) return false;
      }
      region_.pop_back();
      return true;
    }
    // The active half is empty: the whole region is inactive, no row needed.
    h_[i].reset();
    return dfs(k, i + 1);
  }

  bool leaf(const std::vector<Affine>& y) {
    stats_.nodes += 1;
    if (timed_out()) return false;
    const auto& prop = p_.property;
    for (size_t D = 0; D < prop.disjuncts.size(); ++D) {
      const auto& rows = prop.disjuncts[D].rows;
      // g_r = c_r . y - d_r as affine forms of x.
      std::vector<Affine> g;
      mpq_class box_lower = -1;  // max_r min_box g_r
      bool first = true;
      for (const auto& r : rows) {
        Affine f;
        f.a.assign(d_, 0);
        f.c = -mpq_class(r.d);
        for (int o = 0; o < r.c.size(); ++o) {
          if (r.c[o] == 0.0) continue;
          const mpq_class co(r.c[o]);
          for (int t = 0; t < d_; ++t) f.a[t] += co * y[o].a[t];
          f.c += co * y[o].c;
        }
        const mpq_class ml = brute::min_over_box(f, lo_, hi_);
        if (first || ml > box_lower) box_lower = ml;
        first = false;
        g.push_back(std::move(f));
      }
      if (best_ && box_lower >= best_upper_) {  // cannot beat the best point: its bound is enough
        lower_ = std::min(lower_, box_lower);
        continue;
      }
      ExactLp lp;
      lp.lo = lo_;
      lp.hi = hi_;
      lp.rows = region_;
      if (g.size() == 1) {
        lp.objective = g[0];
      } else {  // min t subject to g_r(x) - t <= 0, t in [max_r min g_r, max_r max g_r]
        mpq_class t_hi = brute::max_over_box(g[0], lo_, hi_);
        for (const auto& f : g) t_hi = std::max(t_hi, brute::max_over_box(f, lo_, hi_));
        lp.lo.push_back(box_lower);
        lp.hi.push_back(t_hi);
        for (auto& row : lp.rows) row.a.push_back(0);
        for (auto f : g) {
          f.a.push_back(-1);
          lp.rows.push_back(std::move(f));
        }
        lp.objective.a.assign(d_ + 1, 0);
        lp.objective.a[d_] = 1;
        lp.objective.c = 0;
      }
      const brute::LpAnswer a = brute::solve_lp(lp, counters_);
      if (a.infeasible) continue;
      lower_ = std::min(lower_, a.lower);
      consider(std::vector<double>(a.point.begin(), a.point.begin() + d_));
    }
    return true;
  }

  // The exact margin of the network at x with the current mask; keeps the best point.
  void consider(const std::vector<double>& xd) {
    std::vector<mpq_class> h;
    for (double v : xd) h.emplace_back(v);
    for (size_t k = 0; k < W_.size(); ++k) {
      std::vector<mpq_class> z(W_[k].size());
      for (size_t i = 0; i < z.size(); ++i) {
        z[i] = b_[k][i];
        for (size_t j = 0; j < h.size(); ++j) z[i] += W_[k][i][j] * h[j];
        if (k + 1 < W_.size() && (z[i] < 0 || !mask_[k][i])) z[i] = 0;
      }
      h = std::move(z);
    }
    mpq_class margin;
    bool first_d = true;
    for (const auto& conj : p_.property.disjuncts) {
      mpq_class worst;
      bool first_r = true;
      for (const auto& r : conj.rows) {
        mpq_class v = -mpq_class(r.d);
        for (int o = 0; o < r.c.size(); ++o)
          if (r.c[o] != 0.0) v += mpq_class(r.c[o]) * h[o];
        if (first_r || v > worst) worst = v;
        first_r = false;
      }
      if (first_d || worst < margin) margin = worst;
      first_d = false;
    }
    if (!best_ || margin < best_upper_) {
      best_upper_ = margin;
      spec::Witness w;
      w.x = Eigen::Map<const Eigen::VectorXd>(xd.data(), static_cast<Eigen::Index>(xd.size()));
      if (p_.budget) w.mask = mask_;
      best_ = w;
    }
  }

  const spec::Problem& p_;
  const BruteOptions& o_;
  std::chrono::steady_clock::time_point start_;
  int d_ = 0;
  std::vector<mpq_class> lo_, hi_;
  std::vector<std::vector<std::vector<mpq_class>>> W_;
  std::vector<std::vector<mpq_class>> b_;

  // DFS state: pre-activations of the current layer, the values chosen so far for it, the
  // phase rows of the current region, the mask and budget.
  std::vector<Affine> z_;
  std::vector<std::optional<Affine>> h_;
  std::vector<Affine> region_;
  net::Mask mask_;
  std::vector<int> budget_left_;

  mpq_class lower_ = mpq_class(1) << 1000;  // +"infinity" until a leaf is seen
  mpq_class best_upper_;
  std::optional<spec::Witness> best_;
  util::Stats stats_;
  brute::LpCounters counters_;
};

}  // namespace

spec::Result solve_brute(const spec::Problem& problem, const BruteOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (problem.property.disjuncts.empty())
    throw util::InputError("--engine brute", "", "the unsafe region is empty: nothing to enumerate");
  for (const auto& d : problem.property.disjuncts)
    if (d.rows.empty()) throw util::InputError("--engine brute", "", "a disjunct of the unsafe region has no row");
  if (problem.net->num_hidden() == 0)  // the enumeration walks hidden layers (an affine net: use bab or milp)
    throw util::InputError("--engine brute", "", "the network has no hidden layer: nothing to enumerate");
  const auto [mask_bits, unstable] = enumeration_size(problem);
  if (unstable + mask_bits > options.max_bits) {
    std::ostringstream msg;
    msg.precision(3);
    msg << "problem too large for brute force: " << unstable << " unstable ReLUs and 2^" << mask_bits
        << " admissible masks exceed 2^" << options.max_bits << " leaves";
    throw util::InputError("--engine brute", "", msg.str());
  }

  Enumerator e(problem, options);
  const bool finished = e.run();
  spec::Result r;
  r.engine = "brute";
  r.stats = e.stats();
  r.stats.lp_calls = e.counters().lp_calls + e.counters().exact_calls;
  r.stats.solver_calls = e.counters().exact_calls;
  if (e.has_point()) {
    spec::Witness w = e.witness();
    const bool violated = spec::confirm_witness(problem, w);
    r.margin_upper = problem.property.margin(w.y);
    if (violated) {
      r.verdict = spec::Verdict::sat;
      r.witness = w;
    }
  }
  if (finished) {
    r.margin_lower = std::min(round_down(e.lower()), r.margin_upper);
    if (r.margin_lower > 0) r.verdict = spec::Verdict::unsat;
    if (r.verdict == spec::Verdict::unknown)
      r.note = "the worst margin is 0 up to rounding of the double network (exact bound " +
               std::to_string(r.margin_lower) + ")";
  } else if (r.verdict != spec::Verdict::sat) {
    r.verdict = spec::Verdict::timeout;
  }
  std::ostringstream note;
  note << (r.note.empty() ? "" : r.note + "; ") << "exact enumeration: " << r.stats.nodes << " leaves, "
       << e.counters().lp_calls << " LPs (Clp, certified), " << e.counters().exact_calls << " exact LPs (Z3)";
  r.note = note.str();
  r.stats.time_s = seconds_since(start);
  return r;
}

}  // namespace solvers
