// Leaves where every ReLU's phase is known (fixed by a decision or stable under the bounds):
// the network is affine there, y = Y x + y0, on the polytope {x in box : P x + q >= 0} (one row
// per fixed phase), so the margin's minimum is an LP. The LP (leaf_lp.cpp) only proposes
// multipliers; the certified bound is the Lagrangian dual (as in beta-CROWN, Wang et al. 2021,
// eq. 7, with the optimal multipliers of the leaf LP): for mu >= 0 with sum 1 and lambda >= 0,
//   max_r f_r(x) >= sum_r mu_r f_r(x) - sum_i lambda_i (P_i x + q_i)   on the polytope,
// and its minimum over the box is exact interval arithmetic, widened like every bound.
#include <algorithm>
#include <cmath>
#include <limits>

#include "solvers/bab/internal.h"

namespace bab::detail {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Largest |x_j| over the box, per coordinate.
Eigen::VectorXd box_magnitude(const spec::Box& box) { return box.lo.cwiseAbs().cwiseMax(box.hi.cwiseAbs()); }

// min over the box of hc.x + h0, widened by rel * scale + abs (scale: magnitude of the terms summed).
double box_min(const spec::Box& box, const Eigen::VectorXd& hc, double h0, double scale, const bounds::BoundOptions& o) {
  double v = h0;
  for (int j = 0; j < box.dim(); ++j) v += std::min(hc[j] * box.lo[j], hc[j] * box.hi[j]);
  return v - (o.widen_rel * scale + o.widen_abs);
}

}  // namespace

bool linear_region(const spec::Problem& problem, const bounds::Subdomain& s, const bounds::SubdomainBounds& b,
                   LinearRegion* out) {
  if (maskable(s)) return false;
  const net::LayeredNetwork& net = *problem.net;
  const int n = net.input_dim(), K = net.num_hidden();
  if (static_cast<int>(b.pre.size()) != K + 1) return false;
  for (int k = 0; k < K; ++k)  // cheap scan first: most subdomains still have an unstable neuron
    for (int i = 0; i < net.hidden_width(k); ++i)
      if (unstable(s, b, k, i)) return false;
  // h = M x + m on the region (layer 0: M = I, applied implicitly); Ma, ma: the |.| composition.
  Eigen::MatrixXd M, Ma;
  Eigen::VectorXd m = Eigen::VectorXd::Zero(n), ma = m;
  std::vector<Eigen::RowVectorXd> P, Pa;
  std::vector<double> q, qa;
  for (int k = 0; k < K; ++k) {
    const Eigen::MatrixXd Z = k == 0 ? net.layers[0].W : Eigen::MatrixXd(net.layers[k].W * M);
    const Eigen::MatrixXd Za = k == 0 ? net.layers[0].W.cwiseAbs() : Eigen::MatrixXd(net.layers[k].W.cwiseAbs() * Ma);
    const Eigen::VectorXd z = net.layers[k].W * m + net.layers[k].b;
    const Eigen::VectorXd za = net.layers[k].W.cwiseAbs() * ma + net.layers[k].b.cwiseAbs();
    Eigen::VectorXd act(Z.rows());
    for (int i = 0; i < Z.rows(); ++i) {
      const int phase = s.phase.empty() ? 0 : s.phase[k][i];
      const bool pruned = !s.mask.empty() && s.mask[k][i] == 0;
      if (pruned) {
        act[i] = 0;
      } else if (phase != 0) {
        act[i] = phase > 0 ? 1 : 0;
        P.push_back(phase * Z.row(i));
        Pa.push_back(Za.row(i));
        q.push_back(phase * z[i]);
        qa.push_back(za[i]);
      } else if (b.pre[k].lo[i] >= 0) {
        act[i] = 1;
      } else if (b.pre[k].hi[i] <= 0) {
        act[i] = 0;
      } else {
        return false;  // unstable: not a linear region
      }
    }
    M = act.asDiagonal() * Z;
    m = act.asDiagonal() * z;
    Ma = act.asDiagonal() * Za;
    ma = act.asDiagonal() * za;
  }
  out->Y = K == 0 ? net.layers[0].W : Eigen::MatrixXd(net.layers[K].W * M);
  out->y0 = net.layers[K].W * m + net.layers[K].b;
  out->Y_abs = K == 0 ? net.layers[0].W.cwiseAbs() : Eigen::MatrixXd(net.layers[K].W.cwiseAbs() * Ma);
  out->y0_abs = net.layers[K].W.cwiseAbs() * ma + net.layers[K].b.cwiseAbs();
  const int F = static_cast<int>(P.size());
  out->P.resize(F, n);
  out->P_abs.resize(F, n);
  out->q.resize(F);
  out->q_abs.resize(F);
  for (int i = 0; i < F; ++i) {
    out->P.row(i) = P[i];
    out->P_abs.row(i) = Pa[i];
    out->q[i] = q[i];
    out->q_abs[i] = qa[i];
  }
  return true;
}

double lagrangian_bound(const spec::Box& box, const LinearRegion& region, const spec::Conjunction& conj,
                        const std::vector<double>& multipliers, const bounds::BoundOptions& o) {
  const int R = static_cast<int>(conj.rows.size()), F = static_cast<int>(region.P.rows());
  if (static_cast<int>(multipliers.size()) != R + F || R == 0) return -kInf;
  std::vector<double> mu(multipliers.begin(), multipliers.begin() + R);
  double total = 0;
  for (double& v : mu) total += (v = std::max(0.0, std::isfinite(v) ? v : 0.0));
  if (!(total > 0)) {
    std::fill(mu.begin(), mu.end(), 0.0);
    mu[0] = total = 1.0;
  }
  const Eigen::VectorXd mag = box_magnitude(box);
  Eigen::VectorXd hc = Eigen::VectorXd::Zero(box.dim());
  double h0 = 0, scale = 0;
  for (int r = 0; r < R; ++r) {
    const double w = mu[r] / total;
    const spec::Row& row = conj.rows[r];
    hc += w * (region.Y.transpose() * row.c);
    h0 += w * (row.c.dot(region.y0) - row.d);
    scale += w * (row.c.cwiseAbs().dot(region.Y_abs * mag + region.y0_abs) + std::abs(row.d));
  }
  for (int i = 0; i < F; ++i) {
    const double l = multipliers[R + i];
    if (!(l > 0) || !std::isfinite(l)) continue;
    hc -= l * region.P.row(i).transpose();
    h0 -= l * region.q[i];
    scale += l * (region.P_abs.row(i).dot(mag) + region.q_abs[i]);
  }
  return box_min(box, hc, h0, scale, o);
}

bool farkas_empty(const spec::Box& box, const LinearRegion& region, const std::vector<double>& lambda,
                  const bounds::BoundOptions& o) {
  const int F = static_cast<int>(region.P.rows());
  if (static_cast<int>(lambda.size()) != F || F == 0) return false;
  // max over the box of sum_i lambda_i (P_i x + q_i) < 0: no box point satisfies every row.
  const Eigen::VectorXd mag = box_magnitude(box);
  Eigen::VectorXd hc = Eigen::VectorXd::Zero(box.dim());
  double h0 = 0, scale = 0;
  for (int i = 0; i < F; ++i) {
    const double l = lambda[i];
    if (!(l > 0) || !std::isfinite(l)) continue;
    hc -= l * region.P.row(i).transpose();  // minimise the negation
    h0 -= l * region.q[i];
    scale += l * (region.P_abs.row(i).dot(mag) + region.q_abs[i]);
  }
  return box_min(box, hc, h0, scale, o) > 0;
}

LeafDecision decide_linear_region(const spec::Problem& problem, const bounds::Subdomain& s,
                                  const bounds::SubdomainBounds& b, const LinearRegion& region,
                                  const bounds::BoundOptions& o, int64_t max_entries, util::Stats* stats,
                                  double time_limit_s) {
  const auto t0 = Clock::now();
  LeafDecision out;
  const spec::Box& box = s.box;
  const int n = box.dim(), F = static_cast<int>(region.P.rows());
  const auto& disjuncts = problem.property.disjuncts;
  out.multipliers.assign(disjuncts.size(), {});
  out.margin_lower = kInf;
  double best_lp = kInf;
  for (size_t dj = 0; dj < disjuncts.size(); ++dj) {
    // A disjunct the bound already proves needs no multipliers.
    if (b.disjunct_lower.size() == static_cast<Eigen::Index>(disjuncts.size()) && b.disjunct_lower[dj] > 0) {
      out.margin_lower = std::min(out.margin_lower, b.disjunct_lower[dj]);
      continue;
    }
    const spec::Conjunction& conj = disjuncts[dj];
    const int R = static_cast<int>(conj.rows.size());
    if (R == 0) {  // an empty conjunction is always satisfied: margin -inf, nothing to prove
      out.margin_lower = -kInf;
      continue;
    }
    if (static_cast<int64_t>(R + F) * (n + 1) > max_entries) return LeafDecision{};
    Eigen::MatrixXd G(R, n);
    Eigen::VectorXd g(R);
    for (int r = 0; r < R; ++r) {
      G.row(r) = (region.Y.transpose() * conj.rows[r].c).transpose();
      g[r] = conj.rows[r].c.dot(region.y0) - conj.rows[r].d;
    }
    const double left = time_limit_s - seconds(t0, Clock::now());
    if (left <= 0) return LeafDecision{};
    const LeafLp sol = solve_leaf_lp(box, G, g, region.P, region.q, left);
    if (stats) stats->lp_calls += 1;
    if (sol.status == LeafLp::Status::infeasible) {
      if (farkas_empty(box, region, sol.multipliers, o)) {
        LeafDecision empty;
        empty.outcome = LeafDecision::Outcome::infeasible;
        empty.margin_lower = kInf;
        empty.multipliers = {sol.multipliers};
        return empty;
      }
      return LeafDecision{};
    }
    if (sol.status != LeafLp::Status::optimal) return LeafDecision{};
    double bound = lagrangian_bound(box, region, conj, sol.multipliers, o);
    if (std::isnan(bound)) bound = -kInf;  // an overflow (inf - inf) proves nothing
    out.margin_lower = std::min(out.margin_lower, std::max(bound, b.disjunct_lower.size() ? b.disjunct_lower[dj] : -kInf));
    out.multipliers[dj] = sol.multipliers;
    if (sol.value < best_lp) {
      best_lp = sol.value;
      out.candidate = sol.x;
    }
  }
  out.outcome = out.margin_lower > 0 ? LeafDecision::Outcome::proven : LeafDecision::Outcome::undecided;
  return out;
}

}  // namespace bab::detail
