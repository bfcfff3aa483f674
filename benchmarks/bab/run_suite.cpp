// bab_run_suite: prunecert's branch-and-bound on the VNN-COMP 2021 ACAS Xu (186 instances) and
// mnistfc 256x2 (30 instances) suites, one line per instance (verdict, time, expected verdict)
// and totals. Any verdict that contradicts expected.csv is a soundness bug: it is flagged and
// the exit code is 3. A VNN-LIB file with several input boxes is sat when any box is.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "solvers/bab/bab.h"
#include "solvers/bab/certificate.h"
#include "src/net/io.h"
#include "src/spec/vnnlib.h"
#include "src/util/errors.h"

namespace {

struct Args {
  std::string shared = PRUNECERT_SHARED_DIR;
  std::vector<std::string> suites{"acasxu", "mnistfc"};
  double timeout = 0;  // 0: the instance's own timeout from the csv
  std::string filter;  // substring of "onnx,vnnlib"
  int limit = 0;       // 0: all
  bool stats = false;  // one line of engine statistics per case
  std::string csv;     // per-instance rows written here too
  std::string certificates;  // directory: write each unsat proof tree there and re-check it exactly
  bab::BabOptions bab;
};

void usage() {
  std::printf(
      "usage: bab_run_suite [--suite acasxu|mnistfc|all] [--timeout S] [--filter TEXT] [--limit N]\n"
      "                     [--branching auto|input|relu-babsr|relu-widest] [--batch N] [--method crown|alpha]\n"
      "                     [--attack-restarts N] [--attack-steps N] [--attack-every N] [--no-adaptive-batch]\n"
      "                     [--no-reuse] [--no-root-lp] [--no-relu-alpha] [--no-beta]\n"
      "                     [--intermediate inherit|crown|alpha]\n"
      "                     [--shared DIR] [--stats] [--csv FILE] [--certificates DIR]\n"
      "Runs solve_bab on the VNN-COMP 2021 suites under DIR/benchmarks/vnncomp2021 and compares\n"
      "with expected.csv. --timeout caps each instance's timeout from the suite's csv. --csv writes\n"
      "one row per instance; --certificates DIR records the proof tree of every unsat answer, writes\n"
      "it to DIR and re-checks it in exact arithmetic (bab::check_certificate_exact).\n");
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw util::InputError(path, "", "cannot open");
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

struct Tally {
  int instances = 0, sat = 0, unsat = 0, timeout = 0, unknown = 0, contradictions = 0, matched = 0;
  double time = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bab_run_suite: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--help" || k == "-h") {
      usage();
      return 0;
    } else if (k == "--suite") {
      const std::string v = value();
      a.suites = v == "all" ? std::vector<std::string>{"acasxu", "mnistfc"} : std::vector<std::string>{v};
    } else if (k == "--timeout") {
      a.timeout = std::stod(value());
    } else if (k == "--filter") {
      a.filter = value();
    } else if (k == "--limit") {
      a.limit = std::stoi(value());
    } else if (k == "--branching") {
      a.bab.branching = bab::parse_branching(value());
    } else if (k == "--batch") {
      a.bab.batch = std::stoi(value());
    } else if (k == "--method") {
      a.bab.bound.method = bounds::parse_method(value());
    } else if (k == "--attack-restarts") {
      a.bab.attack.restarts = std::stoi(value());
    } else if (k == "--attack-steps") {
      a.bab.attack.steps = std::stoi(value());
    } else if (k == "--attack-every") {
      a.bab.attack_every = std::stoi(value());
    } else if (k == "--no-root-lp") {
      a.bab.root_lp = bab::BabOptions::RootLp::off;
    } else if (k == "--no-relu-alpha") {
      a.bab.relu_alpha = false;
    } else if (k == "--no-beta") {
      a.bab.bound.beta = false;
    } else if (k == "--intermediate") {
      a.bab.bound.intermediate = bounds::parse_intermediate(value());
    } else if (k == "--no-reuse") {
      a.bab.reuse_parent_bounds = false;
    } else if (k == "--no-adaptive-batch") {
      a.bab.adaptive_batch = false;
    } else if (k == "--csv") {
      a.csv = value();
    } else if (k == "--certificates") {
      a.certificates = value();
      std::filesystem::create_directories(a.certificates);
    } else if (k == "--stats") {
      a.stats = true;
    } else if (k == "--shared") {
      a.shared = value();
    } else {
      std::fprintf(stderr, "bab_run_suite: unknown argument %s\n", k.c_str());
      usage();
      return 2;
    }
  }
  Tally all;
  FILE* csv = nullptr;
  if (!a.csv.empty()) {
    csv = std::fopen(a.csv.c_str(), "w");
    if (!csv) {
      std::fprintf(stderr, "bab_run_suite: cannot write %s\n", a.csv.c_str());
      return 2;
    }
    std::fprintf(csv, "suite,onnx,vnnlib,verdict,expected,check,time_s,timeout_s,nodes,leaves,certificate,check_time_s\n");
  }
  int cert_valid = 0, cert_invalid = 0;
  try {
    for (const std::string& suite : a.suites) {
      const std::string dir = a.shared + "/benchmarks/vnncomp2021/" + suite;
      std::map<std::string, std::string> expected;
      for (const auto& row : read_csv(dir + "/expected.csv"))
        if (row.size() >= 3 && row[0] != "onnx") expected[row[0] + "," + row[1]] = row[2];
      std::map<std::string, std::shared_ptr<const net::LayeredNetwork>> nets;
      Tally t;
      int seen = 0;
      std::printf("%-40s %-22s %-8s %9s %8s %10s  %s\n", "network", "property", "verdict", "time_s", "expected",
                  "nodes", "check");
      for (const auto& row : read_csv(dir + "/" + suite + "_instances.csv")) {
        if (row.size() < 3) continue;
        const std::string key = row[0] + "," + row[1];
        if (!a.filter.empty() && key.find(a.filter) == std::string::npos) continue;
        if (a.limit > 0 && seen >= a.limit) break;
        ++seen;
        double limit = std::stod(row[2]);
        if (a.timeout > 0) limit = std::min(limit, a.timeout);
        auto& net = nets[row[0]];
        if (!net) net = std::make_shared<const net::LayeredNetwork>(net::read_network(dir + "/" + row[0]).layered());
        const spec::Spec spec = spec::read_vnnlib(dir + "/" + row[1]);
        const auto t0 = std::chrono::steady_clock::now();
        spec::Verdict verdict = spec::Verdict::unsat;
        int64_t nodes = 0, leaves = 0;
        std::vector<bab::BabTree> trees;
        std::vector<spec::Problem> problems;
        for (const spec::SpecCase& c : spec.cases) {
          spec::Problem p;
          p.net = net;
          p.box = c.box;
          p.property = c.property;
          p.name = key;
          bab::BabOptions o = a.bab;
          o.timeout_s = limit - std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          bab::BabTree tree;
          const spec::Result r = bab::solve_bab(p, o, a.certificates.empty() ? nullptr : &tree);
          nodes += r.stats.nodes;
          leaves += static_cast<int64_t>(tree.leaves.size());
          trees.push_back(std::move(tree));
          problems.push_back(p);
          if (a.stats)
            std::printf("  # %s: %s, %s, nodes %lld, bound calls %lld (%.2f s), branch %.2f s, max queue %lld, "
                        "lps %lld, pgd restarts %lld, margin [%.4g, %.4g]%s%s\n",
                        r.engine.c_str(), spec::to_string(r.verdict), p.name.c_str(),
                        static_cast<long long>(r.stats.nodes), static_cast<long long>(r.stats.bound_calls),
                        r.stats.bound_time_s, r.stats.branch_time_s, static_cast<long long>(r.stats.max_queue),
                        static_cast<long long>(r.stats.lp_calls), static_cast<long long>(r.stats.attack_restarts),
                        r.margin_lower, r.margin_upper, r.note.empty() ? "" : ", ", r.note.c_str());
          if (r.verdict == spec::Verdict::sat) {
            spec::Witness w = *r.witness;
            if (!spec::confirm_witness(p, w)) throw util::InternalError("unconfirmed witness on " + key);
            verdict = spec::Verdict::sat;
            break;
          }
          if (r.verdict != spec::Verdict::unsat) verdict = r.verdict;
        }
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::string cert_status = "-";
        double check_secs = 0;
        if (!a.certificates.empty() && verdict == spec::Verdict::unsat) {
          std::string base = row[0] + "_" + row[1];
          for (char& ch : base)
            if (ch == '/' || ch == ',') ch = '_';
          const std::string file = a.certificates + "/" + base + ".json";
          bab::write_certificate(file, trees);
          const auto tc = std::chrono::steady_clock::now();
          const bab::CheckResult cr = bab::check_certificate_exact(problems, bab::read_certificate(file));
          check_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - tc).count();
          cert_status = bab::to_string(cr.status);
          if (cr.status == bab::CheckResult::Status::valid) ++cert_valid;
          else {
            ++cert_invalid;
            std::printf("  # certificate %s: %s\n", cert_status.c_str(), cr.reason.c_str());
          }
        }
        const std::string exp = expected.count(key) ? expected[key] : "?";
        const std::string got = spec::to_string(verdict);
        std::string check = "-";
        if (verdict == spec::Verdict::sat || verdict == spec::Verdict::unsat) {
          if (exp == got) {
            check = "ok";
            ++t.matched;
          } else if (exp == "sat" || exp == "unsat") {
            check = "CONTRADICTION";
            ++t.contradictions;
          }
        }
        ++t.instances;
        t.time += secs;
        if (verdict == spec::Verdict::sat) ++t.sat;
        else if (verdict == spec::Verdict::unsat) ++t.unsat;
        else if (verdict == spec::Verdict::timeout) ++t.timeout;
        else ++t.unknown;
        std::printf("%-40s %-22s %-8s %9.2f %8s %10lld  %s%s%s\n", row[0].c_str(), row[1].c_str(), got.c_str(), secs,
                    exp.c_str(), static_cast<long long>(nodes), check.c_str(), cert_status == "-" ? "" : "  certificate ",
                    cert_status == "-" ? "" : cert_status.c_str());
        if (csv) {
          std::fprintf(csv, "%s,%s,%s,%s,%s,%s,%.3f,%.0f,%lld,%lld,%s,%.3f\n", suite.c_str(), row[0].c_str(),
                       row[1].c_str(), got.c_str(), exp.c_str(), check.c_str(), secs, limit,
                       static_cast<long long>(nodes), static_cast<long long>(leaves), cert_status.c_str(), check_secs);
          std::fflush(csv);
        }
        std::fflush(stdout);
      }
      std::printf("%s: %d instances, solved %d (sat %d, unsat %d), timeout %d, unknown %d, agree %d, contradictions %d, "
                  "time %.1f s\n\n",
                  suite.c_str(), t.instances, t.sat + t.unsat, t.sat, t.unsat, t.timeout, t.unknown, t.matched,
                  t.contradictions, t.time);
      all.instances += t.instances;
      all.sat += t.sat;
      all.unsat += t.unsat;
      all.timeout += t.timeout;
      all.unknown += t.unknown;
      all.matched += t.matched;
      all.contradictions += t.contradictions;
      all.time += t.time;
    }
  } catch (const util::InputError& e) {
    std::fprintf(stderr, "bab_run_suite: %s: %s%s%s\n", e.file().c_str(), e.place().c_str(),
                 e.place().empty() ? "" : ": ", e.problem().c_str());
    return 2;
  }
  if (csv) std::fclose(csv);
  if (!a.certificates.empty())
    std::printf("certificates: %d valid, %d not accepted (exact check)\n", cert_valid, cert_invalid);
  std::printf("total: %d instances, solved %d (sat %d, unsat %d), timeout %d, unknown %d, contradictions %d, time %.1f s\n",
              all.instances, all.sat + all.unsat, all.sat, all.unsat, all.timeout, all.unknown, all.contradictions,
              all.time);
  return all.contradictions > 0 ? 3 : 0;
}
