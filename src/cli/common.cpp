// Shared pieces of the subcommands: the command table, loading inputs, building problems,
// printing statistics and JSON.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "src/cli/cli.h"
#include "src/net/io.h"
#include "src/spec/vnnlib.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"info", "layers, sizes, parameter and ReLU counts of a network", "prunecert info --net examples/acasxu_1_1.onnx", run_info},
      {"eval", "exact forward evaluation of a network at an input", "prunecert eval --net examples/acasxu_1_1.onnx --input examples/acasxu_point.txt", run_eval},
      {"spec", "summary of a VNN-LIB property (input box, unsafe region)", "prunecert spec --spec examples/acasxu_prop_3.vnnlib", run_spec},
      {"verify", "decide a property: sat (counterexample), unsat (proved), unknown, timeout", "prunecert verify --net examples/acasxu_1_1.onnx --spec examples/acasxu_prop_3.vnnlib", run_verify},
      {"prune-verify", "is the prediction correct for every way of pruning up to s_k neurons per hidden layer? (seed 003)", "prunecert prune-verify --net examples/fmnist-mlp-prune-robust.onnx --data fashion-mnist --first 100 --budget 0,0,10%", run_prune_verify},
      {"check", "re-check a BaB certificate (verify --certificate) in exact rational arithmetic", "prunecert check --net examples/acasxu_1_9.onnx --spec examples/acasxu_prop_3.vnnlib --certificate proof.json", run_check},
      {"encode", "write a query's model as SMT-LIB2, MPS or LP for any external solver", "prunecert encode --net examples/acasxu_1_9.onnx --spec examples/acasxu_prop_3.vnnlib --encoding bigm -o prop3.mps", run_encode},
      {"bounds", "per-layer bounds, unstable ReLUs and the instability sum of a network on a box", "prunecert bounds --net examples/acasxu_1_1.onnx --spec examples/acasxu_prop_3.vnnlib --method crown", run_bounds},
      {"bench", "solver ablation sweeps: engines x options on every instance of a suite, one process per job, resumable CSV", "prunecert bench --suite ../shared/benchmarks/vnncomp2021/acasxu/acasxu_instances.csv --engines bab,milp --timeout 30 -o acasxu.csv", run_bench},
      {"distance", "robustness distances around an input: d_adv (PGD), d_rob (bounds), d_bnd (complete engine), seed 001", "prunecert distance --net examples/acasxu_1_9.onnx --input examples/acasxu_point.txt --method bnd", run_distance},
      {"substitute", "write a smaller local substitute network g: constant (seed 001 Alg. 1), linear (Alg. 2) or activation-preserving pruning", "prunecert substitute --net examples/acasxu_1_9.onnx --input examples/acasxu_point.txt --method linear --layers 2 -o g.onnx", run_substitute},
      {"transfer", "certify robustness of f on B_eps from the activation-preserving substitute g by Lemma 1 (seed 000)", "prunecert transfer --net examples/acasxu_1_9.onnx --input examples/acasxu_point.txt --eps 0.002", run_transfer},
      {"train", "train a ReLU MLP on FashionMNIST: cross-entropy, pruning-robust (seed 003) or IBP certified (seed 004)", "prunecert train --widths 128,64,32 --no-bias --epochs 10 --output mlp.onnx", run_train},
  };
  return table;
}

Eigen::VectorXd read_vector_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw util::InputError(path, "", "cannot open file");
  std::vector<double> v;
  std::string tok;
  while (in >> tok) {
    size_t used = 0;
    double x = 0;
    try {
      x = std::stod(tok, &used);
    } catch (...) {
      used = 0;
    }
    if (used != tok.size() || used == 0)
      throw util::InputError(path, "number " + std::to_string(v.size() + 1), "'" + tok + "' is not a number");
    if (!std::isfinite(x))
      throw util::InputError(path, "number " + std::to_string(v.size() + 1), "'" + tok + "' is not a finite number");
    v.push_back(x);
  }
  if (v.empty()) throw util::InputError(path, "", "no numbers in file");
  return Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

net::Network load_network(const util::Options& options) {
  if (options.net.empty()) throw util::InputError("--net", "", "a network file is required");
  net::Network n = net::read_network(options.net);
  const std::string shift = options.budget.empty() ? "" : n.shift_after_relu();
  if (!shift.empty())
    util::log(util::LogLevel::normal,
              "warning: layer '%s' shifts the output of a ReLU layer; a neuron removed by --budget outputs 0 at its "
              "ReLU and the shift after it is kept (it is folded into the next layer's bias)\n",
              shift.c_str());
  return n;
}

std::vector<spec::Problem> build_problems(const util::Options& o, std::shared_ptr<const net::LayeredNetwork> net) {
  std::vector<spec::Problem> problems;
  std::optional<spec::PruningBudget> budget;
  if (!o.budget.empty()) budget = spec::parse_budget(o.budget, *net);
  if (!o.spec.empty()) {
    if (!o.input.empty()) throw util::InputError("--input", "", "give either --spec or --input, not both");
    // The spec states the box and the property: these would be silently ignored.
    if (o.label >= 0) throw util::InputError("--label", "", "the property comes from --spec: give --label with --input");
    if (o.eps > 0) throw util::InputError("--eps", "", "the box comes from --spec: give --eps with --input");
    if (!o.clip.empty()) throw util::InputError("--clip", "", "the box comes from --spec: give --clip with --input");
    spec::Spec s = spec::read_vnnlib(o.spec);
    if (s.num_inputs != net->input_dim())
      throw util::InputError(o.spec, "", "declares " + std::to_string(s.num_inputs) + " inputs, the network has " +
                                             std::to_string(net->input_dim()));
    if (s.num_outputs != net->output_dim())
      throw util::InputError(o.spec, "", "declares " + std::to_string(s.num_outputs) + " outputs, the network has " +
                                             std::to_string(net->output_dim()));
    for (size_t i = 0; i < s.cases.size(); ++i) {
      spec::Problem p;
      p.net = net;
      p.box = s.cases[i].box;
      p.property = s.cases[i].property;
      p.budget = budget;
      p.name = o.spec + (s.cases.size() > 1 ? "#" + std::to_string(i) : "");
      problems.push_back(std::move(p));
    }
    return problems;
  }
  if (o.input.empty()) throw util::InputError("--spec", "", "give a VNN-LIB file with --spec, or a point with --input");
  Eigen::VectorXd x0 = read_vector_file(o.input);
  if (x0.size() != net->input_dim())
    throw util::InputError(o.input, "", "has " + std::to_string(x0.size()) + " numbers, the network expects " +
                                            std::to_string(net->input_dim()));
  int label = static_cast<int>(o.label);
  if (label < 0) {
    Eigen::VectorXd y = net->eval(x0);
    y.maxCoeff(&label);
  }
  spec::Problem p = input_ball_problem(net, x0, label, o);
  p.budget = budget;
  p.name = o.input;
  problems.push_back(std::move(p));
  return problems;
}

spec::Problem input_ball_problem(std::shared_ptr<const net::LayeredNetwork> net, const Eigen::VectorXd& x0, int label,
                                 const util::Options& o) {
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  if (!o.clip.empty()) {
    char comma = 0;
    std::istringstream in(o.clip);
    if (!(in >> lo >> comma >> hi) || comma != ',' || !(in >> std::ws).eof() || lo > hi)
      throw util::InputError("--clip", "", "'" + o.clip + "' is not LO,HI with LO <= HI");
  }
  return spec::robustness_problem(std::move(net), x0, label, o.eps, lo, hi);
}

spec::Problem data_sample_problem(std::shared_ptr<const net::LayeredNetwork> net, const Eigen::VectorXd& x, int label,
                                  const util::Options& o, int index) {
  spec::Problem p = input_ball_problem(std::move(net), x, label, o);
  if (!p.box.contains(x))
    throw util::InputError("--clip", "", "sample " + std::to_string(index) + " lies outside the clip range");
  return p;
}

std::string join(const std::vector<int>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

void print_json(const nlohmann::json& j) { std::cout << j.dump(2) << std::endl; }

nlohmann::json stats_json(const util::Stats& s) {
  return {{"time_s", s.time_s},       {"bound_time_s", s.bound_time_s}, {"branch_time_s", s.branch_time_s},
          {"bound_calls", s.bound_calls}, {"subdomains_bounded", s.subdomains_bounded}, {"nodes", s.nodes},
          {"max_queue", s.max_queue}, {"relu_splits", s.relu_splits}, {"attack_restarts", s.attack_restarts},
          {"attack_steps", s.attack_steps}, {"lp_calls", s.lp_calls}, {"solver_calls", s.solver_calls},
          {"root_lp_time_s", s.root_lp_time_s}};
}

void print_stats(const util::Stats& s) {
  // The object must outlive the loop: items() of a temporary dangles (range-for keeps only the
  // items proxy alive), which crashed `verify --stats` (issue 5's segfault on ACAS Xu 1_1 prop_3).
  const nlohmann::json j = stats_json(s);
  for (auto& [k, v] : j.items()) std::printf("c %-20s %s\n", k.c_str(), v.dump().c_str());
}

}  // namespace cli
