// Engine dispatch by name for `verify` (engines.cpp). Internal to cli/.
#pragma once
#include <chrono>
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

// verify --engine auto after bounds, PGD and bab: where bab splits ReLUs (more than
// bab::kAutoInputDims inputs, --branching auto), CBC (`milp --goal decide`, big-M constants
// tightened by LPs unless --encoding-bounds names another source than the default), and where
// the first hidden layer has at most bab::kAutoInputDims neurons, bab with first-layer splitting,
// one after the other: bab gets bab_share of the time left after bounds and PGD, CBC half of the
// rest when first-layer bab follows (all of it otherwise), first-layer bab what is left. Not for
// pruning queries or certificates (bab alone). Marabou's mnist10x10 (784 inputs into 10 layers
// of 10), 10 radii CBC proves robust, 30 s each: 8 of 10 decided, 5 with bab alone; mnistfc
// (mnist-net_256x2) at 60 s: bab decides 28 of 30 within 12 s each, so half the time keeps them
// (benchmarks/bab/README.md).
struct AutoPlan {
  bool portfolio = false;
  bool first_layer = false;  // a first-layer bab stage after CBC
  double bab_share = 1.0;    // of the time left after bounds and PGD
};
AutoPlan auto_plan(const spec::Problem& problem, const util::Options& options, bool certificate);
// The stages after bab for a plan with `portfolio`: CBC, then first-layer bab where planned, each
// only while `best` (bab's answer so far) is undecided and time is left of options.timeout from
// t0. The answer keeps the best bounds of all stages.
spec::Result run_auto_portfolio(const spec::Problem& problem, const util::Options& options, const AutoPlan& plan,
                                std::chrono::steady_clock::time_point t0, spec::Result best);

// With `tree`, a bab (or auto) run records its proven leaves there, for --certificate.
spec::Result run_engine(const std::string& engine, const spec::Problem& problem, const util::Options& options,
                        bab::BabTree* tree = nullptr);

}  // namespace cli
