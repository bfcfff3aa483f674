// From back-end answers to a verdict, shared by `smt` and `milp`: encode each case (one model,
// or one per disjunct), call the back end, read witnesses back and re-check them exactly.
// unsat needs every case infeasible (decide) or a positive lower bound of the minimum margin
// (optimise) from searches that finished (a bound the solver held when its time ran out is
// reported, not concluded from: CBC's is not re-checked); sat needs a witness that
// spec::confirm_witness accepts (margin <= 0, ties at 0 included); a solver point that fails the
// re-check never becomes sat.
#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "solvers/internal.h"

namespace solvers {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Depth asked of a decision point on retry: far above double rounding of the network and
// CBC's feasibility tolerance (1e-7 scaled), far below margins that matter.
constexpr double kShift = 1e-6;

// Margin of a point when it is admissible (in the box, mask within the budget), else +inf.
double admissible_margin(const spec::Problem& p, const spec::Witness& w) {
  if (!p.box.contains(w.x)) return kInf;
  if (!w.mask.empty()) {
    for (int k = 0; k < p.net->num_hidden(); ++k) {
      int pruned = 0;
      for (auto b : w.mask[k]) pruned += b == 0;
      if (pruned > p.budget->s[k]) return kInf;
    }
    return p.property.margin(p.net->eval(w.x, w.mask));
  }
  return p.property.margin(p.net->eval(w.x));
}

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

}  // namespace

spec::Witness witness_from(const spec::Problem& problem, const encodings::Model& model,
                           const std::vector<double>& values) {
  spec::Witness w;
  w.x.resize(problem.net->input_dim());
  for (int j = 0; j < w.x.size(); ++j)
    w.x[j] = std::clamp(values[model.input_vars[j]], problem.box.lo[j], problem.box.hi[j]);
  if (problem.budget) {
    w.mask = problem.net->full_mask();
    for (size_t k = 0; k < model.mask_vars.size(); ++k)
      for (size_t i = 0; i < model.mask_vars[k].size(); ++i)
        if (model.mask_vars[k][i] >= 0) w.mask[k][i] = values[model.mask_vars[k][i]] > 0.5 ? 1 : 0;
  }
  return w;
}

spec::Result solve_encoded(const spec::Problem& problem, const encodings::EncodeOptions& options, double timeout_s,
                           const char* engine, const Backend& backend) {
  const auto start = std::chrono::steady_clock::now();
  spec::Result r;
  r.engine = engine;
  auto finish = [&](spec::Result& res) -> spec::Result {
    res.stats.time_s = seconds_since(start);
    return res;
  };

  // Properties with nothing to encode.
  if (problem.property.disjuncts.empty()) {
    r.verdict = spec::Verdict::unsat;
    r.margin_lower = r.margin_upper = kInf;
    r.note = "the unsafe region is empty";
    return finish(r);
  }
  for (const auto& d : problem.property.disjuncts)
    if (d.rows.empty()) {
      spec::Witness w;
      w.x = problem.box.center();
      if (problem.budget) w.mask = problem.net->full_mask();
      if (spec::confirm_witness(problem, w)) {
        r.verdict = spec::Verdict::sat;
        r.margin_upper = problem.property.margin(w.y);
        r.witness = w;
        r.note = "a disjunct of the unsafe region has no row: every point is unsafe";
        return finish(r);
      }
    }

  const auto t0 = std::chrono::steady_clock::now();
  const auto pre = solvers::encoding_bounds(problem, options, 0.5 * timeout_s);  // LP or MILP tightening: at most half
  r.stats.bound_time_s = seconds_since(t0);
  r.stats.bound_calls += options.bounds != encodings::BoundSource::none;

  const bool optimise = options.goal == encodings::Goal::optimize;
  const int cases = encodings::num_cases(problem, options);
  bool all_proved = true, any_timeout = false;
  bool unfinished_bound = false;             // a case's lower bound is from a stopped search
  double lower = kInf;                       // min over cases of the lower bound (optimise)
  double best_margin = kInf;                 // smallest margin at an admissible solver point
  std::optional<spec::Witness> best_witness;  // confirmed counterexample with that margin
  std::string trouble;                       // why a case was left open

  // Deciding per class: the most threatened class first (smallest margin of its disjunct at the
  // centre of the box with every neuron kept), so a counterexample usually ends the loop early.
  // The order changes no answer: every case is solved until one gives a counterexample.
  std::vector<int> order(cases);
  for (int c = 0; c < cases; ++c) order[c] = c;
  if (!optimise && cases > 1) {
    const spec::Vector y = problem.net->eval(problem.box.center());
    std::vector<double> at_centre(cases);
    for (int c = 0; c < cases; ++c) at_centre[c] = problem.property.disjuncts[c].margin(y);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return at_centre[a] < at_centre[b]; });
  }

  // Solves case c within `limit` seconds; returns its status. Points are re-checked and kept.
  int round = 0;
  auto solve_case = [&](int c, double limit) {
    const encodings::Model model = encodings::encode(problem, options, pre, c);
    const BackendAnswer a = backend(model, limit, round);
    r.stats.solver_calls += 1;
    if (!a.note.empty()) trouble = a.note;

    auto take_point = [&](const encodings::Model& from, const std::vector<double>& values) {
      spec::Witness w = witness_from(problem, from, values);
      const double m = admissible_margin(problem, w);
      if (m <= 0.0 && (!best_witness || m < best_margin)) {
        spec::Witness confirmed = w;
        if (spec::confirm_witness(problem, confirmed)) best_witness = confirmed;
      }
      best_margin = std::min(best_margin, m);
      return m;
    };
    if (!a.values.empty()) {
      const double m = take_point(model, a.values);
      if (a.status == BackendAnswer::Status::feasible && !optimise && !best_witness) {
        // A decision point on the boundary of the unsafe region (margin 0 in the solver's
        // arithmetic) can evaluate to a tiny positive margin in doubles. Ask for a point at least
        // kShift inside, then for the minimum-margin point (the deepest one) before giving up.
        trouble = "the solver's point has margin " + fmt(m) + " > 0 under exact re-evaluation (within its tolerance of the unsafe region)";
        for (int attempt = 0; attempt < 2 && !best_witness; ++attempt) {
          encodings::EncodeOptions deeper = options;
          if (attempt == 0) deeper.unsafe_shift = kShift;
          else deeper.goal = encodings::Goal::optimize;
          const double left2 = timeout_s - seconds_since(start);
          if (left2 <= 0) break;
          const encodings::Model model2 = encodings::encode(problem, deeper, pre, c);
          const BackendAnswer a2 = backend(model2, left2, round);
          r.stats.solver_calls += 1;
          if (!a2.values.empty()) take_point(model2, a2.values);
          if (a2.status == BackendAnswer::Status::timeout) any_timeout = true;
        }
      }
    }
    if (optimise) {
      lower = std::min(lower, a.status == BackendAnswer::Status::infeasible ? kInf : a.objective_lower);
      if (a.status == BackendAnswer::Status::timeout || a.status == BackendAnswer::Status::unknown)
        unfinished_bound = true;
    }
    return a.status;
  };

  // Cases are solved in rounds. Deciding several cases, each open case gets a slice of time, four
  // times longer every round, so that one hard case cannot take the whole limit while another
  // would give a counterexample at once; a case stays open only while it runs out of its slice,
  // and the last round's slices reach the limit (restarted solves repeat at most a third of the
  // final round's work). Otherwise (optimising, or one case) a single round gives each case all
  // the time left.
  auto finished = [&] { return !optimise && best_witness.has_value(); };  // one counterexample decides
  const bool per_disjunct = options.property_mode == encodings::PropertyMode::per_class;
  if (per_disjunct) r.disjunct_unreachable.assign(cases, false);
  std::vector<int> open = order;
  double slice = !optimise && cases > 1 ? timeout_s / (16.0 * cases) : kInf;
  while (!open.empty() && !finished()) {
    std::vector<int> still;
    for (size_t i = 0; i < open.size() && !finished(); ++i) {
      const double left = timeout_s - seconds_since(start);
      if (left <= 0) {
        still.insert(still.end(), open.begin() + static_cast<std::ptrdiff_t>(i), open.end());
        break;
      }
      const bool whole = slice >= left;
      const BackendAnswer::Status st = solve_case(open[i], std::min(slice, left));
      if (st == BackendAnswer::Status::timeout && !whole) {
        still.push_back(open[i]);
      } else if (st == BackendAnswer::Status::timeout) {
        any_timeout = true;
        all_proved = false;
      } else if (st != BackendAnswer::Status::infeasible) {
        all_proved = false;  // decide: a case left open (only read when deciding)
      } else if (per_disjunct) {
        r.disjunct_unreachable[open[i]] = true;
      }
    }
    if (!still.empty() && timeout_s - seconds_since(start) <= 0) {  // out of time with cases open
      any_timeout = true;
      all_proved = false;
      lower = -kInf;
      break;
    }
    open = std::move(still);
    slice *= 4.0;
    ++round;
  }

  if (best_margin < kInf) r.margin_upper = best_margin;
  if (best_witness) {
    r.verdict = spec::Verdict::sat;
    r.witness = best_witness;
  }
  if (optimise) {
    // Rounding of the double network can put a point slightly below the exact optimum.
    r.margin_lower = std::min(lower, r.margin_upper);
    if (r.margin_lower > 0.0 && !unfinished_bound) r.verdict = spec::Verdict::unsat;
    if (unfinished_bound) {  // Result::margin_lower is certified: the number goes to the note only
      trouble = "the lower bound " + fmt(r.margin_lower) + " is the solver's when it stopped, not re-checked: no proof" +
                (trouble.empty() ? "" : "; " + trouble);
      r.margin_lower = -kInf;
    }
  } else if (all_proved && !best_witness) {
    r.verdict = spec::Verdict::unsat;
    r.margin_lower = 0.0;  // strictly positive, no better number from a decision
  }
  if (r.verdict != spec::Verdict::sat && r.verdict != spec::Verdict::unsat) {
    r.verdict = any_timeout ? spec::Verdict::timeout : spec::Verdict::unknown;
    if (optimise && best_margin > 0.0 && best_margin < kInf && r.margin_lower <= 0.0 && trouble.empty())
      trouble = "the minimum margin is within the solver's tolerance of 0 (bound " + fmt(r.margin_lower) +
                ", best point " + fmt(best_margin) + ")";
    r.note = trouble;
  }
  if (r.verdict == spec::Verdict::unsat && options.bounds == encodings::BoundSource::milp)
    r.note = std::string(encodings::kRestsOnMilpBounds) + (r.note.empty() ? "" : "; " + r.note);
  return finish(r);
}

}  // namespace solvers
