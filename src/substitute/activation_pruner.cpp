// Activation-pattern preserving pruning (seed 001 Figure 2c, seed 000 Appendix A): the neurons
// whose phase is provably constant on B_delta(x0) are removed -- inactive ones dropped, active
// ones made linear -- so that g = f on B_delta. A layered network has no skip connections, so a
// linear neuron in a layer that keeps undecided ReLUs is written relu(z_i + M_i) - M_i with M_i
// from interval bounds of g on a region containing B_delta: it equals z_i there and is stable on
// the region, so complete engines treat it as linear. Layers left without undecided neurons are
// merged into the next affine map.
#include <chrono>
#include <cmath>

#include "src/substitute/internal.h"
#include "src/substitute/substitute.h"
#include "src/util/errors.h"
#include "src/util/rounding.h"

namespace substitute {

Phases stable_phases(const spec::Problem& problem, bounds::Method method) {
  bounds::BoundOptions bo;
  bo.method = method;
  bounds::SubdomainBounds b = bounds::bound_root(problem, bo);
  const net::LayeredNetwork& net = *problem.net;
  Phases p(net.num_hidden());
  for (int k = 0; k < net.num_hidden(); ++k) {
    p[k].assign(net.hidden_width(k), 0);
    for (int i = 0; i < net.hidden_width(k); ++i) {
      if (b.pre[k].lo[i] >= 0) p[k][i] = 1;
      else if (b.pre[k].hi[i] <= 0) p[k][i] = -1;
    }
  }
  return p;
}

int count_stable(const Phases& p) {
  int n = 0;
  for (const auto& layer : p)
    for (int8_t s : layer) n += s != 0;
  return n;
}

net::LayeredNetwork activation_substitute(const net::LayeredNetwork& f, const Phases& phases, const spec::Box& region,
                                          PruneReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  if (static_cast<int>(phases.size()) != f.num_hidden()) throw util::InternalError("activation_substitute: phases do not fit");
  net::LayeredNetwork g;
  // `cur` maps g's last hidden output (or the input) to the pre-activations of f's layer k.
  net::AffineLayer cur = f.layers[0];
  // Rounding of g's folded maps (see output_error in substitute.h), for x in B_delta inside
  // `region`: h_ideal is g's last hidden output in exact arithmetic (relu(z) of undecided
  // neurons, z + shift of linear ones, z of f), h_g what g's stored maps give; then
  // |h_g - h_ideal| <= eh, h_g lies in `hidden`, and cur is the exact map from h_ideal to f's
  // pre-activations of layer k up to EW and Eb entrywise (|cur.W - exact| <= EW, same for b).
  Matrix EW = Matrix::Zero(cur.W.rows(), cur.W.cols());
  Vector Eb = Vector::Zero(cur.b.size());
  Vector eh = Vector::Zero(region.lo.size());
  Interval hidden{region.lo, region.hi};  // g's last hidden output on `region` (IBP)
  // |cur(h_g) - exact(h_ideal)| per output of cur: (cur.W - exact.W) h_g + exact.W (h_g - h_ideal)
  // + (cur.b - exact.b), with |h_g| at most the larger end of `hidden`.
  auto cur_error = [&] {
    const Vector H = hidden.lo.cwiseAbs().cwiseMax(hidden.hi.cwiseAbs());
    return Vector(EW * H + (cur.W.cwiseAbs() + EW) * eh + Eb);
  };
  int nonlinear = 0;
  for (int k = 0; k < f.num_hidden(); ++k) {
    std::vector<int> undecided, active;
    for (int i = 0; i < f.hidden_width(k); ++i) {
      if (phases[k][i] == 0) undecided.push_back(i);
      if (phases[k][i] > 0) active.push_back(i);
    }
    const net::AffineLayer& next = f.layers[k + 1];
    if (undecided.empty()) {
      // The whole layer is affine: h_k = z_A (inactive neurons output 0).
      net::AffineLayer merged;
      merged.W = net::Matrix::Zero(next.W.rows(), cur.W.cols());
      merged.b = next.b;
      Matrix EWn = Matrix::Zero(next.W.rows(), cur.W.cols()), AW = EWn;
      Vector Ebn = Vector::Zero(next.b.size()), Ab = next.b.cwiseAbs();
      for (int i : active) {
        merged.W += next.W.col(i) * cur.W.row(i);
        merged.b += next.W.col(i) * cur.b[i];
        const Vector w = next.W.col(i).cwiseAbs();
        EWn += w * EW.row(i);
        Ebn += w * Eb[i];
        AW += w * cur.W.row(i).cwiseAbs();
        Ab += w * std::abs(cur.b[i]);
      }
      const double gm = util::rounding_gamma(static_cast<double>(active.size()) + 1);
      EW = EWn + gm * AW;
      Eb = Ebn + gm * Ab;
      cur = std::move(merged);
      continue;
    }
    // Emit a hidden layer of g: undecided neurons, then the shifted linear ones.
    std::vector<int> rows = undecided;
    rows.insert(rows.end(), active.begin(), active.end());
    net::AffineLayer layer;
    layer.W.resize(static_cast<Eigen::Index>(rows.size()), cur.W.cols());
    layer.b.resize(static_cast<Eigen::Index>(rows.size()));
    for (size_t r = 0; r < rows.size(); ++r) {
      layer.W.row(r) = cur.W.row(rows[r]);
      layer.b[r] = cur.b[rows[r]];
    }
    // |pre-activation of g - of h_ideal's map| per neuron of f's layer k, before the shift.
    const Vector err = cur_error();
    Vector shift = Vector::Zero(static_cast<Eigen::Index>(rows.size()));
    if (!active.empty()) {
      const Interval iv = affine_interval(layer, hidden.lo, hidden.hi);
      for (size_t r = undecided.size(); r < rows.size(); ++r) {
        const double lo = iv.lo[static_cast<Eigen::Index>(r)];
        if (!std::isfinite(lo)) throw util::InputError("--clip", "", "activation pruning needs a bounded region");
        // Twice the deficit plus a floor: comfortably stable under any bound method on the region.
        if (lo < 0) shift[r] = 2 * (-lo) + 1e-6 * (1 + std::abs(layer.b[r]));
      }
      layer.b += shift;
    }
    eh.resize(static_cast<Eigen::Index>(rows.size()));
    for (size_t r = 0; r < rows.size(); ++r) {
      const auto i = static_cast<Eigen::Index>(r);
      // relu is 1-Lipschitz; the shifted bias adds its own rounding.
      eh[i] = err[rows[r]] + (shift[i] != 0 ? util::kUnitRoundoff * std::abs(layer.b[i]) : 0.0);
    }
    const Interval post = affine_interval(layer, hidden.lo, hidden.hi);
    hidden = {post.lo.cwiseMax(0.0), post.hi.cwiseMax(0.0)};
    g.layers.push_back(layer);
    nonlinear += static_cast<int>(undecided.size());
    net::AffineLayer follow;
    follow.W.resize(next.W.rows(), static_cast<Eigen::Index>(rows.size()));
    for (size_t r = 0; r < rows.size(); ++r) follow.W.col(r) = next.W.col(rows[r]);
    follow.b = next.b - follow.W * shift;
    EW = Matrix::Zero(follow.W.rows(), follow.W.cols());  // copied columns: exact
    Eb = shift.isZero() ? Vector::Zero(next.b.size())
                        : Vector(util::rounding_gamma(static_cast<double>(rows.size()) + 1) *
                                 (next.b.cwiseAbs() + follow.W.cwiseAbs() * shift.cwiseAbs()));
    cur = std::move(follow);
  }
  const Vector out_err = cur_error();
  g.layers.push_back(cur);
  g.check();
  if (report) {
    report->method = "activation";
    report->neurons_before = f.num_relus();
    report->neurons_after = g.num_relus();
    report->nonlinear_after = nonlinear;
    // The bound itself is computed in floating point: a relative allowance on top.
    report->output_error = out_err.size() ? (1 + 1e-6) * out_err.maxCoeff() : 0.0;
    report->time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return g;
}

double delta_for_fraction(std::shared_ptr<const net::LayeredNetwork> f, const Anchor& a, double gamma,
                          double delta_max, bounds::Method method, double rel_tol) {
  if (!(gamma >= 0 && gamma <= 1)) throw util::InputError("--gamma", "", "must lie in [0, 1]");
  const int total = f->num_relus();
  auto fraction = [&](double delta) {
    return total == 0 ? 1.0 : static_cast<double>(count_stable(stable_phases(ball_problem(f, a, delta), method))) / total;
  };
  if (fraction(delta_max) >= gamma) return delta_max;
  // The bounds at radius 0 prove the most neurons stable: short of gamma there, no radius is
  // enough (e.g. neurons with zero weights and bias: z = 0, never proven stable).
  if (fraction(0.0) < gamma) return 0.0;
  return bisect_largest(0.0, delta_max, rel_tol, radius_floor(a.x0),
                        [&](double delta) { return fraction(delta) >= gamma; });
}

}  // namespace substitute
