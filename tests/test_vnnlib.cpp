// VNN-LIB parser and printer: every VNN-COMP file parses and prints back to an identical Spec;
// ACAS Xu and MNIST properties read by value; linear terms, disjunctions over boxes and mixed
// input/output disjuncts; malformed files rejected with util::InputError at the right line.
#include <gtest/gtest.h>

#include <filesystem>

#include "src/spec/vnnlib.h"
#include "src/util/errors.h"

namespace fs = std::filesystem;

namespace {

const fs::path kVnnComp = fs::path(PRUNECERT_SHARED_DIR) / "benchmarks/vnncomp2021";

// Exact equality (doubles compared with ==), with the first difference as the message.
::testing::AssertionResult same_spec(const spec::Spec& a, const spec::Spec& b) {
  auto fail = [](const std::string& where) { return ::testing::AssertionFailure() << "differ at " << where; };
  auto same = [](const spec::Vector& u, const spec::Vector& v) { return u.size() == v.size() && u == v; };
  if (a.num_inputs != b.num_inputs || a.num_outputs != b.num_outputs) return fail("dimensions");
  if (a.cases.size() != b.cases.size()) return fail("number of cases");
  for (size_t k = 0; k < a.cases.size(); ++k) {
    const auto &ca = a.cases[k], &cb = b.cases[k];
    const std::string at = "case " + std::to_string(k);
    if (!same(ca.box.lo, cb.box.lo) || !same(ca.box.hi, cb.box.hi)) return fail(at + " box");
    if (ca.property.disjuncts.size() != cb.property.disjuncts.size()) return fail(at + " number of disjuncts");
    for (size_t d = 0; d < ca.property.disjuncts.size(); ++d) {
      const auto &ra = ca.property.disjuncts[d].rows, &rb = cb.property.disjuncts[d].rows;
      if (ra.size() != rb.size()) return fail(at + " disjunct " + std::to_string(d) + " number of rows");
      for (size_t r = 0; r < ra.size(); ++r)
        if (!same(ra[r].c, rb[r].c) || ra[r].d != rb[r].d)
          return fail(at + " disjunct " + std::to_string(d) + " row " + std::to_string(r));
    }
  }
  return ::testing::AssertionSuccess();
}

spec::Vector unit(int n, int i) { return spec::Vector::Unit(n, i); }

}  // namespace

TEST(VnnLib, EveryBenchmarkFileParsesAndPrintsBackIdentically) {
  if (!fs::exists(kVnnComp)) GTEST_SKIP() << kVnnComp << " not found";
  int count = 0;
  for (const auto& e : fs::recursive_directory_iterator(kVnnComp)) {
    if (e.path().extension() != ".vnnlib") continue;
    SCOPED_TRACE(e.path().string());
    const spec::Spec s = spec::read_vnnlib(e.path().string());
    const spec::Spec back = spec::parse_vnnlib(spec::print_vnnlib(s), "printed");
    EXPECT_TRUE(same_spec(s, back));
    ++count;
  }
  EXPECT_EQ(count, 40);
}

TEST(VnnLib, AcasProp3IsOneBoxAndOneConjunctionOfFourRows) {
  const fs::path file = kVnnComp / "acasxu/prop_3.vnnlib";
  if (!fs::exists(file)) GTEST_SKIP() << file << " not found";
  const spec::Spec s = spec::read_vnnlib(file.string());
  EXPECT_EQ(s.num_inputs, 5);
  EXPECT_EQ(s.num_outputs, 5);
  ASSERT_EQ(s.cases.size(), 1u);
  const auto& c = s.cases[0];
  EXPECT_TRUE(c.box.lo == (spec::Vector(5) << -0.303531156, -0.009549297, 0.493380324, 0.3, 0.3).finished());
  EXPECT_TRUE(c.box.hi == (spec::Vector(5) << -0.298552812, 0.009549297, 0.5, 0.5, 0.5).finished());
  // Unsafe if COC is minimal: Y_0 <= Y_i for every i, i.e. Y_0 - Y_i <= 0.
  ASSERT_EQ(c.property.disjuncts.size(), 1u);
  const auto& rows = c.property.disjuncts[0].rows;
  ASSERT_EQ(rows.size(), 4u);
  for (int i = 1; i <= 4; ++i) {
    EXPECT_TRUE(rows[i - 1].c == unit(5, 0) - unit(5, i)) << "row " << i;
    EXPECT_EQ(rows[i - 1].d, 0.0);
  }
}

TEST(VnnLib, AcasProp6IsTwoBoxesEachWithFourDisjuncts) {
  const fs::path file = kVnnComp / "acasxu/prop_6.vnnlib";
  if (!fs::exists(file)) GTEST_SKIP() << file << " not found";
  const spec::Spec s = spec::read_vnnlib(file.string());
  ASSERT_EQ(s.cases.size(), 2u);
  EXPECT_EQ(s.cases[0].box.lo[1], 0.11140846);
  EXPECT_EQ(s.cases[1].box.hi[1], -0.11140846);
  for (const auto& c : s.cases) {
    ASSERT_EQ(c.property.disjuncts.size(), 4u);
    for (int i = 1; i <= 4; ++i) EXPECT_TRUE(c.property.disjuncts[i - 1].rows.at(0).c == unit(5, i) - unit(5, 0));
  }
}

TEST(VnnLib, MnistPropertyIsA784DimBoxAndNineDisjuncts) {
  const fs::path file = kVnnComp / "mnistfc/prop_0_0.03.vnnlib";
  if (!fs::exists(file)) GTEST_SKIP() << file << " not found";
  const spec::Spec s = spec::read_vnnlib(file.string());
  EXPECT_EQ(s.num_inputs, 784);
  EXPECT_EQ(s.num_outputs, 10);
  ASSERT_EQ(s.cases.size(), 1u);
  const auto& c = s.cases[0];
  EXPECT_EQ(c.box.dim(), 784);
  EXPECT_TRUE((c.box.lo.array() >= 0).all() && (c.box.hi.array() <= 1).all() && (c.box.lo.array() <= c.box.hi.array()).all());
  EXPECT_EQ(c.box.hi[783], 0.029999999329447746);
  // Label 8: unsafe if Y_i >= Y_8 for some i != 8, i.e. Y_8 - Y_i <= 0.
  ASSERT_EQ(c.property.disjuncts.size(), 9u);
  for (int i = 0, d = 0; i < 10; ++i) {
    if (i == 8) continue;
    const auto& rows = c.property.disjuncts[d++].rows;
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_TRUE(rows[0].c == unit(10, 8) - unit(10, i)) << "disjunct for class " << i;
    EXPECT_EQ(rows[0].d, 0.0);
  }
}

TEST(VnnLib, ReadsLinearTermsScientificNumbersAndStrictComparisons) {
  const spec::Spec s = spec::parse_vnnlib(R"(
    ; declarations in any order
    (declare-const X_1 Real) (declare-const X_0 Real)
    (declare-const Y_0 Real) (declare-const Y_1 Real)
    (assert (<= X_0 1e-1))
    (assert (>= X_0 -2.5E+0))
    (assert (< (* 2 X_1) 3))
    (assert (> X_1 (- 1)))
    (assert (<= X_1 7))
    (assert (<= (+ (* 2 Y_0) (- Y_1) 0.5) (* 3 0.5)))
    (assert (>= (- Y_1 Y_0) -4))
    (assert (<= (/ Y_1 4) Y_0 1))
  )", "inline");
  ASSERT_EQ(s.cases.size(), 1u);
  const auto& c = s.cases[0];
  EXPECT_TRUE(c.box.lo == (spec::Vector(2) << -2.5, -1).finished());
  EXPECT_TRUE(c.box.hi == (spec::Vector(2) << 0.1, 1.5).finished());  // the tighter of 1.5 and 7
  ASSERT_EQ(c.property.disjuncts.size(), 1u);
  const auto& rows = c.property.disjuncts[0].rows;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_TRUE(rows[0].c == (spec::Vector(2) << 2, -1).finished());  // 2 y0 - y1 + 0.5 <= 1.5
  EXPECT_EQ(rows[0].d, 1.0);
  EXPECT_TRUE(rows[1].c == (spec::Vector(2) << 1, -1).finished());  // y1 - y0 >= -4
  EXPECT_EQ(rows[1].d, 4.0);
  EXPECT_TRUE(rows[2].c == (spec::Vector(2) << -1, 0.25).finished());  // y1 / 4 <= y0
  EXPECT_EQ(rows[2].d, 0.0);
  EXPECT_TRUE(rows[3].c == (spec::Vector(2) << 1, 0).finished());  // y0 <= 1
  EXPECT_EQ(rows[3].d, 1.0);
  EXPECT_TRUE(same_spec(s, spec::parse_vnnlib(spec::print_vnnlib(s), "printed")));
}

TEST(VnnLib, MixedDisjunctsWithTheSameBoxShareACase) {
  const spec::Spec s = spec::parse_vnnlib(R"(
    (declare-const X_0 Real)
    (declare-const Y_0 Real)
    (declare-const Y_1 Real)
    (assert (or
      (and (>= X_0 0) (<= X_0 1) (<= Y_0 Y_1))
      (and (>= X_0 1) (<= X_0 2) (<= Y_1 Y_0) (>= Y_0 3))
      (and (>= X_0 0) (<= X_0 1) (>= Y_0 3))))
  )", "inline");
  ASSERT_EQ(s.cases.size(), 2u);
  EXPECT_EQ(s.cases[0].box.lo[0], 0.0);
  EXPECT_EQ(s.cases[0].box.hi[0], 1.0);
  EXPECT_EQ(s.cases[0].property.disjuncts.size(), 2u);
  EXPECT_EQ(s.cases[1].box.lo[0], 1.0);
  ASSERT_EQ(s.cases[1].property.disjuncts.size(), 1u);
  EXPECT_EQ(s.cases[1].property.disjuncts[0].rows.size(), 2u);
  EXPECT_TRUE(same_spec(s, spec::parse_vnnlib(spec::print_vnnlib(s), "printed")));
}

TEST(VnnLib, ConjunctionOfDisjunctionsIsExpandedInOrder) {
  // (a or b) and (c or d) = ac or ad or bc or bd, all on one box.
  const spec::Spec s = spec::parse_vnnlib(R"(
    (declare-const X_0 Real) (declare-const Y_0 Real) (declare-const Y_1 Real)
    (assert (and (<= X_0 1) (>= X_0 0)))
    (assert (or (<= Y_0 1) (<= Y_0 2)))
    (assert (or (<= Y_1 3) (<= Y_1 4)))
  )", "inline");
  ASSERT_EQ(s.cases.size(), 1u);
  const auto& d = s.cases[0].property.disjuncts;
  ASSERT_EQ(d.size(), 4u);
  const double expected[4][2] = {{1, 3}, {1, 4}, {2, 3}, {2, 4}};
  for (int k = 0; k < 4; ++k) {
    ASSERT_EQ(d[k].rows.size(), 2u);
    EXPECT_EQ(d[k].rows[0].d, expected[k][0]);
    EXPECT_EQ(d[k].rows[1].d, expected[k][1]);
  }
}

TEST(VnnLib, MissingFileIsAnInputError) {
  EXPECT_THROW(spec::read_vnnlib("/nonexistent-dir/x.vnnlib"), util::InputError);
}

TEST(VnnLib, MalformedFilesNameTheLine) {
  struct Case {
    std::string text;
    int line;
    std::string problem;  // a part of the message
  };
  const std::string decl = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n";  // lines 1-2
  const std::string box = "(assert (<= X_0 1))\n(assert (>= X_0 0))\n";              // lines 3-4
  std::string deep = decl + "(assert ";
  for (int i = 0; i < 300; ++i) deep += "(and ";
  std::string blowup = decl + box + "(assert (and\n";
  for (int i = 0; i < 14; ++i) blowup += "(or (<= Y_0 1) (<= Y_0 2))\n";
  blowup += "))\n";
  const std::vector<Case> cases = {
      {"", 1, "no input variable X_i is declared"},
      {"(declare-const X_0 Real)\n", 1, "no output variable Y_i is declared"},
      {decl + box + "(assert (<= Y_0 1)", 5, "unbalanced '('"},
      {decl + box + "(assert (<= Y_0 1)))", 5, "unbalanced ')'"},
      {decl + "X_0\n", 3, "expected '(' before 'X_0'"},
      {decl + box + "(check-sat)\n", 5, "unknown command 'check-sat'"},
      {decl + box + "(assert (<= Y_0 foo))\n", 5, "unknown symbol 'foo'"},
      {decl + box + "(assert (<= Y_0 1e999))\n", 5, "number out of range '1e999'"},
      {decl + box + "(assert (<= Y_1 1))\n", 5, "undeclared variable Y_1"},
      {decl + "(declare-const Y_0 Real)\n", 3, "Y_0 is declared twice"},
      {decl + "(declare-const X_2 Real)\n", 3, "X_2 is declared but X_1 is not"},
      {decl + "(declare-const Z Real)\n", 3, "cannot declare 'Z'"},
      {decl + "(declare-const X_01 Real)\n", 3, "cannot declare 'X_01'"},  // not X_1
      {decl + box + "(assert (<= Y_00 1))\n", 5, "unknown symbol 'Y_00'"},
      {decl + "(declare-const X_1 Int)\n", 3, "expected (declare-const X_i Real)"},
      {decl + "(assert (<= X_0 1))\n(assert (<= Y_0 1))\n", 3, "X_0 has no lower bound"},
      {decl + "(assert (>= X_0 1))\n(assert (<= Y_0 1))\n", 3, "X_0 has no upper bound"},
      {decl + "(assert (<= Y_0 1))\n", 1, "X_0 has no lower bound"},
      {decl + "(assert (>= X_0 2))\n(assert (<= X_0 1))\n(assert (<= Y_0 1))\n", 4,
       "X_0 has lower bound 2 > upper bound 1"},
      {decl + box + "(assert (<= (* Y_0 Y_0) 1))\n", 5, "nonlinear term"},
      {decl + box + "(assert (<= (/ 1 Y_0) 1))\n", 5, "nonlinear term"},
      {decl + box + "(assert (<= (/ Y_0 0) 1))\n", 5, "division by zero"},
      {decl + box + "(assert (<= (* 1e300 1e300 Y_0) 1))\n", 5, "out of range"},
      {decl + box + "(assert (<= X_0 Y_0))\n", 5, "cannot mix inputs X_i and outputs Y_j"},
      {"(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
       "(assert (<= (+ X_0 X_1) 1))\n", 4, "must bound a single X_i"},
      {decl + box + "(assert (<= 1 2))\n", 5, "the constraint has no variables"},
      {decl + box + "(assert (<= Y_0))\n", 5, "expected (<= a b)"},
      {decl + box + "(assert (xor (<= Y_0 1)))\n", 5, "found ('xor' ...)"},
      {decl + box + "(assert (<= (max Y_0 1) 1))\n", 5, "expected a number, a variable"},
      {decl + box + "(assert)\n", 5, "assert takes one formula"},
      {decl + box, 3, "no constraint on the outputs Y_j"},
      {deep, 3, "nested deeper than 256"},
      {blowup, 5, "more than 10000 disjuncts"},
  };
  for (const auto& c : cases) {
    try {
      spec::parse_vnnlib(c.text, "bad.vnnlib");
      ADD_FAILURE() << "accepted:\n" << c.text;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.file(), "bad.vnnlib");
      EXPECT_EQ(e.place(), "line " + std::to_string(c.line)) << e.what();
      EXPECT_NE(e.problem().find(c.problem), std::string::npos) << e.what() << "\nexpected: " << c.problem;
    }
  }
}
