// Engine dispatch by name for `verify` (engines.cpp). Internal to cli/.
#pragma once
#include <string>

#include "src/spec/problem.h"
#include "src/util/options.h"

namespace cli {

// Runs engine `engine` on one problem. A sat result always carries a confirmed witness.
spec::Result run_engine(const std::string& engine, const spec::Problem& problem, const util::Options& options);

}  // namespace cli
