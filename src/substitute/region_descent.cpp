// Linear-region descent of an adversarial point towards x0 (after Croce and Hein's linear region
// attack, "A randomized gradient-free attack on ReLU networks", GCPR 2018). On the linear region
// of a point (its ReLU phases fixed) the network is affine, so the point of the region's unsafe
// part closest to x0 in L-inf is an LP:
//     min t  subject to  |x - x0| <= t,  x in the clip box,  s_i z_i(x) >= 0 (every hidden
//                        neuron, s_i its phase),  the rows of one unsafe disjunct <= -tau.
// Its optimum x* lies on facets of the region; the phase rows that bind it (non-zero prices) are
// the neurons to flip. x* also lies in the closure of the region with those phases flipped (at
// z_i = 0 both phases give the same values downstream), so that region's LP starts no higher:
// the radius never grows. The descent stops at a region whose optimum binds no phase row (a
// local minimum of the distance over the unsafe set, see below), at a region seen before, or at
// its limits.
// Nothing here is trusted: every point is re-checked by spec::confirm_witness on the ball of its
// own radius before it is returned (the start excepted: callers pass a confirmed one).
// "Binds no phase row" is a local minimum as far as the LP's prices tell: a facet the optimum
// touches with a zero price may still lead to a lower region, which the walk does not try.
#include <Clp_C_Interface.h>

#include <cfloat>
#include <chrono>
#include <cmath>
#include <set>

#include "encodings/clp_handle.h"
#include "src/substitute/substitute.h"

namespace substitute {

namespace {

using Clock = std::chrono::steady_clock;
using Pattern = std::vector<uint8_t>;  // every hidden neuron's phase, layer after layer: 1 active

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The phases of the hidden neurons given every layer's pre-activations (the output's last).
Pattern pattern_of(const std::vector<Vector>& pre) {
  Pattern p;
  for (size_t k = 0; k + 1 < pre.size(); ++k)
    for (Eigen::Index i = 0; i < pre[k].size(); ++i) p.push_back(pre[k][i] > 0 ? 1 : 0);
  return p;
}

// The region's maps are dense: num_relus x input_dim numbers (a convolutional CIFAR network
// would need gigabytes). Such networks keep PGD's point.
bool walkable(const net::LayeredNetwork& f, const RegionDescentOptions& o) {
  return static_cast<double>(f.num_relus()) * f.input_dim() <= o.max_map_entries;
}

// The network on the region of `p`: every hidden pre-activation z = Z x + z0 (rows stacked layer
// after layer) and the outputs y = Y x + y0.
struct RegionMaps {
  Eigen::MatrixXd Z, Y;
  Vector z0, y0;
};

RegionMaps region_maps(const net::LayeredNetwork& f, const Pattern& p) {
  RegionMaps m;
  m.Z.resize(f.num_relus(), f.input_dim());
  m.z0.resize(f.num_relus());
  Eigen::MatrixXd A;  // post-activations of the previous layer: A x + a (none before layer 0)
  Vector a;
  int row = 0;
  for (size_t k = 0; k < f.layers.size(); ++k) {
    const auto& L = f.layers[k];
    Eigen::MatrixXd M = k == 0 ? L.W : Eigen::MatrixXd(L.W * A);
    Vector c = k == 0 ? L.b : Vector(L.W * a + L.b);
    if (k + 1 == f.layers.size()) {
      m.Y = std::move(M);
      m.y0 = std::move(c);
      break;
    }
    m.Z.middleRows(row, M.rows()) = M;
    m.z0.segment(row, M.rows()) = c;
    for (Eigen::Index i = 0; i < M.rows(); ++i)
      if (!p[row + i]) {
        M.row(i).setZero();
        c[i] = 0;
      }
    row += static_cast<int>(M.rows());
    A = std::move(M);
    a = std::move(c);
  }
  return m;
}

struct RegionLp {
  bool optimal = false;
  Vector x;
  double t = kInf;
  std::vector<int> binding;  // hidden neurons whose phase rows bind the optimum
};

// The LP of the header for disjunct D on the region of `p`, with the radius at most t_max (the
// columns' bounds hold the ball of t_max too). Phase rows that cannot be violated on those
// bounds (interval arithmetic) are left out, and so are those of neurons whose pre-activation
// hardly depends on x (|Z_i|_1 below 1e-9 of the largest: e.g. a neuron with weights near 0,
// whose row Clp's scaling blows up until its answers are far from optimal). Leaving a row out
// can only let x* stray from the region; x* is checked by the caller either way.
RegionLp solve_region_lp(const RegionMaps& m, const Pattern& p, const spec::Conjunction& D, const Anchor& a,
                         double t_max, double tau, double limit_s) {
  const int n = static_cast<int>(m.Z.cols()), R = static_cast<int>(D.rows.size());
  std::vector<double> col_lo(n + 1), col_hi(n + 1), obj(n + 1, 0.0);
  for (int j = 0; j < n; ++j) {
    col_lo[j] = std::max(a.clip_lo, a.x0[j] - t_max);
    col_hi[j] = std::min(a.clip_hi, a.x0[j] + t_max);
  }
  col_lo[n] = 0;
  col_hi[n] = t_max;
  obj[n] = 1.0;
  const Eigen::Map<const Vector> lo(col_lo.data(), n), hi(col_hi.data(), n);
  const Vector mid = 0.5 * (lo + hi), half = 0.5 * (hi - lo);
  // Phase rows s_i (Z_i x + z0_i) >= 0 that can bind, then the property rows c^T (Y x + y0) - d <= -tau.
  std::vector<int> neuron;
  const Vector norm = m.Z.cwiseAbs().rowwise().sum();  // |Z_i|_1
  const double largest = norm.size() ? norm.maxCoeff() : 0.0;
  for (Eigen::Index i = 0; i < m.Z.rows(); ++i) {
    const double s = p[i] ? 1.0 : -1.0;
    if (norm[i] <= 1e-9 * largest) continue;
    if (s * (m.Z.row(i).dot(mid) + m.z0[i]) - m.Z.row(i).cwiseAbs().dot(half) > 0) continue;
    neuron.push_back(static_cast<int>(i));
  }
  const int F = static_cast<int>(neuron.size()), rows = F + R + 2 * n;
  std::vector<double> row_lo(rows), row_hi(rows);
  Eigen::MatrixXd dense(F + R, n);
  for (int r = 0; r < F; ++r) {
    const int i = neuron[r];
    const double s = p[i] ? 1.0 : -1.0;
    dense.row(r) = s * m.Z.row(i);
    row_lo[r] = -s * m.z0[i];
    row_hi[r] = DBL_MAX;
  }
  for (int r = 0; r < R; ++r) {
    const auto& row = D.rows[r];
    dense.row(F + r) = row.c.transpose() * m.Y;
    row_lo[F + r] = -DBL_MAX;
    row_hi[F + r] = row.d - row.c.dot(m.y0) - tau;
  }
  // Rows scaled to a largest coefficient of 1, and Clp's own scaling off: with it, Clp's dual
  // simplex stopped 0.6% above the optimum on the first region of a FashionMNIST MLP (its
  // barrier and unscaled simplex agreed on the optimum; these rows and no scaling reach it).
  for (int r = 0; r < F + R; ++r) {
    const double big = dense.row(r).cwiseAbs().maxCoeff();
    if (!(big > 0)) continue;
    dense.row(r) /= big;
    if (row_lo[r] != -DBL_MAX) row_lo[r] /= big;
    if (row_hi[r] != DBL_MAX) row_hi[r] /= big;
    // Clp's row tolerance (1e-7) now counts in units of `big`: the property rows keep a margin of
    // 1e-6 of them besides tau, so that x* is unsafe however large the margin's gradient is.
    if (r >= F) row_hi[r] -= 1e-6;
  }
  // Ball rows: x_j - t <= x0_j and x_j + t >= x0_j.
  for (int j = 0; j < n; ++j) {
    row_lo[F + R + 2 * j] = -DBL_MAX;
    row_hi[F + R + 2 * j] = a.x0[j];
    row_lo[F + R + 2 * j + 1] = a.x0[j];
    row_hi[F + R + 2 * j + 1] = DBL_MAX;
  }
  std::vector<CoinBigIndex> start{0};
  std::vector<int> index;
  std::vector<double> value;
  index.reserve(static_cast<size_t>(F + R) * n + 4 * n);
  value.reserve(index.capacity());
  for (int j = 0; j <= n; ++j) {
    for (int i = 0; j < n && i < F + R; ++i)
      if (dense(i, j) != 0.0) {
        index.push_back(i);
        value.push_back(dense(i, j));
      }
    for (int k = 0; k < n; ++k) {  // column j < n: +1 in its two ball rows; the column t: -1, +1 in all
      if (j < n && k != j) continue;
      index.push_back(F + R + 2 * k);
      value.push_back(j < n ? 1.0 : -1.0);
      index.push_back(F + R + 2 * k + 1);
      value.push_back(1.0);
    }
    start.push_back(static_cast<CoinBigIndex>(index.size()));
  }
  encodings::ClpHandle h;
  Clp_setLogLevel(h.m, 0);
  Clp_loadProblem(h.m, n + 1, rows, start.data(), index.data(), value.data(), col_lo.data(), col_hi.data(),
                  obj.data(), row_lo.data(), row_hi.data());
  Clp_setMaximumSeconds(h.m, std::max(limit_s, 1e-3));
  Clp_scaling(h.m, 0);
  Clp_dual(h.m, 0);
  RegionLp out;
  if (Clp_status(h.m) != 0) return out;
  out.optimal = true;
  const double* sol = Clp_getColSolution(h.m);
  out.x = Eigen::Map<const Vector>(sol, n).cwiseMax(lo).cwiseMin(hi);
  out.t = sol[n];
  const double* price = Clp_getRowPrice(h.m);
  for (int r = 0; r < F; ++r)
    if (std::abs(price[r]) > 1e-12) out.binding.push_back(neuron[r]);
  return out;
}

}  // namespace

RegionDescent region_descent(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a, const Vector& start,
                             const RegionDescentOptions& o) {
  const auto t0 = Clock::now();
  const net::LayeredNetwork& f = *net;
  RegionDescent out;
  out.x = start;
  out.radius = witness_radius(a, start);
  const spec::OutputProperty prop = spec::robustness_property(f.output_dim(), a.label);
  // The rows of the LP ask for a margin of -tau, not 0, so that x* stays unsafe after Clp's
  // tolerances (1e-7 on rows) and the rounding of the forward pass.
  const std::vector<Vector> pre_start = f.pre_activations(start);
  const Vector& y_start = pre_start.back();
  const double tau = 1e-6 * std::max(1.0, y_start.lpNorm<Eigen::Infinity>());
  // Accepts x when it is a confirmed adversarial point closer than the best so far.
  auto accept = [&](const Vector& x) {
    const double r = witness_radius(a, x);
    if (!(r < out.radius)) return false;
    spec::Witness w;
    w.x = x;
    if (!spec::confirm_witness(ball_problem(net, a, r), w)) return false;
    out.x = x;
    out.radius = r;
    out.improved = true;
    return true;
  };
  // The disjunct violated at the start: the one to follow (others are tried where it stalls).
  int current = -1;
  {
    double best = kInf;
    for (size_t d = 0; d < prop.disjuncts.size(); ++d) {
      const double v = prop.disjuncts[d].margin(y_start);
      if (v < best) best = v, current = static_cast<int>(d);
    }
  }
  if (current < 0 || !walkable(f, o)) return out;
  Pattern p = pattern_of(pre_start);
  std::set<Pattern> seen;
  std::vector<double> radius_at;  // the best radius before each region
  while (out.regions < o.max_regions && since(t0) < o.time_limit_s) {
    if (!seen.insert(p).second) break;
    // Long walks creep (on Marabou's mnist20x40: 100 regions for 1.5%): stop where the last
    // `stall_regions` regions gained less than a relative `stall_gain` together.
    radius_at.push_back(out.radius);
    if (out.regions >= o.stall_regions && out.radius > (1 - o.stall_gain) * radius_at[out.regions - o.stall_regions])
      break;
    ++out.regions;
    const RegionMaps m = region_maps(f, p);
    RegionLp best;
    int best_d = -1;
    // The followed disjunct first; the others only where it gives nothing to flip.
    for (int pass = 0; pass < 2 && best_d < 0; ++pass)
      for (size_t d = 0; d < prop.disjuncts.size(); ++d) {
        if ((pass == 0) != (static_cast<int>(d) == current)) continue;
        if (since(t0) >= o.time_limit_s) break;
        ++out.lps;
        RegionLp lp = solve_region_lp(m, p, prop.disjuncts[d], a, out.radius, tau, o.time_limit_s - since(t0));
        if (!lp.optimal) continue;
        accept(lp.x);
        if (lp.t < best.t * (1 - 1e-9) && !lp.binding.empty()) {
          best = std::move(lp);
          best_d = static_cast<int>(d);
        }
      }
    if (best_d < 0) break;
    current = best_d;
    for (int i : best.binding) p[i] ^= 1;
  }
  out.time_s = since(t0);
  return out;
}

RegionDescent region_descent_per_class(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a,
                                       const Vector& start, const attack::AttackOptions& pgd,
                                       const RegionDescentOptions& o) {
  const auto t0 = Clock::now();
  auto left = [&] { return std::max(0.0, o.time_limit_s - since(t0)); };
  const spec::Problem ball = ball_problem(net, a, witness_radius(a, start));
  RegionDescentOptions ro = o;
  // Each walk gets an equal share of what is left for it and the walks after it, so that a long
  // first walk does not starve the classes' walks.
  const size_t walks = 1 + ball.property.disjuncts.size();
  ro.time_limit_s = left() / walks;
  RegionDescent best = region_descent(net, a, start, ro);
  if (!walkable(*net, o)) return best;  // no walks, so no targeted PGD for them either
  for (size_t j = 0; j < ball.property.disjuncts.size() && left() > 0; ++j) {
    spec::Problem pj = ball;  // "class j reaches the label's output" alone
    pj.property.disjuncts = {ball.property.disjuncts[j]};
    attack::AttackOptions ao = pgd;
    ao.time_limit_s = std::min(ao.time_limit_s, left());
    const attack::AttackResult r = attack::pgd_attack(pj, ao);
    if (!r.found) continue;
    ro.time_limit_s = left() / static_cast<double>(walks - 1 - j);
    RegionDescent rj = region_descent(net, a, r.best.x, ro);
    best.regions += rj.regions;
    best.lps += rj.lps;
    // rj.x is confirmed on the whole property when rj improved; r.best.x, on class j's part of it
    // (a counterexample of pj is one of the whole property), within the ball.
    if (rj.radius < best.radius) {
      best.x = std::move(rj.x);
      best.radius = rj.radius;
      best.improved = true;
    }
  }
  best.time_s = since(t0);
  return best;
}

}  // namespace substitute
