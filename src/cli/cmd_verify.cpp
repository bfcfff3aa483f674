// prunecert verify: decides a property with the chosen engine; the verdict is the first line
// of output. With no arguments it runs the demo on the example shipped in examples/.
#include <algorithm>
#include <cstdio>
#include <fstream>

#include "solvers/bab/certificate.h"
#include "src/cli/cli.h"
#include "src/cli/engines.h"
#include "src/cli/prune_verify.h"
#include "src/net/io.h"
#include "src/util/errors.h"

namespace cli {

namespace {

void write_cex_file(const std::string& path, const spec::Result& r) {
  std::ofstream out(path);
  if (!out) throw util::InputError(path, "", "cannot write the result file");
  out << spec::to_string(r.verdict) << "\n";
  if (r.verdict != spec::Verdict::sat || !r.witness) return;
  char buf[96];
  const auto& w = *r.witness;
  out << "(";
  for (Eigen::Index i = 0; i < w.x.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s(X_%ld %.17g)\n", i ? " " : "", static_cast<long>(i), w.x[i]);
    out << buf;
  }
  for (Eigen::Index i = 0; i < w.y.size(); ++i) {
    std::snprintf(buf, sizeof buf, " (Y_%ld %.17g)%s\n", static_cast<long>(i), w.y[i], i + 1 == w.y.size() ? ")" : "");
    out << buf;
  }
}

}  // namespace

std::string example_path(const std::string& name) { return std::string(PRUNECERT_SOURCE_DIR) + "/examples/" + name; }

int run_verify(const util::Options& given) {
  util::Options o = given;
  if (o.net.empty() && o.spec.empty() && o.input.empty()) {  // the demo
    o.net = example_path("acasxu_1_9.onnx");
    o.spec = example_path("acasxu_prop_3.vnnlib");
    if (!o.json) std::fprintf(stderr, "prunecert: demo: verify --net %s --spec %s\n", o.net.c_str(), o.spec.c_str());
  }
  if (!o.cex.empty() && !o.budget.empty())
    throw util::InputError("--cex", "", "the VNN-COMP result file has no place for a pruning mask: use --json");
  net::Network network = load_network(o);
  auto layered = std::make_shared<const net::LayeredNetwork>(network.layered());
  std::vector<spec::Problem> problems = build_problems(o, layered);
  // The whole file is unsafe when any case is; proved when every case is.
  spec::Result total;
  total.verdict = spec::Verdict::unsat;
  total.margin_lower = std::numeric_limits<double>::infinity();
  double time = 0;
  const bool want_certificate = !o.certificate.empty();
  if (want_certificate && o.engine != "bab" && o.engine != "auto")
    throw util::InputError("--certificate", "", "only the bab and auto engines write certificates");
  std::vector<bab::BabTree> trees;
  for (const auto& p : problems) {
    util::Options oc = o;
    oc.timeout = std::max(0.0, o.timeout - time);
    bab::BabTree tree;
    spec::Result r = run_engine(o.engine, p, oc, want_certificate ? &tree : nullptr);
    if (want_certificate) trees.push_back(std::move(tree));
    time += r.stats.time_s;
    total.engine = r.engine;
    total.margin_lower = std::min(total.margin_lower, r.margin_lower);
    total.margin_upper = std::min(total.margin_upper, r.margin_upper);
    if (!r.note.empty() && total.note.find(r.note) == std::string::npos)  // every case's caveat stays
      total.note += (total.note.empty() ? "" : "; ") + (problems.size() > 1 ? p.name + ": " : "") + r.note;
    total.stats.add(r.stats);
    if (r.verdict == spec::Verdict::sat) {
      total.verdict = spec::Verdict::sat;
      total.witness = r.witness;
      break;
    }
    if (r.verdict == spec::Verdict::timeout) total.verdict = spec::Verdict::timeout;
    else if (r.verdict == spec::Verdict::unknown && total.verdict == spec::Verdict::unsat) total.verdict = spec::Verdict::unknown;
  }
  total.stats.time_s = time;
  if (!o.cex.empty()) write_cex_file(o.cex, total);
  if (want_certificate) {
    if (total.verdict == spec::Verdict::unsat) {
      nlohmann::json cert = bab::certificate_json(trees);
      for (size_t i = 0; i < trees.size(); ++i) cert["cases"][i]["problem"] = bab::problem_digest(problems[i]);
      bab::write_certificate(o.certificate, cert);
    } else {
      if (!total.note.empty()) total.note += "; ";
      total.note += "no certificate written (only unsat answers have one)";
    }
  }
  if (o.json) {
    nlohmann::json j = {{"verdict", spec::to_string(total.verdict)},
                        {"engine", total.engine},
                        {"margin_lower", total.margin_lower},
                        {"margin_upper", total.margin_upper},
                        {"time_s", time},
                        {"cases", problems.size()},
                        {"stats", stats_json(total.stats)}};
    if (!total.note.empty()) j["note"] = total.note;
    if (total.witness) {
      const auto& w = *total.witness;
      j["witness"] = {{"x", std::vector<double>(w.x.data(), w.x.data() + w.x.size())},
                      {"y", std::vector<double>(w.y.data(), w.y.data() + w.y.size())}};
      if (!w.mask.empty()) j["witness"]["pruned"] = pruned_indices(w.mask);  // y is the pruned network's
    }
    print_json(j);
    return 0;
  }
  std::printf("%s\n", spec::to_string(total.verdict));
  std::printf("engine   %s\nmargin   lower %.9g, upper %.9g\ntime     %.3f s\n", total.engine.c_str(),
              total.margin_lower, total.margin_upper, time);
  if (!total.note.empty()) std::printf("note     %s\n", total.note.c_str());
  if (total.witness) {
    const auto& w = *total.witness;
    std::printf("witness  (confirmed by exact evaluation)\n");
    if (w.x.size() <= 16)
      for (Eigen::Index i = 0; i < w.x.size(); ++i) std::printf("  X_%ld = %.17g\n", static_cast<long>(i), w.x[i]);
    for (Eigen::Index i = 0; i < w.y.size(); ++i) std::printf("  Y_%ld = %.17g\n", static_cast<long>(i), w.y[i]);
    if (!w.mask.empty()) {  // the outputs above are the pruned network's
      const auto pruned = pruned_indices(w.mask);
      for (size_t k = 0; k < pruned.size(); ++k) {
        std::printf("  pruned in hidden layer %zu:", k + 1);
        for (int i : pruned[k]) std::printf(" %d", i);
        std::printf("%s\n", pruned[k].empty() ? " none" : "");
      }
    }
  }
  if (o.stats) print_stats(total.stats);
  return 0;
}

}  // namespace cli
