// The problems `prunecert verify --net NET --spec SPEC` builds, for tests that keep a case as a
// network file and a VNN-LIB file under tests/fixtures/.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "src/cli/cli.h"
#include "src/spec/problem.h"
#include "src/util/options.h"

namespace testing_util {

inline std::vector<spec::Problem> fixture_problems(const std::string& net_path, const std::string& spec_path) {
  util::Options o;
  o.net = net_path;
  o.spec = spec_path;
  auto net = std::make_shared<const net::LayeredNetwork>(cli::load_network(o).layered());
  return cli::build_problems(o, net);
}

}  // namespace testing_util
