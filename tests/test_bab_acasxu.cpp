// solve_bab on a few quick VNN-COMP 2021 ACAS Xu instances (networks and properties read from
// ../shared, expected verdicts from its expected.csv): two unsat ones that need branching, two
// sat ones whose counterexample is found in the loop. Skipped when ../shared is absent.
#include <gtest/gtest.h>

#ifndef PRUNECERT_HAVE_BAB
TEST(BabAcasXu, IsLinkedIntoTheTestBinary) {
  GTEST_SKIP() << "prunecert_bab is not linked into this test binary yet (add_subdirectory(bab) in solvers/)";
}
#else

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "solvers/bab/bab.h"
#include "src/net/io.h"
#include "src/spec/vnnlib.h"

namespace {

const std::string kDir = std::string(PRUNECERT_SHARED_DIR) + "/benchmarks/vnncomp2021/acasxu";

std::map<std::string, std::string> expected_verdicts() {
  std::map<std::string, std::string> out;
  std::ifstream in(kDir + "/expected.csv");
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string onnx, vnnlib, verdict;
    std::getline(ss, onnx, ',');
    std::getline(ss, vnnlib, ',');
    std::getline(ss, verdict, ',');
    if (!verdict.empty() && verdict.back() == '\r') verdict.pop_back();
    out[onnx + "," + vnnlib] = verdict;
  }
  return out;
}

// All cases of the VNN-LIB file: sat when one case is, unsat when every case is.
spec::Verdict solve_instance(const std::string& onnx, const std::string& vnnlib, int64_t* nodes) {
  auto net = std::make_shared<const net::LayeredNetwork>(net::read_network(kDir + "/" + onnx).layered());
  const spec::Spec s = spec::read_vnnlib(kDir + "/" + vnnlib);
  spec::Verdict verdict = spec::Verdict::unsat;
  for (const spec::SpecCase& c : s.cases) {
    spec::Problem p{net, c.box, c.property, std::nullopt, onnx + "," + vnnlib};
    bab::BabOptions o;
    o.timeout_s = 20;
    const spec::Result r = bab::solve_bab(p, o);
    *nodes += r.stats.nodes;
    if (r.verdict == spec::Verdict::sat) {
      spec::Witness w = *r.witness;
      EXPECT_TRUE(spec::confirm_witness(p, w));
      EXPECT_TRUE(p.box.contains(w.x));
      return spec::Verdict::sat;
    }
    if (r.verdict != spec::Verdict::unsat) verdict = r.verdict;
    else EXPECT_GT(r.margin_lower, 0);
  }
  return verdict;
}

TEST(BabAcasXu, AgreesWithTheExpectedVerdictsOnQuickInstances) {
  if (!std::filesystem::exists(kDir + "/expected.csv")) GTEST_SKIP() << kDir << " is absent";
  const auto expected = expected_verdicts();
  const std::vector<std::pair<std::string, std::string>> instances{
      {"ACASXU_run2a_1_1_batch_2000.onnx", "prop_1.vnnlib"},  // unsat, ~60 nodes
      {"ACASXU_run2a_4_2_batch_2000.onnx", "prop_3.vnnlib"},  // unsat, ~400 nodes
      {"ACASXU_run2a_2_3_batch_2000.onnx", "prop_2.vnnlib"},  // sat, found while branching
      {"ACASXU_run2a_2_9_batch_2000.onnx", "prop_8.vnnlib"},  // sat
  };
  for (const auto& [onnx, vnnlib] : instances) {
    SCOPED_TRACE(onnx + " " + vnnlib);
    const auto it = expected.find(onnx + "," + vnnlib);
    ASSERT_NE(it, expected.end());
    int64_t nodes = 0;
    const spec::Verdict v = solve_instance(onnx, vnnlib, &nodes);
    EXPECT_EQ(spec::to_string(v), it->second);
    EXPECT_GT(nodes, 1) << "chosen to need branching";
  }
}

}  // namespace

#endif  // PRUNECERT_HAVE_BAB
