// BaB certificates (solvers/bab/certificate.h): every unsat tree of random small problems is
// re-proved by the exact (GMP) checker; the same trees are rejected when the property is made
// false (soundness of the checker: it must never accept a proof of something untrue); tampered
// certificates (a dropped leaf, a moved split) are rejected; the file round trip and the
// `prunecert verify --certificate` / `prunecert check` commands agree.
#include <gtest/gtest.h>

#ifndef PRUNECERT_HAVE_BAB
TEST(Certificate, IsLinkedIntoTheTestBinary) { GTEST_SKIP() << "prunecert_bab is not linked"; }
#else

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "solvers/bab/certificate.h"
#include "src/net/io.h"
#include "src/spec/vnnlib.h"
#include "tests/random_problems.h"
#include "tests/run_command.h"
#include "tests/temp_file.h"

namespace {

using nlohmann::json;

spec::Result solve(const spec::Problem& p, bab::Branching branching, bab::BabTree* tree,
                   bounds::Method method = bounds::Method::crown) {
  bab::BabOptions o;
  o.branching = branching;
  o.bound.method = method;
  o.timeout_s = 30;
  o.batch = 8;
  o.attack.restarts = 2;
  o.attack.steps = 20;
  o.seed = 1;
  return bab::solve_bab(p, o, tree);
}

// The property moved so that the box centre violates it: min_D max_r (c.y - d - shift) <= 0 there.
spec::Problem falsified(const spec::Problem& p) {
  spec::Problem q = p;
  const double m = p.property.margin(p.net->eval(p.box.center()));
  const double shift = m + 1e-6 * (1 + std::abs(m));
  for (auto& conj : q.property.disjuncts)
    for (auto& row : conj.rows) row.d += shift;
  spec::Witness w{p.box.center(), {}, {}};
  EXPECT_TRUE(spec::confirm_witness(q, w)) << "the shifted property must be violated at the centre";
  return q;
}

// Random small robustness problems, solved with both input and ReLU splitting.
struct Solved {
  spec::Problem problem;
  bab::BabTree tree;
  bab::Branching branching;
};
std::vector<Solved> unsat_instances(uint64_t seed, int tries, bounds::Method method = bounds::Method::crown) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> eps(0.1, 0.8);
  std::vector<Solved> out;
  for (int t = 0; t < tries; ++t) {
    auto net = testing_util::random_network(rng, testing_util::random_widths(rng, 2, 4, 1, 3, 4, 10, 2, 3));
    const spec::Problem p = testing_util::random_robustness_problem(rng, net, eps(rng));
    for (bab::Branching b : {bab::Branching::input, bab::Branching::relu_babsr}) {
      bab::BabTree tree;
      const spec::Result r = solve(p, b, &tree, method);
      if (r.verdict == spec::Verdict::unsat) out.push_back({p, std::move(tree), b});
    }
  }
  return out;
}

TEST(Certificate, EveryUnsatTreeOfRandomProblemsIsAcceptedAndRejectedOnceFalse) {
  const auto instances = unsat_instances(2026, 80);
  int split = 0, relu = 0;
  for (size_t i = 0; i < instances.size(); ++i) {
    const Solved& s = instances[i];
    SCOPED_TRACE("instance " + std::to_string(i) + " " + bab::to_string(s.branching));
    ASSERT_TRUE(s.tree.complete);
    split += s.tree.leaves.size() > 1;
    for (const auto& leaf : s.tree.leaves)
      for (const auto& d : leaf.decisions) relu += d.kind == bab::DecisionKind::relu_active;
    const json tree = bab::tree_to_json(s.tree);
    const bab::CheckResult ok = bab::check_tree_exact(s.problem, tree);
    EXPECT_EQ(ok.status, bab::CheckResult::Status::valid) << ok.reason;
    EXPECT_EQ(ok.leaves, static_cast<int64_t>(s.tree.leaves.size()));
    // The same proof tree must not prove a property that the box centre violates.
    const bab::CheckResult bad = bab::check_tree_exact(falsified(s.problem), tree);
    EXPECT_EQ(bad.status, bab::CheckResult::Status::invalid);
  }
  std::printf("%zu unsat trees, %d with splits, %d active-ReLU decisions\n", instances.size(), split, relu);
  EXPECT_GE(instances.size(), 30u);
  EXPECT_GE(split, 5) << "too few instances needed branching to test the tree";  // 8 with this seed
  EXPECT_GT(relu, 0) << "no ReLU split was exercised";
}

// `verify --method alpha --certificate`: the checker re-proves leaves with CROWN (alpha-CROWN's
// slopes are not recorded), so bab must prove every leaf of a recorded tree with CROWN whatever
// the loop's method. Before, it proved them with alpha-CROWN and `check` called such a tree
// invalid (the differential soak, benchmarks/soak, seed 2002333: a leaf whose exact CROWN bound
// is -0.0144).
TEST(Certificate, TreesOfAlphaCrownRunsAreAcceptedToo) {
  const auto instances = unsat_instances(2027, 60, bounds::Method::alpha);
  int leaves = 0;
  for (size_t i = 0; i < instances.size(); ++i) {
    const Solved& s = instances[i];
    SCOPED_TRACE("instance " + std::to_string(i) + " " + bab::to_string(s.branching));
    ASSERT_TRUE(s.tree.complete);
    for (const auto& leaf : s.tree.leaves) EXPECT_EQ(leaf.method, bounds::Method::crown);
    leaves += static_cast<int>(s.tree.leaves.size());
    const bab::CheckResult ok = bab::check_tree_exact(s.problem, bab::tree_to_json(s.tree));
    EXPECT_EQ(ok.status, bab::CheckResult::Status::valid) << ok.reason;
  }
  EXPECT_GE(instances.size(), 20u);
  EXPECT_GT(leaves, static_cast<int>(instances.size())) << "no tree needed branching";
}

// The first instance whose root was split by input bisection and has a leaf as a child.
bool find_input_split_with_leaf_child(const std::vector<Solved>& instances, size_t* which, int* leaf_child) {
  for (size_t i = 0; i < instances.size(); ++i) {
    const json t = bab::tree_to_json(instances[i].tree);
    const json& root = t["root"];
    if (!root.contains("split") || root["split"][0] != "input") continue;
    for (int c = 0; c < 2; ++c)
      if (root["children"][c].contains("leaf") && !root["children"][c]["infeasible"].get<bool>()) {
        *which = i;
        *leaf_child = c;
        return true;
      }
  }
  return false;
}

TEST(Certificate, TamperedCertificatesAreRejected) {
  const auto instances = unsat_instances(7, 30);
  // Dropping a leaf leaves part of the box uncovered.
  bool dropped = false;
  for (const Solved& s : instances) {
    if (s.tree.leaves.size() < 2) continue;
    json t = bab::tree_to_json(s.tree);
    ASSERT_EQ(bab::check_tree_exact(s.problem, t).status, bab::CheckResult::Status::valid);
    json* node = &t["root"];
    while (!(*node)["children"][1].contains("leaf")) node = &(*node)["children"][1];
    (*node)["children"][1] = nullptr;
    const bab::CheckResult r = bab::check_tree_exact(s.problem, t);
    EXPECT_EQ(r.status, bab::CheckResult::Status::invalid);
    EXPECT_NE(r.reason.find("not covered"), std::string::npos) << r.reason;
    dropped = true;
    break;
  }
  EXPECT_TRUE(dropped);
  // Moving the root's bisection point to the end of the box makes its leaf child the whole box,
  // which the root bound could not prove (that is why the root was split).
  size_t which = 0;
  int c = 0;
  ASSERT_TRUE(find_input_split_with_leaf_child(instances, &which, &c));
  const Solved& s = instances[which];
  json t = bab::tree_to_json(s.tree);
  const int dim = t["root"]["split"][1].get<int>();
  t["root"]["split"][2] = c == 0 ? s.problem.box.hi[dim] : s.problem.box.lo[dim];
  const bab::CheckResult r = bab::check_tree_exact(s.problem, t);
  EXPECT_EQ(r.status, bab::CheckResult::Status::invalid);
  EXPECT_NE(r.reason.find("leaf"), std::string::npos) << r.reason;
  // An unknown split kind and an incomplete tree are refused too.
  json u = bab::tree_to_json(s.tree);
  u["root"]["split"][0] = "sideways";
  EXPECT_EQ(bab::check_tree_exact(s.problem, u).status, bab::CheckResult::Status::invalid);
  json v = bab::tree_to_json(s.tree);
  v["complete"] = false;
  EXPECT_EQ(bab::check_tree_exact(s.problem, v).status, bab::CheckResult::Status::invalid);
}

TEST(Certificate, FileRoundTripAndCaseCount) {
  const auto instances = unsat_instances(99, 6);
  ASSERT_GE(instances.size(), 2u);
  const std::string path = testutil::temp_file("certificate.json");
  bab::write_certificate(path, {instances[0].tree, instances[1].tree});
  const json cert = bab::read_certificate(path);
  EXPECT_EQ(bab::check_certificate_exact({instances[0].problem, instances[1].problem}, cert).status,
            bab::CheckResult::Status::valid);
  // A wrong number of cases is refused.
  EXPECT_EQ(bab::check_certificate_exact({instances[0].problem}, cert).status, bab::CheckResult::Status::invalid);
  std::filesystem::remove(path);
}

#ifdef PRUNECERT_BINARY
std::string run(const std::string& cmd) { return testutil::run_shell(cmd).out; }

TEST(Certificate, VerifyWritesAndCheckAcceptsAnAcasXuProof) {
  const std::string dir = std::string(PRUNECERT_SHARED_DIR) + "/benchmarks/vnncomp2021/acasxu";
  const std::string net = dir + "/ACASXU_run2a_1_1_batch_2000.onnx", spec = dir + "/prop_1.vnnlib";
  if (!std::filesystem::exists(net)) GTEST_SKIP() << net << " is absent";
  const std::string cert = testutil::temp_file("acas_certificate.json");
  const std::string v = run(std::string(PRUNECERT_BINARY) + " verify --engine bab --timeout 60 --net " + net +
                            " --spec " + spec + " --certificate " + cert);
  ASSERT_EQ(v.rfind("unsat", 0), 0u) << v;
  const std::string c = run(std::string(PRUNECERT_BINARY) + " check --net " + net + " --spec " + spec +
                            " --certificate " + cert);
  EXPECT_EQ(c.rfind("valid", 0), 0u) << c;
  // Drop the last leaf of the file and check again.
  json j;
  {
    std::ifstream in(cert);
    j = json::parse(in);
  }
  json* node = &j["cases"][0]["root"];
  ASSERT_TRUE(node->contains("split")) << "chosen to need branching";
  while (!(*node)["children"][1].contains("leaf")) node = &(*node)["children"][1];
  (*node)["children"][1] = nullptr;
  {
    std::ofstream out(cert);
    out << j.dump();
  }
  const std::string d = run(std::string(PRUNECERT_BINARY) + " check --net " + net + " --spec " + spec +
                            " --certificate " + cert);
  EXPECT_EQ(d.rfind("invalid", 0), 0u) << d;
  std::filesystem::remove(cert);
}

// The exact checker cannot re-prove mask decisions, so a pruning query writes no certificate:
// verify refuses --certificate with a nonzero --budget (before, it wrote a tree that `check`
// called invalid), and prune-verify does not take the option (before, it ignored it).
TEST(Certificate, PruningQueriesRefuseACertificate) {
  const std::string ex = std::string(PRUNECERT_SOURCE_DIR) + "/examples/";
  const std::string cert = testutil::temp_file("pruning_certificate.json");
  const std::string base = std::string(PRUNECERT_BINARY) + " verify --engine bab --timeout 20 --net " + ex +
                           "acasxu_1_9.onnx --spec " + ex + "acasxu_prop_3.vnnlib --certificate " + cert;
  const testutil::CmdRun pruned = testutil::run_shell(base + " --budget 1,0,0,0,0,0");
  EXPECT_NE(pruned.code, 0) << pruned.out;
  EXPECT_NE(pruned.out.find("pruning queries (--budget) have no certificates"), std::string::npos) << pruned.out;
  EXPECT_FALSE(std::filesystem::exists(cert));
  // A zero budget is no pruning query: verify runs (this property is violated, so it writes no
  // certificate and says why).
  const testutil::CmdRun zero = testutil::run_shell(base + " --budget 0,0,0,0,0,0");
  EXPECT_EQ(zero.code, 0) << zero.out;
  EXPECT_EQ(zero.out.rfind("sat", 0), 0u) << zero.out;
  EXPECT_NE(zero.out.find("no certificate written (only unsat answers have one)"), std::string::npos) << zero.out;
  const testutil::CmdRun pv = testutil::run_shell(std::string(PRUNECERT_BINARY) +
                                                         " prune-verify --certificate " + cert + " --net " + ex +
                                                         "acasxu_1_9.onnx");
  EXPECT_NE(pv.code, 0);
  EXPECT_NE(pv.out.find("--certificate"), std::string::npos) << pv.out;
  std::filesystem::remove(cert);
}
#endif

}  // namespace

#endif  // PRUNECERT_HAVE_BAB
