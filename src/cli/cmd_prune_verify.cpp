// prunecert prune-verify: is the prediction at x correct for every network obtained by removing
// at most s_k neurons of each hidden layer k (seed 003, Problem 1), optionally jointly with an
// L-inf ball? Engines: bound (seed 003 Propositions 1-4 and mask-aware CROWN), attack (mask
// falsifiers), bab, milp, smt, brute, and auto (bound, then attack, then bab). Over a data set
// it reports clean and verified accuracy. With --certificate FILE, every robust answer gets bab's
// proof tree (what `verify --certificate` writes): the one bab recorded when it decided the
// answer, or, for answers of other engines, bab decides it again. FILE holds one tree per robust
// sample, with its index and label, for `prunecert check` to re-prove exactly.
#include <chrono>
#include <cstdio>
#include <set>

#include "solvers/bab/certificate.h"
#include "src/attack/pruners.h"
#include "src/cli/cli.h"
#include "src/cli/engines.h"
#include "src/cli/prune_verify.h"
#include "src/data/idx.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace cli {

namespace {

nlohmann::json answer_json(const PruneAnswer& a) {
  nlohmann::json j = {{"verdict", to_string(a.verdict)}, {"worst_margin_lower", a.lower}, {"worst_margin_upper", a.upper},
                      {"worst_mask", pruned_indices(a.worst)}, {"engine", a.engine}, {"time_s", a.time_s}};
  if (!a.note.empty()) j["note"] = a.note;
  return j;
}

spec::Problem pruning_problem(std::shared_ptr<const net::LayeredNetwork> net, const Eigen::VectorXd& x0, int label,
                              const util::Options& o, const spec::PruningBudget& budget) {
  spec::Problem p = input_ball_problem(std::move(net), x0, label, o);
  p.budget = budget;
  return p;
}

// The proof tree of a robust answer (a case of a certificate, with "sample", its index in --data
// or -1 for --input, and "label"), or null when bab does not prove it within --timeout. `first`
// is the tree the answer's own run recorded: complete when bab decided it (--engine bab, or
// auto's last stage), and then used as it is. Otherwise bab decides the problem again with its
// tree recorded; a counterexample from bab contradicts the robust answer: an internal error (its
// witness is confirmed by exact evaluation).
nlohmann::json certify(const spec::Problem& p, const util::Options& o, const PruneAnswer& a, const bab::BabTree& first,
                       int sample, int label) {
  bab::BabTree again;
  const bab::BabTree* tree = &first;
  if (!first.complete) {
    const spec::Result r = run_engine("bab", p, o, &again);
    if (r.verdict == spec::Verdict::sat)
      throw util::InternalError("prune-verify: " + a.engine + " answered robust, but bab found a confirmed counterexample");
    if (r.verdict != spec::Verdict::unsat || !again.complete) return nullptr;
    tree = &again;
  }
  nlohmann::json j = bab::tree_to_json(*tree);
  j["problem"] = bab::problem_digest(p);
  j["sample"] = sample;
  j["label"] = label;
  return j;
}

// The certificate of the robust samples: one case per certified sample.
nlohmann::json certificate_file(const nlohmann::json& cases) {
  nlohmann::json j = bab::certificate_json({});
  j["cases"] = cases;
  return j;
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
  const PruneVerifier verifier(net);
  int correct = 0, robust = 0, not_robust = 0, unknown = 0, pruner_correct = 0;
  double time = 0, certify_time = 0;
  nlohmann::json samples = nlohmann::json::array();
  nlohmann::json cases = nlohmann::json::array();
  std::vector<int> uncertified;  // robust samples bab did not prove within --timeout
  int reused = 0;                // trees bab recorded when it decided the sample (not decided again)
  std::set<std::string> notes;   // the complete engine's caveats, each once
  const bool progress = !o.json && util::stderr_is_terminal();
  for (int i = start; i < end; ++i) {
    const Eigen::VectorXd x = d.x.row(i).transpose();
    const int label = d.y[i];
    Eigen::Index pred;
    net->eval(x).maxCoeff(&pred);
    spec::Problem p = data_sample_problem(net, x, label, o, i);  // the nominal check below is at x
    p.budget = budget;
    PruneAnswer a;
    correct += pred == label;
    // Misclassified with nothing pruned (exactly: confirm_witness; a tie counts as misclassified,
    // as the property has it): not robust. Otherwise the engines decide.
    spec::Witness nominal{x, {}, {}};
    if (spec::confirm_witness(p, nominal)) {
      a.verdict = PruneVerdict::not_robust;
      a.worst = net->full_mask();
      a.engine = "nominal";
      a.upper = p.property.margin(nominal.y);
    } else {
      bab::BabTree first;
      a = verifier.verify(p, o, o.certificate.empty() ? nullptr : &first);
      if (a.verdict == PruneVerdict::robust && !o.certificate.empty()) {
        const auto t0 = std::chrono::steady_clock::now();
        nlohmann::json tree = certify(p, o, a, first, i, label);
        certify_time += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (tree.is_null()) uncertified.push_back(i);
        else cases.push_back(std::move(tree));
        reused += first.complete;
      }
    }
    if (pruner) {
      Eigen::Index pp;
      const Eigen::VectorXd y = net->eval(x, pruner_mask);
      y.maxCoeff(&pp);
      pruner_correct += (pp == label);
      // The pruner's mask is admissible and x is in the box: a robust answer covers it. From an
      // exact engine a contradiction is a bug; milp's answers are floating-point (CBC's
      // tolerances), so there the mask, a confirmed counterexample, overrides the answer.
      spec::Witness pruned{x, {}, pruner_mask};  // decided exactly, as every counterexample
      if (a.verdict == PruneVerdict::robust && spec::confirm_witness(p, pruned)) {
        const std::string what = "sample " + std::to_string(i) + " answered robust by " + a.engine + ", but the " +
                                 attack::to_string(*pruner) + " pruner's mask misclassifies it";
        if (a.engine.find("milp") == std::string::npos) throw util::InternalError("prune-verify: " + what);
        a.verdict = PruneVerdict::not_robust;
        a.worst = pruner_mask;
        a.worst_x = x;
        a.upper = p.property.margin(y);
        a.lower = std::min(a.lower, a.upper);
        a.note = what + " (now not-robust)" + (a.note.empty() ? "" : "; " + a.note);
      }
    }
    if (!a.note.empty()) notes.insert(a.note);
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
  if (!notes.empty()) j["notes"] = notes;
  if (!o.certificate.empty()) {
    bab::write_certificate(o.certificate, certificate_file(cases));
    j["certificate"] = {{"file", o.certificate}, {"certified", cases.size()}, {"uncertified", uncertified},
                        {"from_answer", reused}, {"time_s", certify_time}};
  }
  if (o.json) {
    j["samples"] = samples;
    print_json(j);
    return 0;
  }
  std::printf("samples            %d (%s %s, from %d)\n", n, o.data.c_str(), o.split.c_str(), start);
  std::printf("budget             %s neurons per hidden layer\n", join(budget.s, ",").c_str());
  std::printf("clean accuracy     %.4f\nverified accuracy  %.4f\n", double(correct) / n, double(robust) / n);
  std::printf("robust %d, not-robust %d, unknown %d\n", robust, not_robust, unknown);
  std::printf("time               %.3g s per sample (%s)\n", time / n, o.engine.c_str());
  for (const std::string& note : notes) std::printf("note               %s\n", note.c_str());
  if (pruner)
    std::printf("accuracy under the %s pruner's mask  %.4f\n", attack::to_string(*pruner), double(pruner_correct) / n);
  if (!o.certificate.empty())
    std::printf("certificate        %zu of %d robust samples proved by bab with a tree (%d of them when bab decided "
                "them), %zu not within --timeout (%.3g s; %s, `check --data` re-proves it)\n",
                cases.size(), robust, reused, uncertified.size(), certify_time, o.certificate.c_str());
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
    if (o.label >= 0) throw util::InputError("--label", "", "the labels come from --data: give --label with --input");
    return run_dataset(o, net, budget);
  }
  if (o.input.empty()) throw util::InputError("--input", "", "give a point with --input, or a data set with --data");
  const Eigen::VectorXd x0 = read_vector_file(o.input);
  if (x0.size() != net->input_dim())
    throw util::InputError(o.input, "", "has " + std::to_string(x0.size()) + " numbers, the network expects " +
                                            std::to_string(net->input_dim()));
  int label = static_cast<int>(o.label);
  if (label < 0) net->eval(x0).maxCoeff(&label);
  const spec::Problem p = pruning_problem(net, x0, label, o, budget);
  bab::BabTree first;
  const PruneAnswer a = PruneVerifier(net).verify(p, o, o.certificate.empty() ? nullptr : &first);
  std::string certificate_note;
  if (!o.certificate.empty()) {
    const nlohmann::json tree = a.verdict == PruneVerdict::robust ? certify(p, o, a, first, -1, label) : nlohmann::json();
    if (tree.is_null()) {
      certificate_note = a.verdict == PruneVerdict::robust ? "none written (bab did not prove it within --timeout)"
                                                           : "none written (only robust answers have one)";
    } else {
      bab::write_certificate(o.certificate, certificate_file(nlohmann::json::array({tree})));
      certificate_note = o.certificate + " (`check` with the same options re-proves it)";
    }
  }
  if (o.json) {
    nlohmann::json j = answer_json(a);
    j["budget"] = budget.s;
    if (!o.certificate.empty()) j["certificate"] = certificate_note;
    print_json(j);
    return 0;
  }
  std::printf("%s\n", to_string(a.verdict));
  std::printf("budget        %s neurons per hidden layer\n", join(budget.s, ",").c_str());
  std::printf("worst margin  lower %.9g, upper %.9g\n", a.lower, a.upper);
  std::printf("worst mask    ");
  const auto idx = pruned_indices(a.worst);
  for (size_t k = 0; k < idx.size(); ++k) {
    std::printf("%shidden layer %zu: [", k ? "; " : "", k + 1);  // 1-based, as --budget and verify count
    for (size_t t = 0; t < idx[k].size(); ++t) std::printf("%s%d", t ? "," : "", idx[k][t]);
    std::printf("]");
  }
  std::printf("\ntime          %.3f s (%s)\n", a.time_s, o.engine.c_str());
  if (!a.note.empty()) std::printf("note          %s\n", a.note.c_str());
  if (!o.certificate.empty()) std::printf("certificate   %s\n", certificate_note.c_str());
  return 0;
}

}  // namespace cli
