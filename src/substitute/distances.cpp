// Robustness distances around an anchor (seed 001 Section 2): d_adv by PGD (its last point and
// targeted PGD points of every class then walked to local minima of the distance by
// region_descent_per_class), d_rob by the
// incomplete BoundEngine, d_bnd (eq. 1) by the complete engine (solvers/bab), each by growing a
// bracket and bisecting over eps. d_adv is the L-inf distance of a confirmed adversarial point
// (so d_bnd <= d_adv), d_rob a certified radius (so d_rob <= d_bnd); d_bnd is reported as the
// certified lower end of its bracket, whose upper end is again a confirmed adversarial point.
// With BndEngine::milp_min, d_bnd is one MILP minimising eps (solvers::boundary_distance_milp): its lower
// end is CBC's floating-point bound, not a certificate (the note says so).
#include <chrono>
#include <cmath>
#include <string>

#include "src/substitute/substitute.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace substitute {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double clip_width(const Anchor& a) { return std::isfinite(a.clip_hi - a.clip_lo) ? a.clip_hi - a.clip_lo : 0.0; }
double start_eps(const Anchor& a, const DistanceOptions& o) {
  if (o.eps_start > 0) return o.eps_start;
  const double w = clip_width(a);
  return w > 0 ? 0.01 * w : 0.01;
}
double max_eps(const Anchor& a, const DistanceOptions& o) {
  if (o.eps_max > 0) return o.eps_max;
  const double w = clip_width(a);
  return w > 0 ? w : 100.0;
}
bool close_enough(double lo, double hi, double rel_tol) { return hi - lo <= rel_tol * hi; }

double linf(const Vector& a, const Vector& b) { return (a - b).lpNorm<Eigen::Infinity>(); }

// x0 itself violates "t stays the arg-max" (another class at least as large: not classified as
// t, or tied with it, e.g. a network whose outputs are all 0 there): every distance is 0, with x0
// as the witness. Without this, bisecting [0, d_adv] with d_adv ~ 1e-16 never closes its relative
// tolerance and runs to the time limit.
bool zero_at_anchor(const std::shared_ptr<const net::LayeredNetwork>& net, const Anchor& a, Distance& d,
                    Clock::time_point t0) {
  spec::Witness w;
  w.x = a.x0;
  if (!spec::confirm_witness(ball_problem(net, a, 0.0), w)) return false;
  d.lower = d.upper = d.value = 0;
  d.witness = a.x0;
  d.complete = true;
  d.note = "the input itself is not classified as the label (another class is at least as large)";
  d.time_s = since(t0);
  return true;
}

}  // namespace

spec::Problem ball_problem(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a, double eps) {
  return spec::robustness_problem(std::move(net), a.x0, a.label, eps, a.clip_lo, a.clip_hi);
}

double witness_radius(const Anchor& a, const Vector& x) {
  double r = linf(x, a.x0);
  for (int t = 0; t < 64; ++t) {
    if (spec::ball_box(a.x0, r, a.clip_lo, a.clip_hi).contains(x)) return r;
    r = std::nextafter(r, kInf);
  }
  return r;
}

Distance adversarial_distance(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a,
                              const DistanceOptions& o) {
  const auto t0 = Clock::now();
  Distance d;
  d.kind = "adv";
  if (zero_at_anchor(net, a, d, t0)) return d;
  std::vector<Vector> starts = o.starts;
  auto engine = o.crown_start ? bounds::make_cpu_engine() : nullptr;
  // One PGD run at radius eps; a confirmed counterexample tightens the upper end.
  auto attack_at = [&](double eps) {
    attack::AttackOptions ao = o.attack;
    ao.time_limit_s = std::max(0.0, std::min(ao.time_limit_s, o.timeout_s - since(t0)));
    ++d.queries;
    const spec::Problem p = ball_problem(net, a, eps);
    std::vector<Vector> from = starts;
    if (engine) {  // the corner of the ball where CROWN's linear lower bound of the margin is least
      if (from.empty()) from.push_back(p.box.center());  // PGD's own first start, kept before it
      bounds::BoundOptions bo;
      bo.method = bounds::Method::crown;
      Vector c = engine->bound(p, {bounds::root_subdomain(p)}, bo)[0].candidate;
      if (c.size() == a.x0.size()) from.push_back(std::move(c));
    }
    attack::AttackResult r = attack::pgd_attack(p, ao, from);
    if (!r.found) return false;
    const double dist = witness_radius(a, r.best.x);
    if (dist < d.upper) {
      d.upper = dist;
      d.witness = r.best.x;
    }
    return true;
  };
  const double cap = max_eps(a, o);
  for (double eps = start_eps(a, o);; eps = std::min(2 * eps, cap)) {
    if (attack_at(eps)) break;
    d.lower = eps;
    if (eps >= cap || since(t0) > o.timeout_s) break;
  }
  if (std::isfinite(d.upper)) {
    while (!close_enough(d.lower, d.upper, o.rel_tol) && since(t0) < o.timeout_s) {
      const double mid = 0.5 * (d.lower + d.upper);
      starts = {d.witness};  // from the last adversarial point, pulled into the smaller ball by PGD
      starts.insert(starts.end(), o.starts.begin(), o.starts.end());
      if (!attack_at(mid)) d.lower = mid;
    }
    d.complete = close_enough(d.lower, d.upper, o.rel_tol);
    if (o.region_descent_regions > 0 && since(t0) < o.timeout_s) {
      RegionDescentOptions ro;
      ro.max_regions = o.region_descent_regions;
      ro.time_limit_s = std::min(ro.time_limit_s, o.timeout_s - since(t0));
      const RegionDescent rd = region_descent_per_class(net, a, d.witness, o.attack, ro);
      if (rd.improved) {
        d.upper = rd.radius;
        d.witness = rd.x;
        d.complete = close_enough(std::min(d.lower, d.upper), d.upper, o.rel_tol);
      }
    }
  }
  d.lower = std::min(d.lower, d.upper);
  d.value = d.upper;
  d.time_s = since(t0);
  return d;
}

Distance robust_distance(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a, const DistanceOptions& o) {
  const auto t0 = Clock::now();
  Distance d;
  d.kind = "rob";
  bounds::BoundOptions bo;
  bo.method = o.bound_method;
  auto engine = bounds::make_cpu_engine();
  auto certified = [&](double eps) {
    ++d.queries;
    spec::Problem p = ball_problem(net, a, eps);
    return engine->bound(p, {bounds::root_subdomain(p)}, bo)[0].margin_lower > 0;
  };
  const double cap = max_eps(a, o);
  if (!certified(0.0)) {  // x0 itself is not classified as t
    d.upper = 0;
    d.value = 0;
    d.complete = true;
    d.time_s = since(t0);
    return d;
  }
  for (double eps = start_eps(a, o);; eps = std::min(2 * eps, cap)) {
    if (!certified(eps)) {
      d.upper = eps;
      break;
    }
    d.lower = eps;
    if (eps >= cap || since(t0) > o.timeout_s) break;
  }
  if (std::isfinite(d.upper)) {
    while (!close_enough(d.lower, d.upper, o.rel_tol) && since(t0) < o.timeout_s) {
      const double mid = 0.5 * (d.lower + d.upper);
      (certified(mid) ? d.lower : d.upper) = mid;
    }
    d.complete = close_enough(d.lower, d.upper, o.rel_tol);
  }
  d.value = d.lower;
  d.time_s = since(t0);
  return d;
}

Distance boundary_distance(std::shared_ptr<const net::LayeredNetwork> net, const Anchor& a, const DistanceOptions& o,
                           double lower, double upper, const Vector& upper_witness) {
  const auto t0 = Clock::now();
  Distance d;
  d.kind = "bnd";
  if (zero_at_anchor(net, a, d, t0)) return d;
  d.lower = std::max(0.0, lower);
  d.upper = upper;
  if (upper_witness.size() > 0) {
    spec::Witness w;
    w.x = upper_witness;
    const double r = upper_witness.size() == a.x0.size() ? witness_radius(a, upper_witness) : kInf;
    if (!(r <= upper) || !spec::confirm_witness(ball_problem(net, a, r), w))
      throw util::InternalError("d_bnd: the witness given for the upper end is not an adversarial point within it");
    d.upper = r;
    d.witness = upper_witness;
  }
  // A radius proven robust beyond a confirmed adversarial point: one of the engines that gave
  // them is wrong (1e-9: the rounding of the balls' bounds).
  auto contradiction = [&](double robust, double adversarial) { return adversarial < robust * (1 - 1e-9); };
  if (contradiction(d.lower, d.upper))
    throw util::InternalError("d_bnd: radius " + std::to_string(d.lower) +
                              " is given as robust, but an adversarial point lies at distance " + std::to_string(d.upper));
  if (o.bnd_engine == DistanceOptions::BndEngine::milp_min) {
    solvers::MilpOptions mo = o.milp;
    mo.timeout_s = o.timeout_s;
    const double radius = std::isfinite(upper) ? upper : max_eps(a, o);
    const solvers::BoundaryAnswer r = solvers::boundary_distance_milp(ball_problem(net, a, radius), a.x0, d.lower, mo);
    d.queries = 1;
    const double dist = r.witness.size() > 0 ? witness_radius(a, r.witness) : kInf;
    if (dist < d.upper) {
      d.upper = dist;
      d.witness = r.witness;
    }
    d.note = r.note;
    // CBC's lower end beyond a confirmed adversarial point, past its own tolerances, or an
    // infeasibility of a box that holds one (radius >= d.upper): a wrong floating-point answer.
    // It is not used, and the answer is open.
    const bool wrong = std::isfinite(d.upper) && (r.infeasible || r.lower > d.upper * (1 + 1e-6) + 1e-9);
    if (wrong)
      d.note += r.infeasible ? "; CBC found no boundary point in a box that holds a confirmed adversarial point: not used"
                             : "; CBC's lower end " + std::to_string(r.lower) +
                                   " lies beyond a confirmed adversarial point: not used";
    else
      d.lower = std::min(std::max(d.lower, r.lower), d.upper);
    // Complete: CBC proved its optimum (or that no point of the box reaches the boundary) and
    // the bracket is within the tolerance.
    d.complete = !wrong && r.optimal && (!std::isfinite(d.upper) || close_enough(d.lower, d.upper, o.rel_tol));
    d.value = d.lower;
    d.time_s = since(t0);
    return d;
  }
  bool stuck = false;
  std::shared_ptr<const std::vector<bounds::LayerBounds>> tight;  // --encoding-bounds milp (decide())
  double tight_radius = 0;
  // Competing classes CBC proved unreachable at a radius whose query stayed undecided: they are
  // unreachable at every smaller radius too (its ball lies inside), so queries below it leave
  // them out, and the classes still open get the query's time without restarts between them
  // (solvers::solve_encoded gives a single open model all the time left).
  std::vector<std::pair<double, std::vector<bool>>> unreachable_at;
  // The complete engine at radius eps: +1 robust, -1 adversarial point found (upper tightened),
  // 0 undecided (timeout or unknown).
  auto decide = [&](double eps) {
    auto left = [&] { return std::max(0.0, o.timeout_s - since(t0)); };
    const auto q0 = Clock::now();
    ++d.queries;
    spec::Problem p = ball_problem(net, a, eps);
    spec::Result r;
    if (o.bnd_engine == DistanceOptions::BndEngine::milp) {
      const size_t classes = p.property.disjuncts.size();  // one disjunct per competing class
      std::vector<bool> skip(classes, false);
      for (const auto& [radius, proved] : unreachable_at)
        if (radius >= eps)
          for (size_t j = 0; j < classes; ++j) skip[j] = skip[j] || proved[j];
      std::vector<int> kept;  // the original index of each disjunct left in p
      std::vector<spec::Conjunction> left_open;
      for (size_t j = 0; j < classes; ++j)
        if (!skip[j]) {
          kept.push_back(static_cast<int>(j));
          left_open.push_back(p.property.disjuncts[j]);
        }
      if (kept.size() < classes) {
        util::log(util::LogLevel::verbose, "d_bnd: radius %.9g: %zu of %zu classes proved unreachable at a larger radius\n",
                  eps, classes - kept.size(), classes);
        p.property.disjuncts = std::move(left_open);
      }
      solvers::MilpOptions mo = o.milp;
      mo.timeout_s = std::min(mo.timeout_s, left());
      if (mo.encode.bounds == encodings::BoundSource::milp) {
        // MILP-tightened bounds: computed at this radius, unless those of a radius at most 5%
        // larger are at hand (they hold here too, and are intersected with this radius's own
        // LP-tightened ones): the bisection's last queries lie within a few percent of each other.
        if (!tight || eps > tight_radius || tight_radius > 1.05 * eps) {
          tight = std::make_shared<const std::vector<bounds::LayerBounds>>(
              solvers::encoding_bounds(p, mo.encode, 0.5 * mo.timeout_s));
          tight_radius = eps;
        }
        mo.encode.bounds = encodings::BoundSource::lp;
        mo.encode.known = tight;
        mo.timeout_s = std::min(o.milp.timeout_s - since(q0), left());  // the query's limit covers both
      }
      mo.encode.goal = encodings::Goal::decide;
      mo.encode.decide_objective = true;
      mo.encode.property_mode = encodings::PropertyMode::per_class;
      r = solvers::solve_milp(p, mo);
      if (r.verdict != spec::Verdict::unsat && r.verdict != spec::Verdict::sat &&
          r.disjunct_unreachable.size() == kept.size()) {
        std::vector<bool> proved(classes, false);
        for (size_t j = 0; j < kept.size(); ++j) proved[kept[j]] = r.disjunct_unreachable[j];
        unreachable_at.push_back({eps, proved});
      }
    }
    // bab decides; with milp, also the radii CBC answered `unknown` (its point lies within its
    // tolerance of the boundary, margin just above 0: e.g. ACAS Xu, whose margins are ~1e-3), and
    // with bab_after_milp every radius CBC left undecided.
    const bool undecided = r.verdict != spec::Verdict::sat && r.verdict != spec::Verdict::unsat;
    if (o.bnd_engine == DistanceOptions::BndEngine::bab || r.verdict == spec::Verdict::unknown ||
        (o.bab_after_milp && undecided)) {
      bab::BabOptions bo = o.bab;
      bo.timeout_s = std::min(bo.timeout_s, left());
      // After CBC with MILP-tightened bounds (they hold on this ball): bab's subdomains start from
      // them too, as with `verify --root-bounds milp`, at no further cost.
      if (tight && tight_radius >= eps) bo.root_known = tight;
      r = bab::solve_bab(p, bo);
    }
    util::log(util::LogLevel::verbose, "d_bnd: radius %.9g: %s by %s, margin in [%.3g, %.3g] (%.2f s)\n", eps,
              spec::to_string(r.verdict), r.engine.c_str(), r.margin_lower, r.margin_upper, since(q0));
    if (r.verdict == spec::Verdict::unsat) return 1;
    if (r.verdict == spec::Verdict::sat && r.witness) {
      spec::Witness w = *r.witness;
      if (!spec::confirm_witness(p, w)) throw util::InternalError("the complete engine reported an unconfirmed witness");
      const double dist = witness_radius(a, w.x);
      if (contradiction(d.lower, dist))
        throw util::InternalError("d_bnd: the complete engine found an adversarial point at distance " +
                                  std::to_string(dist) + " inside the ball of radius " + std::to_string(d.lower) +
                                  " it had proven robust");
      if (dist < d.upper) {
        d.upper = dist;
        d.witness = w.x;
      }
      return -1;
    }
    return 0;
  };
  const double cap = max_eps(a, o);
  if (!std::isfinite(d.upper)) {
    for (double eps = std::min(cap, std::max(d.lower * 2, start_eps(a, o)));; eps = std::min(2 * eps, cap)) {
      const int v = decide(eps);
      if (v < 0) break;
      if (v == 0) {
        stuck = true;
        break;
      }
      d.lower = eps;
      if (eps >= cap || since(t0) > o.timeout_s) break;
    }
  }
  if (o.bnd_engine == DistanceOptions::BndEngine::milp)
    d.note = o.bab_after_milp
                 ? "queries decided by CBC (floating-point MILP answers, each infeasibility re-checked), then by bab where "
                   "CBC left them undecided"
                 : "queries decided by CBC (floating-point MILP answers, each infeasibility re-checked; bab where CBC's "
                   "point lay within its tolerance of the boundary)";
  if (std::isfinite(d.upper) && !stuck) {
    // `hard`: the smallest radius whose query was undecided. The boundary is likely close to it
    // (queries near the boundary are the hard ones), so the next queries bisect [lower, hard]:
    // proofs there raise the certified lower end; the bisection ends when that interval is
    // within a quarter of the tolerance.
    double hard = kInf;
    while (!close_enough(d.lower, d.upper, o.rel_tol) && since(t0) < o.timeout_s) {
      const double top = std::min(d.upper, hard);
      if (top < d.upper && top - d.lower <= 0.25 * o.rel_tol * d.upper) break;
      const double mid = 0.5 * (d.lower + top);
      const int v = decide(mid);
      if (v > 0) d.lower = mid;
      if (v == 0) hard = mid;
    }
    d.complete = close_enough(d.lower, d.upper, o.rel_tol);
  }
  d.value = d.lower;
  d.time_s = since(t0);
  return d;
}

}  // namespace substitute
