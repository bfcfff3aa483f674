// Networks whose double arithmetic goes wrong (cancellation of huge terms, overflow to inf and
// NaN): no engine may prove a property that the exact network violates, and no point whose
// outputs are not finite may count as a counterexample. Found by code reviews (2026-12-07);
// each case gave a wrong answer before its fix.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <set>

#include "encodings/encode.h"
#include "encodings/internal.h"
#include "solvers/bab/bab.h"
#include "solvers/internal.h"
#include "src/bounds/bound_engine.h"
#include "src/bounds/margin_deviation.h"
#include "src/spec/problem.h"
#include "src/util/errors.h"
#include "tests/random_problems.h"
#include "tests/rounding_cases.h"

namespace {

using net::Matrix;
using net::Vector;

using testutil::cancelling_layer;

TEST(NumericalSafety, BoundsCoverRoundingOnEveryCase) {
  for (const testutil::RoundingCase& c : testutil::rounding_cases())
    for (auto method : {bounds::Method::ibp, bounds::Method::crown, bounds::Method::alpha}) {
      bounds::BoundOptions o;
      o.method = method;
      const bounds::SubdomainBounds b = bounds::bound_root(c.problem, o);
      EXPECT_LE(b.margin_lower, c.margin_at_most) << c.name << ", " << bounds::to_string(method);
      EXPECT_LE(b.pre[0].lo[0], c.z0) << c.name << ", " << bounds::to_string(method);
      EXPECT_GE(b.pre[0].hi[0], c.z0) << c.name << ", " << bounds::to_string(method);
    }
}

TEST(NumericalSafety, BabProvesNothingFromCancellingTerms) {
  const testutil::RoundingCase c = testutil::rounding_cases()[0];
  ASSERT_EQ(c.problem.net->eval(c.problem.box.lo)[0], 0.0) << "the double forward pass rounds z to 0";
  bab::BabOptions bo;
  bo.timeout_s = 2;
  const spec::Result r = bab::solve_bab(c.problem, bo);
  EXPECT_NE(r.verdict, spec::Verdict::unsat);
  EXPECT_LE(r.margin_lower, c.margin_at_most);  // the true value at the only point
}

TEST(NumericalSafety, MarginDeviationAllowsForTheForwardPassRounding) {
  // The cancelling layer, then y = (h, 0.5): class 1 scores 0.5 against h = 1 (exact), so it is
  // not robust even unpruned; the double forward pass gives h = 0 and a margin of 0.5.
  net::LayeredNetwork net;
  Matrix W(2, 1);
  W << 1.0, 0.0;
  net.layers = {cancelling_layer(), {W, Vector{{0.0, 0.5}}}};
  const bounds::MarginDeviation md(net);
  const auto r = md.bound(net, Vector{{1.0, -1.0}}, 1, spec::PruningBudget{{0}});
  EXPECT_DOUBLE_EQ(r.nominal_margin, 0.5);
  EXPECT_LE(r.margin_lower, -0.5);
  EXPECT_FALSE(r.robust());
}

TEST(NumericalSafety, AnOverflowedOutputIsNoCounterexample) {
  // h1 = h2 = 1e308 * x = inf in double; y0 = h1 - h2 + 1 is NaN (exactly 1), y1 = 0: label 0
  // is robust, margin 1.
  auto net = std::make_shared<net::LayeredNetwork>();
  Matrix W1(2, 2);
  W1 << 1.0, -1.0, 0.0, 0.0;
  net->layers = {{Matrix::Constant(2, 1, 1e308), Vector::Zero(2)}, {W1, Vector{{1.0, 0.0}}}};
  spec::Problem p = spec::robustness_problem(net, Vector::Constant(1, 2.5), 0, 0.5);
  spec::Witness w;
  w.x = Vector::Constant(1, 2.5);
  EXPECT_FALSE(spec::confirm_witness(p, w)) << "y = " << w.y.transpose();
  EXPECT_FALSE(p.property.violated(Vector{{std::nan(""), 0.0}}));
  w.x = Vector::Constant(1, std::nan(""));
  EXPECT_FALSE(spec::confirm_witness(p, w));
  EXPECT_FALSE(p.box.contains(w.x));
  bab::BabOptions bo;
  bo.timeout_s = 2;
  const spec::Result r = bab::solve_bab(p, bo);
  EXPECT_NE(r.verdict, spec::Verdict::sat);
  EXPECT_FALSE(r.witness.has_value());
  EXPECT_LE(r.margin_lower, 1.0);  // the true margin, 1 everywhere
}

// Big-M constants are sums too, and the exact backend (Z3 on bigm) takes them literally. Outputs
// y = x on y0 in [0, 1], y1, y2 in [0, 2^-53]; unsafe: y0 + y1 + y2 <= -5 (never) or
// y0 + y1 + y2 >= 1 + 2^-52 (at the corner, exactly). In double the interval of y0 + y1 + y2 ends
// at 1, so the first disjunct's relaxed row (y0 + y1 + y2 <= -5 + M (1 - sel) with M = 6) cut
// the corner off, and Z3 proved the model infeasible.
TEST(NumericalSafety, BigMConstantsAreRoundedOutward) {
  auto net = std::make_shared<net::LayeredNetwork>();
  net->layers = {{Matrix::Identity(3, 3), Vector::Zero(3)}};
  spec::Problem p;
  p.net = net;
  p.box = {Vector::Zero(3), Vector{{1.0, 0x1p-53, 0x1p-53}}};
  spec::Row never{Vector::Ones(3), -5.0}, corner{-Vector::Ones(3), -(1.0 + 0x1p-52)};
  p.property.disjuncts = {{{never}}, {{corner}}};
  encodings::EncodeOptions eo;
  eo.goal = encodings::Goal::decide;
  const std::vector<bounds::LayerBounds> exact{{p.box.lo, p.box.hi}};
  const encodings::Model m = encodings::encode(p, eo, exact);
  const solvers::BackendAnswer a = solvers::z3_solve(m, 20, 0, /*isolate=*/false);
  EXPECT_EQ(a.status, solvers::BackendAnswer::Status::feasible) << a.note;
}

TEST(NumericalSafety, NanOrEmptyEncodingBoundsAreRefused) {
  // A NaN lower bound read as "stably active" (neither hi <= 0 nor lo < 0): h = z, cutting z < 0.
  auto net = std::make_shared<net::LayeredNetwork>();
  net->layers = {{Matrix::Ones(1, 1), Vector::Zero(1)}, {Matrix::Ones(2, 1), Vector{{0.0, 0.5}}}};
  const spec::Problem p = spec::robustness_problem(net, Vector::Zero(1), 1, 1.0);
  std::vector<bounds::LayerBounds> pre{{Vector::Constant(1, std::nan("")), Vector::Ones(1)},
                                       {Vector::Constant(2, -1.0), Vector::Constant(2, 2.0)}};
  EXPECT_NO_THROW(encodings::encode(p, {}, {{-Vector::Ones(1), Vector::Ones(1)}, pre[1]}));
  EXPECT_THROW(encodings::encode(p, {}, pre), util::InternalError);
  pre[0].lo[0] = 2.0;  // lo > hi
  EXPECT_THROW(encodings::encode(p, {}, pre), util::InternalError);
}

// drop_negligible_terms replaces the removed terms of an equality row by a slack variable over
// their range; that range was summed in double and widened by one ulp. 1e-13 v0 + 1000 terms
// 4e-30 v_i (v in [0, 1]): each small term is below half an ulp of 1e-13, so the double sum
// lost all of them (4e-27, about 200 ulps).
TEST(NumericalSafety, NegligibleTermsSlackCoversTheirExactRange) {
  encodings::Model m;
  encodings::LinearConstraint row;
  row.sense = encodings::Sense::eq;
  row.rhs = 0.5;
  row.name = "r";
  const int keep = m.add_var("keep", encodings::VarKind::real, 0.0, 1.0);
  row.terms.push_back({keep, 1.0});
  row.terms.push_back({m.add_var("v0", encodings::VarKind::real, 0.0, 1.0), 1e-13});
  long double exact_hi = 1e-13L;
  for (int i = 1; i <= 1000; ++i) {
    row.terms.push_back({m.add_var("v" + std::to_string(i), encodings::VarKind::real, 0.0, 1.0), 4e-30});
    exact_hi += static_cast<long double>(4e-30);  // long double keeps them (ulp of 1e-13 ~ 1e-32)
  }
  m.rows.push_back(row);
  ASSERT_EQ(encodings::drop_negligible_terms(m), 1001);
  ASSERT_EQ(m.rows[0].terms.size(), 2u);  // keep, and the slack
  const encodings::Variable& slack = m.vars[m.rows[0].terms[1].var];
  EXPECT_LE(slack.lo, 0.0);
  EXPECT_GE(static_cast<long double>(slack.hi), exact_hi);
}

// Readers drop small matrix entries without relaxing their rows: the cbc binary's CoinMpsIO below
// 1e-14, HiGHS below 1e-9. x + 5e-15 y <= 1 with y in [-1000, 1000] read as x <= 1 cuts
// x = 1 + 4e-12, y = -1000 (before the fix, the writers kept the entry: 5e-15 * 1000 > 1e-12). The MPS and LP files
// must hold no entry up to 1e-9 on a bounded variable, and the row must be relaxed by its range.
TEST(NumericalSafety, WritersRemoveSmallEntriesThemselvesWithARelaxation) {
  encodings::Model m;
  const int x = m.add_var("x", encodings::VarKind::real, 0.0, 10.0);
  const int y = m.add_var("y", encodings::VarKind::real, -1000.0, 1000.0);
  const int z = m.add_var("z", encodings::VarKind::real, -2.0, 3.0);
  m.rows.push_back({{{x, 1.0}, {y, 5e-15}}, encodings::Sense::le, 1.0, "r1"});
  m.rows.push_back({{{x, 1.0}, {z, -1e-9}}, encodings::Sense::ge, 0.5, "r2"});
  m.rows.push_back({{{x, 1.0}, {y, 2e-10}}, encodings::Sense::eq, 0.25, "r3"});
  for (auto format : {encodings::Format::mps, encodings::Format::lp}) {
    const std::string file = encodings::to_text(m, format);
    SCOPED_TRACE(file);
    std::string text;  // without comment lines
    for (size_t at = 0; at < file.size();) {
      const size_t end = std::min(file.find('\n', at), file.size());
      if (file[at] != '*' && file[at] != '\\') text += file.substr(at, end - at + 1);
      at = end + 1;
    }
    EXPECT_EQ(text.find("5e-15"), std::string::npos);
    EXPECT_EQ(text.find("1e-09"), std::string::npos);
    EXPECT_EQ(text.find("1e-9 "), std::string::npos);
    EXPECT_EQ(text.find("2e-10"), std::string::npos);
    EXPECT_NE(file.find("removed"), std::string::npos);  // the comment saying so
  }
  // The relaxed rows, through the shared routine: r1's rhs raised by 5e-12, r2's lowered by 2e-9,
  // r3 given a slack over [-2e-7, 2e-7].
  encodings::Model r = m;
  ASSERT_EQ(encodings::drop_negligible_terms(r, encodings::kSmallMatrixEntry), 3);
  EXPECT_GE(r.rows[0].rhs, 1.0 + 5e-12);
  EXPECT_LE(r.rows[1].rhs, 0.5 - 2e-9);
  ASSERT_EQ(r.rows[2].terms.size(), 2u);
  const encodings::Variable& slack = r.vars[r.rows[2].terms[1].var];
  EXPECT_LE(slack.lo, -2e-7);
  EXPECT_GE(slack.hi, 2e-7);
  // Without min_coef (the in-process path) none is negligible: |a| max(1, |bound|) is 5e-12, 3e-9
  // and 2e-7.
  encodings::Model q = m;
  EXPECT_EQ(encodings::drop_negligible_terms(q), 0);
}

// The writers sum duplicate terms of a row in double after removing small entries, so a sum that
// rounds or nearly cancels would escape both the relaxation and the reader's view. The encodings
// never write a variable twice into one row: checked here on random robustness and pruning models.
TEST(NumericalSafety, EncodedRowsNameEachVariableOnce) {
  std::mt19937_64 rng(404);
  int models = 0;
  for (int t = 0; t < 24; ++t) {
    spec::Problem p = testing_util::random_ball_problem(rng, 2, 5);
    if (t % 2) p.budget = spec::PruningBudget{std::vector<int>(p.net->num_hidden(), 1)};
    for (auto goal : {encodings::Goal::decide, encodings::Goal::optimize})
      for (auto mask : {encodings::MaskEncoding::pb, encodings::MaskEncoding::sortnet}) {
        encodings::EncodeOptions o;
        o.goal = goal;
        o.mask_encoding = mask;
        for (const encodings::Model& m : encodings::encode_cases(p, o)) {
          ++models;
          auto unique = [](const std::vector<encodings::Term>& terms) {
            std::set<int> seen;
            for (const auto& term : terms)
              if (!seen.insert(term.var).second) return false;
            return true;
          };
          for (const auto& row : m.rows) EXPECT_TRUE(unique(row.terms)) << row.name;
          if (m.objective) EXPECT_TRUE(unique(m.objective->terms));
        }
      }
  }
  EXPECT_GE(models, 96);
}

}  // namespace

TEST(NumericalSafety, AWitnessIsConfirmedInExactArithmetic) {
  // y = relu(x) + 1 on [1e-20, 1], unsafe y <= 1: y >= 1 + 1e-20 holds everywhere, but in double
  // y(1e-20) = 1, and every engine but smt answered sat with it "confirmed" (a review).
  auto net = std::make_shared<net::LayeredNetwork>();
  net->layers = {{Matrix::Constant(1, 1, 1.0), Vector::Zero(1)}, {Matrix::Constant(1, 1, 1.0), Vector::Constant(1, 1.0)}};
  spec::Problem p = testutil::point_problem(net, Vector::Constant(1, 1e-20), testutil::one_row(Vector::Constant(1, 1.0), 1.0));
  p.box.hi = Vector::Constant(1, 1.0);
  spec::Witness w;
  w.x = Vector::Constant(1, 1e-20);
  ASSERT_TRUE(p.property.violated(net->eval(w.x))) << "the double pass calls it violated";
  EXPECT_FALSE(spec::confirm_witness(p, w));
  EXPECT_FALSE(spec::exactly_violated(p, w.x, {}));
  // A point that violates exactly (x = 0 is outside the box; widen the box to reach it) passes.
  spec::Problem q = p;
  q.box.lo = Vector::Zero(1);
  w.x = Vector::Zero(1);
  EXPECT_TRUE(spec::confirm_witness(q, w));
  for (auto branching : {bab::Branching::input, bab::Branching::first_layer}) {
    bab::BabOptions bo;
    bo.timeout_s = 2;
    bo.branching = branching;
    EXPECT_NE(bab::solve_bab(p, bo).verdict, spec::Verdict::sat) << bab::to_string(branching);
  }
}

TEST(NumericalSafety, FirstLayerSplittingSurvivesAnOverflowingWidth) {
  // y = -relu(1.5 x) on [-6e307, 6e307]: z spans +-9e307, u - l overflows. Unsafe y <= -1 (at
  // x = 10, y = -15). First-layer bab's own back-substitution used the line h <= 0 there and
  // answered unsat (a review).
  auto net = std::make_shared<net::LayeredNetwork>();
  net->layers = {{Matrix::Constant(1, 1, 1.5), Vector::Zero(1)}, {Matrix::Constant(1, 1, -1.0), Vector::Zero(1)}};
  spec::Problem p = testutil::point_problem(net, Vector::Constant(1, -6e307), testutil::one_row(Vector::Constant(1, 1.0), -1.0));
  p.box.hi = Vector::Constant(1, 6e307);
  bab::BabOptions bo;
  bo.timeout_s = 2;
  bo.branching = bab::Branching::first_layer;
  const spec::Result r = bab::solve_bab(p, bo);
  EXPECT_NE(r.verdict, spec::Verdict::unsat);
  EXPECT_LE(r.margin_lower, -14.0);
}

TEST(NumericalSafety, TheRoundingFilterOfWitnessesAgreesWithExactArithmetic) {
  // certainly_violated (a double margin below minus its error bound) must imply exactly_violated,
  // and spare the rational pass on most points the double pass calls violated.
  int violated = 0, certain = 0, exact = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    auto net = testing_util::random_network(rng, testing_util::random_widths(rng, 2, 6, 1, 3, 2, 8, 2, 4));
    const spec::Problem p = testing_util::random_robustness_problem(rng, net, 1.0);
    for (int t = 0; t < 50; ++t) {
      const Vector x = testing_util::sample_box(rng, p.box);
      if (!p.property.violated(net->eval(x))) continue;
      ++violated;
      const bool c = spec::certainly_violated(p, x, {}), e = spec::exactly_violated(p, x, {});
      certain += c;
      exact += e;
      if (c) EXPECT_TRUE(e) << "seed " << seed << " point " << t;
    }
  }
  std::printf("[ tally    ] %d points violated in double: %d certainly, %d exactly\n", violated, certain, exact);
  EXPECT_GE(violated, 200);
  EXPECT_GE(certain, violated * 9 / 10);
  EXPECT_EQ(exact, violated);  // random points are not within rounding of the boundary
}
