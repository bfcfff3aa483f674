// Lemma 1 transfer (substitute/transfer.cpp) and the Lipschitz bounds it rests on
// (substitute/lipschitz.cpp): the bounds hold on sampled pairs of points, and every certificate
// the transfer gives on small random cases is confirmed by the brute-force oracle on f.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <random>

#include "solvers/solve.h"
#include "src/net/io.h"
#include "src/substitute/internal.h"
#include "src/substitute/substitute.h"
#include "tests/random_problems.h"
#include "tests/substitute_cases.h"
#include "tests/run_command.h"
#include "tests/temp_file.h"

namespace {

using Case = testing_util::AnchoredNetwork;


}  // namespace

TEST(MarginLipschitz, BoundsEveryDifferenceQuotientOnTheBox) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = testing_util::random_anchored_network(seed, {4, 10, 10, 3});
    const spec::Problem p = substitute::ball_problem(c.net, c.anchor, 0.3);
    const Eigen::VectorXd L = substitute::margin_lipschitz(p, c.anchor.label);
    EXPECT_EQ(L[c.anchor.label], 0.0);
    std::mt19937_64 rng(seed);
    double tightest = 0;  // the largest observed quotient / bound: should approach 1 from below
    for (int s = 0; s < 400; ++s) {
      const Eigen::VectorXd x = testing_util::sample_box(rng, p.box), y = testing_util::sample_box(rng, p.box);
      const double dist = (x - y).lpNorm<Eigen::Infinity>();
      if (dist == 0) continue;
      const Eigen::VectorXd fx = c.net->eval(x), fy = c.net->eval(y);
      for (int j = 0; j < 3; ++j) {
        if (j == c.anchor.label) continue;
        const double q = std::abs((fx[c.anchor.label] - fx[j]) - (fy[c.anchor.label] - fy[j])) / dist;
        EXPECT_LE(q, L[j] * (1 + 1e-9)) << "class " << j;
        tightest = std::max(tightest, q / L[j]);
      }
    }
    EXPECT_GT(tightest, 0.05);  // the bound is not vacuous
  }
}

TEST(MarginLipschitz, IsExactOnALinearRegion) {
  // Radius 0: every phase fixed, the margin is affine and L_j = ||grad m_j||_1 exactly.
  Case c = testing_util::random_anchored_network(9, {3, 6, 2});
  const spec::Problem p = substitute::ball_problem(c.net, c.anchor, 0.0);
  const Eigen::VectorXd L = substitute::margin_lipschitz(p, c.anchor.label);
  const Eigen::VectorXd z = c.net->pre_activations(c.anchor.x0)[0];
  const Eigen::VectorXd d = (z.array() > 0).cast<double>();
  const int j = 1 - c.anchor.label;
  const Eigen::RowVectorXd grad = (c.net->layers[1].W.row(c.anchor.label) - c.net->layers[1].W.row(j)) *
                                  d.asDiagonal() * c.net->layers[0].W;
  EXPECT_NEAR(L[j], grad.lpNorm<1>(), 1e-9 * (1 + grad.lpNorm<1>()));
}

// Both forms of the Lipschitz step (L_f + L_g, and L_f alone), on balls left whole and on balls
// cut by a clip box (two coordinates of x0 lie 0.2 eps inside its faces).
TEST(Transfer, EveryCertificateIsConfirmedByBruteForceOnF) {
  int certified = 0, by_lemma_case2 = 0, cases = 0, f_only_case2 = 0, clipped = 0;
  for (uint64_t seed = 1; seed <= 9; ++seed) {
    Case c = testing_util::random_anchored_network(seed, {3, 8, 8, 3});
    substitute::DistanceOptions dopt;
    dopt.eps_max = 20;
    const substitute::Distance bnd = substitute::boundary_distance(c.net, c.anchor, dopt);
    if (!bnd.complete) continue;  // no adversarial point within eps_max: no boundary to test against
    const double d_bnd = bnd.value;
    for (double frac : {0.3, 0.6, 0.9, 1.3}) {
      // gamma 0.5 / 0.9 of the neurons removed, or (1.97) those stable on B_{0.97 eps}.
      for (double choice : {0.5, 0.9, 1.97}) {
        const double eps = frac * d_bnd;
        if (!(eps > 0)) continue;
        for (int clip = 0; clip < 2; ++clip) {
          if (clip && choice != 1.97) continue;
          substitute::Anchor a = c.anchor;
          if (clip) {
            a.clip_lo = a.x0.minCoeff() - 0.2 * eps;
            a.clip_hi = a.x0.maxCoeff() + 0.2 * eps;
          }
          for (int f_only = 0; f_only < 2; ++f_only) {
            SCOPED_TRACE("seed " + std::to_string(seed) + " eps " + std::to_string(frac) + " d_bnd, choice " +
                         std::to_string(choice) + (clip ? ", clipped" : "") + (f_only ? ", L_f only" : ""));
            substitute::TransferOptions o;
            if (choice > 1) o.delta0 = (choice - 1) * eps;
            else o.gamma = choice;
            o.bab.timeout_s = 20;
            o.lipschitz_f_only = f_only;
            const substitute::TransferResult r = substitute::transfer(c.net, a, eps, o);
            ++cases;
            clipped += clip;
            EXPECT_LE(r.delta0, r.delta);
            EXPECT_LE(r.delta, eps);
            if (!r.certified) {
              if (r.delta >= eps) break;  // case 1: the second form is the same test
              continue;
            }
            ++certified;
            if (r.delta < eps) (f_only ? f_only_case2 : by_lemma_case2) += 1;
            if (!clip) EXPECT_LT(eps, bnd.upper) << "certified a ball that holds a confirmed adversarial point";
            const spec::Result oracle = solvers::solve_brute(substitute::ball_problem(c.net, a, eps), {});
            EXPECT_EQ(oracle.verdict, spec::Verdict::unsat) << "false certificate";
            if (r.delta >= eps) break;
          }
        }
      }
    }
  }
  EXPECT_GT(cases, 60);
  EXPECT_GT(clipped, 10);
  EXPECT_GT(certified, 5) << "the test would be vacuous";
  EXPECT_GT(by_lemma_case2, 0) << "no certificate used the Lipschitz step (delta < eps)";
  EXPECT_GE(f_only_case2, by_lemma_case2) << "the one-sided form is never weaker";
  std::printf("transfer: %d cases (%d clipped), %d certified; Lipschitz step: %d with L_f + L_g, %d with L_f alone\n",
              cases, clipped, certified, by_lemma_case2, f_only_case2);
}

namespace {

std::string run_cli(const std::string& args, int* code) {
  const testutil::CmdRun r = testutil::run_prunecert(args);
  *code = r.code;
  return r.out;
}

// "--net NET --input X" for the case's network and anchor, written to temporary files.
std::string write_case(const Case& c, const std::string& name) {
  const std::string net_path = testutil::temp_file(name + ".onnx");
  const std::string x_path = testutil::temp_file(name + "_x.txt");
  net::write_network(net::Network::from_layered(*c.net), net_path);
  std::ofstream x(x_path);
  x.precision(17);
  for (Eigen::Index i = 0; i < c.anchor.x0.size(); ++i) x << c.anchor.x0[i] << " ";
  return "--net " + net_path + " --input " + x_path;
}

}  // namespace

// Neurons with zero weights and bias (structured pruning leaves them) have z = 0, never proven
// stable, so no radius removes gamma of the neurons. The bisection from lo = 0 used to halve hi
// about 1075 times, to 0, each step a CROWN pass: now it returns 0 at once, and bisect_largest
// stops at a floor.
TEST(Transfer, BisectionsNearZeroStop) {
  Case c = testing_util::random_anchored_network(4, {4, 10, 10, 3});
  for (int i = 0; i < 8; ++i) {
    c.net->layers[0].W.row(i).setZero();
    c.net->layers[0].b[i] = 0.0;
  }
  Eigen::Index top;
  c.net->eval(c.anchor.x0).maxCoeff(&top);
  c.anchor.label = static_cast<int>(top);
  EXPECT_EQ(substitute::delta_for_fraction(c.net, c.anchor, 0.9, 1.0, bounds::Method::crown), 0.0);
  int calls = 0;
  const double r = substitute::bisect_largest(0.0, 1.0, 1e-3, substitute::radius_floor(c.anchor.x0), [&](double) {
    ++calls;
    return false;
  });
  EXPECT_EQ(r, 0.0);
  EXPECT_LE(calls, 45);  // 1 / 2^calls reaches the floor 1e-12 (1 + |x0|) in about 40 steps
  // And the transfer as a whole stops at its --timeout: the classes are left unchecked.
  substitute::TransferOptions o;
  o.delta0 = 1e-3;
  o.timeout_s = 1e-9;
  const substitute::TransferResult t = substitute::transfer(c.net, c.anchor, 0.5, o);
  EXPECT_FALSE(t.certified);
  for (const auto& k : t.classes) EXPECT_FALSE(k.checked);
  EXPECT_NE(t.reason.find("--timeout"), std::string::npos) << t.reason;
}

TEST(TransferCli, PrintsEveryQuantityAsJsonAndDistancesStayOrdered) {
  Case c = testing_util::random_anchored_network(4, {3, 8, 8, 3});
  int code = -1;
  const std::string base = write_case(c, "transfer_cli") + " --json";
  const auto all = nlohmann::json::parse(run_cli("distance " + base + " --method all", &code));
  ASSERT_EQ(code, 0);
  const double rob = all["rob"]["distance"], bnd = all["bnd"]["distance"], adv = all["adv"]["distance"];
  EXPECT_LE(rob, bnd);
  EXPECT_LE(bnd, adv);
  EXPECT_TRUE(all["bnd"].contains("time_s"));
  EXPECT_EQ(all["bnd"]["note"], "");  // --engine auto on 3 inputs: bab (certified lower end)
  // d_bnd as one MILP: inside the bisection's bracket (CBC tolerances aside), labelled.
  const auto milp = nlohmann::json::parse(run_cli("distance " + base + " --method bnd --engine milp", &code));
  ASSERT_EQ(code, 0);
  EXPECT_GE(milp["distance"].get<double>(), all["bnd"]["lower"].get<double>() * (1 - 1e-6));
  EXPECT_LE(milp["distance"].get<double>(), all["bnd"]["upper"].get<double>() * (1 + 1e-6));
  EXPECT_NE(milp["note"].get<std::string>().find("floating-point"), std::string::npos);
  run_cli("distance " + base + " --method bnd --engine smt", &code);
  EXPECT_EQ(code, 2);
  const auto t = nlohmann::json::parse(run_cli("transfer " + base + " --eps " + std::to_string(0.5 * bnd), &code));
  ASSERT_EQ(code, 0);
  for (const char* key : {"certified", "delta", "eps", "v_g", "lipschitz_f", "lipschitz_g", "time_s"})
    EXPECT_TRUE(t.contains(key)) << key;
  EXPECT_LE(t["delta"].get<double>(), t["eps"].get<double>());
  // Bad input: one line naming the option, exit code 2.
  run_cli("transfer " + base + " --eps 0", &code);
  EXPECT_EQ(code, 2);
  run_cli("substitute " + base + " --method nonsense -o " + testutil::temp_file("g.onnx"), &code);
  EXPECT_EQ(code, 2);
  const std::string g_path = testutil::temp_file("transfer_cli_g.onnx");
  const auto s = nlohmann::json::parse(run_cli("substitute " + base + " --method linear --layers 2 -o " + g_path, &code));
  ASSERT_EQ(code, 0);
  EXPECT_LT(s["max_diff_at_x0"].get<double>(), 1e-9);
  EXPECT_LT(s["max_diff_at_x_adv"].get<double>(), 1e-9);
  EXPECT_EQ(net::read_network(g_path).layered().num_hidden(), 1);
}

// distance --engine auto on a network with more than bab::kAutoInputDims inputs decides the
// radii with CBC (labelled so), as --engine milp does. (bab takes minutes on this 20-ReLU net:
// ReLU splitting near the boundary nearly enumerates the 2^20 phases; CBC takes seconds. The
// milp bisection itself is checked against brute force in Distances.*.)
TEST(TransferCli, DistanceAutoUsesCbcOnManyInputs) {
  Case c = testing_util::random_anchored_network(9, {12, 10, 10, 3});
  int code = -1;
  const std::string base = "distance " + write_case(c, "distance_auto") + " --json --method bnd --tol 0.01";
  const auto automatic = nlohmann::json::parse(run_cli(base, &code));
  ASSERT_EQ(code, 0);
  EXPECT_NE(automatic["note"].get<std::string>().find("CBC"), std::string::npos);
  ASSERT_TRUE(automatic["complete"].get<bool>());
  const auto milp = nlohmann::json::parse(run_cli(base + " --engine milp", &code));
  ASSERT_EQ(code, 0);
  EXPECT_EQ(automatic["lower"], milp["lower"]);
  EXPECT_EQ(automatic["upper"], milp["upper"]);
  // CBC's cuts and heuristics on (automatic turns them off here): the same distance within the
  // tolerance, both brackets contain d_bnd.
  const auto extras = nlohmann::json::parse(run_cli(base + " --milp-cbc on", &code));
  ASSERT_EQ(code, 0);
  EXPECT_LE(extras["lower"].get<double>(), automatic["upper"].get<double>() * (1 + 1e-6));
  EXPECT_LE(automatic["lower"].get<double>(), extras["upper"].get<double>() * (1 + 1e-6));
  run_cli(base + " --milp-cbc maybe", &code);
  EXPECT_EQ(code, 2);
}
