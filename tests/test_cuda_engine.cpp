// The CUDA BoundEngine against the CPU engine (its reference): on seeded random networks and
// batches (sub-boxes, fixed phases, two tables of known bounds, pruning masks), IBP and CROWN
// (with known bounds inherited or CROWN re-run below them), every bound and linear form equal to
// 1e-9 relative (both engines widen by the magnitude of each bound's terms); BaB verdicts
// identical with either engine. These tests report themselves skipped when no CUDA device is
// present (or the build has no CUDA).
// Device selection (`--device`) is tested everywhere.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "solvers/bab/bab.h"
#include "src/bounds/bound_engine.h"
#include "src/util/errors.h"
#include "tests/random_problems.h"
#include "tests/rounding_cases.h"

namespace {

// |cpu - cuda| <= kRel * max(1, |cpu|, |cuda|): relative for bounds of magnitude >= 1, absolute
// below (a bound near 0 is a difference of larger terms, whose summation order differs).
constexpr double kRel = 1e-9;

#define SKIP_WITHOUT_CUDA_DEVICE()                                                                          \
  do {                                                                                                      \
    if (!bounds::built_with_cuda()) GTEST_SKIP() << "CUDA tests skipped: this build has no CUDA (no nvcc)"; \
    if (bounds::cuda_device_count() == 0)                                                                   \
      GTEST_SKIP() << "CUDA tests skipped: no CUDA device present (cudaGetDeviceCount)";                    \
  } while (0)

// Counts and prints (first few) entries that differ beyond the tolerance.
int compare(const Eigen::VectorXd& cpu, const Eigen::VectorXd& gpu, const std::string& what) {
  if (cpu.size() != gpu.size()) {
    ADD_FAILURE() << what << ": sizes " << cpu.size() << " (cpu) vs " << gpu.size() << " (cuda)";
    return 1;
  }
  int bad = 0;
  for (Eigen::Index i = 0; i < cpu.size(); ++i) {
    const double a = cpu[i], b = gpu[i];
    if (a == b || (std::isnan(a) && std::isnan(b))) continue;
    const double tol = kRel * std::max({1.0, std::abs(a), std::abs(b)});
    if (!(std::abs(a - b) <= tol)) {
      if (bad < 5) ADD_FAILURE() << what << "[" << i << "]: cpu " << a << ", cuda " << b << ", diff " << a - b;
      ++bad;
    }
  }
  return bad;
}

int compare(const bounds::SubdomainBounds& cpu, const bounds::SubdomainBounds& gpu, const std::string& where) {
  int bad = 0;
  if (cpu.infeasible != gpu.infeasible) {
    ADD_FAILURE() << where << ": infeasible " << cpu.infeasible << " (cpu) vs " << gpu.infeasible << " (cuda)";
    return 1;
  }
  if (cpu.pre.size() != gpu.pre.size()) {
    ADD_FAILURE() << where << ": layer counts differ";
    return 1;
  }
  for (size_t k = 0; k < cpu.pre.size(); ++k) {
    bad += compare(cpu.pre[k].lo, gpu.pre[k].lo, where + " pre[" + std::to_string(k) + "].lo");
    bad += compare(cpu.pre[k].hi, gpu.pre[k].hi, where + " pre[" + std::to_string(k) + "].hi");
  }
  bad += compare(cpu.disjunct_lower, gpu.disjunct_lower, where + " disjunct_lower");
  bad += compare(Eigen::VectorXd::Constant(1, cpu.margin_lower), Eigen::VectorXd::Constant(1, gpu.margin_lower),
                 where + " margin_lower");
  bad += compare(cpu.candidate, gpu.candidate, where + " candidate");
  bad += compare(cpu.input_coef, gpu.input_coef, where + " input_coef");
  if (cpu.hidden_coef.size() != gpu.hidden_coef.size()) {
    ADD_FAILURE() << where << ": hidden_coef counts differ";
    return bad + 1;
  }
  for (size_t j = 0; j < cpu.hidden_coef.size(); ++j)
    bad += compare(cpu.hidden_coef[j], gpu.hidden_coef[j], where + " hidden_coef[" + std::to_string(j) + "]");
  return bad;
}

// A random subdomain: sub-box, phases fixed to those of a point inside (20-40%), for pruning
// problems some mask bits decided; `known` given to about half of them (as BaB passes a parent's).
using KnownTable = std::shared_ptr<const std::vector<bounds::LayerBounds>>;

// A second known-bound table: the root's, each interval shrunk by a random part of its width
// (the engines upload each distinct table once; bounds need not be sound to compare engines).
KnownTable shrunk_table(std::mt19937_64& rng, const std::vector<bounds::LayerBounds>& root) {
  std::uniform_real_distribution<double> U(0.0, 0.2);
  auto t = root;
  for (auto& lb : t)
    for (Eigen::Index i = 0; i < lb.lo.size(); ++i) {
      const double w = lb.hi[i] - lb.lo[i];
      lb.lo[i] += U(rng) * w;
      lb.hi[i] -= U(rng) * w;
    }
  return std::make_shared<const std::vector<bounds::LayerBounds>>(std::move(t));
}

bounds::Subdomain random_subdomain(std::mt19937_64& rng, const spec::Problem& p, const KnownTable& known,
                                   const KnownTable& known2 = nullptr) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  bounds::Subdomain s = bounds::root_subdomain(p);
  for (int i = 0; i < s.box.dim(); ++i) {
    const double a = s.box.lo[i] + U(rng) * (s.box.hi[i] - s.box.lo[i]);
    const double b = s.box.lo[i] + U(rng) * (s.box.hi[i] - s.box.lo[i]);
    if (U(rng) < 0.7) {
      s.box.lo[i] = std::min(a, b);
      s.box.hi[i] = std::max(a, b);
    }
  }
  const auto& net = *p.net;
  if (!s.mask.empty())
    for (int k = 0; k < net.num_hidden(); ++k)
      for (int i = 0; i < net.hidden_width(k); ++i) {
        const double u = U(rng);
        if (u < 0.1) s.mask[k][i] = 1;
        else if (u < 0.15 && s.budget_left[k] > 0) {
          s.mask[k][i] = 0;
          s.budget_left[k]--;
        }
      }
  const Eigen::VectorXd x = testing_util::sample_box(rng, s.box);
  const net::Mask m = testing_util::sample_mask(rng, net, s);
  const auto z = net.pre_activations(x, &m);
  const double fix = 0.2 + 0.2 * U(rng);
  s.phase.assign(net.num_hidden(), {});
  for (int k = 0; k < net.num_hidden(); ++k) {
    s.phase[k].assign(net.hidden_width(k), 0);
    for (int i = 0; i < net.hidden_width(k); ++i)
      if (U(rng) < fix) s.phase[k][i] = z[k][i] > 0 ? 1 : -1;
  }
  const double k = U(rng);
  if (k < 0.5) s.known = known;
  else if (k < 0.75 && known2) s.known = known2;
  return s;
}

void check_equivalence(uint64_t seed, bool pruning, bounds::BoundEngine& gpu) {
  std::mt19937_64 rng(seed);
  const auto widths = testing_util::random_widths(rng, 1, 8, 0, 3, 2, 40, 2, 6);
  auto net = testing_util::random_network(rng, widths);
  spec::Problem p = testing_util::random_robustness_problem(rng, net, std::uniform_real_distribution<double>(0.05, 1.0)(rng));
  if (pruning) {
    p.budget = spec::PruningBudget{};
    for (int k = 0; k < net->num_hidden(); ++k)
      p.budget->s.push_back(std::uniform_int_distribution<int>(0, net->hidden_width(k))(rng));
  }
  auto cpu = bounds::make_cpu_engine();
  bounds::BoundOptions o;
  const auto known = std::make_shared<const std::vector<bounds::LayerBounds>>(bounds::bound_root(p, o).pre);
  const KnownTable known2 = shrunk_table(rng, *known);
  const int B = std::uniform_int_distribution<int>(1, 48)(rng);
  std::vector<bounds::Subdomain> batch;
  for (int b = 0; b < B; ++b) batch.push_back(random_subdomain(rng, p, known, known2));
  using I = bounds::BoundOptions::Intermediate;
  for (bounds::Method method : {bounds::Method::ibp, bounds::Method::crown}) {
    for (int variant = 0; variant < 3; ++variant) {
      // tight output off and on; then on with CROWN re-run below known bounds (intermediate crown)
      const bool tight = variant > 0;
      o.method = method;
      o.tight_output = tight;
      o.intermediate = variant == 2 ? I::crown : I::automatic;
      const auto rc = cpu->bound(p, batch, o);
      const auto rg = gpu.bound(p, batch, o);
      ASSERT_EQ(rc.size(), rg.size());
      int bad = 0;
      for (int b = 0; b < B; ++b) {
        std::ostringstream where;
        where << "seed " << seed << " net";
        for (int w : widths) where << " " << w;
        where << (pruning ? " pruning" : "") << " " << bounds::to_string(method) << (tight ? " tight" : "")
              << (variant == 2 ? " intermediate crown" : "") << " subdomain " << b << "/" << B;
        bad += compare(rc[b], rg[b], where.str());
      }
      ASSERT_EQ(bad, 0) << "seed " << seed;
    }
  }
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST(DeviceSelection, ParsesTheThreeDevicesAndRejectsOthers) {
  EXPECT_EQ(bounds::parse_device("cpu"), bounds::Device::cpu);
  EXPECT_EQ(bounds::parse_device("cuda"), bounds::Device::cuda);
  EXPECT_EQ(bounds::parse_device("auto"), bounds::Device::automatic);
  try {
    bounds::parse_device("gpu");
    ADD_FAILURE() << "'gpu' accepted";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.file(), "--device");
  }
}

TEST(DeviceSelection, CpuAlwaysAndAutoFallsBackToTheCpuWithoutADevice) {
  EXPECT_STREQ(bounds::make_engine(bounds::Device::cpu)->name(), "cpu");
  const bool gpu = bounds::built_with_cuda() && bounds::cuda_device_count() > 0;
  EXPECT_STREQ(bounds::make_engine(bounds::Device::automatic)->name(), gpu ? "cuda" : "cpu");
}

TEST(DeviceSelection, CudaWithoutADeviceIsAnInputErrorNamingTheOption) {
  if (bounds::built_with_cuda() && bounds::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  try {
    bounds::make_engine(bounds::Device::cuda);
    ADD_FAILURE() << "--device cuda accepted without a device";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.file(), "--device");
    EXPECT_NE(std::string(e.what()).find("cuda"), std::string::npos) << e.what();
  }
}

TEST(DeviceSelection, CliExitsWithCode2ForCudaWithoutADevice) {
  if (bounds::built_with_cuda() && bounds::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  const std::string ex = std::string(PRUNECERT_SOURCE_DIR) + "/examples/";
  for (const char* cmd : {"verify --engine bounds", "bounds"}) {
    const std::string line = std::string(PRUNECERT_BINARY) + " " + cmd + " --net " + ex + "acasxu_1_9.onnx --spec " + ex +
                             "acasxu_prop_3.vnnlib --device cuda 2>&1";
    FILE* pipe = popen(line.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::array<char, 4096> buf;
    std::string out;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
    const int status = pclose(pipe);
    EXPECT_EQ(WEXITSTATUS(status), 2) << cmd << ": " << out;
    EXPECT_NE(first_line(out).find("--device"), std::string::npos) << cmd << ": " << out;
  }
}

TEST(CudaEngine, MatchesTheCpuEngineOnRandomNetworksAndBatches) {
  SKIP_WITHOUT_CUDA_DEVICE();
  auto gpu = bounds::make_engine(bounds::Device::cuda);
  ASSERT_STREQ(gpu->name(), "cuda");
  for (uint64_t seed = 1; seed <= 60; ++seed) check_equivalence(seed, false, *gpu);
}

TEST(CudaEngine, BoundsCoverRoundingLikeTheCpuEngine) {
  // Before the CUDA engine widened by the magnitude of each bound's terms (as the CPU engine
  // does), the huge box gave a margin lower bound of 7.99999999 against a true minimum of -3.
  SKIP_WITHOUT_CUDA_DEVICE();
  auto gpu = bounds::make_engine(bounds::Device::cuda);
  for (const testutil::RoundingCase& c : testutil::rounding_cases())
    for (auto method : {bounds::Method::ibp, bounds::Method::crown}) {
      bounds::BoundOptions o;
      o.method = method;
      const auto b = gpu->bound(c.problem, {bounds::root_subdomain(c.problem)}, o, nullptr).at(0);
      EXPECT_LE(b.margin_lower, c.margin_at_most) << c.name << ", " << bounds::to_string(method);
      EXPECT_LE(b.pre[0].lo[0], c.z0) << c.name << ", " << bounds::to_string(method);
      EXPECT_GE(b.pre[0].hi[0], c.z0) << c.name << ", " << bounds::to_string(method);
    }
}

TEST(CudaEngine, MatchesTheCpuEngineWithPruningMasks) {
  SKIP_WITHOUT_CUDA_DEVICE();
  auto gpu = bounds::make_engine(bounds::Device::cuda);
  for (uint64_t seed = 101; seed <= 160; ++seed) check_equivalence(seed, true, *gpu);
}

TEST(CudaEngine, MatchesTheCpuEngineOnALargeBatchOfOneNetwork) {
  SKIP_WITHOUT_CUDA_DEVICE();
  // Wider layers and a batch of 2,000: several warps per column, several blocks per layer.
  std::mt19937_64 rng(7);
  auto net = testing_util::random_network(rng, {20, 300, 200, 10});
  spec::Problem p = testing_util::random_robustness_problem(rng, net, 0.05);
  bounds::BoundOptions o;
  const auto known = std::make_shared<const std::vector<bounds::LayerBounds>>(bounds::bound_root(p, o).pre);
  std::vector<bounds::Subdomain> batch;
  const KnownTable known2 = shrunk_table(rng, *known);
  for (int b = 0; b < 2000; ++b) batch.push_back(random_subdomain(rng, p, known, known2));
  auto gpu = bounds::make_engine(bounds::Device::cuda);
  const auto rc = bounds::make_cpu_engine()->bound(p, batch, o);
  const auto rg = gpu->bound(p, batch, o);
  int bad = 0;
  for (size_t b = 0; b < batch.size() && bad < 20; ++b) bad += compare(rc[b], rg[b], "subdomain " + std::to_string(b));
  EXPECT_EQ(bad, 0);
}

TEST(CudaEngine, GivesTheSameBabVerdictsAsTheCpuEngine) {
  SKIP_WITHOUT_CUDA_DEVICE();
  auto gpu = bounds::make_engine(bounds::Device::cuda);
  auto cpu = bounds::make_cpu_engine();
  int decided = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    const auto widths = testing_util::random_widths(rng, 2, 5, 1, 3, 2, 10, 2, 4);
    auto net = testing_util::random_network(rng, widths);
    spec::Problem p = testing_util::random_robustness_problem(rng, net, std::uniform_real_distribution<double>(0.05, 1.0)(rng));
    for (bab::Branching rule : {bab::Branching::input, bab::Branching::relu_babsr}) {
      bab::BabOptions o;
      o.branching = rule;
      o.batch = 8;
      o.timeout_s = 30;
      o.adaptive_batch = false;  // the same batches on both devices
      o.attack.restarts = 2;
      o.attack.steps = 20;
      o.engine = cpu.get();
      const spec::Result rc = bab::solve_bab(p, o);
      o.engine = gpu.get();
      const spec::Result rg = bab::solve_bab(p, o);
      SCOPED_TRACE("seed " + std::to_string(seed) + " rule " + bab::to_string(rule));
      if (rc.verdict == spec::Verdict::timeout || rg.verdict == spec::Verdict::timeout) continue;
      EXPECT_EQ(spec::to_string(rc.verdict), std::string(spec::to_string(rg.verdict)));
      ++decided;
    }
  }
  EXPECT_GE(decided, 40);
}
