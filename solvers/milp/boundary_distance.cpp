// d_bnd (seed 001 eq. 1) as one MILP instead of a bisection of complete-engine queries:
//   minimise eps  s.t.  x0 - eps <= x <= x0 + eps,  x in the outer box,  network(x) in the unsafe
//   region (the big-M model of the decision problem on the outer box).
// The outer box must contain the boundary point (radius >= d_bnd, e.g. d_adv), so that its
// bounds, and the big-M constants taken from them, hold for every point the MILP may need.
// CBC's proven optimum (re-checked) is the lower end (floating point), the exactly re-evaluated
// incumbent the upper end; stopped by its time limit, the lower end stays the caller's. A
// boundary point found by CBC can evaluate to a margin just above 0 in double arithmetic (the
// optimum lies on the boundary); then one more solve asks for margin <= -1e-6.
#include <algorithm>
#include <cmath>

#include "solvers/internal.h"
#include "src/util/errors.h"

namespace solvers {

namespace {

constexpr double kShift = 1e-6;

struct Solved {
  BackendAnswer answer;
  encodings::Model model;
};

Solved solve_min_eps(const spec::Problem& outer, const std::vector<bounds::LayerBounds>& pre, const spec::Vector& x0,
                     double eps_lower, double eps_upper, const MilpOptions& options, double shift, double time_left) {
  encodings::EncodeOptions eo = options.encode;
  eo.goal = encodings::Goal::decide;
  eo.property_mode = encodings::PropertyMode::disjunction;
  eo.unsafe_shift = shift;
  eo.decide_objective = false;  // the objective is eps here
  encodings::Model m = encodings::encode(outer, eo, pre);
  const int e = m.add_var("eps", encodings::VarKind::real, eps_lower, eps_upper);
  for (size_t j = 0; j < m.input_vars.size(); ++j) {
    const int x = m.input_vars[j];
    m.rows.push_back({{{x, 1.0}, {e, -1.0}}, encodings::Sense::le, x0[j], "ball_hi_" + std::to_string(j)});
    m.rows.push_back({{{x, 1.0}, {e, 1.0}}, encodings::Sense::ge, x0[j], "ball_lo_" + std::to_string(j)});
  }
  m.objective = encodings::Objective{{{e, 1.0}}, 0.0};
  m.comments.push_back("boundary distance: minimise eps over the L-inf ball around the anchor");
  BackendAnswer a = cbc_solve_checked(m, time_left, options);
  return {std::move(a), std::move(m)};
}

}  // namespace

BoundaryAnswer boundary_distance_milp(const spec::Problem& outer, const spec::Vector& x0, double eps_lower,
                                      const MilpOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.encode.encoding != encodings::Encoding::bigm)
    throw util::InputError("--encoding", "", "the MILP boundary distance needs the bigm encoding");
  if (x0.size() != outer.box.dim()) throw util::InternalError("boundary_distance_milp: anchor dimension");
  double eps_upper = 0.0;  // the ball around x0 that covers the outer box
  for (int j = 0; j < x0.size(); ++j)
    eps_upper = std::max({eps_upper, x0[j] - outer.box.lo[j], outer.box.hi[j] - x0[j]});
  eps_lower = std::clamp(eps_lower, 0.0, eps_upper);

  BoundaryAnswer out;
  out.lower = eps_lower;
  auto take = [&](const Solved& s) {
    if (s.answer.values.empty()) return false;
    spec::Witness w = witness_from(outer, s.model, s.answer.values);
    if (!spec::confirm_witness(outer, w)) return false;
    const double d = (w.x - x0).lpNorm<Eigen::Infinity>();
    if (d < out.upper) {
      out.upper = d;
      out.witness = w.x;
    }
    return true;
  };

  const auto pre = solvers::encoding_bounds(outer, options.encode, 0.5 * options.timeout_s);  // at most half the time
  const Solved first =
      solve_min_eps(outer, pre, x0, eps_lower, eps_upper, options, 0.0, options.timeout_s - seconds_since(start));
  const BackendAnswer& a = first.answer;
  if (a.status == BackendAnswer::Status::infeasible) {
    out.lower = eps_upper;  // no point of the outer box reaches the boundary
    out.optimal = true;
    out.infeasible = true;
    out.note = "no boundary point in the outer box";
  } else {
    // The lower end only from a finished (re-checked) search; CBC's bound when time ran out is
    // not re-checked.
    if (a.status == BackendAnswer::Status::feasible && std::isfinite(a.objective_lower))
      out.lower = std::max(out.lower, a.objective_lower);
    out.optimal = a.status == BackendAnswer::Status::feasible;
    out.note = a.note;
    if (!take(first) && !a.values.empty()) {
      // The optimum sits on the boundary: ask for a point a little inside the unsafe region.
      const double left = options.timeout_s - seconds_since(start);
      if (left > 0.05) {
        const Solved again = solve_min_eps(outer, pre, x0, eps_lower, eps_upper, options, kShift, left);
        take(again);
      }
    }
  }
  out.lower = std::min(out.lower, out.upper);
  out.note = (out.note.empty() ? "" : out.note + "; ") + "floating-point MILP answer (CBC)";
  out.time_s = seconds_since(start);
  return out;
}

}  // namespace solvers
