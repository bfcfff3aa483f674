// Differential soak of every engine against the exact oracle, for as long as it is given.
//
// Each case is drawn from its own seed: a random small network, a problem on it (robustness on
// an L-inf ball, possibly clipped; a random VNN-LIB-like property, a disjunction of conjunctions
// of random output rows; pruning at a point; pruning on a ball) and one `verify` configuration
// drawn from the option table's values (engine, branching, intermediate bounds, batch, beta,
// encoding, big-M bound source, goal, property mode, CBC settings, ...), run through
// cli::run_engine exactly as `prunecert verify` runs it. The oracle is solvers::solve_brute
// (exact rational LPs over every activation pattern and mask). On robustness cases the case may
// also check the three distances (d_rob, d_bnd by bab, CBC per radius or one MILP, d_adv) and a
// Lemma 1 transfer against brute at the radii they report.
//
// Soundness failures (exit status 1), each printed with the seed that reproduces it:
//   - unsat where the exact worst margin is <= 0 (a false proof), sat where it is > 0;
//   - a sat answer whose witness spec::confirm_witness rejects;
//   - a certified lower bound above the exact worst margin, or a reported best margin below it;
//   - d_rob or d_bnd's lower end at a radius where brute finds a counterexample, an adversarial
//     point of d_adv or d_bnd outside its ball or not adversarial;
//   - a transfer certificate where brute finds a counterexample on f.
// Undecided answers (timeout, unknown) are not failures; they are counted per configuration.
// With min_decided=F the run also fails when the complete engines (auto, bab, milp, smt) decide
// less than the fraction F of their runs, or when fewer than F of the cases could be checked
// (brute too large, ties): an engine that only ever answered "unknown" would pass otherwise.
//
//   cmake --build build --target differential_soak && build/benchmarks/differential_soak minutes=60 first=1000000
//   build/benchmarks/differential_soak first=SEED count=1 verbose=1     (one case again, with its configuration)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "solvers/bab/certificate.h"
#include "solvers/solve.h"
#include "src/cli/engines.h"
#include "src/net/io.h"
#include "src/spec/vnnlib.h"
#include "src/substitute/substitute.h"
#include "src/util/errors.h"
#include "src/util/options.h"
#include "tests/random_problems.h"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Args {
  uint64_t first = 1000000;
  long long count = -1;  // cases; -1: until `minutes` are spent
  double minutes = 10;
  double timeout = 10;   // seconds per engine call
  int verbose = 0;
  std::string write;     // folder: each case's network (ONNX) and property (VNN-LIB) written there
  double min_decided = 0;  // fail below this fraction of decided complete-engine runs (and of cases)
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    const auto eq = s.find('=');
    if (eq == std::string::npos) throw std::runtime_error("argument '" + s + "' is not KEY=VALUE");
    const std::string k = s.substr(0, eq), v = s.substr(eq + 1);
    if (k == "first") a.first = std::stoull(v);
    else if (k == "count") a.count = std::stoll(v);
    else if (k == "minutes") a.minutes = std::stod(v);
    else if (k == "timeout") a.timeout = std::stod(v);
    else if (k == "verbose") a.verbose = std::stoi(v);
    else if (k == "write") a.write = v;
    else if (k == "min_decided") a.min_decided = std::stod(v);
    else throw std::runtime_error("unknown key '" + k + "' (first, count, minutes, timeout, verbose, write, min_decided)");
  }
  return a;
}

template <class T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}
bool coin(std::mt19937_64& rng, double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

enum class Kind { robustness, clipped, vnnlib, pruning_point, pruning_ball };
const char* to_string(Kind k) {
  switch (k) {
    case Kind::robustness: return "robustness";
    case Kind::clipped: return "robustness-clipped";
    case Kind::vnnlib: return "random-property";
    case Kind::pruning_point: return "pruning-point";
    case Kind::pruning_ball: return "pruning-ball";
  }
  return "?";
}

struct Case {
  Kind kind;
  spec::Problem problem;
  std::shared_ptr<net::LayeredNetwork> net;
  substitute::Anchor anchor;  // robustness kinds only
  double eps = 0;
  std::string text;  // widths, eps, budget
};

// A random output property in VNN-LIB's form: 1-3 disjuncts of 1-3 rows c.y <= d with c ~ N(0,1)
// and d placed so that each row's value at y0 = f(x0) is N(0.3, 0.5) (some rows hold at x0).
spec::OutputProperty random_property(std::mt19937_64& rng, const Eigen::VectorXd& y0) {
  std::normal_distribution<double> N(0.0, 1.0);
  spec::OutputProperty prop;
  const int disjuncts = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int j = 0; j < disjuncts; ++j) {
    spec::Conjunction c;
    const int rows = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int r = 0; r < rows; ++r) {
      spec::Row row;
      row.c = Eigen::VectorXd::NullaryExpr(y0.size(), [&] { return N(rng); });
      if (coin(rng, 0.3)) row.c[std::uniform_int_distribution<int>(0, static_cast<int>(y0.size()) - 1)(rng)] = 0;
      row.d = row.c.dot(y0) - (0.3 + 0.5 * N(rng));
      c.rows.push_back(row);
    }
    prop.disjuncts.push_back(c);
  }
  return prop;
}

Case draw_case(std::mt19937_64& rng) {
  Case c;
  const double u = std::uniform_real_distribution<double>(0, 1)(rng);
  c.kind = u < 0.35 ? Kind::robustness : u < 0.5 ? Kind::clipped : u < 0.7 ? Kind::vnnlib
           : u < 0.85 ? Kind::pruning_point : Kind::pruning_ball;
  const bool pruning = c.kind == Kind::pruning_point || c.kind == Kind::pruning_ball;
  // Some cases with more inputs than bab::kAutoInputDims: bab splits ReLUs there, and `auto`
  // runs its portfolio (CBC, first-layer bab on a first layer that narrow).
  const bool wide_input = !pruning && coin(rng, 0.15);
  const auto widths = pruning      ? testing_util::random_widths(rng, 2, 4, 1, 3, 2, 6, 2, 4)
                      : wide_input ? testing_util::random_widths(rng, 11, 14, 1, 3, 3, 6, 2, 4)
                                   : testing_util::random_widths(rng, 2, 6, 1, 4, 2, 8, 2, 5);
  c.net = testing_util::random_network(rng, widths);
  if (coin(rng, 0.15)) {  // like trained nets: some weights exactly 0 or tiny, a duplicated neuron
    for (auto& layer : c.net->layers)
      for (int i = 0; i < layer.W.rows(); ++i)
        for (int j = 0; j < layer.W.cols(); ++j)
          if (coin(rng, 0.15)) layer.W(i, j) = coin(rng, 0.5) ? 0.0 : std::ldexp(layer.W(i, j), -60);
    auto& L0 = c.net->layers[0];
    if (L0.W.rows() > 1 && coin(rng, 0.5)) {
      L0.W.row(1) = L0.W.row(0);
      L0.b[1] = L0.b[0];
    }
  }
  // Radii log-uniform in [0.01, 2] (pruning on a ball: [0.01, 0.5]); pruning at a point: 0.
  std::uniform_real_distribution<double> L(std::log(0.01), std::log(c.kind == Kind::pruning_ball ? 0.5 : 2.0));
  c.eps = c.kind == Kind::pruning_point ? 0.0 : std::exp(L(rng));
  std::normal_distribution<double> N(0.0, 1.0);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  Eigen::VectorXd x0 = Eigen::VectorXd::NullaryExpr(c.net->input_dim(), [&] { return N(rng); });
  double clip_lo = -kInf, clip_hi = kInf;
  if (c.kind == Kind::clipped) {
    clip_lo = 0;
    clip_hi = 1;
    x0 = Eigen::VectorXd::NullaryExpr(c.net->input_dim(), [&] { return coin(rng, 0.2) ? 0.0 : U(rng); });
  }
  int label = 0;
  c.net->eval(x0).maxCoeff(&label);
  c.anchor = {x0, label, clip_lo, clip_hi};
  c.problem = spec::robustness_problem(c.net, x0, label, c.eps, clip_lo, clip_hi);
  // A third of the robustness cases near the decision boundary, where the worst margin is small
  // and bounds, big-M constants and tolerances matter most: eps = d_adv * U(0.85, 1.05).
  bool near = false;
  if ((c.kind == Kind::robustness || c.kind == Kind::clipped) && coin(rng, 0.33)) {
    substitute::DistanceOptions d;
    d.rel_tol = 1e-2;
    d.attack.restarts = 2;
    d.attack.steps = 20;
    d.timeout_s = 5;
    const double adv = substitute::adversarial_distance(c.net, c.anchor, d).upper;
    if (std::isfinite(adv)) {
      c.eps = adv * std::uniform_real_distribution<double>(0.85, 1.05)(rng);
      c.problem = spec::robustness_problem(c.net, x0, label, c.eps, clip_lo, clip_hi);
      near = true;
    }
  }
  if (c.kind == Kind::vnnlib) c.problem.property = random_property(rng, c.net->eval(x0));
  if (pruning) {
    spec::PruningBudget b;
    for (int k = 0; k < c.net->num_hidden(); ++k) {
      const int cap = std::min(c.kind == Kind::pruning_point ? 3 : 1, c.net->hidden_width(k) - 1);
      b.s.push_back(std::uniform_int_distribution<int>(0, std::max(0, cap))(rng));
    }
    c.problem.budget = b;
  }
  std::ostringstream s;
  s << to_string(c.kind) << ", widths";
  for (int w : widths) s << " " << w;
  s << ", eps " << c.eps << (near ? " (near d_adv)" : "");
  if (c.problem.budget) {
    s << ", budget";
    for (int v : c.problem.budget->s) s << " " << v;
  }
  c.text = s.str();
  return c;
}

// One `verify` configuration, drawn from the values of the option table.
struct Config {
  util::Options o;
  bool certificate = false;  // bab: record the proof tree and re-check it exactly (`--certificate`)
  std::string text;  // the command-line options that give it
};

Config draw_config(std::mt19937_64& rng, bool pruning, double timeout, uint64_t seed) {
  Config c;
  util::Options& o = c.o;
  o.timeout = timeout;
  o.seed = static_cast<long long>(seed % 1000003);
  o.engine = pruning ? pick<std::string>(rng, {"auto", "bab", "bab", "milp", "milp", "smt", "bounds"})
                     : pick<std::string>(rng, {"auto", "bab", "bab", "bab", "milp", "milp", "smt", "bounds"});
  std::ostringstream s;
  s << "--engine " << o.engine;
  if (o.engine == "bab" || o.engine == "auto") {
    o.branching = pruning ? pick<std::string>(rng, {"auto", "input", "relu-babsr", "relu-widest", "relu-layer"})
                          : pick<std::string>(rng, {"auto", "input", "relu-babsr", "relu-widest", "relu-layer", "first-layer"});
    o.intermediate = pick<std::string>(rng, {"auto", "inherit", "crown", "alpha"});
    o.batch = pick<long long>(rng, {1, 2, 8, 64});
    o.method = pick<std::string>(rng, {"crown", "crown", "alpha"});
    o.no_beta = coin(rng, 0.25);
    o.no_relu_alpha = coin(rng, 0.25);
    o.root_bounds = pick<std::string>(rng, {"auto", "lp", "crown", "milp"});
    // A restart after a first search without the MILPs: stopped at once (1e-9), so it happens.
    if (o.root_bounds == "milp" && coin(rng, 0.5)) o.root_milp_restart = 1e-9;
    if (coin(rng, 0.15)) o.max_memory = 0.001;  // depth-first once the queue holds 1 MiB
    s << " --branching " << o.branching << " --intermediate " << o.intermediate << " --batch " << o.batch
      << " --method " << o.method << (o.no_beta ? " --no-beta" : "") << (o.no_relu_alpha ? " --no-relu-alpha" : "")
      << " --root-bounds " << o.root_bounds << (o.root_milp_restart > 0 ? " --root-milp-restart 1e-9" : "")
      << (o.max_memory < 1 ? " --max-memory 0.001" : "");
    c.certificate = o.engine == "bab" && o.branching != "first-layer" && coin(rng, 0.3);
    if (c.certificate) s << " --certificate FILE (then `check`)";
  }
  if (o.engine == "milp" || o.engine == "auto") {
    o.encoding_bounds = pruning ? pick<std::string>(rng, {"ibp", "crown", "alpha"})
                                : pick<std::string>(rng, {"ibp", "crown", "alpha", "lp", "milp"});
    o.goal = pick<std::string>(rng, {"decide", "optimize"});
    o.property_mode = pick<std::string>(rng, {"disjunction", "per-class"});
    o.milp_cbc = pick<std::string>(rng, {"auto", "on", "off", "pump"});
    o.milp_rechecks = pick<long long>(rng, {0, 1});
    o.milp_feasibility = o.goal == "decide" && coin(rng, 0.3);
    o.milp_neuron_timeout = 0.2;
    o.milp_ideal_cuts = coin(rng, 0.3);
    s << " --encoding-bounds " << o.encoding_bounds << " --goal " << o.goal << " --property-mode "
      << o.property_mode << " --milp-cbc " << o.milp_cbc << " --milp-rechecks " << o.milp_rechecks
      << (o.milp_feasibility ? " --milp-feasibility" : "") << (o.milp_ideal_cuts ? " --milp-ideal-cuts" : "");
  }
  if (o.engine == "smt") {
    o.encoding = pick<std::string>(rng, {"smt", "bigm"});
    o.encoding_bounds = o.encoding == "smt" ? pick<std::string>(rng, {"none", "ibp", "crown", "alpha"})
                                            : pick<std::string>(rng, {"ibp", "crown", "alpha"});
    o.goal = pick<std::string>(rng, {"decide", "optimize"});
    o.property_mode = pick<std::string>(rng, {"disjunction", "per-class"});
    o.mask_encoding = pick<std::string>(rng, {"pb", "sortnet"});
    s << " --encoding " << o.encoding << " --encoding-bounds " << o.encoding_bounds << " --goal " << o.goal
      << " --property-mode " << o.property_mode << " --mask-encoding " << o.mask_encoding;
  }
  if (o.engine == "bounds") {
    o.method = pick<std::string>(rng, {"ibp", "crown", "alpha"});
    o.intermediate = pick<std::string>(rng, {"auto", "inherit", "crown", "alpha"});
    s << " --method " << o.method << " --intermediate " << o.intermediate;
  }
  c.text = s.str();
  return c;
}

// ---- checks ---------------------------------------------------------------------------------

struct Tally {
  long long runs = 0, sat = 0, unsat = 0, undecided = 0, refused = 0, failures = 0;
};

struct Soak {
  Args args;
  std::map<std::string, Tally> tally;  // per engine family (engine + its main option)
  std::map<std::string, long long> per_kind;
  std::map<std::string, long long> answered_by;  // Result::engine of every run (auto's stages apart)
  long long cases = 0, skipped = 0, failures = 0, distance_checks = 0, transfer_checks = 0, certificates = 0;
  long long certificates_checked = 0, pruning_certificates_checked = 0;

  void fail(uint64_t seed, const std::string& what, const Case& c, const std::string& config) {
    ++failures;
    std::printf("FAIL seed %llu: %s\n  case: %s\n  config: %s\n", static_cast<unsigned long long>(seed),
                what.c_str(), c.text.c_str(), config.c_str());
    std::fflush(stdout);
  }
};

double tolerance(double m) { return 1e-6 * (1.0 + std::abs(m)); }

// Exact worst margin of `p` (brute); NaN when brute refuses or does not finish.
double oracle(const spec::Problem& p, double timeout) {
  solvers::BruteOptions bo;
  bo.max_bits = 16;
  bo.timeout_s = timeout;
  try {
    // Only a finished enumeration gives the exact worst margin (margin_lower, rounded down); one
    // stopped by its limit after a counterexample still answers sat, with that point's margin.
    const spec::Result r = solvers::solve_brute(p, bo);
    if (std::isfinite(r.margin_lower)) return r.margin_lower;
  } catch (const util::InputError&) {
  }
  return std::nan("");
}

std::string family(const util::Options& o) {
  if (o.engine == "bab" || o.engine == "auto") return o.engine + " " + o.branching + " / " + o.intermediate;
  if (o.engine == "milp") return "milp " + o.encoding_bounds + " " + o.goal;
  if (o.engine == "smt") return "smt " + o.encoding + " " + o.goal;
  return "bounds " + o.method;
}

void check_result(Soak& s, uint64_t seed, const Case& c, const Config& cfg, double m) {
  const std::string fam = family(cfg.o);
  Tally& t = s.tally[fam];
  ++t.runs;
  spec::Result r;
  bab::BabTree tree;
  try {
    r = cli::run_engine(cfg.o.engine, c.problem, cfg.o, cfg.certificate ? &tree : nullptr);
  } catch (const util::InputError& e) {
    ++t.refused;
    if (s.args.verbose) std::printf("  refused: %s\n", e.what());
    return;
  }
  ++s.answered_by[r.engine.empty() ? "?" : r.engine];
  const double tol = tolerance(m);
  const int before = static_cast<int>(s.failures);
  std::ostringstream why;
  if (r.verdict == spec::Verdict::unsat && m <= 0) why << "unsat, but the exact worst margin is " << m << "; ";
  if (r.verdict == spec::Verdict::sat) {
    if (m > tol) why << "sat, but the exact worst margin is " << m << "; ";
    if (!r.witness) {
      why << "sat without a witness; ";
    } else {
      spec::Witness w = *r.witness;
      if (!spec::confirm_witness(c.problem, w)) why << "sat with a witness confirm_witness rejects; ";
    }
  }
  if (cfg.certificate && r.verdict == spec::Verdict::unsat) {
    // The proof tree, re-checked in exact arithmetic (bab/check_exact.cpp) as `prunecert check` does.
    ++s.certificates_checked;
    if (c.problem.budget && c.problem.budget->any()) ++s.pruning_certificates_checked;
    bab::CheckOptions co;
    co.threads = 1;
    const bab::CheckResult cr = bab::check_tree_exact(c.problem, bab::tree_to_json(tree), co);
    if (cr.status != bab::CheckResult::Status::valid)
      why << "certificate " << bab::to_string(cr.status) << ": " << cr.reason << "; ";
  }
  if (r.margin_lower > m + tol) why << "lower bound " << r.margin_lower << " above the exact worst margin " << m << "; ";
  if (r.margin_upper < m - tol) why << "best margin " << r.margin_upper << " below the exact worst margin " << m << "; ";
  if (!why.str().empty()) {
    ++t.failures;
    s.fail(seed, why.str() + "engine " + r.engine + ", note '" + r.note + "'", c, cfg.text);
  }
  if (static_cast<int>(s.failures) == before) {
    if (r.verdict == spec::Verdict::sat) ++t.sat;
    else if (r.verdict == spec::Verdict::unsat) ++t.unsat;
    else ++t.undecided;
  }
  if (s.args.verbose) {
    std::printf("  %s: %s, margin in [%.17g, %.17g], exact %.17g (%s)\n", cfg.text.c_str(), spec::to_string(r.verdict),
                r.margin_lower, r.margin_upper, m, r.note.c_str());
    if (r.witness) {
      std::printf("  witness x:");
      for (double v : r.witness->x) std::printf(" %.17g", v);
      std::printf("\n  its margin (double evaluation) %.17g\n", c.problem.property.margin(c.net->eval(r.witness->x)));
    }
    if (s.args.verbose > 1) {
      solvers::BruteOptions bo;
      bo.max_bits = 16;
      const spec::Result b = solvers::solve_brute(c.problem, bo);
      std::printf("  brute: %s, [%.17g, %.17g], %s\n", spec::to_string(b.verdict), b.margin_lower, b.margin_upper,
                  b.note.c_str());
      if (b.witness) {
        std::printf("  brute's x:");
        for (double v : b.witness->x) std::printf(" %.17g", v);
        std::printf("\n");
      }
      std::printf("  box:");
      for (int i = 0; i < c.problem.box.dim(); ++i) std::printf(" [%.6g, %.6g]", c.problem.box.lo[i], c.problem.box.hi[i]);
      std::printf("\n");
    }
  }
}

// The exact worst margin of the ball of radius r around the case's anchor.
double oracle_at(const Case& c, double r, double timeout) {
  return oracle(substitute::ball_problem(c.net, c.anchor, r), timeout);
}

// A witness of d_adv or d_bnd: inside the clip range and the ball of radius `upper`, adversarial.
bool adversarial_within(const Case& c, const Eigen::VectorXd& x, double upper, int verbose) {
  const spec::Problem p = substitute::ball_problem(c.net, c.anchor, upper);
  spec::Witness w{x, {}, {}};
  if (x.size() != c.anchor.x0.size()) return false;
  const double dist = (x - c.anchor.x0).lpNorm<Eigen::Infinity>();
  const bool ok = dist <= upper * (1 + 1e-12) && spec::confirm_witness(p, w);
  if (!ok && verbose)
    std::printf("  witness at distance %.17g (upper %.17g), margin %.17g, in the box: %d\n", dist, upper,
                p.property.margin(c.net->eval(x)), p.box.contains(x));
  return ok;
}

void check_distances(Soak& s, uint64_t seed, std::mt19937_64& rng, const Case& c) {
  substitute::DistanceOptions o;
  o.rel_tol = pick<double>(rng, {1e-3, 2e-2});
  o.timeout_s = 4 * s.args.timeout;
  o.bound_method = pick<bounds::Method>(rng, {bounds::Method::ibp, bounds::Method::crown, bounds::Method::alpha});
  o.crown_start = coin(rng, 0.7);
  o.attack.restarts = 3;
  o.attack.steps = 20;
  o.attack.seed = seed;
  o.bnd_engine = pick<substitute::DistanceOptions::BndEngine>(
      rng, {substitute::DistanceOptions::BndEngine::bab, substitute::DistanceOptions::BndEngine::milp,
            substitute::DistanceOptions::BndEngine::milp_min});
  o.bab.timeout_s = s.args.timeout / 2;
  o.milp.timeout_s = s.args.timeout / 2;
  o.milp.encode.bounds = pick<encodings::BoundSource>(
      rng, {encodings::BoundSource::crown, encodings::BoundSource::lp, encodings::BoundSource::milp});
  o.bab_after_milp = coin(rng, 0.3);
  if (o.bab_after_milp && coin(rng, 0.5)) o.bab.branching = bab::Branching::first_layer;
  else if (coin(rng, 0.3)) o.bab.branching = bab::Branching::relu_layer;
  std::ostringstream cfg;
  cfg << "distances: tol " << o.rel_tol << ", d_rob " << bounds::to_string(o.bound_method) << ", d_bnd "
      << (o.bnd_engine == substitute::DistanceOptions::BndEngine::bab    ? "bab"
          : o.bnd_engine == substitute::DistanceOptions::BndEngine::milp ? "milp"
                                                                         : "milp_min")
      << " with " << encodings::to_string(o.milp.encode.bounds) << (o.bab_after_milp ? " + bab " : " ")
      << bab::to_string(o.bab.branching) << (o.crown_start ? "" : ", no crown start");
  Tally& t = s.tally["distances"];
  ++t.runs;
  ++s.distance_checks;
  const auto adv = substitute::adversarial_distance(c.net, c.anchor, o);
  const auto rob = substitute::robust_distance(c.net, c.anchor, o);
  const auto bnd = substitute::boundary_distance(c.net, c.anchor, o, rob.lower, adv.upper, adv.witness);
  std::ostringstream why;
  if (std::isfinite(adv.upper) && !adversarial_within(c, adv.witness, adv.upper, s.args.verbose))
    why << "d_adv's witness is not adversarial within " << adv.upper << "; ";
  if (std::isfinite(bnd.upper) && bnd.witness.size() > 0 && !adversarial_within(c, bnd.witness, bnd.upper, s.args.verbose))
    why << "d_bnd's witness is not adversarial within " << bnd.upper << "; ";
  // A certified radius r must be robust, up to floating point: at the exact distance d the worst
  // margin is 0, and CBC's bound (milp_min) carries its tolerances. So brute is asked at
  // r (1 - 1e-7), and a margin below -1e-9 there is a failure.
  if (rob.lower > 0) {
    const double m = oracle_at(c, rob.lower * (1 - 1e-7), s.args.timeout);
    if (std::isfinite(m) && m < -1e-9) why << "d_rob " << rob.lower << " but brute's worst margin there is " << m << "; ";
  }
  if (bnd.lower > 0 && bnd.lower > rob.lower) {
    const double m = oracle_at(c, bnd.lower * (1 - 1e-7), s.args.timeout);
    if (std::isfinite(m) && m < -1e-9)
      why << "d_bnd's lower end " << bnd.lower << " but brute's worst margin there is " << m << "; ";
  }
  if (rob.lower > bnd.upper * (1 + 1e-9) || bnd.lower > adv.upper * (1 + 1e-9))
    why << "order broken: d_rob " << rob.lower << ", d_bnd [" << bnd.lower << ", " << bnd.upper << "], d_adv "
        << adv.upper << "; ";
  if (!why.str().empty()) {
    ++t.failures;
    s.fail(seed, why.str(), c, cfg.str());
  } else if (bnd.complete) {
    ++t.unsat;  // "decided": the bracket closed
  } else {
    ++t.undecided;
  }
  if (s.args.verbose)
    std::printf("  %s: d_rob %g, d_bnd [%g, %g]%s, d_adv %g\n", cfg.str().c_str(), rob.lower, bnd.lower, bnd.upper,
                bnd.complete ? "" : " (open)", adv.upper);
}

void check_transfer(Soak& s, uint64_t seed, std::mt19937_64& rng, const Case& c, double m_f) {
  substitute::TransferOptions o;
  o.gamma = pick<double>(rng, {0.25, 0.5, 0.9});
  if (coin(rng, 0.3)) o.delta0 = c.eps * pick<double>(rng, {0.25, 0.5, 1.0});
  o.method = pick<bounds::Method>(rng, {bounds::Method::crown, bounds::Method::alpha});
  o.bab.timeout_s = s.args.timeout / 2;
  o.stop_at_first_failure = coin(rng, 0.5);
  o.lipschitz_f_only = coin(rng, 0.5);
  std::ostringstream cfg;
  cfg << "transfer: gamma " << o.gamma << ", delta0 " << o.delta0 << ", " << bounds::to_string(o.method)
      << (o.lipschitz_f_only ? ", L_f only" : "");
  Tally& t = s.tally["transfer"];
  ++t.runs;
  ++s.transfer_checks;
  const auto r = substitute::transfer(c.net, c.anchor, c.eps, o);
  if (r.certified && m_f <= 0) {
    ++t.failures;
    std::ostringstream why;
    why << "certified (delta " << r.delta << ", v_g " << r.v_g << ", L_f " << r.lipschitz_f << ", L_g "
        << r.lipschitz_g << ") but brute's worst margin of f is " << m_f;
    s.fail(seed, why.str(), c, cfg.str());
    return;
  }
  if (r.certified) {
    ++t.unsat;
    ++s.certificates;
  } else {
    ++t.undecided;
  }
  if (s.args.verbose)
    std::printf("  %s: %s (delta %g, v_g %g), exact %g\n", cfg.str().c_str(), r.certified ? "certified" : "not certified",
                r.delta, r.v_g, m_f);
}

void run_case(Soak& s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Case c = draw_case(rng);
  if (!s.args.write.empty()) {  // `prunecert verify --net DIR/S.onnx --spec DIR/S.vnnlib [--budget ...]`
    const std::string stem = s.args.write + "/" + std::to_string(seed);
    net::write_onnx(net::Network::from_layered(*c.net), stem + ".onnx");
    spec::Spec sp;
    sp.num_inputs = c.net->input_dim();
    sp.num_outputs = c.net->output_dim();
    sp.cases.push_back({c.problem.box, c.problem.property});
    std::ofstream(stem + ".vnnlib") << spec::print_vnnlib(sp);
  }
  const double m = oracle(c.problem, 3 * s.args.timeout);
  if (s.args.verbose) std::printf("seed %llu: %s, exact worst margin %g\n", static_cast<unsigned long long>(seed),
                                  c.text.c_str(), m);
  // Ties (|m| tiny) are sat in exact arithmetic but may go either way in floating point.
  if (!std::isfinite(m) || std::abs(m) < 1e-6) {
    ++s.skipped;
    return;
  }
  ++s.cases;
  ++s.per_kind[to_string(c.kind)];
  const Config cfg = draw_config(rng, c.problem.budget.has_value(), s.args.timeout, seed);
  check_result(s, seed, c, cfg, m);
  const bool ball = c.kind == Kind::robustness || c.kind == Kind::clipped;
  if (ball && coin(rng, 0.25)) check_distances(s, seed, rng, c);
  if (ball && coin(rng, 0.2)) check_transfer(s, seed, rng, c, m);
}

}  // namespace

int main(int argc, char** argv) {
  Soak s;
  try {
    s.args = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soak: %s\n", e.what());
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto minutes = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 60; };
  uint64_t seed = s.args.first;
  for (long long n = 0;; ++n, ++seed) {
    if (s.args.count >= 0 ? n >= s.args.count : minutes() >= s.args.minutes) break;
    try {
      run_case(s, seed);
    } catch (const std::exception& e) {
      Case none{};
      s.fail(seed, std::string("exception: ") + e.what(), none, "-");
    }
    if (s.args.count < 0 && n % 50 == 49)
      std::printf("[%6.1f min] seeds %llu-%llu: %lld cases, %lld skipped, %lld failures\n", minutes(),
                  static_cast<unsigned long long>(s.args.first), static_cast<unsigned long long>(seed), s.cases,
                  s.skipped, s.failures);
    std::fflush(stdout);
  }
  std::printf("\nseeds %llu-%llu, %.1f min: %lld cases checked, %lld skipped (brute too large or a tie), "
              "%lld BaB proof trees re-checked exactly (%lld of pruning queries), %lld distance and %lld transfer "
              "checks (%lld certified), %lld failures\n",
              static_cast<unsigned long long>(s.args.first), static_cast<unsigned long long>(seed - 1), minutes(),
              s.cases, s.skipped, s.certificates_checked, s.pruning_certificates_checked, s.distance_checks,
              s.transfer_checks, s.certificates, s.failures);
  for (const auto& [kind, n] : s.per_kind) std::printf("%s: %lld cases\n", kind.c_str(), n);
  std::printf("answered by:");
  for (const auto& [engine, n] : s.answered_by) std::printf(" %s %lld,", engine.c_str(), n);
  std::printf("\n");
  std::printf("| configuration | runs | sat | unsat | undecided | refused | failures |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  long long complete_runs = 0, complete_decided = 0;
  for (const auto& [name, t] : s.tally) {
    std::printf("| %s | %lld | %lld | %lld | %lld | %lld | %lld |\n", name.c_str(), t.runs, t.sat, t.unsat, t.undecided,
                t.refused, t.failures);
    for (const char* engine : {"auto ", "bab ", "milp ", "smt "})
      if (name.rfind(engine, 0) == 0) {
        complete_runs += t.runs;
        complete_decided += t.sat + t.unsat;
      }
  }
  bool too_few = false;
  if (s.args.min_decided > 0) {
    const long long drawn = s.cases + s.skipped;
    std::printf("complete engines decided %lld of %lld runs; %lld of %lld cases checked (min_decided=%g)\n",
                complete_decided, complete_runs, s.cases, drawn, s.args.min_decided);
    too_few = complete_decided < s.args.min_decided * complete_runs || s.cases < s.args.min_decided * drawn;
  }
  return s.failures > 0 || too_few ? 1 : 0;
}
