// Substitute benchmarks (issue 7), two modes:
//   transfer OUT.csv [cases=N] [mnist_inputs=K] [confirm_timeout=S]
//                               Lemma 1 transfer on random networks and MNIST nets at radii
//                               around d_bnd; every certificate is checked by solve_bab on f
//                               (a false certificate is a sat verdict there, or on the MNIST
//                               nets a radius beyond a confirmed adversarial point of f).
//                               Where delta < eps, the one-sided form (L_f alone,
//                               --lipschitz-f-only) is run and checked too, in the same run.
//   eval OUT.csv [inputs=N] [nets=a,b] [tol=T] [query_timeout=S] [bnd=bab|milp|milp-min]
//                [bounds=crown|lp] [mnist=FILE.csv] [only=PRUNER[:AMOUNT],...] [names=INPUT,...]
//                [part=K/M] [start=N] [f_query_timeout=S] [adv_only=1] [restarts=N] [steps=N] [crown_start=0]
//                [bab_after_milp=1] [branching=RULE] [region_descent=N]
//                               seed 001 Figure 3: d_rob and d_bnd on f and on every pruned g,
//                               per (network, pruner, amount) the mean relative error, the
//                               d_adv baseline and the time including pruning; rows per input
//                               in OUT.csv, the aggregate in OUT.summary.csv. d_bnd (on f and g
//                               alike) by bisection with bab (default) or with CBC deciding each
//                               query per competing class (bnd=milp), or as one MILP minimising
//                               eps (bnd=milp-min); big-M constants from `bounds` (default crown
//                               for milp, lp for milp-min).
// Networks: mnist-net_256x2 (VNN-COMP 2021), Marabou's mnist10x10 / mnist10x20 / mnist20x20 /
// mnist20x40 NNets, the FashionMNIST MLPs of examples/ (fmnist-standard, fmnist-prune-robust,
// fmnist-ibp; inputs = the first test images) and seeded random MLPs. MNIST inputs: the 15 images
// of the mnistfc properties, or with mnist=FILE.csv (fetch_mnist5k.sh: 5,000 MNIST training
// images, pixel values 0-255 and the label per row) a seeded random choice of its rows, as seed 001
// chose 100 random training images.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "src/data/idx.h"
#include "src/util/errors.h"
#include "src/net/io.h"
#include "src/spec/vnnlib.h"
#include "src/substitute/substitute.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

const std::string kShared = PRUNECERT_SHARED_DIR;

struct Input {
  Eigen::VectorXd x;
  int label;
  std::string name;
};

// The images behind mnistfc's properties: each box is [max(0, x - e), min(1, x + e)] around the
// image x with e read from the file name; the label from the comment line.
std::vector<Input> mnist_inputs() {
  std::vector<Input> out;
  for (int i = 0; i < 15; ++i) {
    const std::string path = kShared + "/benchmarks/vnncomp2021/mnistfc/prop_" + std::to_string(i) + "_0.03.vnnlib";
    std::ifstream in(path);
    if (!in) continue;
    std::string first;
    std::getline(in, first);
    std::smatch m;
    if (!std::regex_search(first, m, std::regex("label: ([0-9]+)"))) continue;
    const spec::Spec s = spec::read_vnnlib(path);
    const spec::Box& b = s.cases[0].box;
    Eigen::VectorXd x(b.dim());
    for (int k = 0; k < b.dim(); ++k) {
      if (b.lo[k] <= 0 && b.hi[k] >= 1) x[k] = 0.5;
      else if (b.lo[k] <= 0) x[k] = std::max(0.0, b.hi[k] - 0.03);
      else if (b.hi[k] >= 1) x[k] = std::min(1.0, b.lo[k] + 0.03);
      else x[k] = 0.5 * (b.lo[k] + b.hi[k]);
    }
    out.push_back({x, std::stoi(m[1]), "mnist_" + std::to_string(i)});
  }
  return out;
}

// A seeded random order of the rows of FILE.csv (784 pixels in 0..255, then the label).
std::vector<Input> mnist_csv_inputs(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open (run benchmarks/substitute/fetch_mnist5k.sh)");
  std::vector<Input> out;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::vector<double> v;
    std::string cell;
    while (std::getline(ss, cell, ',')) v.push_back(std::stod(cell));
    if (v.size() != 785) throw std::runtime_error(path + ": a row without 785 values");
    Input x{Eigen::VectorXd(784), static_cast<int>(v[784]), "mnist5k_" + std::to_string(out.size())};
    for (int k = 0; k < 784; ++k) x.x[k] = v[k] / 255.0;
    out.push_back(std::move(x));
  }
  std::mt19937_64 rng(2026);
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

struct NamedNet {
  std::string name;
  std::shared_ptr<const net::LayeredNetwork> net;
};

// The first n test images of FashionMNIST (Debian's dataset-fashion-mnist), pixels in [0, 1].
std::vector<Input> fashion_inputs(int n) {
  const data::Dataset d = data::load_dataset("fashion-mnist", "test");
  std::vector<Input> out;
  for (int i = 0; i < std::min<int>(n, static_cast<int>(d.y.size())); ++i)
    out.push_back({d.x.row(i).transpose(), d.y[i], "fmnist_" + std::to_string(i)});
  return out;
}

NamedNet load(const std::string& name) {
  std::string path;
  if (name.rfind("fmnist-", 0) == 0) path = std::string(PRUNECERT_SOURCE_DIR) + "/examples/fmnist-mlp-" + name.substr(7) + ".onnx";
  else if (name == "mnist-net_256x2") path = kShared + "/benchmarks/vnncomp2021/mnistfc/mnist-net_256x2.onnx";
  else path = kShared + "/benchmarks/marabou-resources/nnet/mnist/" + name + ".nnet";
  return {name, std::make_shared<const net::LayeredNetwork>(net::read_network(path).layered())};
}

// key=value arguments; anything else, or a key the mode does not know, is refused (a typo such
// as query_timout=5 ran with the default 20 s).
std::map<std::string, std::string> parse_kv(int argc, char** argv, int from, const std::vector<std::string>& known) {
  std::map<std::string, std::string> kv;
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq == std::string::npos) throw std::runtime_error("argument '" + a + "': expected key=value");
    const std::string key = a.substr(0, eq);
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw std::runtime_error("unknown key '" + key + "' (this mode takes " + list + ")");
    }
    kv[key] = a.substr(eq + 1);
  }
  return kv;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string s;
  while (std::getline(ss, s, ',')) out.push_back(s);
  return out;
}

std::string verdict_name(spec::Verdict v) { return spec::to_string(v); }

// ---------------------------------------------------------------------------------------------
int run_transfer(const std::string& out_path, const std::map<std::string, std::string>& kv) {
  const int want = kv.count("cases") ? std::stoi(kv.at("cases")) : 200;
  const int per_net = kv.count("mnist_inputs") ? std::stoi(kv.at("mnist_inputs")) : 5;
  const double confirm_timeout = kv.count("confirm_timeout") ? std::stod(kv.at("confirm_timeout")) : 60;
  std::ofstream csv(out_path);
  csv << "network,input,eps,d_bnd,eps_over_dbnd,gamma_or_1+delta0/eps,delta0,delta,lipschitz_f,lipschitz_g,v_g,certified,case,"
         "neurons_f,nonlinear_g,time_transfer_s,time_f_bab_s,f_verdict,false_certificate,certified_f_only,"
         "false_certificate_f_only\n";
  int cases = 0, certified = 0, false_certs = 0, unconfirmed = 0, case2 = 0, robust_f = 0;
  int certified_f_only = 0, case2_f_only = 0, false_f_only = 0;
  double t_transfer = 0, t_f = 0;
  // d_bnd: f's boundary distance, or on the MNIST nets the lower end of its bracket; a certificate
  // at a radius >= known_false (the upper end of that bracket: a confirmed adversarial point lies
  // within it) is false whatever bab on f answers in its time.
  auto one = [&](const std::string& net_name, std::shared_ptr<const net::LayeredNetwork> f, const substitute::Anchor& a,
                 const std::string& input_name, double d_bnd, double frac, double gamma,
                 double known_false = std::numeric_limits<double>::infinity()) {
    // gamma > 1 encodes delta0 = (gamma - 1) * eps: remove what is stable just inside B_eps.
    const double eps = frac * d_bnd;
    substitute::TransferOptions o;
    if (gamma > 1) o.delta0 = (gamma - 1) * eps;
    else o.gamma = gamma;
    o.bab.timeout_s = 30;
    const substitute::TransferResult r = substitute::transfer(f, a, eps, o);
    bool cert_f_only = r.certified;  // delta >= eps: the same test
    if (r.delta < eps) {
      o.lipschitz_f_only = true;
      cert_f_only = substitute::transfer(f, a, eps, o).certified;
    }
    bab::BabOptions bo;
    bo.timeout_s = confirm_timeout;
    const auto t0 = Clock::now();
    const spec::Result rf = bab::solve_bab(substitute::ball_problem(f, a, eps), bo);
    const double tf = since(t0);
    const bool f_not_robust = rf.verdict == spec::Verdict::sat || eps >= known_false;
    const bool is_false = r.certified && f_not_robust, is_false_f_only = cert_f_only && f_not_robust;
    ++cases;
    certified += r.certified;
    false_certs += is_false;
    unconfirmed += r.certified && rf.verdict != spec::Verdict::unsat && !is_false;
    case2 += r.certified && r.delta < eps;
    certified_f_only += cert_f_only;
    case2_f_only += cert_f_only && r.delta < eps;
    false_f_only += is_false_f_only;
    robust_f += rf.verdict == spec::Verdict::unsat;
    t_transfer += r.time_s;
    t_f += tf;
    char line[1024];
    std::snprintf(line, sizeof line, "%s,%s,%.9g,%.9g,%.3f,%.2f,%.9g,%.9g,%.9g,%.9g,%.9g,%d,%d,%d,%d,%.4f,%.4f,%s,%d,%d,%d\n",
                  net_name.c_str(), input_name.c_str(), eps, d_bnd, frac, gamma, r.delta0, r.delta, r.lipschitz_f,
                  r.lipschitz_g, std::isfinite(r.v_g) ? r.v_g : NAN, r.certified ? 1 : 0, r.delta >= eps ? 1 : 2,
                  r.prune.neurons_before, r.prune.nonlinear_after, r.time_s, tf, verdict_name(rf.verdict).c_str(),
                  is_false ? 1 : 0, cert_f_only ? 1 : 0, is_false_f_only ? 1 : 0);
    csv << line;
    csv.flush();
  };
  // Random MLPs (most cases): seeded, a few shapes.
  const std::vector<std::vector<int>> shapes = {{4, 16, 16, 3}, {5, 12, 12, 12, 3}, {3, 24, 24, 2}, {6, 16, 16, 4}};
  substitute::DistanceOptions dopt;
  dopt.eps_max = 20;
  dopt.rel_tol = 1e-3;
  dopt.bab.timeout_s = 10;
  dopt.timeout_s = 60;
  for (uint64_t seed = 1; cases < want - 12 * per_net; ++seed) {
    std::mt19937_64 rng(seed);
    const auto& shape = shapes[seed % shapes.size()];
    std::normal_distribution<double> N(0.0, 1.0);
    auto net = std::make_shared<net::LayeredNetwork>();
    for (size_t k = 0; k + 1 < shape.size(); ++k) {
      const double scale = 1.0 / std::sqrt(static_cast<double>(shape[k]));
      net->layers.push_back({net::Matrix::NullaryExpr(shape[k + 1], shape[k], [&] { return scale * N(rng); }),
                             net::Vector::NullaryExpr(shape[k + 1], [&] { return 0.3 * N(rng); })});
    }
    substitute::Anchor a;
    a.x0 = Eigen::VectorXd::NullaryExpr(shape[0], [&] { return N(rng); });
    net->eval(a.x0).maxCoeff(&a.label);
    const auto bnd = substitute::boundary_distance(net, a, dopt);
    if (!bnd.complete) continue;
    for (double frac : {0.25, 0.5, 0.75, 0.9, 1.1})
      for (double gamma : {0.5, 0.8, 1.9, 1.97}) one("random" + std::to_string(seed), net, a, "x0", bnd.value, frac, gamma);
    std::fprintf(stderr, "\r%d cases, %d certified, %d false", cases, certified, false_certs);
  }
  // MNIST nets on the mnistfc images (clip [0,1]). f's d_bnd rarely closes on these 784-input
  // nets, so the radii come from its bracket [lo, hi] (CBC deciding each radius, 10 s, 2%):
  // 0.5 lo and 0.9 lo (f robust there, if CBC is right: bab on f confirms), and 1.1 hi, where a
  // confirmed adversarial point of f lies within the ball, so that any certificate is false.
  substitute::DistanceOptions dm = dopt;
  dm.rel_tol = 2e-2;
  dm.bnd_engine = substitute::DistanceOptions::BndEngine::milp;
  dm.milp.timeout_s = 10;
  dm.milp.encode.bounds = encodings::BoundSource::lp;
  dm.timeout_s = 200;
  for (const std::string name : {"mnist10x10", "mnist10x20"}) {
    const NamedNet n = load(name);
    int used = 0;
    for (const Input& in : mnist_inputs()) {
      if (used >= per_net) break;
      substitute::Anchor a;
      a.x0 = in.x;
      a.clip_lo = 0;
      a.clip_hi = 1;
      n.net->eval(a.x0).maxCoeff(&a.label);
      const auto rob = substitute::robust_distance(n.net, a, dm);
      const auto adv = substitute::adversarial_distance(n.net, a, dm);
      const auto bnd = substitute::boundary_distance(n.net, a, dm, rob.lower, adv.upper, adv.witness);
      if (!(bnd.lower > 0) || !std::isfinite(bnd.upper)) continue;
      ++used;
      for (double frac : {0.5, 0.9, 1.1 * bnd.upper / bnd.lower})
        for (double gamma : {0.8, 1.97}) one(name, n.net, a, in.name, bnd.lower, frac, gamma, bnd.upper);
      std::fprintf(stderr, "\r%d cases, %d certified, %d false", cases, certified, false_certs);
    }
  }
  std::fprintf(stderr, "\n");
  std::printf("transfer benchmark: %d cases, %d certified (%d through the Lipschitz step, delta < eps), %d false "
              "certificates, %d certificates not confirmed in time; f robust by bab in %d cases\n",
              cases, certified, case2, false_certs, unconfirmed, robust_f);
  std::printf("one-sided form (L_f alone): %d certified (%d through the Lipschitz step), %d false certificates\n",
              certified_f_only, case2_f_only, false_f_only);
  std::printf("time: transfer %.1f s (the one-sided form's reruns not counted), bab on f %.1f s\n", t_transfer, t_f);
  return false_certs == 0 && false_f_only == 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
struct Config {
  std::string pruner;  // constant, linear, activation
  double amount;       // gamma, or number of layers removed
  std::vector<int> layers;
};

std::vector<Config> configs(const net::LayeredNetwork& f) {
  std::vector<Config> c;
  for (double g : {0.5, 0.75, 0.9, 0.95}) c.push_back({"constant", g, {}});
  // Linear: remove 1, 2, ... layers starting with the second (seed 001 Section 4).
  for (int n = 1; n <= std::min(3, f.num_hidden() - 1); ++n) {
    std::vector<int> l;
    for (int k = 1; k <= n; ++k) l.push_back(k);
    c.push_back({"linear", static_cast<double>(n), l});
  }
  for (double g : {0.5, 0.9}) c.push_back({"activation", g, {}});
  return c;
}

int run_eval(const std::string& out_path, const std::map<std::string, std::string>& kv) {
  const int max_inputs = kv.count("inputs") ? std::stoi(kv.at("inputs")) : 100;
  const double tol = kv.count("tol") ? std::stod(kv.at("tol")) : 1e-2;
  const double qt = kv.count("query_timeout") ? std::stod(kv.at("query_timeout")) : 20;
  const std::vector<std::string> nets = split(kv.count("nets") ? kv.at("nets") : "mnist10x10,mnist10x20,mnist-net_256x2");
  const bool adv_only = kv.count("adv_only");  // only d_adv of every input (and which have no PGD point)
  std::ofstream csv(out_path);
  csv.precision(17);
  if (adv_only)
    csv << "network,input,d_adv,d_adv_lower,pgd_runs,time_s,d_adv_descent,descent_regions,descent_lps,descent_time_s\n";
  else
    csv << "network,input,pruner,amount,neurons_f,neurons_g,d_adv,d_rob,d_bnd,d_bnd_upper,bnd_complete,d_rob_hat,"
           "d_bnd_hat,bnd_hat_complete,t_rob_f,t_bnd_f,t_prune,t_rob_g,t_bnd_g,d_bnd_hat_upper\n";
  // Inputs without an adversarial point found by PGD (so no d_adv, no x_adv for the linear pruner).
  std::ofstream skipped(out_path.substr(0, out_path.rfind('.')) + ".skipped.csv");
  skipped << "network,input,d_adv_lower,pgd_runs,time_s\n";
  std::ofstream contradictions;  // opened on the first input two engines disagree about
  substitute::DistanceOptions dopt;
  dopt.rel_tol = tol;
  dopt.bab.timeout_s = qt;
  dopt.timeout_s = 20 * qt;
  // PGD of d_adv (and x_adv): restarts=N, steps=N.
  if (kv.count("restarts")) dopt.attack.restarts = std::stoi(kv.at("restarts"));
  if (kv.count("steps")) dopt.attack.steps = std::stoi(kv.at("steps"));
  // crown_start=0: PGD without the start at CROWN's least corner of each ball (the runs before
  // the seventeenth session).
  if (kv.count("crown_start")) dopt.crown_start = kv.at("crown_start") != "0";
  // region_descent=N: at most N linear regions per walk from d_adv's last point and the classes'
  // targeted PGD points (0: off). With adv_only=1, d_adv is PGD's alone and the walks' result is
  // the column d_adv_descent.
  if (kv.count("region_descent")) dopt.region_descent_regions = std::stoi(kv.at("region_descent"));
  substitute::RegionDescentOptions descent;
  descent.max_regions = dopt.region_descent_regions;
  if (adv_only) dopt.region_descent_regions = 0;
  const std::string bnd = kv.count("bnd") ? kv.at("bnd") : "bab";
  using E = substitute::DistanceOptions::BndEngine;
  if (bnd != "bab" && bnd != "milp" && bnd != "milp-min") throw std::runtime_error("bnd=" + bnd + ": bab, milp or milp-min");
  dopt.bnd_engine = bnd == "bab" ? E::bab : bnd == "milp" ? E::milp : E::milp_min;
  dopt.milp.timeout_s = qt;
  // bab_after_milp=1 (with bnd=milp): radii CBC leaves undecided go to bab for query_timeout more
  // seconds, with branching=RULE (e.g. first-layer): the portfolio of `distance --bab-after-milp`,
  // on f and on g alike.
  dopt.bab_after_milp = kv.count("bab_after_milp") && kv.at("bab_after_milp") != "0";
  if (kv.count("branching")) dopt.bab.branching = bab::parse_branching(kv.at("branching"));
  dopt.milp.encode.bounds =
      encodings::parse_bound_source(kv.count("bounds") ? kv.at("bounds") : bnd == "milp-min" ? "lp" : "crown");
  const std::string mnist_csv = kv.count("mnist") ? kv.at("mnist") : "";
  // only=PRUNER[:AMOUNT],...: a subset of the substitutes (e.g. only=linear,activation:0.9);
  // names=INPUT,...: of the inputs the run would use, only these (e.g. to rerun some with
  // f_query_timeout=S, a longer per-query limit for d_bnd on f).
  const std::vector<std::string> only = split(kv.count("only") ? kv.at("only") : "");
  for (const std::string& o : only) {  // a misspelt pruner selected nothing, silently
    const std::string pruner = o.substr(0, o.find(':'));
    if (pruner != "constant" && pruner != "linear" && pruner != "activation")
      throw std::runtime_error("only=" + o + ": the pruners are constant, linear and activation");
  }
  const std::vector<std::string> names = split(kv.count("names") ? kv.at("names") : "");
  // part=K/M: of the inputs the run would use, the K-th of every M (0-based positions), so that
  // M processes share one run's inputs without listing their names.
  int part_k = 0, part_m = 1;
  if (kv.count("part") && (std::sscanf(kv.at("part").c_str(), "%d/%d", &part_k, &part_m) != 2 || part_m < 1 ||
                           part_k < 0 || part_k >= part_m))
    throw std::runtime_error("part=" + kv.at("part") + ": K/M with 0 <= K < M");
  // start=N: leave out the first N of those inputs (to extend a run from inputs=N to more).
  const int start = kv.count("start") ? std::stoi(kv.at("start")) : 0;
  const double qt_f = kv.count("f_query_timeout") ? std::stod(kv.at("f_query_timeout")) : qt;
  auto selected = [&](const Config& c) {
    if (only.empty()) return true;
    char amount[32];
    std::snprintf(amount, sizeof amount, "%g", c.amount);
    return std::any_of(only.begin(), only.end(),
                       [&](const std::string& o) { return o == c.pruner || o == c.pruner + ":" + amount; });
  };
  struct Agg {
    double rob_err = 0, bnd_err = 0, base_rob = 0, base_bnd = 0, t_rob_f = 0, t_bnd_f = 0, t_rob_g = 0, t_bnd_g = 0;
    int n_rob = 0, n_bnd = 0, neurons_g = 0, n = 0;
  };
  std::map<std::tuple<std::string, std::string, double>, Agg> agg;
  for (const std::string& name : nets) {
    // "random": a seeded 8-24-24-24-4 MLP with Gaussian inputs (no clip), labels = predictions.
    const bool random = name == "random";
    NamedNet n;
    std::vector<Input> inputs;
    if (random) {
      std::mt19937_64 rng(2026);
      std::normal_distribution<double> N(0.0, 1.0);
      const std::vector<int> shape = {8, 24, 24, 24, 4};
      auto net = std::make_shared<net::LayeredNetwork>();
      for (size_t k = 0; k + 1 < shape.size(); ++k)
        net->layers.push_back({net::Matrix::NullaryExpr(shape[k + 1], shape[k], [&] { return N(rng) / std::sqrt(shape[k]); }),
                               net::Vector::NullaryExpr(shape[k + 1], [&] { return 0.3 * N(rng); })});
      for (int i = 0; i < max_inputs; ++i) {
        Input in{Eigen::VectorXd::NullaryExpr(shape[0], [&] { return N(rng); }), 0, "x" + std::to_string(i)};
        net->eval(in.x).maxCoeff(&in.label);
        inputs.push_back(in);
      }
      n = {name, net};
    } else {
      n = load(name);
      // Up to three times the wanted count: only correctly classified inputs are used.
      inputs = name.rfind("fmnist-", 0) == 0 ? fashion_inputs(3 * max_inputs)
               : mnist_csv.empty()              ? mnist_inputs()
                                                : mnist_csv_inputs(mnist_csv);
    }
    int used = 0;
    for (const Input& in : inputs) {
      if (used >= max_inputs) break;
      substitute::Anchor a;
      a.x0 = in.x;
      a.label = in.label;
      if (!random) {
        a.clip_lo = 0;
        a.clip_hi = 1;
      }
      // Correctly classified inputs only: the label's output strictly above every other (a tie is
      // no decision: the pruning-robust FashionMNIST MLP outputs all 0 on test image 27).
      const Eigen::VectorXd y = n.net->eval(a.x0);
      if (spec::robustness_property(static_cast<int>(y.size()), in.label).violated(y)) continue;
      const int position = used++;
      if (position < start || position % part_m != part_k) continue;
      if (!names.empty() && std::find(names.begin(), names.end(), in.name) == names.end()) continue;
      const auto adv = substitute::adversarial_distance(n.net, a, dopt);
      if (adv.witness.size() == 0) {  // no x_adv: d_adv, d_bnd's upper end and the linear pruner need one
        skipped << name << "," << in.name << "," << adv.lower << "," << adv.queries << "," << adv.time_s << "\n";
        skipped.flush();
        continue;
      }
      if (adv_only) {
        substitute::RegionDescent rd;
        rd.radius = adv.upper;
        if (descent.max_regions > 0)
          rd = substitute::region_descent_per_class(n.net, a, adv.witness, dopt.attack, descent);
        csv << name << "," << in.name << "," << adv.upper << "," << adv.lower << "," << adv.queries << ","
            << adv.time_s << "," << rd.radius << "," << rd.regions << "," << rd.lps << "," << rd.time_s << "\n";
        csv.flush();
        continue;
      }
      // Two engines disagreeing about one input (a radius proved robust beyond a confirmed
      // adversarial point: util::InternalError from the distances) end that input, not the run;
      // it is listed in OUT.contradictions.csv (written on the first one) with the message.
      try {
        const auto rob = substitute::robust_distance(n.net, a, dopt);
        substitute::DistanceOptions dopt_f = dopt;  // f_query_timeout: a longer limit on f only
        dopt_f.bab.timeout_s = dopt_f.milp.timeout_s = qt_f;
        dopt_f.timeout_s = 20 * qt_f;
        const auto bnd = substitute::boundary_distance(n.net, a, dopt_f, rob.lower, adv.upper, adv.witness);
        const double t_bnd_f = adv.time_s + rob.time_s + bnd.time_s;
        for (const Config& c : configs(*n.net)) {
          if (!selected(c)) continue;
          const auto t0 = Clock::now();
          net::LayeredNetwork g;
          substitute::PruneReport rep;
          if (c.pruner == "constant") {
            substitute::ConstantOptions co;
            co.gamma = c.amount;
            co.method = bounds::Method::ibp;
            g = substitute::constant_substitute(*n.net, a, adv.upper, co, &rep);
          } else if (c.pruner == "linear") {
            g = substitute::linear_substitute(*n.net, a.x0, adv.witness, c.layers, &rep);
          } else {
            const double delta = substitute::delta_for_fraction(n.net, a, c.amount, adv.upper, bounds::Method::crown, 1e-2);
            const auto ph = substitute::stable_phases(substitute::ball_problem(n.net, a, delta), bounds::Method::crown);
            g = substitute::activation_substitute(*n.net, ph, substitute::ball_problem(n.net, a, adv.upper).box, &rep);
          }
          const double t_prune = since(t0) + adv.time_s;  // d_adv is part of every pruner's input
          auto gp = std::make_shared<const net::LayeredNetwork>(g);
          // g's PGD also starts from f's adversarial point (part of every pruner's input; on the
          // linear substitute it is adversarial by construction), so g's upper end is at most d_adv
          // wherever that point is adversarial on g (since 2026-12-07; older CSVs: PGD on g alone).
          substitute::DistanceOptions dopt_g = dopt;
          if (adv.witness.size()) dopt_g.starts.push_back(adv.witness);
          const auto rob_g = substitute::robust_distance(gp, a, dopt_g);
          const auto adv_g = substitute::adversarial_distance(gp, a, dopt_g);
          const auto bnd_g = substitute::boundary_distance(gp, a, dopt_g, rob_g.lower, adv_g.upper, adv_g.witness);
          const double t_rob_g = t_prune + rob_g.time_s;
          const double t_bnd_g = t_prune + rob_g.time_s + adv_g.time_s + bnd_g.time_s;
          char line[1024];
          std::snprintf(line, sizeof line,
                        "%s,%s,%s,%g,%d,%d,%.17g,%.17g,%.17g,%.17g,%d,%.17g,%.17g,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.17g\n",
                        name.c_str(),
                        in.name.c_str(), c.pruner.c_str(), c.amount, n.net->num_relus(), g.num_relus(), adv.upper,
                        rob.value, bnd.value, bnd.upper, bnd.complete ? 1 : 0, rob_g.value, bnd_g.value,
                        bnd_g.complete ? 1 : 0, rob.time_s, t_bnd_f, t_prune, t_rob_g, t_bnd_g, bnd_g.upper);
          csv << line;
          csv.flush();
          Agg& s = agg[{name, c.pruner, c.amount}];
          ++s.n;
          s.neurons_g += g.num_relus();
          if (rob.value > 0) {
            s.rob_err += std::abs(rob_g.value - rob.value) / rob.value;
            s.base_rob += std::abs(adv.upper - rob.value) / rob.value;
            ++s.n_rob;
          }
          if (bnd.complete && bnd_g.complete && bnd.value > 0) {
            s.bnd_err += std::abs(bnd_g.value - bnd.value) / bnd.value;
            s.base_bnd += std::abs(adv.upper - bnd.value) / bnd.value;
            ++s.n_bnd;
          }
          s.t_rob_f += rob.time_s;
          s.t_bnd_f += t_bnd_f;
          s.t_rob_g += t_rob_g;
          s.t_bnd_g += t_bnd_g;
        }
      } catch (const util::InternalError& e) {
        std::fprintf(stderr, "\n%s %s: %s\n", name.c_str(), in.name.c_str(), e.what());
        if (!contradictions.is_open()) {
          contradictions.open(out_path.substr(0, out_path.rfind('.')) + ".contradictions.csv");
          contradictions << "network,input,message\n";
        }
        std::string message = e.what();
        std::replace(message.begin(), message.end(), '"', '\'');
        contradictions << name << "," << in.name << ",\"" << message << "\"\n";
        contradictions.flush();
        continue;
      }
      std::fprintf(stderr, "\r%s: %d inputs", name.c_str(), used);
    }
    std::fprintf(stderr, "\n");
  }
  std::ofstream sum(out_path.substr(0, out_path.rfind('.')) + ".summary.csv");
  sum << "network,pruner,amount,inputs,inputs_bnd,mean_neurons_g,rel_err_rob,baseline_rob,rel_err_bnd,baseline_bnd,"
         "t_rob_f,t_rob_g,t_bnd_f,t_bnd_g,speedup_bnd,speedup_rob\n";
  for (const auto& [key, s] : agg) {
    const auto& [name, pruner, amount] = key;
    char line[1024];
    std::snprintf(line, sizeof line, "%s,%s,%g,%d,%d,%.1f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.3f,%.3f\n",
                  name.c_str(), pruner.c_str(), amount, s.n, s.n_bnd, double(s.neurons_g) / s.n,
                  s.n_rob ? s.rob_err / s.n_rob : NAN, s.n_rob ? s.base_rob / s.n_rob : NAN,
                  s.n_bnd ? s.bnd_err / s.n_bnd : NAN, s.n_bnd ? s.base_bnd / s.n_bnd : NAN, s.t_rob_f / s.n,
                  s.t_rob_g / s.n, s.t_bnd_f / s.n, s.t_bnd_g / s.n, s.t_bnd_f / s.t_bnd_g, s.t_rob_f / s.t_rob_g);
    sum << line;
    std::printf("%s", line);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_substitute transfer|eval OUT.csv [key=value ...]\n");
    return 2;
  }
  const std::string mode = argv[1];
  try {
    if (mode == "transfer")
      return run_transfer(argv[2], parse_kv(argc, argv, 3, {"cases", "mnist_inputs", "confirm_timeout"}));
    if (mode == "eval")
      return run_eval(argv[2], parse_kv(argc, argv, 3,
                                        {"inputs", "nets", "tol", "query_timeout", "bnd", "bounds", "mnist", "only",
                                         "names", "part", "start", "f_query_timeout", "adv_only", "restarts", "steps",
                                         "crown_start", "bab_after_milp", "branching", "region_descent"}));
  } catch (const std::runtime_error& e) {  // bad arguments (util::InputError is one too)
    std::fprintf(stderr, "bench_substitute: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
