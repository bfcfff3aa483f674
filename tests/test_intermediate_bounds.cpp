// BoundOptions::intermediate (cpu_engine.cpp): BaB's children inherit their parent's bounds
// (`known`); with crown or alpha the intermediate layers are bounded again under the child's
// fixed phases (alpha: alpha-CROWN per layer, with beta-CROWN's split multipliers) and
// intersected with the known bounds. Checked against an exact oracle on random small networks
// and random subdomains: every intermediate neuron's bounds must contain its exact range over the
// subdomain and every disjunct's bound must lie below its exact minimum. The oracle enumerates
// every activation pattern of the neurons the subdomain leaves unfixed (no engine bounds used)
// and solves one certified LP per pattern and objective (solvers/brute/exact_lp.h). Also: crown
// and alpha are never looser than inherit on an intermediate neuron (they are intersected with
// it), and alpha tightens more of them than it loosens against crown.
#include <gtest/gtest.h>

#include <limits>

#include "solvers/brute/exact_lp.h"
#include "tests/activation_patterns.h"
#include "src/bounds/bound_engine.h"
#include "tests/random_problems.h"

namespace {

using testing_util::to_affine;
using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
using I = bounds::BoundOptions::Intermediate;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Exact {
  std::vector<Vector> lo, hi;    // per hidden layer: the range of each pre-activation
  std::vector<double> disjunct;  // per disjunct: the minimum of its single row
  bool feasible = false;
};

Exact exact_ranges(const spec::Problem& p, const bounds::Subdomain& s) {
  const auto& net = *p.net;
  const int K = net.num_hidden(), n = net.input_dim();
  Exact e;
  std::vector<std::pair<int, int>> open;
  for (int k = 0; k < K; ++k) {
    e.lo.push_back(Vector::Constant(net.hidden_width(k), kInf));
    e.hi.push_back(Vector::Constant(net.hidden_width(k), -kInf));
    for (int i = 0; i < net.hidden_width(k); ++i)
      if (s.phase[k][i] == 0) open.push_back({k, i});
  }
  e.disjunct.assign(p.property.disjuncts.size(), kInf);
  EXPECT_LE(open.size(), 12u);
  solvers::brute::LpCounters counters;
  solvers::brute::ExactLp lp;
  for (int i = 0; i < n; ++i) {
    lp.lo.emplace_back(s.box.lo[i]);
    lp.hi.emplace_back(s.box.hi[i]);
  }
  auto minimum = [&](const Eigen::RowVectorXd& a, double c) {
    lp.objective = to_affine(a, c);
    const auto ans = solvers::brute::solve_lp(lp, counters);
    return ans.infeasible ? kInf : ans.lower.get_d();
  };
  for (uint32_t bits = 0; bits < (1u << open.size()); ++bits) {
    std::vector<std::vector<int>> ph(K);
    for (int k = 0; k < K; ++k) ph[k].assign(s.phase[k].begin(), s.phase[k].end());
    for (size_t t = 0; t < open.size(); ++t) ph[open[t].first][open[t].second] = (bits >> t) & 1 ? 1 : -1;
    lp.rows.clear();
    const testing_util::PatternMaps maps = testing_util::pattern_maps(net, ph, lp.rows);
    const std::vector<Matrix>& As = maps.A;
    const std::vector<Vector>& as = maps.a;
    if (!solvers::brute::maybe_feasible(lp.rows, lp.lo, lp.hi, counters)) continue;
    bool any = false;
    for (int k = 0; k < K; ++k)
      for (int i = 0; i < net.hidden_width(k); ++i) {
        const double lo = minimum(As[k].row(i), as[k][i]);
        if (!std::isfinite(lo)) continue;  // the pattern is infeasible
        any = true;
        e.lo[k][i] = std::min(e.lo[k][i], lo);
        e.hi[k][i] = std::max(e.hi[k][i], -minimum(-As[k].row(i), -as[k][i]));
      }
    if (!any) continue;
    e.feasible = true;
    for (size_t dj = 0; dj < p.property.disjuncts.size(); ++dj) {
      const spec::Row& row = p.property.disjuncts[dj].rows.at(0);
      e.disjunct[dj] = std::min(e.disjunct[dj], minimum(row.c.transpose() * As[K], row.c.dot(as[K]) - row.d));
    }
  }
  return e;
}

// A robustness problem on a random network of three or four hidden layers of 2-4 neurons: deep
// enough for intermediate bounds to matter.
spec::Problem deep_random_problem(std::mt19937_64& rng) {
  const auto widths = testing_util::random_widths(rng, 2, 4, 3, 4, 2, 4, 2, 3);
  auto net = testing_util::random_network(rng, widths);
  const double eps = std::uniform_real_distribution<double>(0.3, 1.5)(rng);
  return testing_util::random_robustness_problem(rng, net, eps);
}

}  // namespace

TEST(IntermediateBounds, ContainTheExactRangesUnderSplitsAndTightenInheritedOnes) {
  auto engine = bounds::make_cpu_engine();
  int neurons = 0, crown_tighter = 0, alpha_tighter = 0, alpha_looser = 0, subdomains = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    const spec::Problem p = deep_random_problem(rng);
    const auto& net = p.net;
    // The root's CROWN bounds are sound on every subdomain: BaB's children inherit them.
    bounds::BoundOptions root;
    const bounds::Subdomain r = bounds::root_subdomain(p);
    auto known = std::make_shared<const std::vector<bounds::LayerBounds>>(engine->bound(p, {r}, root)[0].pre);
    std::vector<bounds::Subdomain> batch;
    for (int t = 0; t < 5; ++t) {
      bounds::Subdomain s = r;
      s.known = known;
      s.phase = testing_util::random_phases(rng, *net, p.box, 0.5);
      batch.push_back(std::move(s));
    }
    std::vector<std::vector<bounds::SubdomainBounds>> res;
    for (I mode : {I::inherit, I::crown, I::alpha}) {
      bounds::BoundOptions o;
      o.method = bounds::Method::alpha;
      o.alpha_iters = 30;
      o.intermediate = mode;
      res.push_back(engine->bound(p, batch, o));
    }
    for (size_t b = 0; b < batch.size(); ++b) {
      const Exact e = exact_ranges(p, batch[b]);
      ASSERT_TRUE(e.feasible) << "subdomain " << b << " holds its reference point";
      ++subdomains;
      for (int m = 0; m < 3; ++m) {
        const auto& sb = res[m][b];
        ASSERT_FALSE(sb.infeasible) << "mode " << m << " subdomain " << b;
        for (int k = 0; k < net->num_hidden(); ++k)
          for (int i = 0; i < net->hidden_width(k); ++i) {
            EXPECT_LE(sb.pre[k].lo[i], e.lo[k][i] + 1e-7) << "mode " << m << " layer " << k << " neuron " << i;
            EXPECT_GE(sb.pre[k].hi[i], e.hi[k][i] - 1e-7) << "mode " << m << " layer " << k << " neuron " << i;
          }
        for (Eigen::Index dj = 0; dj < sb.disjunct_lower.size(); ++dj)
          EXPECT_LE(sb.disjunct_lower[dj], e.disjunct[dj] + 1e-7) << "mode " << m << " disjunct " << dj;
      }
      // Layers after the first (the first is exact already).
      for (int k = 1; k < net->num_hidden(); ++k)
        for (int i = 0; i < net->hidden_width(k); ++i) {
          if (batch[b].phase[k][i] != 0) continue;
          ++neurons;
          const double w[3] = {res[0][b].pre[k].hi[i] - res[0][b].pre[k].lo[i],
                               res[1][b].pre[k].hi[i] - res[1][b].pre[k].lo[i],
                               res[2][b].pre[k].hi[i] - res[2][b].pre[k].lo[i]};
          EXPECT_LE(w[1], w[0] + 1e-9) << "crown is intersected with the inherited bounds";
          EXPECT_LE(w[2], w[0] + 1e-9) << "alpha is intersected with the inherited bounds";
          if (w[1] < w[0] - 1e-6) ++crown_tighter;
          if (w[2] < w[1] - 1e-6) ++alpha_tighter;
          if (w[2] > w[1] + 1e-6) ++alpha_looser;
        }
    }
  }
  std::printf("intermediate bounds on %d subdomains, %d unfixed neurons after the first layer: crown tighter than "
              "inherit on %d; alpha tighter than crown on %d, looser on %d\n",
              subdomains, neurons, crown_tighter, alpha_tighter, alpha_looser);
  EXPECT_GT(crown_tighter, neurons / 10);
  EXPECT_GT(alpha_tighter, 2 * alpha_looser);
}

// Warm starts (BoundOptions::keep_slopes, Subdomain::warm, warm_iters; alpha_crown.cpp): BaB's
// children start alpha-CROWN from their parent's optimised slopes and multipliers. Children
// warm-started from the root's parameters must stay sound (the exact oracle above), and a
// subdomain started from its own kept parameters with no step at all must get back the bounds it
// was optimised to (up to the single-precision rounding of the kept parameters), far tighter than
// CROWN's slopes give with no step: a mix-up of rows or layers would lose that.
TEST(IntermediateBounds, WarmStartsAreSoundAndRestoreTheOptimisedBounds) {
  auto engine = bounds::make_cpu_engine();
  int checked = 0, restored = 0, tighter_than_cold = 0, rows = 0;
  for (uint64_t seed = 101; seed <= 130; ++seed) {
    std::mt19937_64 rng(seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    const spec::Problem p = deep_random_problem(rng);
    const auto& net = p.net;
    bounds::BoundOptions o;
    o.method = bounds::Method::alpha;
    o.intermediate = I::alpha;
    o.alpha_iters = 30;
    o.keep_slopes = true;
    const bounds::Subdomain r = bounds::root_subdomain(p);
    const bounds::SubdomainBounds root = engine->bound(p, {r}, o)[0];
    ASSERT_TRUE(root.slopes);
    ASSERT_EQ(root.slopes->layer.size(), static_cast<size_t>(net->num_hidden() + 1));
    auto known = std::make_shared<const std::vector<bounds::LayerBounds>>(root.pre);
    std::vector<bounds::Subdomain> batch;
    for (int t = 0; t < 5; ++t) {
      bounds::Subdomain s = r;
      s.known = known;
      s.warm = root.slopes;
      s.phase = testing_util::random_phases(rng, *net, p.box, 0.5);
      batch.push_back(std::move(s));
    }
    bounds::BoundOptions warm = o;
    warm.warm_iters = 3;
    const auto res = engine->bound(p, batch, warm);
    // Cold: the same subdomains optimised from CROWN's slopes; then each from its own parameters.
    std::vector<bounds::Subdomain> cold_batch = batch;
    for (auto& s : cold_batch) s.warm = nullptr;
    const auto cold = engine->bound(p, cold_batch, o);
    std::vector<bounds::Subdomain> own = cold_batch;
    for (size_t b = 0; b < own.size(); ++b) own[b].warm = cold[b].slopes;
    bounds::BoundOptions none = o;
    none.alpha_iters = 0;
    none.warm_iters = 0;
    const auto again = engine->bound(p, own, none);
    const auto crown0 = engine->bound(p, cold_batch, none);
    for (size_t b = 0; b < batch.size(); ++b) {
      const Exact e = exact_ranges(p, batch[b]);
      ASSERT_TRUE(e.feasible);
      ++checked;
      for (int k = 0; k < net->num_hidden(); ++k)
        for (int i = 0; i < net->hidden_width(k); ++i) {
          EXPECT_LE(res[b].pre[k].lo[i], e.lo[k][i] + 1e-7) << "layer " << k << " neuron " << i;
          EXPECT_GE(res[b].pre[k].hi[i], e.hi[k][i] - 1e-7) << "layer " << k << " neuron " << i;
          EXPECT_LE(again[b].pre[k].lo[i], e.lo[k][i] + 1e-7) << "layer " << k << " neuron " << i;
          EXPECT_GE(again[b].pre[k].hi[i], e.hi[k][i] - 1e-7) << "layer " << k << " neuron " << i;
        }
      for (Eigen::Index dj = 0; dj < res[b].disjunct_lower.size(); ++dj) {
        EXPECT_LE(res[b].disjunct_lower[dj], e.disjunct[dj] + 1e-7) << "disjunct " << dj;
        EXPECT_LE(again[b].disjunct_lower[dj], e.disjunct[dj] + 1e-7) << "disjunct " << dj;
        const double opt = cold[b].disjunct_lower[dj], back = again[b].disjunct_lower[dj];
        if (!std::isfinite(opt) || !std::isfinite(back)) continue;
        ++rows;
        const double scale = 1e-4 * (1 + std::abs(opt));
        EXPECT_GE(back, opt - scale) << "disjunct " << dj << ": its own parameters give back the optimised bound";
        if (back >= opt - scale) ++restored;
        if (back > crown0[b].disjunct_lower[dj] + scale) ++tighter_than_cold;
      }
    }
  }
  std::printf("warm starts: %d subdomains sound; %d of %d disjunct bounds restored from the kept parameters, %d of "
              "them tighter than CROWN's slopes without a step\n",
              checked, restored, rows, tighter_than_cold);
  EXPECT_EQ(restored, rows);
  EXPECT_GT(tighter_than_cold, rows / 4);
}
