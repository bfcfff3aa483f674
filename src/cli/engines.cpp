// The engine table of `prunecert verify`: every engine takes a spec::Problem and returns a
// spec::Result (DESIGN.md), so they can be swapped with --engine and compared.
#include <chrono>

#include "src/attack/attack.h"
#include "src/bounds/bound_engine.h"
#include "src/cli/engines.h"
#include "solvers/bab/bab.h"
#include "solvers/solve.h"
#include "src/util/errors.h"

namespace cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bounds::BoundOptions bound_options(const util::Options& o) { return cli::bound_options(o, bounds::parse_method(o.method)); }

attack::AttackOptions attack_options(const util::Options& o, double time_left) {
  attack::AttackOptions a;
  a.restarts = static_cast<int>(o.attack_restarts);
  a.steps = static_cast<int>(o.attack_steps);
  a.seed = static_cast<uint64_t>(o.seed);
  a.time_limit_s = time_left;
  return a;
}

// Incomplete verification: unsat when the margin's lower bound is positive, else unknown.
spec::Result run_bounds_engine(const spec::Problem& p, const bounds::BoundOptions& bo, bounds::BoundEngine& engine) {
  spec::Result r;
  r.engine = std::string("bounds/") + bounds::to_string(bo.method);
  auto b = engine.bound(p, {bounds::root_subdomain(p)}, bo, &r.stats)[0];
  r.margin_lower = b.margin_lower;
  r.verdict = b.margin_lower > 0 ? spec::Verdict::unsat : spec::Verdict::unknown;
  return r;
}

bab::BabOptions bab_options(const util::Options& o, double time_left) {
  bab::BabOptions b;
  b.branching = bab::parse_branching(o.branching);
  b.batch = static_cast<int>(o.batch);
  if (o.root_bounds != "auto" && o.root_bounds != "lp" && o.root_bounds != "crown" && o.root_bounds != "milp")
    throw util::InputError("--root-bounds", "", "'" + o.root_bounds + "' is not a root bound method (auto, lp, crown, milp)");
  using R = bab::BabOptions::RootLp;
  b.root_lp = o.root_bounds == "auto" ? R::automatic : o.root_bounds == "lp" ? R::on : R::off;
  if (o.root_bounds == "milp") {  // the LPs, then a MILP per unstable neuron (CBC, its options as for --engine milp)
    const double neuron_s = o.milp_neuron_timeout;
    const int rechecks = static_cast<int>(o.milp_rechecks);
    b.root_milp = [neuron_s, rechecks](const spec::Problem& p, const encodings::EncodeOptions& lp, double limit_s) {
      encodings::EncodeOptions e = lp;
      e.bounds = encodings::BoundSource::milp;
      e.milp_neuron_time_s = neuron_s;
      e.milp_rechecks = rechecks;
      return solvers::encoding_bounds(p, e, limit_s);
    };
    b.root_milp_restart_share = o.root_milp_restart;
  }
  b.relu_alpha = !o.no_relu_alpha;
  b.warm_start = !o.no_warm_start;
  b.timeout_s = time_left;
  b.max_memory_bytes = static_cast<size_t>(o.max_memory * (1ull << 30));
  b.bound = bound_options(o);
  if (b.bound.method == bounds::Method::ibp) b.bound.method = bounds::Method::crown;  // IBP is too weak to branch on
  b.attack = attack_options(o, time_left);
  b.seed = static_cast<uint64_t>(o.seed);
  return b;
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

const char* to_string(AutoPlan::Stage stage) {
  switch (stage) {
    case AutoPlan::Stage::bab: return "auto:bab";
    case AutoPlan::Stage::milp: return "auto:milp";
    case AutoPlan::Stage::first_layer: return "auto:first-layer";
  }
  return "auto";
}

util::Options auto_milp_options(const util::Options& options) {
  util::Options o = options;
  if (!o.was_given("encoding-bounds")) o.encoding_bounds = "lp";
  if (o.goal.empty()) o.goal = "decide";
  return o;
}

spec::Result run_auto_stages(const spec::Problem& p, const util::Options& o, const AutoPlan& plan,
                             std::chrono::steady_clock::time_point t0, spec::Result best,
                             bounds::BoundEngine* bound_engine, bab::BabTree* tree) {
  auto decided = [](const spec::Result& r) { return r.verdict == spec::Verdict::sat || r.verdict == spec::Verdict::unsat; };
  for (size_t i = 0; i < plan.stages.size() && !decided(best); ++i) {
    const double left = std::max(0.0, o.timeout - seconds_since(t0));
    if (left <= 0.05 && i > 0) break;
    const double share = left / static_cast<double>(plan.stages.size() - i);  // equal shares of what is left
    spec::Result next;
    switch (plan.stages[i]) {
      case AutoPlan::Stage::bab: {
        bab::BabOptions bo = bab_options(o, share);
        bo.engine = bound_engine;
        next = bab::solve_bab(p, bo, tree);
        break;
      }
      case AutoPlan::Stage::milp: {
        solvers::MilpOptions mo = milp_options(auto_milp_options(o));
        mo.timeout_s = share;
        next = solvers::solve_milp(p, mo);
        break;
      }
      case AutoPlan::Stage::first_layer: {
        bab::BabOptions fl = bab_options(o, share);
        fl.branching = bab::Branching::first_layer;
        fl.engine = bound_engine;  // --device, as `--engine bab --branching first-layer` has it
        next = bab::solve_bab(p, fl);
        break;
      }
    }
    next.margin_lower = std::max(next.margin_lower, best.margin_lower);
    next.margin_upper = std::min(next.margin_upper, best.margin_upper);
    util::Stats st = best.stats;
    st.add(next.stats);
    next.stats = st;
    next.engine = to_string(plan.stages[i]);
    if (!decided(next) && !best.note.empty()) next.note = best.note + (next.note.empty() ? "" : "; " + next.note);
    best = std::move(next);
  }
  return best;
}

AutoPlan auto_plan(const spec::Problem& p, const util::Options& o, bool certificate) {
  AutoPlan plan;
  const bool pruning = p.budget && p.budget->any();
  const bool relu_splitting = o.branching == "auto" && p.net->input_dim() > bab::kAutoInputDims;
  if (pruning || certificate || !relu_splitting || p.net->num_hidden() == 0) return plan;
  // A first hidden layer that narrow (Marabou's mnist10x10): CBC first, then bab, then
  // first-layer bab; else (mnist-net_256x2) bab first, then CBC. Measured both ways on both
  // (benchmarks/bab/README.md): the same verdicts, CBC first 2.5x faster on mnist10x10's 8
  // decided radii and 1.6x slower on mnistfc's 28 decided instances.
  using S = AutoPlan::Stage;
  if (p.net->hidden_width(0) <= bab::kAutoInputDims)
    plan.stages = {S::milp, S::bab, S::first_layer};
  else
    plan.stages = {S::bab, S::milp};
  return plan;
}

encodings::EncodeOptions encode_options(const util::Options& o, encodings::Encoding default_encoding,
                                        encodings::Goal default_goal) {
  encodings::EncodeOptions e;
  e.encoding = o.encoding.empty() ? default_encoding : encodings::parse_encoding(o.encoding);
  e.bounds = encodings::parse_bound_source(o.encoding_bounds);
  e.mask_encoding = encodings::parse_mask_encoding(o.mask_encoding);
  e.property_mode =
      o.property_mode.empty() ? encodings::PropertyMode::disjunction : encodings::parse_property_mode(o.property_mode);
  e.goal = o.goal.empty() ? default_goal : encodings::parse_goal(o.goal);
  e.alpha_iters = static_cast<int>(o.alpha_iters);
  e.alpha_lr = o.alpha_lr;
  e.milp_neuron_time_s = o.milp_neuron_timeout;
  e.milp_rechecks = static_cast<int>(o.milp_rechecks);
  return e;
}

bounds::BoundOptions bound_options(const util::Options& o, bounds::Method method) {
  bounds::BoundOptions b;
  b.method = method;
  b.alpha_iters = static_cast<int>(o.alpha_iters);
  b.alpha_lr = o.alpha_lr;
  b.beta = !o.no_beta;
  b.beta_lr = o.beta_lr;
  b.warm_iters = static_cast<int>(o.warm_iters);
  b.intermediate = bounds::parse_intermediate(o.intermediate);
  return b;
}

solvers::MilpOptions milp_options(const util::Options& o) {
  solvers::MilpOptions mo;
  mo.encode = encode_options(o, encodings::Encoding::bigm, encodings::Goal::optimize);
  mo.timeout_s = o.timeout;
  mo.seed = static_cast<unsigned>(o.seed);
  mo.rechecks = static_cast<int>(o.milp_rechecks);
  mo.cbc_extras = solvers::parse_cbc_extras(o.milp_cbc);
  mo.ideal_cuts = o.milp_ideal_cuts != 0;
  mo.encode.decide_objective = !o.milp_feasibility;
  // Deciding, CBC is far faster on one model per class (no selector binaries, the margin of one
  // class as objective; most threatened class first) than on the disjunction: on FashionMNIST
  // pruning queries at (5%,5%,10%), 0.2 s against 20 s without an answer.
  if (o.property_mode.empty() && mo.encode.goal == encodings::Goal::decide)
    mo.encode.property_mode = encodings::PropertyMode::per_class;
  return mo;
}

spec::Result run_engine(const std::string& engine, const spec::Problem& p, const util::Options& o, bab::BabTree* tree) {
  const auto t0 = std::chrono::steady_clock::now();
  spec::Result r;
  // --device: the BoundEngine of the bounds, bab and auto engines (cuda without a device: input error).
  const std::unique_ptr<bounds::BoundEngine> bound_engine = bounds::make_engine(bounds::parse_device(o.device));
  if (engine == "bounds") {
    r = run_bounds_engine(p, bound_options(o), *bound_engine);
  } else if (engine == "attack") {
    r = run_attack_engine(p, attack_options(o, o.timeout));
  } else if (engine == "bab") {
    bab::BabOptions bo = bab_options(o, o.timeout);
    bo.engine = bound_engine.get();
    r = bab::solve_bab(p, bo, tree);
  } else if (engine == "smt") {
    solvers::SmtOptions so;
    so.encode = encode_options(o, encodings::Encoding::smt, encodings::Goal::decide);
    so.timeout_s = o.timeout;
    so.seed = static_cast<unsigned>(o.seed);
    r = solvers::solve_smt(p, so);
  } else if (engine == "milp") {
    r = solvers::solve_milp(p, milp_options(o));
  } else if (engine == "brute") {
    solvers::BruteOptions bo;
    bo.timeout_s = o.timeout;
    r = solvers::solve_brute(p, bo);
  } else if (engine == "auto") {
    // Cheap first: CROWN, alpha-CROWN, PGD from the bound's minimiser, then branch and bound.
    bounds::BoundOptions bo = bound_options(o);
    bo.method = bounds::Method::crown;
    util::Stats st;
    auto b = bound_engine->bound(p, {bounds::root_subdomain(p)}, bo, &st)[0];
    if (b.margin_lower <= 0) {
      bo.method = bounds::Method::alpha;
      b = bound_engine->bound(p, {bounds::root_subdomain(p)}, bo, &st)[0];
    }
    if (b.margin_lower > 0 && !tree) {
      r.verdict = spec::Verdict::unsat;
      r.engine = "auto:bounds";
      r.margin_lower = b.margin_lower;
    } else {
      util::Options quick = o;
      quick.attack_restarts = std::min<long long>(o.attack_restarts, 5);
      r = run_attack_engine(p, attack_options(quick, std::max(0.0, o.timeout - seconds_since(t0))), {b.candidate});
      r.engine = "auto:attack";
      if (r.verdict != spec::Verdict::sat) {
        const AutoPlan plan = auto_plan(p, o, tree != nullptr);
        spec::Result attack = r;
        attack.verdict = spec::Verdict::unknown;
        r = run_auto_stages(p, o, plan, t0, std::move(attack), bound_engine.get(), tree);
      }
      r.margin_lower = std::max(r.margin_lower, b.margin_lower);
    }
    r.stats.bound_calls += st.bound_calls;
    r.stats.subdomains_bounded += st.subdomains_bounded;
    r.stats.bound_time_s += st.bound_time_s;
  } else {
    throw util::InputError("--engine", "", "'" + engine + "' is not an engine (auto, bounds, attack, bab, smt, milp, brute)");
  }
  if (r.verdict == spec::Verdict::sat) {  // independent check of every counterexample
    if (!r.witness) throw util::InternalError("engine " + r.engine + " answered sat without a witness");
    spec::Witness w = *r.witness;
    if (!spec::confirm_witness(p, w)) throw util::InternalError("engine " + r.engine + " reported an unconfirmed witness");
    r.margin_upper = std::min(r.margin_upper, p.property.margin(w.y));
    r.witness = w;  // its outputs as this check evaluated them
  }
  if (r.verdict == spec::Verdict::unknown && seconds_since(t0) > o.timeout) r.verdict = spec::Verdict::timeout;
  r.stats.time_s = seconds_since(t0);
  return r;
}

}  // namespace cli
