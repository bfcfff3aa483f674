// prunecert distance: robustness distances around an input (seed 001 Section 2). d_adv: PGD
// with a bisection over eps (the distance of a confirmed adversarial point); d_rob: the largest
// eps certified by the incomplete bounds engine (--bound-method); d_bnd: the distance to the
// decision boundary (eq. 1) by bisection with the complete engine (bab; with --engine milp, CBC
// per competing class; auto: bab for at most bab::kAutoInputDims inputs, milp otherwise),
// bracketed by d_rob and d_adv, or with --engine milp --goal optimize as one
// MILP minimising eps. Always d_rob <= d_bnd <= d_adv. Also the helpers shared with substitute and
// transfer.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "src/cli/cli.h"
#include "src/cli/engines.h"
#include "src/substitute/substitute.h"
#include "src/util/errors.h"

namespace cli {

substitute::Anchor read_anchor(const util::Options& o, const net::LayeredNetwork& net) {
  if (o.input.empty()) throw util::InputError("--input", "", "an input point is required");
  substitute::Anchor a;
  a.x0 = read_vector_file(o.input);
  if (a.x0.size() != net.input_dim())
    throw util::InputError(o.input, "", "has " + std::to_string(a.x0.size()) + " numbers, the network expects " +
                                            std::to_string(net.input_dim()));
  a.label = static_cast<int>(o.label);
  if (a.label < 0) net.eval(a.x0).maxCoeff(&a.label);
  if (a.label >= net.output_dim())
    throw util::InputError("--label", "", std::to_string(a.label) + " is out of range: the network has " +
                                              std::to_string(net.output_dim()) + " outputs");
  if (!o.clip.empty()) {
    char comma = 0;
    std::istringstream in(o.clip);
    if (!(in >> a.clip_lo >> comma >> a.clip_hi) || comma != ',' || !(in >> std::ws).eof() || a.clip_lo > a.clip_hi)
      throw util::InputError("--clip", "", "'" + o.clip + "' is not LO,HI with LO <= HI");
    for (Eigen::Index i = 0; i < a.x0.size(); ++i)
      if (a.x0[i] < a.clip_lo || a.x0[i] > a.clip_hi)
        throw util::InputError("--clip", "", "input " + std::to_string(i) + " lies outside the clip range");
  }
  return a;
}

substitute::DistanceOptions distance_options(const util::Options& o) {
  substitute::DistanceOptions d;
  d.rel_tol = o.tol;
  d.bound_method = bounds::parse_method(o.bound_method);
  d.attack.restarts = static_cast<int>(o.attack_restarts);
  d.attack.steps = static_cast<int>(o.attack_steps);
  d.attack.seed = static_cast<uint64_t>(o.seed);
  if (!o.attack_start.empty()) d.starts.push_back(read_vector_file(o.attack_start));
  d.crown_start = !o.no_crown_start;
  d.region_descent_regions = static_cast<int>(o.region_descent);
  d.bab.seed = static_cast<uint64_t>(o.seed);
  d.bab.branching = bab::parse_branching(o.branching);
  d.bab.attack = d.attack;
  d.bab.bound = bound_options(o, d.bab.bound.method);  // --method picks the distance here
  d.bab.warm_start = !o.no_warm_start;
  d.timeout_s = o.timeout;
  d.bab.timeout_s = o.query_timeout > 0 ? o.query_timeout : 0.25 * o.timeout;
  // CBC settings, re-checks and big-M constants (--encoding-bounds) as for `verify --engine milp`;
  // the bisection and the eps-minimising MILP set the goal and the property mode themselves.
  d.milp = milp_options(o);
  d.milp.timeout_s = d.bab.timeout_s;
  d.bab_after_milp = o.bab_after_milp;
  if (o.bab_after_milp && o.engine != "milp") throw util::InputError("--bab-after-milp", "", "needs --engine milp");
  // --engine milp: d_bnd by a bisection whose queries CBC decides (--goal decide, the default), or
  // as one MILP minimising eps (--goal optimize); big-M constants from --encoding-bounds.
  if (o.engine != "auto" && o.engine != "bab" && o.engine != "milp")
    throw util::InputError("--engine", "", "'" + o.engine + "': d_bnd is computed by bab or milp (auto: one of them)");
  if (!o.goal.empty() && o.engine != "milp")
    throw util::InputError("--goal", "", "distance: --goal chooses between the two milp methods (--engine milp)");
  using E = substitute::DistanceOptions::BndEngine;
  const bool decide = encodings::parse_goal(o.goal.empty() ? "decide" : o.goal) == encodings::Goal::decide;
  d.bnd_engine = o.engine != "milp" ? E::bab : decide ? E::milp : E::milp_min;
  if (o.bab_after_milp && d.bnd_engine == E::milp_min)  // one MILP: no undecided radius to hand on
    throw util::InputError("--bab-after-milp", "", "applies to the bisection (--goal decide), not to --goal optimize");
  return d;
}

namespace {

nlohmann::json to_json(const substitute::Distance& d) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  // The confirmed adversarial point at distance `upper` (null if none), e.g. for --attack-start.
  const nlohmann::json witness = d.witness.size() ? nlohmann::json(std::vector<double>(d.witness.begin(), d.witness.end()))
                                                  : nlohmann::json(nullptr);
  return {{"method", d.kind},        {"distance", num(d.value)}, {"lower", num(d.lower)},
          {"upper", num(d.upper)},   {"tolerance", num(d.upper - d.lower)},
          {"complete", d.complete},  {"queries", d.queries},     {"time_s", d.time_s},
          {"note", d.note},          {"witness", witness}};
}

// Only d_bnd has a bracket of itself; the ends of d_adv's and d_rob's searches are not bounds of
// d_bnd (PGD failing at a radius, or the bounds failing at one, proves nothing there).
void print_text(const substitute::Distance& d) {
  if (d.kind == "adv") {
    if (std::isfinite(d.upper) && d.lower < d.upper)
      std::printf("d_adv %.9g  adversarial distance: a confirmed point at that distance (an upper bound of "
                  "d_bnd); PGD found none up to radius %.9g\n",
                  d.value, d.lower);
    else if (std::isfinite(d.upper))  // region descent went below the radii where PGD failed, or 0
      std::printf("d_adv %.9g  adversarial distance: a confirmed point at that distance (an upper bound of "
                  "d_bnd)\n",
                  d.value);
    else
      std::printf("d_adv inf  PGD found no adversarial point up to radius %.9g\n", d.lower);
  } else if (d.kind == "rob") {
    std::printf("d_rob %.9g  certified by bounds up to that radius (a lower bound of d_bnd)", d.value);
    if (std::isfinite(d.upper)) std::printf("; the bounds do not certify radius %.9g", d.upper);
    std::printf("\n");
  } else {
    std::printf("d_bnd %.9g  in [%.9g, %.9g]  distance to the decision boundary (%s)%s\n", d.value, d.lower, d.upper,
                d.note.empty() ? "complete engine" : "MILP",
                d.complete ? "" : " -- bracket not closed (timeout or no adversarial point found)");
  }
  std::printf("  %d queries, %.3f s%s%s\n", d.queries, d.time_s, d.note.empty() ? "" : ", ", d.note.c_str());
}

}  // namespace

int run_distance(const util::Options& o) {
  net::Network network = load_network(o);
  auto f = std::make_shared<const net::LayeredNetwork>(network.layered());
  const substitute::Anchor a = read_anchor(o, *f);
  substitute::DistanceOptions d = distance_options(o);
  for (const Eigen::VectorXd& s : d.starts)
    if (s.size() != f->input_dim())
      throw util::InputError(o.attack_start, "", "has " + std::to_string(s.size()) + " numbers, the network expects " +
                                                     std::to_string(f->input_dim()));
  // --engine auto: bab where it splits the input (at most bab::kAutoInputDims inputs, e.g. ACAS
  // Xu), CBC per radius otherwise. On 784-input MNIST and FashionMNIST MLPs bab (ReLU splitting)
  // rarely decides a radius near the boundary within 20 s, CBC mostly does
  // (benchmarks/substitute/README.md, 20 s per radius: on the IBP-trained FashionMNIST MLP d_bnd
  // closed on 11-13 of 20 inputs with bab, on 20 of 20 with CBC; on mnist10x10 on none of the
  // inputs tried with bab, on 7 of 12 with CBC).
  // Where the first hidden layer is that narrow while the input is not (Marabou's mnist10x10:
  // 784 inputs into 10 neurons), radii CBC leaves undecided go on to bab with first-layer
  // splitting (--bab-after-milp, unless --branching names a rule): on the 48 open brackets of
  // the 100-input mnist10x10 run it raised f's lower end on 23, closed 2, in 1.42x the time.
  if (o.engine == "auto" && f->input_dim() > bab::kAutoInputDims) {
    d.bnd_engine = substitute::DistanceOptions::BndEngine::milp;
    if (f->num_hidden() > 0 && f->hidden_width(0) <= bab::kAutoInputDims && o.branching == "auto") {
      d.bab_after_milp = true;
      d.bab.branching = bab::Branching::first_layer;
    }
  }
  // --method's table default is "crown" (the bound method of verify and bounds); untyped, it is all.
  const std::string method = o.was_given("method") ? o.method : "all";
  if (method != "adv" && method != "rob" && method != "bnd" && method != "all")
    throw util::InputError("--method", "", "'" + o.method + "': distance takes adv, rob, bnd or all");
  std::vector<substitute::Distance> out;
  if (method == "adv") out.push_back(substitute::adversarial_distance(f, a, d));
  if (method == "rob") out.push_back(substitute::robust_distance(f, a, d));
  if (method == "bnd" || method == "all") {
    substitute::Distance rob = substitute::robust_distance(f, a, d);
    substitute::Distance adv = substitute::adversarial_distance(f, a, d);
    substitute::Distance bnd = substitute::boundary_distance(f, a, d, rob.lower, adv.upper, adv.witness);
    bnd.time_s += rob.time_s + adv.time_s;  // the bracket is part of the computation
    if (method == "all") out = {adv, rob, bnd};
    else out.push_back(bnd);
  }
  if (o.json) {
    if (out.size() == 1) {
      nlohmann::json j = to_json(out[0]);
      j["file"] = o.net;
      j["label"] = a.label;
      print_json(j);
    } else {
      nlohmann::json j = {{"file", o.net}, {"label", a.label}};
      for (const auto& x : out) j[x.kind] = to_json(x);
      print_json(j);
    }
    return 0;
  }
  std::printf("label %d\n", a.label);
  for (const auto& x : out) print_text(x);
  return 0;
}

}  // namespace cli
