// `prunecert bench`: suites, the sweep over engines and options, hard limits (a crashing and a
// hanging engine, injected through a fake --worker, are recorded and the sweep finishes),
// resuming, and the MPI split (2 ranks give the same rows as one process).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "src/bench/results_csv.h"
#include "src/bench/suite.h"
#include "src/util/errors.h"
#include "tests/run_command.h"
#include "tests/temp_file.h"

namespace {

using testutil::CmdRun;
using testutil::run_shell;

const std::string kExamples = std::string(PRUNECERT_SOURCE_DIR) + "/examples/";
const std::string kAcas = std::string(PRUNECERT_SHARED_DIR) + "/benchmarks/vnncomp2021/acasxu/";

std::string write_file(const std::string& name, const std::string& text, bool executable = false) {
  const std::string path = testutil::temp_file(name);
  std::ofstream(path) << text;
  if (executable) chmod(path.c_str(), 0755);
  return path;
}

// A suite of one instance: ACAS Xu 1_9 with property 3 (violated), absolute paths.
std::string one_instance_suite() {
  return write_file("suite.csv", kExamples + "acasxu_1_9.onnx," + kExamples + "acasxu_prop_3.vnnlib,60\n");
}

const bench::Row* find_row(const std::vector<bench::Row>& rows, const std::string& engine) {
  for (const auto& r : rows)
    if (r.engine == engine) return &r;
  return nullptr;
}

}  // namespace

TEST(BenchRunner, RecordsACrashingAndAHangingEngineAndFinishesTheSweep) {
  // The fake worker dies of SIGSEGV for engine "crash", sleeps for engine "hang", and hands
  // everything else to the real prunecert.
  const std::string worker = write_file("worker.sh",
                                        "#!/bin/sh\nprev=\nfor a in \"$@\"; do [ \"$prev\" = --engine ] && eng=$a; prev=$a; done\n"
                                        "case \"$eng\" in crash) kill -SEGV $$ ;; hang) exec sleep 600 ;; esac\n"
                                        "exec " PRUNECERT_BINARY " \"$@\"\n",
                                        true);
  const std::string out = testutil::temp_file("results.csv");
  std::remove(out.c_str());
  const std::string cmd = std::string(PRUNECERT_BINARY) + " bench --suite " + one_instance_suite() +
                          " --engines bounds,crash,hang --timeout 1 --worker " + worker + " -o " + out;
  const CmdRun run = run_shell(cmd);
  ASSERT_EQ(run.code, 0) << run.out;
  const auto rows = bench::read_rows(out);
  ASSERT_EQ(rows.size(), 3u) << run.out;
  const bench::Row* ok = find_row(rows, "bounds");
  const bench::Row* crash = find_row(rows, "crash");
  const bench::Row* hang = find_row(rows, "hang");
  ASSERT_TRUE(ok && crash && hang);
  EXPECT_EQ(ok->exit, "ok");
  EXPECT_TRUE(ok->verdict == "unknown" || ok->verdict == "sat") << ok->verdict;  // never unsat: the property is violated
  EXPECT_TRUE(ok->has_lower);
  EXPECT_EQ(crash->verdict, "crash");
  EXPECT_EQ(crash->exit, "signal 11");
  EXPECT_EQ(hang->verdict, "timeout");
  EXPECT_EQ(hang->exit, "killed");
  EXPECT_LT(hang->time_s, 30.0);  // killed at the hard limit (1.2 * 1 s + 2 s), not after 600 s

  // Resuming: every (instance, engine, options) is in the file, so nothing runs again.
  const CmdRun again = run_shell(cmd);
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(bench::read_rows(out).size(), 3u);
  EXPECT_NE(again.out.find("0 to run here"), std::string::npos) << again.out;
}

TEST(BenchRunner, SweepsEveryCombinationOfEngineAndOptions) {
  // A worker that answers at once with a verdict whose margin is the number of arguments it
  // received, so the test sees that each combination's flags were passed on.
  const std::string worker = write_file("echo.sh", "#!/bin/sh\necho \"{\\\"verdict\\\": \\\"unknown\\\", \\\"margin_lower\\\": $#}\"\n", true);
  const std::string out = testutil::temp_file("combos.csv");
  std::remove(out.c_str());
  const CmdRun run = run_shell(std::string(PRUNECERT_BINARY) + " bench --verbosity 0 --suite " + one_instance_suite() +
                               " --engines milp,smt,bab,attack --encodings bigm,smt --branching input,relu-babsr"
                               " --mask-encodings pb,sortnet --worker " + worker + " -o " + out);
  ASSERT_EQ(run.code, 0) << run.out;
  std::vector<std::string> got;
  for (const auto& r : bench::read_rows(out)) got.push_back(r.engine + "|" + r.options);
  std::sort(got.begin(), got.end());
  const std::vector<std::string> want = {
      "attack|",
      "bab|--branching input",
      "bab|--branching relu-babsr",
      "milp|--encoding bigm",
      "milp|--encoding smt",
      "smt|--encoding bigm --mask-encoding pb",
      "smt|--encoding bigm --mask-encoding sortnet",
      "smt|--encoding smt --mask-encoding pb",
      "smt|--encoding smt --mask-encoding sortnet",
  };
  EXPECT_EQ(got, want);
  for (const auto& r : bench::read_rows(out)) {
    EXPECT_EQ(r.verdict, "unknown");
    // verify --net N --spec S --engine E [swept flags] --timeout T --seed 0 --json --stats
    int flags = 0;
    for (size_t at = r.options.find("--"); at != std::string::npos; at = r.options.find("--", at + 2)) ++flags;
    EXPECT_EQ(r.margin_lower, 13.0 + 2.0 * flags) << r.options;
  }
}

TEST(BenchRunner, RejectsBadInputWithExitCode2) {
  const CmdRun no_suite = run_shell(std::string(PRUNECERT_BINARY) + " bench -o x.csv");
  EXPECT_EQ(no_suite.code, 2);
  EXPECT_NE(no_suite.out.find("--suite"), std::string::npos) << no_suite.out;
  const std::string bad = write_file("bad_suite.csv", "a.onnx,b.vnnlib,soon\n");
  const CmdRun bad_timeout = run_shell(std::string(PRUNECERT_BINARY) + " bench --suite " + bad + " -o " + testutil::temp_file("r.csv"));
  EXPECT_EQ(bad_timeout.code, 2);
  EXPECT_NE(bad_timeout.out.find("line 1"), std::string::npos) << bad_timeout.out;
}

TEST(BenchSuite, ReadsVnncompSuitesWithTheirExpectedVerdicts) {
  if (!std::filesystem::exists(kAcas + "acasxu_instances.csv")) GTEST_SKIP() << kAcas << " is absent (../shared not next to the checkout)";
  const bench::Suite s = bench::read_suite(kAcas + "acasxu_instances.csv");
  EXPECT_FALSE(s.pruning);
  ASSERT_EQ(s.instances.size(), 186u);
  EXPECT_EQ(s.instances[0].name, "ACASXU_run2a_1_1_batch_2000.onnx prop_1.vnnlib");
  EXPECT_EQ(std::filesystem::weakly_canonical(s.instances[0].args[2]),
            std::filesystem::weakly_canonical(kAcas + "ACASXU_run2a_1_1_batch_2000.onnx"));  // relative to the CSV
  EXPECT_EQ(s.instances[0].timeout_s, 116);
  EXPECT_EQ(s.instances[0].expected, "unsat");
}

// VNN-COMP's words (violated, holds) are read as sat and unsat; other words are refused, not
// silently never compared. A contradicting answer is counted apart, never as solved.
TEST(BenchSuite, ExpectedVerdictsAreMappedAndContradictionsAreNotSolved) {
  const std::filesystem::path dir = testutil::temp_file("expected_words");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "suite.csv") << "a.onnx,p.vnnlib,5\nb.onnx,p.vnnlib,5\n";
  std::ofstream(dir / "expected.csv") << "onnx,vnnlib,expected\na.onnx,p.vnnlib,violated\nb.onnx,p.vnnlib,holds\n";
  const bench::Suite s = bench::read_suite((dir / "suite.csv").string());
  ASSERT_EQ(s.instances.size(), 2u);
  EXPECT_EQ(s.instances[0].expected, "sat");
  EXPECT_EQ(s.instances[1].expected, "unsat");
  std::ofstream(dir / "expected.csv") << "onnx,vnnlib,expected\na.onnx,p.vnnlib,maybe\n";
  EXPECT_THROW(bench::read_suite((dir / "suite.csv").string()), util::InputError);
  std::filesystem::remove_all(dir);
  bench::Row r;
  r.verdict = "sat";
  r.expected = "unsat";
  EXPECT_TRUE(bench::contradicts(r));
  r.expected = "sat";
  EXPECT_FALSE(bench::contradicts(r));
  r.verdict = "robust";
  EXPECT_TRUE(bench::contradicts(r));
  r.verdict = "timeout";
  EXPECT_FALSE(bench::contradicts(r));
}

TEST(BenchSuite, ExpandsPruningSuitesOverSamplesAndBudgets) {
  const std::string path = write_file("prune_suite.csv",
                                      "network,data,split,samples,budgets,eps,timeout\n"
                                      "# comment\n"
                                      "nets/mlp.onnx,fashion-mnist,test,3-5,\"1,1;10%,0\",0,20\n");
  const bench::Suite s = bench::read_suite(path);
  EXPECT_TRUE(s.pruning);
  ASSERT_EQ(s.instances.size(), 6u);
  const auto& in = s.instances[4];  // budget 10%,0, sample 4
  EXPECT_EQ(in.name, "nets/mlp.onnx sample 4 budget 10%,0 eps 0");
  EXPECT_EQ(in.args[0], "prune-verify");
  EXPECT_NE(std::find(in.args.begin(), in.args.end(), "10%,0"), in.args.end());
  EXPECT_EQ(in.timeout_s, 20);
  EXPECT_THROW(bench::read_suite(write_file("p2.csv", "network,data,split,samples,budgets,eps,timeout\nm.onnx,d,test,5-2,1,0,9\n")),
               util::InputError);
}

TEST(BenchResults, RowsRoundTripThroughTheCsvWithQuoting) {
  bench::Row r;
  r.instance = "net.onnx sample 1 budget 1,2";
  r.engine = "smt";
  r.options = "--encoding smt";
  r.verdict = "robust";
  r.time_s = 1.5;
  r.nodes = 7;
  r.has_lower = true, r.margin_lower = -0.25;
  r.exit = "ok";
  r.note = "said \"hi\", then left";
  r.limit_s = 1.25;
  const std::string path = testutil::temp_file("rt.csv");
  std::remove(path.c_str());
  bench::append_rows(path, bench::format_row(r));
  const auto rows = bench::read_rows(path);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].instance, r.instance);
  EXPECT_EQ(rows[0].note, r.note);
  EXPECT_EQ(rows[0].nodes, 7);
  EXPECT_TRUE(rows[0].has_lower);
  EXPECT_FALSE(rows[0].has_upper);
  EXPECT_DOUBLE_EQ(rows[0].margin_lower, -0.25);
  EXPECT_DOUBLE_EQ(rows[0].limit_s, 1.25);
  // Solved after its limit (1.5 s > 1.25 s): solved, not in the limit; a row without a limit is.
  EXPECT_FALSE(bench::solved_in_limit(rows[0]));
  r.time_s = 1.0;
  EXPECT_TRUE(bench::solved_in_limit(r));
  r.time_s = 9.0;
  r.limit_s = 0;
  EXPECT_TRUE(bench::solved_in_limit(r));
}

TEST(BenchMpi, TwoRanksGiveTheSameRowsAsOneProcess) {
#ifndef PRUNECERT_HAVE_MPI
  GTEST_SKIP() << "built without MPI";
#else
  if (run_shell("command -v mpirun").code != 0) GTEST_SKIP() << "mpirun not found";
  std::string suite_text;
  for (const char* p : {"prop_1", "prop_2", "prop_3", "prop_4"})
    suite_text += kAcas + "ACASXU_run2a_1_9_batch_2000.onnx," + kAcas + p + ".vnnlib,10\n";
  const std::string suite = write_file("mpi_suite.csv", suite_text);
  const std::string args = " bench --verbosity 0 --suite " + suite + " --engines bounds,attack --timeout 10 -o ";
  const std::string one = testutil::temp_file("one.csv"), two = testutil::temp_file("two.csv");
  std::remove(one.c_str());
  std::remove(two.c_str());
  const CmdRun serial = run_shell(std::string(PRUNECERT_BINARY) + args + one);
  ASSERT_EQ(serial.code, 0) << serial.out;
  const CmdRun mpi = run_shell("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_warn_on_fork=0 "
                               "mpirun --oversubscribe -np 2 " + std::string(PRUNECERT_BINARY) + args + two);
  ASSERT_EQ(mpi.code, 0) << mpi.out;
  auto key = [](const std::string& path) {
    std::vector<std::string> k;
    for (auto r : bench::read_rows(path)) {
      r.time_s = 0, r.peak_mem_mb = 0;  // the only columns allowed to differ
      k.push_back(bench::format_row(r));
    }
    std::sort(k.begin(), k.end());
    return k;
  };
  const auto a = key(one), b = key(two);
  EXPECT_EQ(a.size(), 8u);
  EXPECT_EQ(a, b);
#endif
}
