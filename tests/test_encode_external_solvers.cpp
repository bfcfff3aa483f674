// `prunecert encode` files solved by the external binaries: the SMT-LIB2 file (native smt
// encoding, decide) given to the `z3` binary, and the MPS file (bigm, decide and optimise) and the
// CPLEX LP file (bigm, optimise) given to the `cbc` binary, reproduce the verdicts (and the worst
// margin) of the in-process back ends on
// the same queries: robustness and pruning-budget queries on seeded random networks. Skipped,
// with a message, when the Debian packages z3 / coinor-cbc are not installed.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "random_problems.h"
#include "solvers/solve.h"
#include "src/net/io.h"
#include "tests/run_command.h"
#include "tests/temp_file.h"

namespace {

using testutil::CmdRun;
using testutil::run_shell;

bool installed(const std::string& binary) { return run_shell("command -v " + binary + " >/dev/null").code == 0; }

// One query written to files the prunecert binary reads: network (ONNX), input point, eps, budget.
struct Query {
  spec::Problem problem;
  std::string args;  // --net ... --input ... --eps ... [--budget ...]
  std::string description;
};

Query make_query(uint64_t seed, bool pruning) {
  std::mt19937_64 rng(seed);
  const auto widths = testing_util::random_widths(rng, 2, 3, 2, 3, 3, 6, 2, 3);
  auto net = testing_util::random_network(rng, widths);
  std::uniform_real_distribution<double> E(0.2, 1.2);
  const double eps = pruning ? 0.0 : E(rng);
  std::normal_distribution<double> N(0.0, 1.0);
  const Eigen::VectorXd x0 = Eigen::VectorXd::NullaryExpr(net->input_dim(), [&] { return N(rng); });
  int label = 0;
  net->eval(x0).maxCoeff(&label);
  Query q{spec::robustness_problem(net, x0, label, eps), "", ""};
  const std::string tag = std::to_string(seed);
  const std::string net_path = testutil::temp_file("ext_" + tag + ".onnx");
  const std::string x_path = testutil::temp_file("ext_" + tag + ".txt");
  net::write_network(net::Network::from_layered(*net), net_path);
  {
    std::ofstream x(x_path);
    x.precision(17);
    for (int j = 0; j < x0.size(); ++j) x << x0[j] << "\n";
  }
  std::ostringstream a;
  a.precision(17);
  a << "--net " << net_path << " --input " << x_path << " --eps " << eps;
  std::ostringstream d;
  d << "seed " << seed << ", eps " << eps;
  if (pruning) {
    spec::PruningBudget b;
    std::string list;
    for (int k = 0; k < net->num_hidden(); ++k) {
      b.s.push_back(std::uniform_int_distribution<int>(1, 2)(rng));
      list += (k ? "," : "") + std::to_string(b.s.back());
    }
    q.problem.budget = b;
    a << " --budget " << list;
    d << ", budget " << list;
  }
  q.args = a.str();
  q.description = d.str();
  return q;
}

std::string encode_to(const Query& q, const std::string& options, const std::string& path) {
  const CmdRun r = run_shell(std::string(PRUNECERT_BINARY) + " encode " + q.args + " " + options + " -o " + path);
  EXPECT_EQ(r.code, 0) << r.out;
  return path;
}

// The first line of the z3 binary's answer: sat, unsat or unknown.
std::string z3_verdict(const std::string& path) {
  const CmdRun r = run_shell("z3 -T:60 " + path);
  std::string first = r.out.substr(0, r.out.find('\n'));
  return first;
}

struct CbcAnswer {
  std::string status;  // "optimal", "infeasible" or what else cbc printed
  double objective = NAN;
  std::string log;
};

// cbc's command-line answer for an MPS or LP file, with the settings of the in-process back end
// (CglPreProcess off: it was seen to cut off the optimum, see milp/cbc_solver.cpp).
CbcAnswer cbc_answer(const std::string& path) {
  CbcAnswer a;
  const CmdRun r = run_shell("cbc " + path + " -sec 60 -preprocess off -solve -quit");
  a.log = r.out;
  std::smatch m;
  if (std::regex_search(r.out, m, std::regex(R"(Result - (.*))"))) a.status = m[1];
  if (std::regex_search(r.out, m, std::regex(R"(Objective value:\s+(\S+))"))) a.objective = std::stod(m[1]);
  if (a.status.find("Optimal") != std::string::npos) a.status = "optimal";
  else if (a.status.find("nfeasible") != std::string::npos) a.status = "infeasible";
  // Without a "Result" line when presolve or CglPreProcess proves infeasibility first.
  else if (a.status.empty() && (r.out.find("says infeasible") != std::string::npos || r.out.find("Problem is infeasible") != std::string::npos))
    a.status = "infeasible";
  return a;
}

void compare_with_binaries(uint64_t seed_lo, uint64_t seed_hi, bool pruning) {
  if (!installed("z3") || !installed("cbc")) GTEST_SKIP() << "the z3 and cbc binaries (Debian z3, coinor-cbc) are not installed";
  int sat = 0, unsat = 0;
  for (uint64_t seed = seed_lo; seed < seed_hi; ++seed) {
    const Query q = make_query(seed, pruning);
    SCOPED_TRACE(q.description);
    // In-process: Z3 on the smt encoding (decide) and CBC on bigm (optimise: the worst margin).
    solvers::SmtOptions so;
    so.timeout_s = 60;
    const spec::Result smt = solvers::solve_smt(q.problem, so);
    solvers::MilpOptions mo;
    mo.timeout_s = 60;
    const spec::Result milp = solvers::solve_milp(q.problem, mo);
    ASSERT_TRUE(smt.verdict == spec::Verdict::sat || smt.verdict == spec::Verdict::unsat) << smt.note;
    ASSERT_EQ(spec::to_string(milp.verdict), std::string(spec::to_string(smt.verdict))) << milp.note;
    const bool violated = smt.verdict == spec::Verdict::sat;
    (violated ? sat : unsat) += 1;

    const std::string tag = std::to_string(seed);
    const std::string smt2 = encode_to(q, "--encoding smt --goal decide", testutil::temp_file("q" + tag + ".smt2"));
    EXPECT_EQ(z3_verdict(smt2), violated ? "sat" : "unsat") << "z3 " << smt2;

    const std::string mps_decide = encode_to(q, "--encoding bigm --goal decide", testutil::temp_file("qd" + tag + ".mps"));
    const CbcAnswer d = cbc_answer(mps_decide);
    EXPECT_EQ(d.status, violated ? "optimal" : "infeasible") << d.log;

    const std::string mps_opt = encode_to(q, "--encoding bigm --goal optimize", testutil::temp_file("qo" + tag + ".mps"));
    const CbcAnswer o = cbc_answer(mps_opt);
    EXPECT_EQ(o.status, "optimal") << o.log;
    // cbc prints the objective with 8 significant digits.
    EXPECT_NEAR(o.objective, milp.margin_lower, 1e-6 + 1e-7 * std::abs(milp.margin_lower)) << o.log;
    EXPECT_EQ(o.objective > 0, !violated) << o.log;
    // The same model as a CPLEX LP file (lp_writer.cpp), read by cbc's LP reader: the same optimum.
    const std::string lp_opt = encode_to(q, "--encoding bigm --goal optimize", testutil::temp_file("qo" + tag + ".lp"));
    const CbcAnswer l = cbc_answer(lp_opt);
    EXPECT_EQ(l.status, "optimal") << l.log;
    EXPECT_NEAR(l.objective, milp.margin_lower, 1e-6 + 1e-7 * std::abs(milp.margin_lower)) << l.log;
    for (const auto& f : {smt2, mps_decide, mps_opt, lp_opt}) std::remove(f.c_str());
    if (::testing::Test::HasFailure()) break;
  }
  std::printf("%d sat and %d unsat queries compared\n", sat, unsat);
  // Both verdicts must be exercised, or the test could not tell the binaries apart.
  EXPECT_GT(sat, 0);
  EXPECT_GT(unsat, 0);
}

}  // namespace

TEST(EncodeExternalSolvers, Z3AndCbcBinariesReproduceRobustnessVerdicts) { compare_with_binaries(500, 512, false); }

TEST(EncodeExternalSolvers, Z3AndCbcBinariesReproducePruningVerdicts) { compare_with_binaries(600, 612, true); }
