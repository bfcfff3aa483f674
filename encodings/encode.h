// The public header of encodings/: turn a spec::Problem into a constraint Model with a named
// encoding, and write a Model as SMT-LIB2, free MPS or CPLEX-LP. Encodings: `bigm` (Tjeng et al.;
// seed 000 eq. 5-8, masks by McCormick gating seed 003 eq. 8) and `smt` (ReLU and masks kept as
// relations, no big-M; for Z3). Each ablation axis below is one enum.
#pragma once
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "encodings/model.h"
#include "src/bounds/bound_engine.h"
#include "src/spec/problem.h"

namespace encodings {

enum class Encoding { bigm, smt };
// Pre-activation bounds used for stable-ReLU detection, variable bounds and big-M constants.
// `none` keeps every ReLU as a relation with unbounded variables (smt only). `lp`: CROWN, then
// each hidden neuron's bounds tightened by two LPs over the triangle relaxation of the layers
// before it (Tjeng et al.'s LP tightening; sound bounds from the LP duals; no pruning budgets).
// `milp`: lp, then each hidden neuron still unstable bounded by two MILPs over the exact big-M
// model of the layers before it, layer after layer (MIPVerify's progressive tightening); CBC
// computes them, so only solvers::encoding_bounds (solvers/solve.h) gives them; here, milp
// throws util::InputError.
enum class BoundSource { none, ibp, crown, alpha, lp, milp };
// The note on an unsat answer that used milp bounds: per-neuron CBC searches, the bound of one
// stopped by its time limit taken as it is (not re-checked, unlike the engines' own answers).
inline constexpr const char* kRestsOnMilpBounds =
    "rests on MILP-tightened bounds (CBC, floating point; bounds of per-neuron searches stopped by their time "
    "limit are not re-checked)";
// How "at most s_k pruned" is encoded when the model keeps relations (smt): a pseudo-Boolean
// at-least constraint (Z3 atleast/PbGe) or a sorting network in clauses. bigm always uses the
// linear row sum_i m_k[i] >= d_k - s_k (seed 003, after eq. 8).
enum class MaskEncoding { pb, sortnet };
// disjunction: one model for the whole unsafe region (one selector per disjunct);
// per_class: one model per disjunct (solved one after another).
enum class PropertyMode { disjunction, per_class };
// decide: assert the unsafe region, no objective (sat = counterexample);
// optimise: minimise the margin t = min_D max_{rows of D} (c.y - d) (the worst margin).
enum class Goal { decide, optimize };
enum class Format { smt2, mps, lp };

const char* to_string(Encoding e);
const char* to_string(BoundSource b);
const char* to_string(MaskEncoding m);
const char* to_string(PropertyMode p);
const char* to_string(Goal g);
const char* to_string(Format f);
// Parsers for the CLI; throw util::InputError("--<option>", "", ...) naming the valid values.
Encoding parse_encoding(const std::string& text);          // --encoding bigm|smt
BoundSource parse_bound_source(const std::string& text);   // --encoding-bounds none|ibp|crown|alpha|lp|milp
MaskEncoding parse_mask_encoding(const std::string& text); // --mask-encoding pb|sortnet
PropertyMode parse_property_mode(const std::string& text); // --property-mode disjunction|per-class
Goal parse_goal(const std::string& text);                  // --goal decide|optimize
Format parse_format(const std::string& text);              // --format smt2|mps|lp
// By file extension (.smt2, .mps, .lp); InputError(path, ...) otherwise.
Format format_from_path(const std::string& path);

struct EncodeOptions {
  Encoding encoding = Encoding::bigm;
  BoundSource bounds = BoundSource::crown;
  MaskEncoding mask_encoding = MaskEncoding::pb;
  PropertyMode property_mode = PropertyMode::disjunction;
  Goal goal = Goal::optimize;
  // Decide models only: the unsafe rows become c.y <= d - unsafe_shift. The drivers retry with a
  // small shift when the solver's point lies on the boundary of the unsafe region (margin 0 in
  // exact arithmetic, a tiny positive margin in doubles).
  double unsafe_shift = 0.0;
  // Decide models only: build the optimisation model (minimise the margin t) with the bound
  // t <= -unsafe_shift instead of a pure feasibility model. Every feasible point is still a
  // counterexample (Model::any_solution), but a MILP solver's LP relaxation and diving now head
  // for deep counterexamples, and nodes whose bound is above 0 are pruned. The milp engine uses
  // it (on FashionMNIST pruning queries CBC found no point in 30 s without it, one in 3 s with it).
  bool decide_objective = false;
  int alpha_iters = 20;   // alpha-CROWN iterations when bounds == alpha
  double alpha_lr = 0.1;  // alpha-CROWN step size
  // bounds == lp: seconds for the LP tightening; neurons not reached keep their CROWN bounds.
  double lp_time_limit_s = std::numeric_limits<double>::infinity();
  // bounds == milp: seconds for the whole tightening (LPs and MILPs), and for each MILP (one
  // stopped by its limit still gives CBC's best bound); neurons not reached keep their LP bounds.
  double milp_time_limit_s = std::numeric_limits<double>::infinity();
  double milp_neuron_time_s = 0.2;
  int milp_rechecks = 1;  // independent CBC re-solves of each neuron's claimed optimum (0: trust CBC)
  // Bounds known to hold on the problem's box (e.g. computed on a larger box that contains it):
  // intersected with the computed root bounds before any LP or MILP tightening.
  std::shared_ptr<const std::vector<bounds::LayerBounds>> known = nullptr;
};

// Number of models encode_cases() produces: 1, or the number of disjuncts in per_class mode.
int num_cases(const spec::Problem& problem, const EncodeOptions& options);

// The model of case `index` (0 <= index < num_cases). Computes the root bounds of the problem
// with the BoundEngine unless options.bounds == none. Throws util::InputError when the encoding
// cannot express the problem (bigm without finite bounds).
Model encode(const spec::Problem& problem, const EncodeOptions& options, int index = 0);
// The same with pre-activation bounds given (pre[k] for every layer of the layered view, sound
// for every admissible mask). options.bounds is then only recorded in the model's comments.
Model encode(const spec::Problem& problem, const EncodeOptions& options, const std::vector<bounds::LayerBounds>& pre,
             int index = 0);
// The root pre-activation bounds encode() would compute for these options (empty for none).
std::vector<bounds::LayerBounds> encoding_bounds(const spec::Problem& problem, const EncodeOptions& options);
// All cases at once.
std::vector<Model> encode_cases(const spec::Problem& problem, const EncodeOptions& options);

// Ideal-formulation cuts of the big-M model's binary ReLUs (ideal_relu_cuts.cpp; Anderson et al.
// 2020): at a point v (one value per variable, e.g. an LP relaxation's solution), the most violated
// inequality of each ReLU's convex hull over the box of its inputs, when it is violated by more
// than min_violation max(1, |y|). Valid for every point of the model (a cutting plane: adding it
// removes no solution of the MILP). MilpOptions::ideal_cuts hands them to CBC.
struct IdealCutStats {
  long long separated = 0, cuts = 0;
};
std::vector<LinearConstraint> ideal_relu_cuts(const Model& model, const double* v, double min_violation = 1e-6,
                                              IdealCutStats* stats = nullptr);

// Writers. smt2 writes any model (exact decimals, so the file states the same problem as the
// doubles in memory); mps and lp need a linear model (bigm) and throw util::InputError otherwise.
std::string to_text(const Model& model, Format format);
// Throws util::InputError(path, "", ...) when the file cannot be written.
void write_model(const Model& model, Format format, const std::string& path);

// Numbers shared with the back ends: the exact value of a double as an SMT-LIB2 term
// ("0.125", "(- 3.0)") and as a rational numeral "p/q" (Z3 numerals, GMP).
std::string smt_number(double v);
std::string rational_string(double v);

}  // namespace encodings
