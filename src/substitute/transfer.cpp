// Certificate transfer by Lemma 1 (seed 000 Appendix A) from the activation-preserving
// substitute g to f. With f = g on B_delta(x0) and z~ the clamp of z in B_eps onto B_delta
// (||z - z~|| <= eps - delta, and z~ stays in the clip box), for each competing class j:
//   m_j^f(z) >= m_j^g(z) - (L_f^j + L_g^j) ||z - z~||  >=  V_g^j(eps) - (L_f^j + L_g^j)(eps - delta),
// since m^f(z~) = m^g(z~). So V_g^j(eps) > (L_f^j + L_g^j)(eps - delta) + slack for every j proves
// f robust on B_eps (delta >= eps is case 1 of the lemma: V_g^j(eps) > slack). The seed's
// constant 2(L_f + L_g) uses per-logit Lipschitz constants; margin constants give the tighter
// form. TransferOptions::lipschitz_f_only applies the one-sided form
//   m_j^f(z) >= m_j^f(z~) - L_f^j ||z - z~|| = m_j^g(z~) - L_f^j ||z - z~||
//            >= V_g^j(eps) - L_f^j (eps - delta)
// (z~ lies in B_delta, inside B_eps, and the segment from z to z~ in the box where L_f holds).
// `slack` covers the floating-point difference between g's folded maps and f: twice
// PruneReport::output_error (a margin is the difference of two outputs) plus 1e-8 of f's
// outputs at x0.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "src/substitute/internal.h"
#include "src/substitute/substitute.h"
#include "src/util/errors.h"

namespace substitute {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Every removed neuron (phase != 0 in `removed`) has the same proven phase on B_r.
bool phases_hold(std::shared_ptr<const net::LayeredNetwork> f, const Anchor& a, double r, const Phases& removed,
                 bounds::Method method) {
  const Phases p = stable_phases(ball_problem(f, a, r), method);
  for (size_t k = 0; k < removed.size(); ++k)
    for (size_t i = 0; i < removed[k].size(); ++i)
      if (removed[k][i] != 0 && p[k][i] != removed[k][i]) return false;
  return true;
}

}  // namespace

TransferResult transfer(std::shared_ptr<const net::LayeredNetwork> f, const Anchor& a, double eps,
                        const TransferOptions& o) {
  const auto t0 = Clock::now();
  if (!(eps > 0)) throw util::InputError("--eps", "", "must be > 0 for transfer");
  TransferResult r;
  r.eps = eps;
  const spec::Problem pf = ball_problem(f, a, eps);
  {
    const Vector y = f->eval(a.x0);
    int top = 0;
    y.maxCoeff(&top);
    if (top != a.label) {
      r.reason = "x0 is not classified as the label";
      r.time_s = since(t0);
      return r;
    }
    r.slack = 1e-8 * (1 + y.lpNorm<Eigen::Infinity>());
  }
  // delta0: the radius whose stable neurons are removed; delta: how far their phases hold.
  r.delta0 = o.delta0 > 0 ? std::min(o.delta0, eps) : delta_for_fraction(f, a, o.gamma, eps, o.method, o.rel_tol);
  const Phases removed = stable_phases(ball_problem(f, a, r.delta0), o.method);
  if (phases_hold(f, a, eps, removed, o.method)) {
    r.delta = eps;
  } else {
    r.delta = bisect_largest(r.delta0, eps, o.rel_tol, radius_floor(a.x0),
                             [&](double mid) { return phases_hold(f, a, mid, removed, o.method); });
  }
  // g on the region B_eps (which contains B_delta): its linear neurons are stable there.
  r.g = activation_substitute(*f, removed, pf.box, &r.prune);
  r.prune.radius = r.delta0;
  r.slack += 2 * r.prune.output_error;
  auto g = std::make_shared<const net::LayeredNetwork>(r.g);
  const spec::Problem pg = ball_problem(g, a, eps);
  const Vector Lf = margin_lipschitz(pf, a.label, o.method);
  const Vector Lg = margin_lipschitz(pg, a.label, o.method);
  const double gap = std::max(0.0, eps - r.delta);
  const auto tg = Clock::now();
  bool all = true, out_of_time = false;
  for (int j = 0; j < f->output_dim(); ++j) {
    if (j == a.label) continue;
    ClassTransfer c;
    c.cls = j;
    c.lipschitz_f = Lf[j];
    c.lipschitz_g = Lg[j];
    r.lipschitz_f = std::max(r.lipschitz_f, Lf[j]);
    r.lipschitz_g = std::max(r.lipschitz_g, Lg[j]);
    // gap = 0 (case 1) needs no Lipschitz term, even an infinite one (0 * inf is nan).
    c.threshold = (gap > 0 ? (Lf[j] + (o.lipschitz_f_only ? 0.0 : Lg[j])) * gap : 0.0) + r.slack;
    const double left = o.timeout_s > 0 ? o.timeout_s - since(t0) : kInf;
    if (left <= 0) out_of_time = true;
    if ((all || !o.stop_at_first_failure) && !out_of_time) {
      // Unsafe region of "m_j^g > threshold": y_t - y_j <= threshold.
      spec::Problem q = pg;
      spec::Row row;
      row.c = Vector::Zero(f->output_dim());
      row.c[a.label] = 1;
      row.c[j] = -1;
      row.d = c.threshold;
      q.property.disjuncts = {spec::Conjunction{{row}}};
      bab::BabOptions bo = o.bab;
      bo.timeout_s = std::min(bo.timeout_s, left);
      const spec::Result res = bab::solve_bab(q, bo);
      c.checked = true;
      c.verdict = res.verdict;
      // Displayed, not used for the decision: the lower end rounded down, the upper end up.
      c.v_g_lower = std::nextafter(c.threshold + res.margin_lower, -kInf);
      c.v_g_upper = std::nextafter(c.threshold + res.margin_upper, kInf);
      if (res.verdict != spec::Verdict::unsat) all = false;
      r.v_g = std::min(r.v_g, c.v_g_lower);
    } else {
      all = false;
    }
    r.classes.push_back(c);
  }
  r.time_g_s = since(tg);
  r.certified = all;
  if (all)
    r.reason = r.delta >= eps          ? "delta >= eps and g is verified on B_eps (Lemma 1, case 1)"
               : o.lipschitz_f_only ? "V_g(eps) > L_f (eps - delta) for every class (Lemma 1, one-sided form)"
                                    : "V_g(eps) > (L_f + L_g)(eps - delta) for every class (Lemma 1, case 2)";
  else
    r.reason = std::string("V_g(eps) could not be shown above ") +
               (o.lipschitz_f_only ? "L_f" : "(L_f + L_g)") + "(eps - delta) for some class" +
               (out_of_time ? " (--timeout ended before every class was checked)" : "") + ": no certificate";
  r.time_s = since(t0);
  return r;
}

}  // namespace substitute
