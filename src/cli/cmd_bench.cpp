// prunecert bench: solver ablation sweeps. Every combination of engine and swept options
// (--encodings, --branching, --mask-encodings) runs on every instance of a suite, each job as its
// own child process under hard time and memory limits (src/bench/child_process.h); one CSV row
// per job, appended as it finishes, so a sweep resumes where it stopped. Under mpirun the jobs are
// split over the ranks and rank 0 merges their rows. Peers (Marabou, HiGHS) plug in as --worker
// executables that accept the same arguments and print the same JSON.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <unistd.h>

#include "src/bench/child_process.h"
#include "src/bench/ranks.h"
#include "src/bench/results_csv.h"
#include "src/bench/suite.h"
#include "src/cli/cli.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace cli {

namespace {

struct Combo {
  std::string engine;
  std::vector<std::string> args;  // the swept options, as arguments
  std::string label;              // the same, as the CSV's options column
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Engines x the values swept for them (an engine ignores the lists that do not apply to it).
std::vector<Combo> combinations(const util::Options& o) {
  const auto engines = split_list(o.bench_engines);
  if (engines.empty()) throw util::InputError("--engines", "", "no engines given");
  std::vector<Combo> out;
  for (const auto& e : engines) {
    std::vector<std::pair<std::string, std::vector<std::string>>> axes;  // flag, values
    if (e == "smt" || e == "milp") axes.push_back({"--encoding", split_list(o.bench_encodings)});
    if (e == "bab" || e == "auto") axes.push_back({"--branching", split_list(o.bench_branching)});
    if (e == "smt") axes.push_back({"--mask-encoding", split_list(o.bench_mask_encodings)});
    std::vector<Combo> partial = {Combo{e, {}, ""}};
    for (const auto& [flag, values] : axes) {
      if (values.empty()) continue;
      std::vector<Combo> next;
      for (const auto& c : partial)
        for (const auto& v : values) {
          Combo d = c;
          d.args.insert(d.args.end(), {flag, v});
          d.label += (d.label.empty() ? "" : " ") + flag + " " + v;
          next.push_back(d);
        }
      partial = next;
    }
    out.insert(out.end(), partial.begin(), partial.end());
  }
  return out;
}

double json_number(const nlohmann::json& j, const char* key, bool& present) {
  present = j.contains(key) && j[key].is_number();
  return present ? j[key].get<double>() : 0;
}

std::string last_line(const std::string& text) {
  std::string line, last;
  std::istringstream s(text);
  while (std::getline(s, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last.size() > 200 ? last.substr(0, 200) : last;
}

// One job's row from what its child did.
bench::Row make_row(const bench::Instance& in, const Combo& c, const bench::ChildResult& r, double memory_gib,
                    double limit_s) {
  bench::Row row;
  row.instance = in.name, row.engine = c.engine, row.options = c.label, row.expected = in.expected;
  row.limit_s = limit_s;
  row.time_s = r.wall_s;
  row.peak_mem_mb = r.peak_mem_mb;
  if (r.killed) {
    row.verdict = "timeout", row.exit = "killed";
    return row;
  }
  const bool near_limit = memory_gib > 0 && r.peak_mem_mb > 0.8 * memory_gib * 1024;
  const bool alloc_failed = r.err.find("bad_alloc") != std::string::npos || r.err.find("out of memory") != std::string::npos;
  if (r.signal) {
    row.verdict = near_limit || alloc_failed ? "memout" : "crash";
    row.exit = "signal " + std::to_string(r.signal);
    row.note = last_line(r.err);
    return row;
  }
  row.exit = r.exit_code == 0 ? "ok" : "exit " + std::to_string(r.exit_code);
  if (r.exit_code != 0) {
    row.verdict = alloc_failed || near_limit ? "memout" : "error";
    row.note = last_line(r.err);
    return row;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
    row.verdict = "error", row.note = "output is not JSON: " + last_line(r.out);
    return row;
  }
  if (j.contains("samples") && j["samples"].is_array() && j["samples"].size() == 1) {  // prune-verify --data
    const auto& s = j["samples"][0];
    row.verdict = s.value("verdict", "unknown");
    row.margin_lower = json_number(s, "worst_margin_lower", row.has_lower);
    row.margin_upper = json_number(s, "worst_margin_upper", row.has_upper);
  } else {
    row.verdict = j.value("verdict", "unknown");
    const bool pruning = j.contains("worst_margin_lower");
    row.margin_lower = json_number(j, pruning ? "worst_margin_lower" : "margin_lower", row.has_lower);
    row.margin_upper = json_number(j, pruning ? "worst_margin_upper" : "margin_upper", row.has_upper);
  }
  if (j.contains("stats") && j["stats"].contains("nodes") && j["stats"]["nodes"].is_number())
    row.nodes = j["stats"]["nodes"].get<long long>();
  return row;
}

std::string duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, int(s) % 3600 / 60);
  return buf;
}

// Solved counts and total times per (engine, options) over the whole results file.
nlohmann::json summarize(const std::vector<bench::Row>& rows) {
  std::map<std::pair<std::string, std::string>, nlohmann::json> by;
  for (const auto& r : rows) {
    auto& s = by[{r.engine, r.options}];
    if (s.is_null()) s = {{"engine", r.engine}, {"options", r.options}, {"jobs", 0}, {"solved", 0}, {"sat", 0}, {"unsat", 0},
                          {"contradictions", 0}, {"failed", 0}, {"time_s", 0.0}, {"solved_time_s", 0.0},
                          {"solved_in_limit", 0}};
    s["jobs"] = s["jobs"].get<int>() + 1;
    s["time_s"] = s["time_s"].get<double>() + r.time_s;
    if (bench::solved_in_limit(r)) s["solved_in_limit"] = s["solved_in_limit"].get<int>() + 1;
    if (bench::contradicts(r)) {  // a wrong answer: counted apart, never as solved
      s["contradictions"] = s["contradictions"].get<int>() + 1;
    } else if (bench::solved(r.verdict)) {
      s["solved"] = s["solved"].get<int>() + 1;
      s["solved_time_s"] = s["solved_time_s"].get<double>() + r.time_s;
      const bool sat = r.verdict == "sat" || r.verdict == "not-robust";
      s[sat ? "sat" : "unsat"] = s[sat ? "sat" : "unsat"].get<int>() + 1;
    }
    if (r.verdict == "crash" || r.verdict == "memout" || r.verdict == "error") s["failed"] = s["failed"].get<int>() + 1;
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [k, v] : by) out.push_back(v);
  return out;
}

// Rows that ranks > 0 of an interrupted MPI sweep kept in OUTPUT.rankN files: merge them, so
// the rerun skips those jobs (rows of a job cut off mid-line are dropped and it runs again).
void merge_leftover_parts(const std::string& output) {
  namespace fs = std::filesystem;
  const fs::path out = fs::absolute(output);
  if (!fs::exists(out.parent_path())) return;
  const std::string prefix = out.filename().string() + ".rank";
  for (const auto& e : fs::directory_iterator(out.parent_path())) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::string text;
    for (const auto& r : bench::read_rows(e.path().string())) text += bench::format_row(r);
    if (!text.empty()) bench::append_rows(output, text);
    fs::remove(e.path());
  }
}

}  // namespace

int run_bench(const util::Options& o) {
  if (o.suite.empty()) throw util::InputError("--suite", "", "a suite CSV is required");
  if (o.output.empty()) throw util::InputError("--output", "", "a results CSV (-o FILE) is required");
  bench::Suite suite = bench::read_suite(o.suite);
  if (o.bench_limit > 0 && static_cast<size_t>(o.bench_limit) < suite.instances.size())
    suite.instances.resize(static_cast<size_t>(o.bench_limit));
  const std::vector<Combo> combos = combinations(o);
  const std::string worker = o.worker.empty() ? bench::self_executable() : o.worker;
  if (!o.worker.empty() && access(o.worker.c_str(), X_OK) != 0)
    throw util::InputError(o.worker, "", "--worker is not an executable file");

  setenv("PRUNECERT", bench::self_executable().c_str(), 0);  // peer workers call `prunecert encode`
  bench::Ranks ranks;
  // The jobs, instance-major; job j belongs to rank j % size (the same split on every rank).
  struct Job {
    size_t instance, combo;
  };
  std::vector<Job> jobs;
  for (size_t i = 0; i < suite.instances.size(); ++i)
    for (size_t c = 0; c < combos.size(); ++c) jobs.push_back({i, c});
  if (ranks.rank() == 0) merge_leftover_parts(o.output);
  ranks.barrier();
  const std::set<bench::RowKey> done = bench::read_done_keys(o.output);
  std::vector<Job> mine;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const auto& in = suite.instances[jobs[j].instance];
    const auto& c = combos[jobs[j].combo];
    if (static_cast<int>(j % static_cast<size_t>(ranks.size())) == ranks.rank() && !done.count({in.name, c.engine, c.label}))
      mine.push_back(jobs[j]);
  }
  // Ranks > 0 keep their rows in a part file too, so nothing finished is lost if the sweep dies
  // before the merge; the rows reach the results file through gather_to_root.
  const std::string part = ranks.size() > 1 && ranks.rank() > 0 ? o.output + ".rank" + std::to_string(ranks.rank()) : "";
  if (!part.empty()) std::filesystem::remove(part);
  const bool tty = util::stderr_is_terminal();
  const std::string who = ranks.size() > 1 ? "rank " + std::to_string(ranks.rank()) + ": " : "";
  if (o.verbosity >= 1)
    std::fprintf(stderr, "bench: %s%zu jobs (%zu instances x %zu combinations), %zu already in %s, %zu to run here\n",
                 who.c_str(), jobs.size(), suite.instances.size(), combos.size(), done.size(), o.output.c_str(), mine.size());
  std::string my_rows;
  const auto t0 = std::chrono::steady_clock::now();
  int solved = 0;
  for (size_t k = 0; k < mine.size(); ++k) {
    const auto& in = suite.instances[mine[k].instance];
    const auto& c = combos[mine[k].combo];
    const double timeout = std::min(in.timeout_s, o.timeout);
    std::vector<std::string> argv = {worker};
    argv.insert(argv.end(), in.args.begin(), in.args.end());
    argv.insert(argv.end(), {"--engine", c.engine});
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    char tbuf[32];
    std::snprintf(tbuf, sizeof tbuf, "%g", timeout);
    argv.insert(argv.end(), {"--timeout", tbuf, "--seed", std::to_string(o.seed), "--json"});
    if (in.args[0] == "verify") argv.push_back("--stats");
    bench::ChildLimits limits;
    limits.wall_s = timeout * 1.2 + 2;  // the engine stops itself at `timeout`; this is the hard stop
    limits.memory_gib = o.memory_limit;
    const bench::Row row = make_row(in, c, bench::run_child(argv, limits), o.memory_limit, timeout);
    const std::string text = bench::format_row(row);
    solved += bench::solved(row.verdict) && !bench::contradicts(row);
    if (ranks.size() == 1) bench::append_rows(o.output, text);
    else if (!part.empty()) bench::append_rows(part, text);
    if (ranks.size() > 1 && ranks.rank() == 0) bench::append_rows(o.output, text);
    else my_rows += text;
    if (o.verbosity >= 1) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double eta = elapsed / double(k + 1) * double(mine.size() - k - 1);
      std::fprintf(stderr, "%s%s[%zu/%zu] %3.0f%% ETA %s  solved %d  %s %s%s%s: %s %.2fs%s", tty ? "\r\033[K" : "",
                   who.c_str(), k + 1, mine.size(), 100.0 * double(k + 1) / double(mine.size()), duration(eta).c_str(), solved,
                   in.name.c_str(), c.engine.c_str(), c.label.empty() ? "" : " ", c.label.c_str(), row.verdict.c_str(),
                   row.time_s, tty ? "" : "\n");
    }
  }
  if (tty && o.verbosity >= 1 && !mine.empty()) std::fprintf(stderr, "\n");
  if (ranks.size() > 1) {
    // Rank 0 appended its own rows as it went; the others arrive here, in rank order.
    const std::string gathered = ranks.gather_to_root(ranks.rank() == 0 ? std::string() : my_rows);
    if (ranks.rank() == 0 && !gathered.empty()) bench::append_rows(o.output, gathered);
    ranks.barrier();
    if (!part.empty()) std::filesystem::remove(part);
    if (ranks.rank() != 0) return 0;
  }
  const nlohmann::json summary = summarize(bench::read_rows(o.output));
  if (o.json) {
    print_json({{"suite", o.suite}, {"output", o.output}, {"jobs", jobs.size()}, {"ran", mine.size()}, {"ranks", ranks.size()},
                {"summary", summary}});
    return 0;
  }
  // in_limit: solved within the job's limit (an answer may come after it: start-up and loading are
  // not in the engine's own clock, and the runner's hard stop is 1.2 limit + 2 s).
  std::printf("%-8s %-32s %6s %6s %8s %5s %5s %6s %8s %10s\n", "engine", "options", "jobs", "solved", "in_limit", "sat",
              "unsat", "failed", "contra", "time_s");
  for (const auto& s : summary)
    std::printf("%-8s %-32s %6d %6d %8d %5d %5d %6d %8d %10.1f\n", s["engine"].get<std::string>().c_str(),
                s["options"].get<std::string>().c_str(), s["jobs"].get<int>(), s["solved"].get<int>(),
                s["solved_in_limit"].get<int>(), s["sat"].get<int>(), s["unsat"].get<int>(), s["failed"].get<int>(),
                s["contradictions"].get<int>(), s["time_s"].get<double>());
  return 0;
}

}  // namespace cli
