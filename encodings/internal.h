// Internal to encodings/: the relational network model and the lowerings/writers that the
// dispatcher in encode.cpp combines. Not for use outside this folder.
#pragma once
#include <string>
#include <vector>

#include "encodings/encode.h"

namespace encodings {

// The network, masks and property as relations (network_model.cpp). `pre` may be null (no
// bounds: every ReLU a relation, unbounded variables). disjunct = -1 encodes every disjunct.
// decide_objective: a decision model built as the optimisation model with t <= -unsafe_shift
// (EncodeOptions::decide_objective).
Model build_network_model(const spec::Problem& problem, const std::vector<bounds::LayerBounds>* pre, Goal goal,
                          int disjunct, double unsafe_shift = 0.0, bool decide_objective = false);

// Tjeng big-M for ReLUs, McCormick for masks, linear rows for cardinality and clauses, one
// selector binary per disjunct (bigm.cpp). Throws util::InputError on an infinite big-M.
void lower_bigm(Model& model);

// Removes every term a v of a linear row whose variable is bounded and with
// |a| max(1, |bounds of v|) <= kNegligible, or |a| <= min_coef, and relaxes its row by the term's
// range (negligible_terms.cpp); returns how many were removed. Run at the end of lower_bigm (CBC
// mishandles entries such as 1e-37), and by the MPS and LP writers with min_coef =
// kSmallMatrixEntry.
constexpr double kNegligible = 1e-12;
int drop_negligible_terms(Model& model, double min_coef = 0.0);

// Readers drop matrix entries below a threshold without relaxing their rows, which can cut
// feasible points: HiGHS below its small_matrix_value (1e-9 by default), CoinMpsIO (the cbc
// binary) below 1e-14. The MPS and LP writers remove every entry up to this size themselves, on
// bounded variables, with drop_negligible_terms' sound relaxation.
constexpr double kSmallMatrixEntry = 1e-9;

// An interval [lo, hi] so narrow (hi - lo <= kNarrow max(1, |lo|, |hi|)) that its big-M or
// McCormick rows would be parallel to within CBC's tolerances: lower_bigm relaxes such ReLUs and
// mask gates instead (bigm.cpp).
constexpr double kNarrow = 1e-6;
bool narrow(double lo, double hi);

// Every AtLeast relation as a sorting network in clauses (sorting_network.cpp).
void lower_cardinality_sortnet(Model& model);

// LP bound tightening (lp_tightening.cpp): tightens pre[k] for hidden layers k >= 1 in place by
// LPs over the triangle relaxation, each bound from the LP's dual (sound whatever the LP
// solver's accuracy). Stops early, keeping the bounds it has, after time_limit_s. Throws
// util::InputError for problems with a pruning budget.
struct LpTighteningStats {
  long long lps = 0, failed = 0;
  bool stopped_by_time = false;
  double time_s = 0;
};
void tighten_with_lp(const spec::Problem& problem, std::vector<bounds::LayerBounds>& pre, double time_limit_s,
                     LpTighteningStats* stats = nullptr);

// Writers (smtlib_writer.cpp, mps_writer.cpp, lp_writer.cpp).
std::string smtlib_text(const Model& model);
std::string mps_text(const Model& model);
std::string lp_text(const Model& model);

// The shortest decimal that reads back as the same double (MPS and LP, read as doubles).
std::string shortest_double(double v);

}  // namespace encodings
