// Benchmark suites. A VNN-COMP suite is the instances CSV of VNN-COMP (onnx, vnnlib, timeout; no
// header; paths relative to the CSV's folder), with the verdicts of an expected.csv beside it
// (header onnx,vnnlib,expected) when there is one. A pruning suite is a CSV whose header starts
// with "network," (columns network, data, split, samples, budgets, eps, timeout): one instance per
// sample index in the range A-B and per budget (budgets separated by ';').
#pragma once
#include <string>
#include <vector>

namespace bench {

struct Instance {
  std::string name;               // the key of its rows in the results CSV
  std::vector<std::string> args;  // subcommand and its arguments, without engine and timeout
  double timeout_s = 0;           // the suite's limit for this instance
  std::string expected;           // expected verdict, empty when unknown
};

struct Suite {
  bool pruning = false;
  std::vector<Instance> instances;
};

// Throws util::InputError naming the file and line on a malformed suite.
Suite read_suite(const std::string& path);

// Splits one CSV line into fields (double quotes protect commas; "" is a quote).
std::vector<std::string> split_csv_line(const std::string& line);
// Quotes a field when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);

}  // namespace bench
