// The prunecert binary's contracts (DESIGN.md): the verdict is the first line of `verify`,
// --json is one object, bad input gets one clear line and exit code 2.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>
#include "src/bounds/bound_engine.h"
#include "src/net/io.h"
#include "src/spec/problem.h"
#include "tests/random_problems.h"
#include "tests/run_command.h"
#include "tests/temp_file.h"

namespace {

using testutil::CmdRun;
CmdRun run_cmd(const std::string& args) { return testutil::run_prunecert(args); }

const std::string kExamples = std::string(PRUNECERT_SOURCE_DIR) + "/examples/";
const std::string kNet = "--net " + kExamples + "acasxu_1_9.onnx";
const std::string kPoint = "--input " + kExamples + "acasxu_point.txt";

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST(Cli, VerifyPrintsTheVerdictFirst) {
  CmdRun r = run_cmd("verify " + kNet + " " + kPoint + " --eps 0.001 --engine bounds");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string v = first_line(r.out);
  EXPECT_EQ(v, "unsat") << r.out;  // CROWN proves this radius (and 0.002)
}

TEST(Cli, AttackFindsAndConfirmsACounterexampleAndWritesTheResultFile) {
  // ACAS Xu network 1_9, property 3 is violated (expected.csv: sat).
  const std::string cex = testutil::temp_file("cex.txt");
  CmdRun r = run_cmd("verify " + kNet + " --spec " + kExamples + "acasxu_prop_3.vnnlib --engine attack --attack-restarts 50 --cex " + cex);
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(first_line(r.out), "sat") << r.out;
  std::ifstream in(cex);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "sat");
  std::getline(in, line);
  EXPECT_EQ(line.rfind("((X_0 ", 0), 0u) << line;
}

// libz3 can overrun its own time limit by tens of seconds (seen on the MNIST nets); the smt engine
// runs Z3 in a child process that is killed shortly after --timeout. A query Z3 cannot decide in
// 2 s (ACAS Xu 1_9, 300 ReLUs, a wide ball) must come back as timeout well before 2 s + 10 s.
TEST(Cli, SmtStopsNearItsTimeLimit) {
  for (const char* goal : {"decide", "optimize"}) {
    const auto start = std::chrono::steady_clock::now();
    CmdRun r = run_cmd("verify " + kNet + " " + kPoint + " --label 0 --eps 0.05 --engine smt --timeout 2 --goal " + goal);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(r.code, 0) << r.out;
    const std::string v = first_line(r.out);
    EXPECT_TRUE(v == "timeout" || v == "unsat" || v == "sat") << r.out;
    EXPECT_LT(wall, 8.0) << goal << ": " << r.out;
  }
}

TEST(Cli, JsonOutputIsOneObjectWithTheVerdict) {
  CmdRun r = run_cmd("verify " + kNet + " " + kPoint + " --eps 0.01 --engine bounds --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("verdict"));
  EXPECT_TRUE(j.contains("margin_lower"));
}

// distance --engine milp: the bisection's radii decided by CBC (labelled so), the bracket closed
// to --tol, with --query-timeout per radius; --goal optimize: one MILP minimising eps.
TEST(Cli, DistanceByMilpBisectionAndByOneMilp) {
  for (const char* goal : {"decide", "optimize"}) {
    CmdRun r = run_cmd("distance " + kNet + " " + kPoint +
                       " --method bnd --engine milp --tol 0.01 --query-timeout 20 --timeout 60 --json --goal " + goal);
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["method"], "bnd");
    EXPECT_TRUE(j["complete"].get<bool>()) << r.out;
    const double lo = j["lower"], hi = j["upper"];
    EXPECT_LE(hi - lo, 0.01 * hi + 1e-12) << r.out;
    EXPECT_NEAR(lo, 0.00432, 0.00005) << r.out;  // bab's bisection: [0.0043204, 0.0043237]
    EXPECT_NE(j["note"].get<std::string>().find("CBC"), std::string::npos) << r.out;
    // The upper end's adversarial point (for --attack-start): 5 numbers at L-inf distance `upper`.
    ASSERT_TRUE(j["witness"].is_array()) << r.out;
    std::ifstream in(kExamples + "acasxu_point.txt");
    double dist = 0;
    for (double w : j["witness"].get<std::vector<double>>()) {
      double x0 = 0;
      ASSERT_TRUE(in >> x0);
      dist = std::max(dist, std::abs(w - x0));
    }
    EXPECT_NEAR(dist, hi, 1e-12) << r.out;
  }
}

TEST(Cli, DistanceRefusesBabAfterMilpWithOneMilp) {
  const CmdRun r = run_cmd("distance " + kNet + " " + kPoint + " --method bnd --engine milp --goal optimize --bab-after-milp");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--bab-after-milp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--goal optimize"), std::string::npos) << r.out;
}

// distance --engine auto on a network whose 20 inputs feed 4 neurons: CBC decides the radii, and
// those it leaves undecided go on to first-layer bab (said in the note); with 16 first-layer
// neurons, or with --branching given, CBC alone. The bracket closes either way.
TEST(Cli, DistanceAutoHandsUndecidedRadiiToFirstLayerBabOnNarrowFirstLayers) {
  for (int width : {4, 16}) {
    std::mt19937_64 rng(7 + width);
    const auto layered = testing_util::random_network(rng, {20, width, 6, 3});
    const std::string net = testutil::temp_file("narrow" + std::to_string(width) + ".nnet");
    const std::string point = testutil::temp_file("narrow_point.txt");
    net::write_network(net::Network::from_layered(*layered), net);
    {
      std::ofstream out(point);
      std::normal_distribution<double> N(0.0, 1.0);
      for (int i = 0; i < 20; ++i) out << N(rng) << "\n";
    }
    for (const std::string extra : {"", " --branching relu-babsr"}) {
      CmdRun r = run_cmd("distance --net " + net + " --input " + point +
                         " --method bnd --tol 0.01 --query-timeout 20 --timeout 60 --json" + extra);
      ASSERT_EQ(r.code, 0) << r.out;
      auto j = nlohmann::json::parse(r.out);
      EXPECT_TRUE(j["complete"].get<bool>()) << r.out;
      const bool portfolio = j["note"].get<std::string>().find("then by bab") != std::string::npos;
      EXPECT_EQ(portfolio, width == 4 && extra.empty()) << r.out;
    }
  }
}

// --encoding-bounds milp (MILP-tightened big-M constants): the same answers as lp, and encode
// writes the model with them.
TEST(Cli, MilpTightenedBoundsGiveTheSameAnswersAsLp) {
  for (const char* eps : {"0.004", "0.01"}) {
    double margin[2];
    std::string verdict[2];
    for (int b = 0; b < 2; ++b) {
      CmdRun r = run_cmd("verify " + kNet + " " + kPoint + " --eps " + eps + " --engine milp --json --encoding-bounds " +
                         (b ? "milp" : "lp"));
      ASSERT_EQ(r.code, 0) << r.out;
      auto j = nlohmann::json::parse(r.out);
      verdict[b] = j["verdict"];
      margin[b] = j["margin_lower"];
      const std::string note = j.value("note", "");
      EXPECT_EQ(b == 1 && verdict[b] == "unsat", note.find("rests on MILP-tightened bounds") != std::string::npos)
          << eps << ": " << note;
    }
    EXPECT_EQ(verdict[0], verdict[1]) << eps;
    EXPECT_NEAR(margin[0], margin[1], 1e-6) << eps;
  }
  const std::string mps = testutil::temp_file("milp_bounds.mps");
  CmdRun r = run_cmd("encode " + kNet + " " + kPoint + " --eps 0.01 --encoding-bounds milp -o " + mps);
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(mps);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("bounds milp"), std::string::npos);
  std::remove(mps.c_str());
}

TEST(Cli, BadInputGetsExitCodeTwoAndOneClearLine) {
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {"info --net /nonexistent.onnx", "/nonexistent.onnx"},
      {"info --net " + kExamples + "acasxu_point.txt", "unknown network format"},
      {"verify " + kNet + " " + kPoint + " --label 7", "--label"},
      {"verify " + kNet + " " + kPoint + " --eps -1", "--eps"},
      {"verify " + kNet + " " + kPoint + " --budget 1,2,3,4,5,6,7", "--budget"},
      {"verify " + kNet + " " + kPoint + " --budget 1,2,3,4,5,51", "above the layer's width"},
      {"verify " + kNet + " " + kPoint + " --budget 1,2,-3,4,5,6", "negative"},
      {"verify " + kNet + " --input " + kExamples + "acasxu_prop_3.vnnlib", "is not a number"},
      {"verify " + kNet + " --input " + kExamples + "../tests/fixtures/nan_point.txt", "is not a finite number"},
      {"verify " + kNet + " --spec " + kExamples + "acasxu_prop_3.vnnlib --eps 0.1", "the box comes from --spec"},
      {"verify " + kNet + " --spec " + kExamples + "acasxu_prop_3.vnnlib --label 2", "the property comes from --spec"},
      {"verify " + kNet + " " + kPoint + " --eps 0.01 --budget 1,0,0,0,0,0 --cex /tmp/prunecert_never_written.txt",
       "no place for a pruning mask"},
      {"eval " + kNet + " --input " + kExamples + "../tests/fixtures/six_numbers.txt", "the network expects 5"},
      {"verify " + kNet + " " + kPoint + " --engine nosuch", "--engine"},
      {"verify " + kNet + " " + kPoint + " --clip 1", "--clip"},
      {"bounds " + kNet + " " + kPoint + " --method zonotope", "--method"},
      {"nosuchcommand", "unknown command"},
      {"distance " + kNet + " " + kPoint + " --method bnd --goal optimize", "--goal"},
      {"distance " + kNet + " " + kPoint + " --method bnd --engine smt", "--engine"},
      {"distance " + kNet + " " + kPoint + " --method crown", "distance takes adv, rob, bnd or all"},
      {"substitute " + kNet + " " + kPoint + " -o /tmp/prunecert_never_written.onnx", "give the pruner"},
      {"distance " + kNet + " " + kPoint + " --method adv --attack-start " + kExamples + "../tests/fixtures/six_numbers.txt",
       "the network expects 5"},
  };
  for (const auto& c : cases) {
    CmdRun r = run_cmd(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << c.args << "\n" << r.out;
  }
}

// A pruning counterexample's outputs are the pruned network's: the JSON names the pruned neurons
// (the witness without them could not be reproduced), and the text output lists them too.
TEST(Cli, PruningWitnessNamesItsPrunedNeurons) {
  const std::string q = "verify " + kNet + " " + kPoint + " --eps 0.001 --budget 10,10,10,10,10,10";
  CmdRun r = run_cmd(q + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["verdict"], "sat") << r.out;
  const auto& pruned = j["witness"]["pruned"];
  ASSERT_EQ(pruned.size(), 6u) << r.out;
  size_t count = 0;
  for (const auto& layer : pruned) {
    EXPECT_LE(layer.size(), 10u);
    count += layer.size();
  }
  EXPECT_GE(count, 1u) << "the unpruned network is robust here, so the witness prunes";
  CmdRun t = run_cmd(q);
  EXPECT_NE(t.out.find("pruned in hidden layer 1:"), std::string::npos) << t.out;
}

TEST(Cli, BoundsReportsUnstableReluCountsAndInstability) {
  CmdRun r = run_cmd("bounds " + kNet + " " + kPoint + " --eps 0.01 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  const auto& c = j["cases"][0];
  EXPECT_EQ(c["layers"].size(), 7u);  // 6 hidden layers and the output
  // The totals are the per-layer sums, and they match the CPU engine's root bounds (CROWN with
  // tight output bounds, as `bounds` computes them) on the same ball: sum of -l u over l < 0 < u.
  int unstable = 0;
  double instability = 0;
  for (const auto& layer : c["layers"])
    if (layer.contains("unstable")) {
      unstable += layer["unstable"].get<int>();
      instability += layer["instability"].get<double>();
    }
  EXPECT_EQ(c["unstable"].get<int>(), unstable);
  EXPECT_NEAR(c["instability"].get<double>(), instability, 1e-12 * (1 + instability));
  const net::Network n = net::read_network(kExamples + "acasxu_1_9.onnx");
  auto layered = std::make_shared<const net::LayeredNetwork>(n.layered());
  std::ifstream in(kExamples + "acasxu_point.txt");
  Eigen::VectorXd x(5);
  for (int i = 0; i < 5; ++i) in >> x[i];
  Eigen::Index label = 0;
  layered->eval(x).maxCoeff(&label);
  bounds::BoundOptions bo;
  bo.tight_output = true;
  const auto root = bounds::bound_root(spec::robustness_problem(layered, x, static_cast<int>(label), 0.01), bo);
  int expected = 0;
  double expected_sum = 0;
  for (int k = 0; k < layered->num_hidden(); ++k)
    for (Eigen::Index i = 0; i < root.pre[k].lo.size(); ++i)
      if (root.pre[k].lo[i] < 0 && root.pre[k].hi[i] > 0) {
        ++expected;
        expected_sum += -root.pre[k].lo[i] * root.pre[k].hi[i];
      }
  EXPECT_GT(expected, 0);
  EXPECT_EQ(c["unstable"].get<int>(), expected);
  EXPECT_NEAR(c["instability"].get<double>(), expected_sum, 1e-9 * (1 + expected_sum));
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"info", "eval", "spec", "verify", "bounds"}) {
    CmdRun r = run_cmd(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("--json"), std::string::npos) << cmd;
  }
}
