// Reads VNN-COMP and pruning suites (suite.h) into instances: the prunecert subcommand and
// arguments each one runs, its time limit and its expected verdict.
#include "src/bench/suite.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "src/util/errors.h"

namespace fs = std::filesystem;

namespace bench {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') fields.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else fields.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' || c == '\r' ? ' ' : c);
  return q + "\"";
}

namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

double parse_seconds(const std::string& text, const std::string& path, int line) {
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !(v > 0))
    throw util::InputError(path, "line " + std::to_string(line), "timeout '" + text + "' is not a positive number");
  return v;
}

std::map<std::pair<std::string, std::string>, std::string> read_expected(const fs::path& path) {
  std::map<std::pair<std::string, std::string>, std::string> out;
  std::ifstream in(path);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    const auto f = split_csv_line(line);
    if (header || f.size() < 3) {
      header = false;
      continue;
    }
    // VNN-COMP's words for the same answers: violated = sat (a counterexample), holds = unsat.
    std::string e = trim(f[2]);
    if (e == "violated") e = "sat";
    else if (e == "holds") e = "unsat";
    else if (e != "sat" && e != "unsat" && e != "unknown" && !e.empty())
      throw util::InputError(path.string(), "", "expected '" + e + "' (sat, unsat, violated, holds or unknown)");
    out[{trim(f[0]), trim(f[1])}] = e;
  }
  return out;
}

std::string resolve(const fs::path& folder, const std::string& p) { return (folder / p).lexically_normal().string(); }

void read_vnncomp_row(const std::vector<std::string>& f, const fs::path& folder, const std::string& path, int line,
                      const std::map<std::pair<std::string, std::string>, std::string>& expected, Suite& suite) {
  if (f.size() < 3)
    throw util::InputError(path, "line " + std::to_string(line), "expected onnx,vnnlib,timeout");
  Instance in;
  const std::string onnx = trim(f[0]), vnnlib = trim(f[1]);
  in.name = onnx + " " + vnnlib;
  in.args = {"verify", "--net", resolve(folder, onnx), "--spec", resolve(folder, vnnlib)};
  in.timeout_s = parse_seconds(trim(f[2]), path, line);
  auto it = expected.find({onnx, vnnlib});
  if (it != expected.end()) in.expected = it->second;
  suite.instances.push_back(std::move(in));
}

// samples "A-B" (inclusive) or "A".
std::pair<int, int> parse_range(const std::string& text, const std::string& path, int line) {
  int a = -1, b = -1;
  char dash = 0;
  std::istringstream s(text);
  if (!(s >> a)) a = -1;
  if (s >> dash) {
    if (dash != '-' || !(s >> b)) a = -1;
  } else {
    b = a;
  }
  if (a < 0 || b < a || !(s >> std::ws).eof())
    throw util::InputError(path, "line " + std::to_string(line), "samples '" + text + "' is not A-B with 0 <= A <= B");
  return {a, b};
}

void read_pruning_row(const std::vector<std::string>& f, const fs::path& folder, const std::string& path, int line,
                      Suite& suite) {
  if (f.size() < 7)
    throw util::InputError(path, "line " + std::to_string(line), "expected network,data,split,samples,budgets,eps,timeout");
  const std::string network = trim(f[0]);
  std::string data = trim(f[1]);
  if (data.find(',') != std::string::npos) {  // IMAGES,LABELS: files relative to the suite
    const size_t c = data.find(',');
    data = resolve(folder, trim(data.substr(0, c))) + "," + resolve(folder, trim(data.substr(c + 1)));
  }
  const auto [first, last] = parse_range(trim(f[3]), path, line);
  const double timeout = parse_seconds(trim(f[6]), path, line);
  std::vector<std::string> budgets;
  std::stringstream bs(f[4]);
  std::string b;
  while (std::getline(bs, b, ';'))
    if (!trim(b).empty()) budgets.push_back(trim(b));
  if (budgets.empty()) throw util::InputError(path, "line " + std::to_string(line), "no budgets");
  for (const auto& budget : budgets)
    for (int i = first; i <= last; ++i) {
      Instance in;
      in.name = network + " sample " + std::to_string(i) + " budget " + budget + " eps " + trim(f[5]);
      in.args = {"prune-verify", "--net", resolve(folder, network), "--data", data, "--split", trim(f[2]),
                 "--start", std::to_string(i), "--first", "1", "--budget", budget, "--eps", trim(f[5])};
      in.timeout_s = timeout;
      suite.instances.push_back(std::move(in));
    }
}

}  // namespace

Suite read_suite(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw util::InputError(path, "", "cannot open suite file");
  const fs::path folder = fs::absolute(path).parent_path();
  Suite suite;
  std::map<std::pair<std::string, std::string>, std::string> expected;
  if (fs::exists(folder / "expected.csv")) expected = read_expected(folder / "expected.csv");
  std::string line;
  bool first = true;
  for (int n = 1; std::getline(in, line); ++n) {
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const auto f = split_csv_line(line);
    if (first) {
      first = false;
      if (trim(f[0]) == "network") {
        suite.pruning = true;
        continue;
      }
    }
    if (suite.pruning) read_pruning_row(f, folder, path, n, suite);
    else read_vnncomp_row(f, folder, path, n, expected, suite);
  }
  if (suite.instances.empty()) throw util::InputError(path, "", "no instances");
  return suite;
}

}  // namespace bench
