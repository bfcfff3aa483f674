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
#include "src/net/network.h"
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

// Pruning queries (seed 003): random small networks with a random budget of at most 2 neurons
// per hidden layer. Every unsat tree bab records (mask decisions among its splits) is re-proved
// by the exact checker with its mask-aware bounds, and rejected once the property is false at
// the box centre. Pairs where the unpruned network is robust but pruning breaks it are kept:
// the unpruned proof must not be accepted as a proof of the pruning query.
struct PruningInstances {
  std::vector<Solved> unsat;
  std::vector<std::pair<spec::Problem, Solved>> broken_by_pruning;  // (pruning query, its unpruned proof)
};
PruningInstances pruning_instances(uint64_t seed, int tries) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> eps(0.05, 0.6);
  PruningInstances out;
  for (int t = 0; t < tries; ++t) {
    auto net = testing_util::random_network(rng, testing_util::random_widths(rng, 2, 4, 1, 3, 3, 8, 2, 3));
    spec::Problem p = testing_util::random_robustness_problem(rng, net, eps(rng));
    spec::PruningBudget budget;
    for (int k = 0; k < net->num_hidden(); ++k)
      budget.s.push_back(std::uniform_int_distribution<int>(0, std::min(2, net->hidden_width(k)))(rng));
    if (!budget.any()) budget.s[0] = 1;
    spec::Problem q = p;
    q.budget = budget;
    const bab::Branching b = t % 2 ? bab::Branching::input : bab::Branching::relu_babsr;
    bab::BabTree tree;
    const spec::Result r = solve(q, b, &tree);
    if (r.verdict == spec::Verdict::unsat) {
      out.unsat.push_back({q, std::move(tree), b});
    } else if (r.verdict == spec::Verdict::sat) {
      bab::BabTree plain;
      // bab's sat carries a witness confirmed by exact evaluation: the pruning query is false.
      if (solve(p, b, &plain).verdict == spec::Verdict::unsat)
        out.broken_by_pruning.push_back({q, {p, std::move(plain), b}});
    }
  }
  return out;
}

TEST(Certificate, PruningTreesAreAcceptedAndRejectedOnceFalse) {
  const PruningInstances inst = pruning_instances(2028, 400);
  int masked = 0, pruned = 0, leaves = 0;
  for (size_t i = 0; i < inst.unsat.size(); ++i) {
    const Solved& s = inst.unsat[i];
    SCOPED_TRACE("instance " + std::to_string(i) + " " + bab::to_string(s.branching));
    ASSERT_TRUE(s.tree.complete);
    bool any_mask = false;
    for (const auto& leaf : s.tree.leaves)
      for (const auto& d : leaf.decisions) {
        any_mask |= d.kind == bab::DecisionKind::neuron_kept || d.kind == bab::DecisionKind::neuron_pruned;
        pruned += d.kind == bab::DecisionKind::neuron_pruned;
      }
    masked += any_mask;
    leaves += static_cast<int>(s.tree.leaves.size());
    const json tree = bab::tree_to_json(s.tree);
    const bab::CheckResult ok = bab::check_tree_exact(s.problem, tree);
    EXPECT_EQ(ok.status, bab::CheckResult::Status::valid) << ok.reason;
    const bab::CheckResult bad = bab::check_tree_exact(falsified(s.problem), tree);
    EXPECT_EQ(bad.status, bab::CheckResult::Status::invalid);
    // Without its budget the query has no masks: a tree with mask decisions is refused.
    if (any_mask) {
      spec::Problem plain = s.problem;
      plain.budget.reset();
      const bab::CheckResult r = bab::check_tree_exact(plain, tree);
      EXPECT_EQ(r.status, bab::CheckResult::Status::invalid);
      EXPECT_NE(r.reason.find("without a pruning budget"), std::string::npos) << r.reason;
    }
  }
  // Robust unpruned, not robust pruned: the unpruned network's proof proves nothing about the
  // pruned ones (its leaves' bounds ignore the masks).
  for (size_t i = 0; i < inst.broken_by_pruning.size(); ++i) {
    const auto& [query, plain] = inst.broken_by_pruning[i];
    SCOPED_TRACE("broken by pruning " + std::to_string(i));
    ASSERT_EQ(bab::check_tree_exact(plain.problem, bab::tree_to_json(plain.tree)).status,
              bab::CheckResult::Status::valid);
    EXPECT_EQ(bab::check_tree_exact(query, bab::tree_to_json(plain.tree)).status, bab::CheckResult::Status::invalid);
  }
  std::printf("[ tally    ] %zu unsat pruning trees (%d leaves), %d with mask decisions (%d prunes); %zu robust "
              "only unpruned\n", inst.unsat.size(), leaves, masked, pruned, inst.broken_by_pruning.size());
  EXPECT_GE(inst.unsat.size(), 30u);
  EXPECT_GE(masked, 15) << "too few trees decided mask bits";
  EXPECT_GE(inst.broken_by_pruning.size(), 5u);
}

// A mask decision the budget does not allow, or one decided twice, makes the tree invalid.
TEST(Certificate, MaskDecisionsBeyondTheBudgetAreRejected) {
  const PruningInstances inst = pruning_instances(2029, 60);
  ASSERT_FALSE(inst.unsat.empty());
  const Solved& s = inst.unsat[0];
  // The root split again and again on one neuron of a layer whose budget is 0 (pruning it
  // there covers no admissible mask) or on a bit already decided.
  int layer = -1;
  for (int k = 0; k < s.problem.net->num_hidden(); ++k)
    if (s.problem.budget->s[k] == 0) layer = k;
  const json leaf = bab::tree_to_json(s.tree)["root"];
  auto wrap = [&](int k, int i, const json& child) {
    return json{{"split", json::array({"mask", k, i})}, {"children", json::array({child, leaf})}};
  };
  if (layer >= 0) {
    json t = bab::tree_to_json(s.tree);
    t["root"] = wrap(layer, 0, leaf);
    const bab::CheckResult r = bab::check_tree_exact(s.problem, t);
    EXPECT_EQ(r.status, bab::CheckResult::Status::invalid);
    EXPECT_NE(r.reason.find("beyond"), std::string::npos) << r.reason;
  }
  int k = 0;
  while (s.problem.budget->s[k] == 0) ++k;
  json t = bab::tree_to_json(s.tree);
  t["root"] = wrap(k, 0, wrap(k, 0, leaf));
  const bab::CheckResult r = bab::check_tree_exact(s.problem, t);
  EXPECT_EQ(r.status, bab::CheckResult::Status::invalid);
  EXPECT_NE(r.reason.find("twice"), std::string::npos) << r.reason;
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

// Bounds beyond the double range: x in [0, 1e308], z0 = 2 x (upper bound +inf), z1 = h0, and
// outputs (0, 1): label 0 is never the arg-max. The exact sums turned the +inf upper bound into a
// negative integer (frexp(inf), a cast of inf), layer 1's interval came out empty, and the
// one-leaf tree below was `valid`.
TEST(Certificate, BoundsThatOverflowProveNothing) {
  auto net = std::make_shared<net::LayeredNetwork>();
  net->layers = {{Eigen::MatrixXd::Constant(1, 1, 2.0), Eigen::VectorXd::Zero(1)},
                 {Eigen::MatrixXd::Constant(1, 1, 1.0), Eigen::VectorXd::Zero(1)},
                 {Eigen::MatrixXd::Zero(2, 1), Eigen::VectorXd::Unit(2, 1)}};
  const spec::Problem p = spec::robustness_problem(net, Eigen::VectorXd::Constant(1, 5e307), 0, 5e307);
  ASSERT_GE(p.box.hi[0], 9e307);
  const json t = {{"complete", true}, {"root", {{"leaf", "bound"}}}};
  const bab::CheckResult r = bab::check_tree_exact(p, t);
  EXPECT_EQ(r.status, bab::CheckResult::Status::invalid) << r.reason;
  EXPECT_NE(r.reason.find("overflow"), std::string::npos) << r.reason;
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

// A pruning query's proof through the command line: `verify --budget ... --certificate` writes
// the tree (mask decisions among its splits), `check` with the same budget re-proves it, and
// without the budget refuses it; `prune-verify --certificate` at the point writes one too.
TEST(Certificate, VerifyWritesAndCheckAcceptsAPruningProof) {
  const PruningInstances inst = pruning_instances(2030, 200);
  const Solved* pick = nullptr;
  for (const Solved& s : inst.unsat)
    for (const auto& leaf : s.tree.leaves)
      for (const auto& d : leaf.decisions)
        if (!pick && d.kind == bab::DecisionKind::neuron_pruned) pick = &s;
  ASSERT_NE(pick, nullptr) << "no unsat pruning tree with a pruned neuron";
  const spec::Problem& p = pick->problem;
  const std::string net = testutil::temp_file("pruning_proof.onnx"), x = testutil::temp_file("pruning_proof_x.txt");
  const std::string cert = testutil::temp_file("pruning_certificate.json");
  net::write_onnx(net::Network::from_layered(*p.net), net);
  {
    std::ofstream out(x);
    out.precision(17);
    const Eigen::VectorXd x0 = p.box.center();
    for (Eigen::Index i = 0; i < x0.size(); ++i) out << x0[i] << "\n";
  }
  std::ostringstream eps, budget;
  eps.precision(17);
  eps << 0.5 * (p.box.hi[0] - p.box.lo[0]);
  for (size_t k = 0; k < p.budget->s.size(); ++k) budget << (k ? "," : "") << p.budget->s[k];
  const std::string args = " --net " + net + " --input " + x + " --eps " + eps.str() + " --budget " + budget.str();
  const testutil::CmdRun v = testutil::run_shell(std::string(PRUNECERT_BINARY) + " verify --engine bab --branching " +
                                                 bab::to_string(pick->branching) + " --timeout 30" + args +
                                                 " --certificate " + cert);
  ASSERT_EQ(v.out.rfind("unsat", 0), 0u) << v.out;
  const std::string check = std::string(PRUNECERT_BINARY) + " check --certificate " + cert;
  const testutil::CmdRun c = testutil::run_shell(check + args);
  EXPECT_EQ(c.out.rfind("valid", 0), 0u) << c.out;
  json tree = bab::read_certificate(cert);
  // The case records its problem: check with another --eps (a weaker claim) or without the
  // budget is refused before any leaf is re-proved.
  const std::string no_budget = check + " --net " + net + " --input " + x + " --eps " + eps.str();
  const testutil::CmdRun u = testutil::run_shell(no_budget);
  EXPECT_EQ(u.out.rfind("invalid", 0), 0u) << u.out;
  EXPECT_NE(u.out.find("another problem"), std::string::npos) << u.out;
  std::ostringstream half;
  half.precision(17);
  half << 0.25 * (p.box.hi[0] - p.box.lo[0]);
  const testutil::CmdRun w = testutil::run_shell(check + " --net " + net + " --input " + x + " --eps " + half.str() +
                                                 " --budget " + budget.str());
  EXPECT_EQ(w.out.rfind("invalid", 0), 0u) << w.out;
  EXPECT_NE(w.out.find("another problem"), std::string::npos) << w.out;
  if (tree.dump().find("mask") != std::string::npos) {  // bab from the command line split mask bits too
    // A certificate without the fingerprint (older files): the mask decisions still need a budget.
    tree["cases"][0].erase("problem");
    bab::write_certificate(cert, tree);
    const testutil::CmdRun u2 = testutil::run_shell(no_budget);
    EXPECT_EQ(u2.out.rfind("invalid", 0), 0u) << u2.out;
    EXPECT_NE(u2.out.find("without a pruning budget"), std::string::npos) << u2.out;
  }
  // prune-verify at the same point writes a one-case certificate that check re-proves.
  const testutil::CmdRun pv = testutil::run_shell(std::string(PRUNECERT_BINARY) + " prune-verify --engine auto" + args +
                                                  " --certificate " + cert);
  ASSERT_EQ(pv.out.rfind("robust", 0), 0u) << pv.out;
  EXPECT_NE(pv.out.find("certificate   " + cert), std::string::npos) << pv.out;
  const testutil::CmdRun c2 = testutil::run_shell(check + args);
  EXPECT_EQ(c2.out.rfind("valid", 0), 0u) << c2.out;
  for (const std::string& f : {net, x, cert}) std::filesystem::remove(f);
}

// prune-verify over a data set: bab re-decides every robust sample with its tree; the file holds
// one case per sample (its index and label), and `check --data` re-proves them all. The trees
// do not prove a larger budget, and a case naming another sample's label is refused.
TEST(Certificate, PruneVerifyCertifiesEveryRobustSampleOfADataSet) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::string net = std::string(PRUNECERT_SOURCE_DIR) + "/benchmarks/suites/fmnist_mlp_32x16_prune_robust.onnx";
  const std::string cert = testutil::temp_file("prune_verify_certificate.json");
  const std::string args = " --net " + net + " --data fashion-mnist --eps 0.002 --clip 0,1 --certificate " + cert;
  const testutil::CmdRun pv = testutil::run_shell(std::string(PRUNECERT_BINARY) +
                                                  " prune-verify --first 30 --json --budget 1,1" + args);
  ASSERT_EQ(pv.code, 0) << pv.out;
  const json answer = json::parse(pv.out);
  const int robust = answer["robust"].get<int>();
  EXPECT_GE(robust, 5);
  EXPECT_EQ(answer["certificate"]["certified"].get<int>(), robust) << "every robust sample should be re-proved";
  const json file = bab::read_certificate(cert);
  ASSERT_EQ(file["cases"].size(), static_cast<size_t>(robust));
  for (const json& c : file["cases"]) {
    const json& s = answer["samples"][c["sample"].get<int>()];
    EXPECT_EQ(s["verdict"], "robust");
    EXPECT_EQ(s["label"], c["label"]);
  }
  const std::string check = std::string(PRUNECERT_BINARY) + " check" + args;
  const testutil::CmdRun ok = testutil::run_shell(check + " --budget 1,1");
  EXPECT_EQ(ok.out.rfind("valid", 0), 0u) << ok.out;
  // `valid` is about the cases the file names: the output says how many, and which samples.
  const testutil::CmdRun ok_json = testutil::run_shell(check + " --budget 1,1 --json");
  const json checked = json::parse(ok_json.out);
  EXPECT_EQ(checked["cases"].get<int>(), robust);
  ASSERT_EQ(checked["samples"].size(), static_cast<size_t>(robust));
  for (size_t t = 0; t < checked["samples"].size(); ++t) EXPECT_EQ(checked["samples"][t], file["cases"][t]["sample"]);
  // A sample named twice is refused.
  json twice = file;
  twice["cases"].push_back(file["cases"][0]);
  {
    std::ofstream out(cert);
    out << twice.dump();
  }
  const testutil::CmdRun dup = testutil::run_shell(check + " --budget 1,1");
  EXPECT_EQ(dup.code, 2) << dup.out;
  EXPECT_NE(dup.out.find("a second time"), std::string::npos) << dup.out;
  {
    std::ofstream out(cert);
    out << file.dump();
  }
  const testutil::CmdRun more = testutil::run_shell(check + " --budget 3,2");
  EXPECT_EQ(more.out.rfind("invalid", 0), 0u) << more.out;
  json wrong = file;
  wrong["cases"][0]["label"] = (wrong["cases"][0]["label"].get<int>() + 1) % 10;
  {
    std::ofstream out(cert);
    out << wrong.dump();
  }
  const testutil::CmdRun bad = testutil::run_shell(check + " --budget 1,1");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("whose label is"), std::string::npos) << bad.out;
  // With --engine bab, the tree bab recorded while deciding each sample is the certificate: no
  // sample is decided again, and `check` accepts the trees all the same.
  const testutil::CmdRun by_bab = testutil::run_shell(std::string(PRUNECERT_BINARY) +
                                                      " prune-verify --first 30 --json --budget 1,1 --engine bab" + args);
  ASSERT_EQ(by_bab.code, 0) << by_bab.out;
  const json bab_answer = json::parse(by_bab.out);
  EXPECT_EQ(bab_answer["robust"].get<int>(), robust);
  EXPECT_EQ(bab_answer["certificate"]["certified"].get<int>(), robust);
  EXPECT_EQ(bab_answer["certificate"]["from_answer"].get<int>(), robust);
  EXPECT_LE(answer["certificate"]["from_answer"].get<int>(), robust);
  const testutil::CmdRun ok_bab = testutil::run_shell(check + " --budget 1,1");
  EXPECT_EQ(ok_bab.out.rfind("valid", 0), 0u) << ok_bab.out;
  std::filesystem::remove(cert);
}
#endif

}  // namespace

#endif  // PRUNECERT_HAVE_BAB
