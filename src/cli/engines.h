// Engine dispatch by name for `verify` (engines.cpp). Internal to cli/.
#pragma once
#include <chrono>
#include <string>
#include <vector>

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

// verify --engine auto after bounds and PGD: bab, and where bab splits ReLUs (more than
// bab::kAutoInputDims inputs, --branching auto, no pruning budget, no certificate) a portfolio of
// stages run one after the other, each on an equal share of the time left: bab then CBC (`milp
// --goal decide`, big-M constants tightened by LPs unless --encoding-bounds names another source
// than the default); where the first hidden layer has at most bab::kAutoInputDims neurons, CBC,
// bab, then bab with first-layer splitting. Measured in benchmarks/bab/README.md (Marabou's
// mnist10x10, mnistfc).
struct AutoPlan {
  enum class Stage { bab, milp, first_layer };
  std::vector<Stage> stages{Stage::bab};
  bool portfolio() const { return stages.size() > 1; }
};
AutoPlan auto_plan(const spec::Problem& problem, const util::Options& options, bool certificate);
const char* to_string(AutoPlan::Stage stage);  // "auto:bab", "auto:milp", "auto:first-layer"
// The options of the portfolio's CBC stage: --goal decide (one model per competing class) and
// big-M constants tightened by LPs, unless --goal or --encoding-bounds was typed.
util::Options auto_milp_options(const util::Options& options);
// Runs the plan's stages from `best` (PGD's answer: its margin_upper is kept) until one decides
// or options.timeout (from t0) is spent. The answer keeps the best bounds of all stages; its
// engine names the last stage run. `tree` (a certificate) goes to the bab stage.
spec::Result run_auto_stages(const spec::Problem& problem, const util::Options& options, const AutoPlan& plan,
                             std::chrono::steady_clock::time_point t0, spec::Result best,
                             bounds::BoundEngine* bound_engine = nullptr, bab::BabTree* tree = nullptr);

// With `tree`, a bab (or auto) run records its proven leaves there, for --certificate.
spec::Result run_engine(const std::string& engine, const spec::Problem& problem, const util::Options& options,
                        bab::BabTree* tree = nullptr);

}  // namespace cli
