// prunecert check: re-checks a BaB certificate (`verify --engine bab --certificate FILE`) against
// the network and the property (--spec, or --input/--eps/--label/--clip, and --budget for a
// pruning query: the options of the verify run) in exact rational arithmetic
// (solvers/bab/certificate.h): prints `valid`, or `invalid` and the first leaf (or hole in the
// tree) it cannot re-prove. Exit code 0 either way (the verdict is the answer); 2 on unreadable
// input. A certificate of `prune-verify --data` names each case's sample: with --data (and
// --split, --budget, --eps, --clip of that run) each case is the sample's problem, its label the
// data set's (a case whose recorded label differs is refused).
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "solvers/bab/certificate.h"
#include "src/cli/cli.h"
#include "src/data/idx.h"
#include "src/util/errors.h"

namespace cli {

namespace {

std::vector<spec::Problem> dataset_problems(const util::Options& o, std::shared_ptr<const net::LayeredNetwork> net,
                                            const nlohmann::json& cert, std::vector<int>& samples) {
  if (!o.spec.empty() || !o.input.empty())
    throw util::InputError("--data", "", "give the data set, or --spec, or --input, not several");
  if (o.label >= 0) throw util::InputError("--label", "", "the labels come from --data: give --label with --input");
  const data::Dataset d = data::load_dataset(o.data, o.split);
  if (d.x.cols() != net->input_dim())
    throw util::InputError("--data", "", "samples have " + std::to_string(d.x.cols()) +
                                             " features, the network expects " + std::to_string(net->input_dim()));
  std::optional<spec::PruningBudget> budget;
  if (!o.budget.empty()) budget = spec::parse_budget(o.budget, *net);
  std::vector<spec::Problem> problems;
  if (!cert.contains("cases") || !cert["cases"].is_array()) return problems;  // check_certificate_exact says why
  for (const nlohmann::json& c : cert["cases"]) {
    const int i = c.is_object() && c.contains("sample") && c["sample"].is_number_integer() ? c["sample"].get<int>() : -1;
    if (i < 0 || i >= d.x.rows())
      throw util::InputError(o.certificate, "case " + std::to_string(problems.size()),
                             "names no sample of the data set (\"sample\" missing or out of range)");
    const int label = d.y[i], recorded = c.value("label", label);
    if (recorded != label)
      throw util::InputError(o.certificate, "case " + std::to_string(problems.size()),
                             "records label " + std::to_string(recorded) + " for sample " + std::to_string(i) +
                                 ", whose label is " + std::to_string(label));
    if (std::find(samples.begin(), samples.end(), i) != samples.end())
      throw util::InputError(o.certificate, "case " + std::to_string(problems.size()),
                             "names sample " + std::to_string(i) + " a second time");
    samples.push_back(i);
    spec::Problem p = data_sample_problem(net, d.x.row(i).transpose(), label, o, i);
    p.budget = budget;
    p.name = o.data + "#" + std::to_string(i);
    problems.push_back(std::move(p));
  }
  return problems;
}

}  // namespace

int run_check(const util::Options& o) {
  if (o.certificate.empty()) throw util::InputError("--certificate", "", "give the certificate file to check");
  net::Network network = load_network(o);
  auto layered = std::make_shared<const net::LayeredNetwork>(network.layered());
  const nlohmann::json cert = bab::read_certificate(o.certificate);
  std::vector<int> samples;  // --data: the samples the certificate's cases name, in its order
  const std::vector<spec::Problem> problems =
      o.data.empty() ? build_problems(o, layered) : dataset_problems(o, layered, cert, samples);
  bab::CheckOptions co;
  co.timeout_s = o.timeout;
  const auto t0 = std::chrono::steady_clock::now();
  const bab::CheckResult r = bab::check_certificate_exact(problems, cert, co);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.json) {
    // `valid` is about these cases only: with --data, the samples the certificate names.
    nlohmann::json j = {{"verdict", bab::to_string(r.status)}, {"cases", problems.size()}, {"leaves", r.leaves},
                        {"time_s", secs}};
    if (!o.data.empty()) j["samples"] = samples;
    if (r.status == bab::CheckResult::Status::valid) j["min_leaf_margin"] = r.min_margin;
    else j["reason"] = r.reason;
    print_json(j);
    return 0;
  }
  std::printf("%s\n", bab::to_string(r.status));
  std::printf("cases    %zu", problems.size());
  if (!o.data.empty()) {
    std::printf(" (samples %s%s)", join(samples, ",").c_str(),
                r.status == bab::CheckResult::Status::valid ? "; only these are proved" : "");
  }
  std::printf("\n");
  std::printf("leaves   %lld re-proved in exact rational arithmetic (GMP)\n", static_cast<long long>(r.leaves));
  if (r.status == bab::CheckResult::Status::valid && r.leaves == 0)
    std::printf("margin   no leaf (the certificate has no case)\n");
  else if (r.status == bab::CheckResult::Status::valid)
    std::printf("margin   smallest leaf bound %.9g\n", r.min_margin);
  else std::printf("reason   %s\n", r.reason.c_str());
  std::printf("time     %.3f s\n", secs);
  return 0;
}

}  // namespace cli
