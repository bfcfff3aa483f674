// Engine dispatch by name for `verify` (engines.cpp). Internal to cli/.
#pragma once
#include <string>

#include "encodings/encode.h"
#include "src/bounds/bound_engine.h"
#include "solvers/bab/bab.h"
#include "solvers/solve.h"
#include "src/spec/problem.h"
#include "src/util/options.h"

namespace cli {

// Runs engine `engine` on one problem. A sat result always carries a confirmed witness.
// Encoding options from the command line; the defaults depend on the engine.
encodings::EncodeOptions encode_options(const util::Options& options, encodings::Encoding default_encoding,
                                        encodings::Goal default_goal);

// The bound options of the command line (alpha-CROWN's iterations and step, beta-CROWN's
// multipliers, --intermediate) with the given method (verify, bounds: --method).
bounds::BoundOptions bound_options(const util::Options& options, bounds::Method method);

// The milp engine's options from the command line (encoding, CBC settings, re-checks, the
// per-class models when deciding); timeout_s = --timeout.
solvers::MilpOptions milp_options(const util::Options& options);

// With `tree`, a bab (or auto) run records its proven leaves there, for --certificate.
spec::Result run_engine(const std::string& engine, const spec::Problem& problem, const util::Options& options,
                        bab::BabTree* tree = nullptr);

}  // namespace cli
