// Writing and reading the results CSV (results_csv.h).
#include "src/bench/results_csv.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "src/bench/suite.h"
#include "src/util/errors.h"

namespace bench {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

double to_double(const std::string& s, double fallback) {
  try {
    return s.empty() ? fallback : std::stod(s);
  } catch (...) {
    return fallback;
  }
}

}  // namespace

std::string csv_header() {
  return "instance,engine,options,verdict,expected,time_s,nodes,margin_lower,margin_upper,peak_mem_mb,exit,note,limit_s";
}

std::string format_row(const Row& r) {
  std::ostringstream s;
  s << csv_field(r.instance) << ',' << csv_field(r.engine) << ',' << csv_field(r.options) << ',' << csv_field(r.verdict)
    << ',' << csv_field(r.expected) << ',' << number(r.time_s) << ',' << (r.nodes >= 0 ? std::to_string(r.nodes) : "")
    << ',' << (r.has_lower ? number(r.margin_lower) : "") << ',' << (r.has_upper ? number(r.margin_upper) : "") << ','
    << number(r.peak_mem_mb) << ',' << csv_field(r.exit) << ',' << csv_field(r.note) << ',' << number(r.limit_s) << '\n';
  return s.str();
}

std::vector<Row> read_rows(const std::string& path) {
  std::vector<Row> rows;
  std::ifstream in(path);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    const auto f = split_csv_line(line);
    if (f.size() < 12) continue;  // a line cut short by a killed sweep: that job runs again
    Row r;
    r.instance = f[0], r.engine = f[1], r.options = f[2], r.verdict = f[3], r.expected = f[4];
    r.time_s = to_double(f[5], 0);
    r.nodes = f[6].empty() ? -1 : static_cast<long long>(to_double(f[6], -1));
    r.has_lower = !f[7].empty(), r.margin_lower = to_double(f[7], 0);
    r.has_upper = !f[8].empty(), r.margin_upper = to_double(f[8], 0);
    r.peak_mem_mb = to_double(f[9], 0);
    r.exit = f[10], r.note = f[11];
    if (f.size() > 12) r.limit_s = to_double(f[12], 0);  // older files end at note
    rows.push_back(std::move(r));
  }
  return rows;
}

std::set<RowKey> read_done_keys(const std::string& path) {
  std::set<RowKey> keys;
  for (const auto& r : read_rows(path)) keys.insert({r.instance, r.engine, r.options});
  return keys;
}

void append_rows(const std::string& path, const std::string& rows_text) {
  bool need_header = true;
  {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (in && in.tellg() > 0) need_header = false;
  }
  std::ofstream out(path, std::ios::app);
  if (!out) throw util::InputError(path, "", "cannot write the results file");
  if (need_header) out << csv_header() << '\n';
  out << rows_text;
  out.flush();
  if (!out) throw util::InputError(path, "", "write failed");
}

bool solved(const std::string& v) { return v == "sat" || v == "unsat" || v == "robust" || v == "not-robust"; }

bool solved_in_limit(const Row& r) {
  return solved(r.verdict) && !contradicts(r) && (r.limit_s <= 0 || r.time_s <= r.limit_s);
}

bool contradicts(const Row& r) {
  if (!solved(r.verdict) || (r.expected != "sat" && r.expected != "unsat")) return false;
  const bool sat = r.verdict == "sat" || r.verdict == "not-robust";
  return r.expected != (sat ? "sat" : "unsat");
}

}  // namespace bench
