// The problem `prunecert verify --net STEM.onnx --spec STEM.vnnlib` builds, for tests that keep a
// case as a network file and a one-case VNN-LIB file under tests/fixtures/.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/cli/cli.h"
#include "src/spec/problem.h"
#include "src/util/options.h"

namespace testing_util {

// `fixture` is relative to tests/fixtures/; throws std::runtime_error unless the spec has one case.
inline spec::Problem fixture_problem(const std::string& fixture) {
  util::Options o;
  const std::string stem = std::string(PRUNECERT_SOURCE_DIR) + "/tests/fixtures/" + fixture;
  o.net = stem + ".onnx";
  o.spec = stem + ".vnnlib";
  auto net = std::make_shared<const net::LayeredNetwork>(cli::load_network(o).layered());
  std::vector<spec::Problem> problems = cli::build_problems(o, net);
  if (problems.size() != 1) throw std::runtime_error(stem + ".vnnlib: expected one case");
  return problems[0];
}

}  // namespace testing_util
