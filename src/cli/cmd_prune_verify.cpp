// prunecert prune-verify: is the prediction at x correct for every network obtained by removing
// at most s_k neurons of each hidden layer k (seed 003, Problem 1), optionally jointly with an
// L-inf ball? Engines: bound (seed 003 Propositions 1-4 and mask-aware CROWN), attack (mask
// falsifiers), bab, milp, smt, brute, and auto (bound, then attack, then bab). Over a data set
// it reports clean and verified accuracy.
#include <chrono>
#include <cstdio>
#include <sstream>

#include "src/attack/mask_attack.h"
#include "src/attack/pruners.h"
#include "src/bounds/bound_engine.h"
#include "src/bounds/margin_deviation.h"
#include "src/cli/cli.h"
#include "src/cli/engines.h"
#include "src/data/idx.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace cli {

namespace {

enum class PruneVerdict { robust, not_robust, unknown };
const char* to_string(PruneVerdict v) {
  return v == PruneVerdict::robust ? "robust" : v == PruneVerdict::not_robust ? "not-robust" : "unknown";
}

struct PruneAnswer {
  PruneVerdict verdict = PruneVerdict::unknown;
  double lower = -std::numeric_limits<double>::infinity();  // certified lower bound of the worst margin
  double upper = std::numeric_limits<double>::infinity();   // margin of the worst (x, mask) found
  net::Mask worst;                                           // that mask (empty: none found yet)
  std::string engine;
  double time_s = 0;
};

std::vector<std::vector<int>> pruned_indices(const net::Mask& m) {
  std::vector<std::vector<int>> out;
  for (const auto& layer : m) {
    out.emplace_back();
    for (size_t i = 0; i < layer.size(); ++i)
      if (!layer[i]) out.back().push_back(static_cast<int>(i));
  }
  return out;
}

void take_upper(PruneAnswer& a, double margin, const net::Mask& mask) {
  if (margin < a.upper) {
    a.upper = margin;
    a.worst = mask;
  }
}

std::vector<attack::MaskAttackKind> parse_attack_list(const std::string& text) {
  std::vector<attack::MaskAttackKind> kinds;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) kinds.push_back(attack::parse_mask_attack(item));
  return kinds;
}

// Sufficient tests: the margin-deviation bound (fixed input only: Propositions 1-4 bound the
// deviation at x) and the mask-aware CROWN bound over the ball and every admissible mask.
void run_bound(const spec::Problem& p, const Eigen::VectorXd& x0, double eps, PruneAnswer& a) {
  if (eps == 0) {
    bounds::MarginDeviation md(*p.net);
    bounds::MarginDeviationResult r = md.bound(*p.net, x0, p.property, *p.budget);
    if (r.certified) a.lower = std::max(a.lower, r.margin_lower);
  }
  bounds::BoundOptions bo;
  bo.method = bounds::Method::crown;
  a.lower = std::max(a.lower, bounds::bound_root(p, bo).margin_lower);
  take_upper(a, p.property.margin(p.net->eval(p.box.center())), p.net->full_mask());
  if (a.lower > 0) a.verdict = PruneVerdict::robust;
}

void run_attack(const spec::Problem& p, const util::Options& o, PruneAnswer& a) {
  attack::MaskAttackOptions mo;
  mo.seed = static_cast<uint64_t>(o.seed);
  mo.stop_when_found = true;
  mo.time_limit_s = o.timeout;
  attack::MaskAttackResult r = attack::mask_attack(p, p.box.center(), mo, parse_attack_list(o.mask_attacks));
  take_upper(a, r.best_margin, r.best.mask);
  if (r.found) a.verdict = PruneVerdict::not_robust;
}

void run_complete(const std::string& engine, const spec::Problem& p, const util::Options& o, PruneAnswer& a) {
  spec::Result r = run_engine(engine, p, o);
  a.lower = std::max(a.lower, r.margin_lower);
  if (r.witness) take_upper(a, p.property.margin(r.witness->y), r.witness->mask.empty() ? p.net->full_mask() : r.witness->mask);
  else if (r.margin_upper < a.upper) a.upper = r.margin_upper;
  if (r.verdict == spec::Verdict::sat) a.verdict = PruneVerdict::not_robust;
  if (r.verdict == spec::Verdict::unsat) a.verdict = PruneVerdict::robust;
}

PruneAnswer prune_verify_one(const spec::Problem& p, const Eigen::VectorXd& x0, const util::Options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  PruneAnswer a;
  a.engine = o.engine;
  if (o.engine == "bound" || o.engine == "auto") run_bound(p, x0, o.eps, a);
  if (a.verdict == PruneVerdict::unknown && (o.engine == "attack" || o.engine == "auto")) run_attack(p, o, a);
  if (a.verdict == PruneVerdict::unknown) {
    if (o.engine == "auto") {
      util::Options rest = o;
      rest.timeout = std::max(0.0, o.timeout - std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      run_complete("bab", p, rest, a);
    } else if (o.engine == "bab" || o.engine == "milp" || o.engine == "smt" || o.engine == "brute") {
      run_complete(o.engine, p, o, a);
    } else if (o.engine != "bound" && o.engine != "attack") {
      throw util::InputError("--engine", "", "'" + o.engine + "' is not a prune-verify engine (auto, bound, attack, bab, milp, smt, brute)");
    }
  }
  if (a.worst.empty() && a.verdict == PruneVerdict::not_robust) a.worst = p.net->full_mask();
  a.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return a;
}

nlohmann::json answer_json(const PruneAnswer& a) {
  nlohmann::json j = {{"verdict", to_string(a.verdict)}, {"worst_margin_lower", a.lower}, {"worst_margin_upper", a.upper},
                      {"worst_mask", pruned_indices(a.worst)}, {"engine", a.engine}, {"time_s", a.time_s}};
  return j;
}

spec::Problem pruning_problem(std::shared_ptr<const net::LayeredNetwork> net, const Eigen::VectorXd& x0, int label,
                              const util::Options& o, const spec::PruningBudget& budget) {
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  if (!o.clip.empty()) {
    char comma = 0;
    std::istringstream in(o.clip);
    if (!(in >> lo >> comma >> hi) || comma != ',' || lo > hi)
      throw util::InputError("--clip", "", "'" + o.clip + "' is not LO,HI with LO <= HI");
  }
  spec::Problem p = spec::robustness_problem(net, x0, label, o.eps, lo, hi);
  p.budget = budget;
  return p;
}

int run_dataset(const util::Options& o, std::shared_ptr<const net::LayeredNetwork> net, const spec::PruningBudget& budget) {
  data::Dataset d = data::load_dataset(o.data, o.split);
  if (d.x.cols() != net->input_dim())
    throw util::InputError("--data", "", "samples have " + std::to_string(d.x.cols()) + " features, the network expects " +
                                             std::to_string(net->input_dim()));
  const int start = static_cast<int>(o.start);
  const int end = std::min<int>(static_cast<int>(d.x.rows()), start + static_cast<int>(o.first));
  if (start >= end) throw util::InputError("--start", "", "no samples in range (the data set has " + std::to_string(d.x.rows()) + ")");
  std::optional<attack::PrunerKind> pruner;
  net::Mask pruner_mask;
  if (!o.pruner.empty()) {
    pruner = attack::parse_pruner(o.pruner);
    pruner_mask = attack::pruner_mask(*net, *pruner, budget, d.x.middleRows(start, end - start),
                                      std::vector<int>(d.y.begin() + start, d.y.begin() + end));
  }
  int correct = 0, robust = 0, not_robust = 0, unknown = 0, pruner_correct = 0;
  double time = 0;
  nlohmann::json samples = nlohmann::json::array();
  const bool progress = !o.json && util::stderr_is_terminal();
  for (int i = start; i < end; ++i) {
    const Eigen::VectorXd x = d.x.row(i).transpose();
    const int label = d.y[i];
    Eigen::Index pred;
    net->eval(x).maxCoeff(&pred);
    PruneAnswer a;
    if (pred != label) {  // misclassified: not robust with nothing pruned
      a.verdict = PruneVerdict::not_robust;
      a.worst = net->full_mask();
      a.engine = "nominal";
      const spec::Problem p = pruning_problem(net, x, label, o, budget);
      a.upper = p.property.margin(net->eval(x));
    } else {
      ++correct;
      a = prune_verify_one(pruning_problem(net, x, label, o, budget), x, o);
    }
    if (pruner) {
      Eigen::Index pp;
      net->eval(x, pruner_mask).maxCoeff(&pp);
      pruner_correct += (pp == label);
    }
    time += a.time_s;
    robust += a.verdict == PruneVerdict::robust;
    not_robust += a.verdict == PruneVerdict::not_robust;
    unknown += a.verdict == PruneVerdict::unknown;
    nlohmann::json s = answer_json(a);
    s["index"] = i;
    s["label"] = label;
    samples.push_back(s);
    if (progress)
      std::fprintf(stderr, "\r%d/%d samples: %d robust, %d not robust, %d unknown", i - start + 1, end - start, robust,
                   not_robust, unknown);
  }
  if (progress) std::fprintf(stderr, "\n");
  const int n = end - start;
  nlohmann::json j = {{"data", o.data},       {"split", o.split},
                      {"samples_used", n},    {"budget", budget.s},
                      {"eps", o.eps},         {"engine", o.engine},
                      {"clean_accuracy", double(correct) / n},
                      {"verified_accuracy", double(robust) / n},
                      {"robust", robust},     {"not_robust", not_robust},
                      {"unknown", unknown},   {"seconds_per_sample", time / n},
                      {"time_s", time}};
  if (pruner) j["pruned_accuracy_" + std::string(attack::to_string(*pruner))] = double(pruner_correct) / n;
  if (o.json) {
    j["samples"] = samples;
    print_json(j);
    return 0;
  }
  std::printf("samples            %d (%s %s, from %d)\n", n, o.data.c_str(), o.split.c_str(), start);
  std::printf("clean accuracy     %.4f\nverified accuracy  %.4f\n", double(correct) / n, double(robust) / n);
  std::printf("robust %d, not-robust %d, unknown %d\n", robust, not_robust, unknown);
  std::printf("time               %.3f s per sample (%s)\n", time / n, o.engine.c_str());
  if (pruner)
    std::printf("accuracy under the %s pruner's mask  %.4f\n", attack::to_string(*pruner), double(pruner_correct) / n);
  return 0;
}

}  // namespace

int run_prune_verify(const util::Options& o) {
  net::Network network = load_network(o);
  auto net = std::make_shared<const net::LayeredNetwork>(network.layered());
  if (o.budget.empty()) throw util::InputError("--budget", "", "a pruning budget s1,...,sK is required");
  const spec::PruningBudget budget = spec::parse_budget(o.budget, *net);
  if (!o.data.empty()) {
    if (!o.input.empty()) throw util::InputError("--input", "", "give either --data or --input, not both");
    return run_dataset(o, net, budget);
  }
  if (o.input.empty()) throw util::InputError("--input", "", "give a point with --input, or a data set with --data");
  const Eigen::VectorXd x0 = read_vector_file(o.input);
  if (x0.size() != net->input_dim())
    throw util::InputError(o.input, "", "has " + std::to_string(x0.size()) + " numbers, the network expects " +
                                            std::to_string(net->input_dim()));
  int label = static_cast<int>(o.label);
  if (label < 0) net->eval(x0).maxCoeff(&label);
  const PruneAnswer a = prune_verify_one(pruning_problem(net, x0, label, o, budget), x0, o);
  if (o.json) {
    print_json(answer_json(a));
    return 0;
  }
  std::printf("%s\n", to_string(a.verdict));
  std::printf("worst margin  lower %.9g, upper %.9g\n", a.lower, a.upper);
  std::printf("worst mask    ");
  const auto idx = pruned_indices(a.worst);
  for (size_t k = 0; k < idx.size(); ++k) {
    std::printf("%slayer %zu: [", k ? "; " : "", k);
    for (size_t t = 0; t < idx[k].size(); ++t) std::printf("%s%d", t ? "," : "", idx[k][t]);
    std::printf("]");
  }
  std::printf("\ntime          %.3f s (%s)\n", a.time_s, o.engine.c_str());
  return 0;
}

}  // namespace cli
