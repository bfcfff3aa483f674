// The results CSV of a sweep: one row per (instance, engine, options). Rows are appended and
// flushed one at a time, so an interrupted sweep keeps what it finished; a rerun skips every
// (instance, engine, options) already present (resumable sweeps).
#pragma once
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace bench {

struct Row {
  std::string instance, engine, options;
  std::string verdict;   // sat, unsat, unknown, timeout (prune-verify: robust, not-robust, unknown),
                         // or crash, memout, error when the job failed
  std::string expected;  // from the suite, empty when unknown
  double time_s = 0;     // wall time of the job as the runner measured it
  long long nodes = -1;  // engine statistics "nodes" (-1: not reported)
  double margin_lower = 0, margin_upper = 0;
  bool has_lower = false, has_upper = false;
  double peak_mem_mb = 0;
  std::string exit;      // ok, exit N, signal N, killed
  std::string note;      // the job's last line on stderr when it failed
  double limit_s = 0;    // the time limit the job was given (0: not recorded, older files)
};

using RowKey = std::tuple<std::string, std::string, std::string>;  // instance, engine, options

// The header line (no newline) and one formatted row (with newline).
std::string csv_header();
std::string format_row(const Row& row);

// Keys of the rows in an existing results file (none when the file does not exist).
std::set<RowKey> read_done_keys(const std::string& path);
// All rows of a results file, parsed back.
std::vector<Row> read_rows(const std::string& path);

// Appends text to path, writing the header first when the file is new or empty.
void append_rows(const std::string& path, const std::string& rows_text);

// True for a decided verdict (sat, unsat, robust, not-robust).
bool solved(const std::string& verdict);
// True for a decided verdict that disagrees with an expected sat/unsat (robust counts as unsat,
// not-robust as sat): a wrong answer, never counted as solved.
bool contradicts(const Row& row);
// True for a decided, not contradicting answer within the job's limit (time_s <= limit_s; any
// time when the limit was not recorded). The engine stops itself at the limit, but start-up and
// loading come on top: the runner's hard stop is later, so an answer can arrive after the limit.
bool solved_in_limit(const Row& row);

}  // namespace bench
