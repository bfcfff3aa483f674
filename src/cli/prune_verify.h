// The engines of `prunecert prune-verify` (seed 003, Problem 1): the worst margin over every
// admissible pruning mask (at most s_k neurons removed per hidden layer), optionally jointly with
// an L-inf ball. bound, attack, bab, milp, smt, brute and auto (bound, then attack, then bab)
// return the same PruneAnswer; internal to cli/, exposed for the differential tests.
#pragma once
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "solvers/bab/bab.h"
#include "src/bounds/margin_deviation.h"
#include "src/spec/problem.h"
#include "src/util/options.h"

namespace cli {

enum class PruneVerdict { robust, not_robust, unknown };
const char* to_string(PruneVerdict v);

struct PruneAnswer {
  PruneVerdict verdict = PruneVerdict::unknown;
  double lower = -std::numeric_limits<double>::infinity();  // certified lower bound of the worst margin
  double upper = std::numeric_limits<double>::infinity();   // margin of the worst (x, mask) found
  net::Mask worst;         // that mask (empty: none evaluated)
  Eigen::VectorXd worst_x; // and that input
  std::string engine;      // the engine (auto: the stage) that decided
  std::string note;        // the complete engine's caveat (e.g. a floating-point MILP answer)
  double time_s = 0;
};

// Pruned neuron indices (0-based) per hidden layer.
std::vector<std::vector<int>> pruned_indices(const net::Mask& m);

// One network, many queries: the spectral norms of the margin-deviation bound are computed once.
class PruneVerifier {
 public:
  explicit PruneVerifier(std::shared_ptr<const net::LayeredNetwork> net);
  // Decides problem (problem.budget set, problem.net == the network given above) with
  // options.engine. A not-robust answer carries a mask and input confirmed by exact evaluation.
  // Throws util::InputError for an unknown engine. With `tree`, a bab run (--engine bab, or
  // auto's last stage) records its proof tree there (complete when bab proved robustness).
  PruneAnswer verify(const spec::Problem& problem, const util::Options& options, bab::BabTree* tree = nullptr) const;

 private:
  std::shared_ptr<const net::LayeredNetwork> net_;
  bounds::MarginDeviation deviation_;
};

}  // namespace cli
