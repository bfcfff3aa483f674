// The engine table of `prunecert verify`: every engine takes a spec::Problem and returns a
// spec::Result (DESIGN.md), so they can be swapped with --engine and compared.
#include <chrono>

#include "src/attack/attack.h"
#include "src/bounds/bound_engine.h"
#include "src/cli/engines.h"
#include "src/util/errors.h"

namespace cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bounds::BoundOptions bound_options(const util::Options& o) {
  bounds::BoundOptions b;
  b.method = bounds::parse_method(o.method);
  b.alpha_iters = static_cast<int>(o.alpha_iters);
  b.alpha_lr = o.alpha_lr;
  return b;
}

attack::AttackOptions attack_options(const util::Options& o, double time_left) {
  attack::AttackOptions a;
  a.restarts = static_cast<int>(o.attack_restarts);
  a.steps = static_cast<int>(o.attack_steps);
  a.seed = static_cast<uint64_t>(o.seed);
  a.time_limit_s = time_left;
  return a;
}

// Incomplete verification: unsat when the margin's lower bound is positive, else unknown.
spec::Result run_bounds_engine(const spec::Problem& p, const bounds::BoundOptions& bo) {
  spec::Result r;
  r.engine = std::string("bounds/") + bounds::to_string(bo.method);
  auto engine = bounds::make_cpu_engine();
  auto b = engine->bound(p, {bounds::root_subdomain(p)}, bo, &r.stats)[0];
  r.margin_lower = b.margin_lower;
  r.verdict = b.margin_lower > 0 ? spec::Verdict::unsat : spec::Verdict::unknown;
  return r;
}

spec::Result run_attack_engine(const spec::Problem& p, const attack::AttackOptions& ao,
                               const std::vector<Eigen::VectorXd>& starts = {}) {
  spec::Result r;
  r.engine = "attack/pgd";
  attack::AttackResult a = attack::pgd_attack(p, ao, starts, &r.stats);
  r.margin_upper = a.best_margin;
  if (a.found) {
    r.verdict = spec::Verdict::sat;
    r.witness = a.best;
  }
  return r;
}

}  // namespace

spec::Result run_engine(const std::string& engine, const spec::Problem& p, const util::Options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  spec::Result r;
  if (engine == "bounds") {
    r = run_bounds_engine(p, bound_options(o));
  } else if (engine == "attack") {
    r = run_attack_engine(p, attack_options(o, o.timeout));
  } else if (engine == "auto") {
    // Cheap first: CROWN, alpha-CROWN, then PGD from the bound's minimiser.
    bounds::BoundOptions bo = bound_options(o);
    bo.method = bounds::Method::crown;
    auto engine_cpu = bounds::make_cpu_engine();
    util::Stats st;
    auto b = engine_cpu->bound(p, {bounds::root_subdomain(p)}, bo, &st)[0];
    if (b.margin_lower <= 0) {
      bo.method = bounds::Method::alpha;
      b = engine_cpu->bound(p, {bounds::root_subdomain(p)}, bo, &st)[0];
    }
    if (b.margin_lower > 0) {
      r.verdict = spec::Verdict::unsat;
      r.engine = "auto:bounds";
      r.margin_lower = b.margin_lower;
    } else {
      r = run_attack_engine(p, attack_options(o, std::max(0.0, o.timeout - seconds_since(t0))), {b.candidate});
      r.engine = "auto:attack";
      r.margin_lower = b.margin_lower;
      r.stats.bound_calls += st.bound_calls;
      r.stats.subdomains_bounded += st.subdomains_bounded;
      r.stats.bound_time_s += st.bound_time_s;
    }
  } else {
    throw util::InputError("--engine", "", "'" + engine + "' is not an engine (auto, bounds, attack)");
  }
  if (r.verdict == spec::Verdict::sat) {  // independent check of every counterexample
    spec::Witness w = *r.witness;
    if (!spec::confirm_witness(p, w)) throw util::InternalError("engine " + r.engine + " reported an unconfirmed witness");
    r.margin_upper = std::min(r.margin_upper, p.property.margin(w.y));
  }
  if (r.verdict == spec::Verdict::unknown && seconds_since(t0) > o.timeout) r.verdict = spec::Verdict::timeout;
  r.stats.time_s = seconds_since(t0);
  return r;
}

}  // namespace cli
