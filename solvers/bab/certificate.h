// BaB proof certificates (issue 5): the proof tree of an `unsat` answer as JSON, and its exact
// re-check in rational arithmetic (GMP), independent of the floating-point bound code.
//
// Format (one object per file):
//   {"format": "prunecert-bab-certificate", "version": 1,
//    "cases": [TREE, ...]}                       one tree per case of the spec, in order
//   TREE = {"complete": true, "root": NODE, "problem": DIGEST}
//   DIGEST = problem_digest of the case's problem (written by verify and prune-verify; a case
//            without it, from older files, is checked against the options given to `check`)
//   NODE = {"split": ["input", i, at], "children": [NODE, NODE]}   x_i <= at | x_i >= at
//        | {"split": ["relu", layer, index], "children": [NODE, NODE]}   z <= 0 | z >= 0
//        | {"split": ["mask", layer, index], "children": [NODE, NODE]}   pruned | kept
//        | {"leaf": "bound" | "linear_region", "method": "crown", "infeasible": bool,
//           "margin_lower": double, "multipliers": [[double, ...], ...]}
// Children cover their parent by construction (two complementary half-spaces), so the tree
// covers the input box exactly when every node has both children: dropping a leaf leaves a hole
// that the checker reports. Doubles are written in shortest round-trip form, so the checker
// reads back exactly the values the engine used.
//
// The exact check (check_exact.cpp) re-proves each leaf from its box and phases alone: CROWN with
// every product and sum in mpq_class (intermediate bounds rounded outward to double after each
// layer, upper-relaxation slopes rounded to double with an exact intercept that keeps the line
// above the ReLU, back-substitution coefficients rounded to double with the rounding error
// charged to the bound), interval arithmetic as the floor, and for linear-region leaves the
// Lagrangian (or Farkas) bound with the recorded multipliers over the exact affine map of the
// leaf. Nothing of src/bounds is used. alpha-CROWN slopes are not recorded: bab does not accept
// alpha-CROWN proofs when it records a tree (the root is split with CROWN instead).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "solvers/bab/bab.h"

namespace bab {

nlohmann::json tree_to_json(const BabTree& tree);
// One certificate for the cases of a spec (each must be complete, i.e. an unsat answer).
nlohmann::json certificate_json(const std::vector<BabTree>& cases);
void write_certificate(const std::string& path, const std::vector<BabTree>& cases);
// A certificate built by the caller (certificate_json with fields added to its cases).
void write_certificate(const std::string& path, const nlohmann::json& certificate);
nlohmann::json read_certificate(const std::string& path);  // util::InputError(path, ...) when not JSON

// A fingerprint of a problem: FNV-1a (64 bits, 16 hex digits) over the bytes of the network's
// weights and biases, the box, the property's rows and the pruning budget. `check` refuses a case
// whose recorded fingerprint differs from that of the problem its options build (another --eps,
// --clip, --budget, spec or network would otherwise re-prove a different claim).
std::string problem_digest(const spec::Problem& problem);

struct CheckOptions {
  double timeout_s = 1e30;
  int threads = 0;  // 0: hardware concurrency
};
struct CheckResult {
  enum class Status { valid, invalid, timeout } status = Status::invalid;
  int64_t leaves = 0;          // leaves re-proved
  int64_t failed_leaf = -1;    // index (depth-first, below-child first) of the first leaf not re-proved
  std::string reason;          // why invalid: the case, the path of the node and the problem
  double min_margin = 0;       // smallest exactly re-derived leaf bound (rounded down), feasible leaves
};
const char* to_string(CheckResult::Status s);

// Checks one case's tree (TREE above) against the problem, in exact arithmetic.
CheckResult check_tree_exact(const spec::Problem& problem, const nlohmann::json& tree, const CheckOptions& options = {});
// Checks a whole certificate against the cases of a spec (same count, same order).
CheckResult check_certificate_exact(const std::vector<spec::Problem>& cases, const nlohmann::json& certificate,
                                    const CheckOptions& options = {});

}  // namespace bab
