// prunecert substitute: writes a smaller local substitute network g around an input, with the
// same inputs and outputs as f. constant (seed 001 Algorithm 1, bounds on B_eps with eps = --eps
// or d_adv), linear (Algorithm 2, through x0 and the PGD adversarial point) or activation
// (neurons stable on B_delta removed, g = f on B_delta). constant and linear give estimates
// only; certificates come from `prunecert transfer`.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "src/cli/cli.h"
#include "src/net/io.h"
#include "src/substitute/substitute.h"
#include "src/util/errors.h"

namespace cli {

namespace {

std::vector<int> parse_layers(const std::string& text, int hidden) {
  std::vector<int> out;
  if (text == "all") {
    for (int k = 0; k < hidden; ++k) out.push_back(k);
    return out;
  }
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 1 || v > hidden)
      throw util::InputError("--layers", "", "'" + item + "' is not a hidden layer between 1 and " + std::to_string(hidden));
    out.push_back(v - 1);
  }
  if (out.empty()) throw util::InputError("--layers", "", "no layer given");
  return out;
}

}  // namespace

int run_substitute(const util::Options& o) {
  net::Network network = load_network(o);
  auto f = std::make_shared<const net::LayeredNetwork>(network.layered());
  const substitute::Anchor a = read_anchor(o, *f);
  if (!o.was_given("method")) throw util::InputError("--method", "", "give the pruner: constant, linear or activation");
  if (o.method != "constant" && o.method != "linear" && o.method != "activation")
    throw util::InputError("--method", "", "'" + o.method + "': substitute takes constant, linear or activation");
  if (o.output.empty()) throw util::InputError("--output", "", "give the file to write g to (-o g.onnx)");
  const substitute::DistanceOptions dopt = distance_options(o);
  const bounds::Method bm = bounds::parse_method(o.bound_method);
  substitute::Distance adv;
  adv.kind = "adv";
  const bool need_adv = o.method == "linear" || o.eps <= 0;
  if (need_adv) adv = substitute::adversarial_distance(f, a, dopt);
  if (need_adv && adv.witness.size() == 0)
    throw util::InputError("--input", "", "PGD found no adversarial point (up to the clip width or 100): the " + o.method +
                                              " substitute needs d_adv; give --eps");
  const double radius = o.eps > 0 ? o.eps : adv.upper;
  substitute::PruneReport rep;
  net::LayeredNetwork g;
  double delta = 0;
  if (o.method == "constant") {
    substitute::ConstantOptions co;
    co.gamma = o.gamma;
    co.gamma0 = o.gamma0;
    co.prune_first = o.prune_first;
    // Seed 001 Algorithm 1 propagates intervals (IBP), as the benchmark does; --bound-method
    // chooses another method only when typed (its default, crown, is d_rob's).
    if (o.was_given("bound-method")) co.method = bm;
    g = substitute::constant_substitute(*f, a, radius, co, &rep);
  } else if (o.method == "linear") {
    g = substitute::linear_substitute(*f, a.x0, adv.witness, parse_layers(o.layers, f->num_hidden()), &rep);
  } else {
    delta = o.delta > 0 ? o.delta : substitute::delta_for_fraction(f, a, o.gamma, radius, bm, o.tol);
    const double region = std::max(delta, radius);
    const substitute::Phases ph = substitute::stable_phases(substitute::ball_problem(f, a, delta), bm);
    g = substitute::activation_substitute(*f, ph, substitute::ball_problem(f, a, region).box, &rep);
    rep.radius = delta;
  }
  rep.time_s += need_adv ? adv.time_s : 0.0;
  net::write_network(net::Network::from_layered(g, network.input_shape()), o.output);
  const double diff_x0 = (g.eval(a.x0) - f->eval(a.x0)).lpNorm<Eigen::Infinity>();
  double diff_adv = 0;
  if (adv.witness.size()) diff_adv = (g.eval(adv.witness) - f->eval(adv.witness)).lpNorm<Eigen::Infinity>();
  if (o.json) {
    nlohmann::json j = {{"method", o.method},
                        {"output", o.output},
                        {"neurons_before", rep.neurons_before},
                        {"neurons_after", rep.neurons_after},
                        {"nonlinear_after", rep.nonlinear_after},
                        {"hidden_layers", g.num_hidden()},
                        {"radius", rep.radius},
                        {"max_diff_at_x0", diff_x0},
                        {"time_s", rep.time_s},
                        {"estimate_only", o.method != "activation"}};
    if (need_adv) {
      j["d_adv"] = adv.upper;
      j["max_diff_at_x_adv"] = diff_adv;
    }
    if (o.method == "activation") j["delta"] = delta;
    print_json(j);
    return 0;
  }
  std::printf("wrote %s (%s substitute)\n", o.output.c_str(), o.method.c_str());
  std::printf("hidden neurons  %d -> %d (%d may change phase), %d hidden layers\n", rep.neurons_before, rep.neurons_after,
              rep.nonlinear_after, g.num_hidden());
  if (need_adv) std::printf("d_adv           %.9g (PGD)\n", adv.upper);
  if (o.method == "constant") std::printf("bounds radius   %.9g\n", rep.radius);
  if (o.method == "activation") std::printf("delta           %.9g (g = f on B_delta)\n", delta);
  std::printf("|g(x0) - f(x0)| %.3g\n", diff_x0);
  if (o.method == "linear") std::printf("|g(x_adv) - f(x_adv)| %.3g\n", diff_adv);
  std::printf("time            %.3f s (pruning%s)\n", rep.time_s, need_adv ? " and d_adv" : "");
  if (o.method != "activation") std::printf("note            an estimate: g is no certificate for f\n");
  return 0;
}

}  // namespace cli
