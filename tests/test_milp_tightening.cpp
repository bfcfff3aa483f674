// MILP bound tightening (`--encoding-bounds milp`, solvers/milp/milp_tightening.cpp), against
// brute force: on random networks and boxes, each tightened bound of a neuron the LP left
// unstable is the exact minimum or maximum of its pre-activation over the box (brute force on
// the network cut after the layer before it, exact LPs), up to CBC's tolerance, and never
// inside that range; every sampled point's pre-activations lie inside the bounds, which are never
// looser than the LP ones. Then the milp engine with these bounds meets brute on whole problems.
#include <gtest/gtest.h>

#include "solvers/solve.h"
#include "src/util/errors.h"
#include "tests/random_problems.h"

namespace {

using encodings::BoundSource;

// The exact minimum of sense * z_k[i] over the box (brute force on the cut network).
double exact_min(const spec::Problem& p, int k, int i, double sense) {
  auto cut = std::make_shared<net::LayeredNetwork>();
  cut->layers.assign(p.net->layers.begin(), p.net->layers.begin() + k);
  cut->layers.push_back({sense * p.net->layers[k].W.row(i), net::Vector::Constant(1, sense * p.net->layers[k].b[i])});
  spec::Problem q;
  q.net = cut;
  q.box = p.box;
  spec::Conjunction c;
  c.rows.push_back({spec::Vector::Ones(1), 0.0});
  q.property.disjuncts.push_back(c);
  const spec::Result r = solvers::solve_brute(q, solvers::BruteOptions{});
  EXPECT_NEAR(r.margin_lower, r.margin_upper, 1e-12) << "brute gives the exact minimum (rounded down)";
  return r.margin_lower;
}

// A robustness problem on a random network with 2-4 inputs, 2-3 hidden layers of width 3-6 and
// 2-`max_out` outputs, around a random point with radius in [eps_lo, eps_hi].
spec::Problem random_problem(std::mt19937_64& rng, int max_out, double eps_lo, double eps_hi) {
  auto net = testing_util::random_network(rng, testing_util::random_widths(rng, 2, 4, 2, 3, 3, 6, 2, max_out));
  return testing_util::random_robustness_problem(rng, net, std::uniform_real_distribution<double>(eps_lo, eps_hi)(rng));
}

TEST(MilpTightening, EachBoundIsTheExactRangeByBruteForce) {
  int exact = 0, narrower = 0, neurons = 0;
  for (uint64_t seed = 0; seed < 24; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed + 500);
    const spec::Problem p = random_problem(rng, 3, 0.1, 1.0);
    encodings::EncodeOptions o;
    o.bounds = BoundSource::lp;
    const auto lp = encodings::encoding_bounds(p, o);
    o.bounds = BoundSource::milp;
    o.milp_neuron_time_s = 10;  // small models: every MILP finishes
    o.milp_rechecks = seed % 2;  // the CLI's --milp-rechecks: 0 trusts CBC, 1 re-solves each optimum
    solvers::BoundTighteningStats stats;
    const auto milp = solvers::encoding_bounds(p, o, std::numeric_limits<double>::infinity(), &stats);
    EXPECT_FALSE(stats.stopped_by_time);
    ASSERT_EQ(milp.size(), lp.size());
    for (size_t k = 0; k < milp.size(); ++k)
      for (Eigen::Index i = 0; i < milp[k].lo.size(); ++i) {
        ++neurons;
        ASSERT_GE(milp[k].lo[i], lp[k].lo[i]) << "layer " << k << " neuron " << i;
        ASSERT_LE(milp[k].hi[i], lp[k].hi[i]) << "layer " << k << " neuron " << i;
        narrower += milp[k].hi[i] - milp[k].lo[i] < lp[k].hi[i] - lp[k].lo[i] - 1e-9;
        const bool tightened = k >= 1 && k + 1 < milp.size() && lp[k].lo[i] < 0 && lp[k].hi[i] > 0;
        if (!tightened) continue;
        // The minimum is always computed; the maximum unless the minimum showed the neuron active.
        const double lo = exact_min(p, static_cast<int>(k), static_cast<int>(i), 1.0);
        EXPECT_LE(milp[k].lo[i], lo) << "layer " << k << " neuron " << i;
        EXPECT_GE(milp[k].lo[i], lo - 1e-5 * std::max(1.0, std::abs(lo))) << "layer " << k << " neuron " << i;
        if (milp[k].lo[i] < 0) {
          const double hi = -exact_min(p, static_cast<int>(k), static_cast<int>(i), -1.0);
          EXPECT_GE(milp[k].hi[i], hi) << "layer " << k << " neuron " << i;
          EXPECT_LE(milp[k].hi[i], hi + 1e-5 * std::max(1.0, std::abs(hi))) << "layer " << k << " neuron " << i;
        }
        ++exact;
      }
    for (int t = 0; t < 1000; ++t) {
      const auto z = p.net->pre_activations(testing_util::sample_box(rng, p.box));
      for (size_t k = 0; k < z.size(); ++k)
        for (Eigen::Index i = 0; i < z[k].size(); ++i) {
          ASSERT_LE(milp[k].lo[i], z[k][i]) << "layer " << k << " neuron " << i << " sample " << t;
          ASSERT_GE(milp[k].hi[i], z[k][i]) << "layer " << k << " neuron " << i << " sample " << t;
        }
    }
  }
  std::printf("milp tightening: %d of %d neuron intervals checked against brute force, %d narrower than lp\n", exact,
              neurons, narrower);
  EXPECT_GT(exact, 20);
  EXPECT_GT(narrower, 0);  // the MILPs must do something on networks with 2-3 hidden layers
}

// Whole problems: the milp engine's worst margin with MILP-tightened big-M constants equals
// brute force's, and so does its decision.
TEST(MilpTightening, MilpEngineWithTheseBoundsMeetsBruteForce) {
  int compared = 0;
  for (uint64_t seed = 0; seed < 16; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed + 900);
    const spec::Problem p = random_problem(rng, 4, 0.05, 0.8);
    const spec::Result brute = solvers::solve_brute(p, solvers::BruteOptions{});
    solvers::MilpOptions mo;
    mo.encode.bounds = BoundSource::milp;
    mo.timeout_s = 60;
    const spec::Result opt = solvers::solve_milp(p, mo);
    ASSERT_NE(opt.verdict, spec::Verdict::timeout) << opt.note;
    const double tol = 1e-6 * std::max(1.0, std::abs(brute.margin_lower));
    EXPECT_NEAR(opt.margin_lower, brute.margin_lower, tol);
    EXPECT_NEAR(opt.margin_upper, brute.margin_upper, tol);
    mo.encode.goal = encodings::Goal::decide;
    mo.encode.property_mode = seed % 2 ? encodings::PropertyMode::per_class : encodings::PropertyMode::disjunction;
    const spec::Result dec = solvers::solve_milp(p, mo);
    if (std::abs(brute.margin_lower) > 1e-6) EXPECT_EQ(dec.verdict, brute.verdict) << dec.note;
    ++compared;
  }
  EXPECT_EQ(compared, 16);
}

TEST(MilpTightening, RefusesPruningBudgetsAndNeedsCbc) {
  std::mt19937_64 rng(7);
  auto net = testing_util::random_network(rng, {3, 4, 4, 2});
  spec::Problem p = testing_util::random_robustness_problem(rng, net, 0.1);
  encodings::EncodeOptions o;
  o.bounds = BoundSource::milp;
  EXPECT_THROW(encodings::encoding_bounds(p, o), util::InputError);  // CBC's bounds: solvers:: only
  p.budget = spec::PruningBudget{{1, 1}};
  EXPECT_THROW(solvers::encoding_bounds(p, o), util::InputError);
}

}  // namespace
