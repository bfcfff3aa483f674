// MILP bound tightening (`--encoding-bounds milp`): MIPVerify's progressive tightening (Tjeng
// et al. 2019, Sec. 4.3). Starting from the LP-tightened bounds, for each hidden layer k >= 1 in
// order and each neuron i of it still unstable, minimise and maximise its pre-activation
//     z = W_k[i] h_{k-1} + b_k[i]
// over the exact big-M model of layers 0..k-1 (the network cut after layer k-1, with that one
// row as its only output, encoded as the milp engine encodes whole problems). Layer k's new
// bounds make the big-M constants of layer k + 1's models tighter, so the deep layers gain most:
// there the triangle relaxation of every earlier layer adds up.
//
// A MILP stopped by its time limit still gives CBC's best bound, so every MILP tightens. These
// bounds trust CBC more than the milp engine's verdicts do: a claimed optimum is re-checked as
// the engine re-checks its own (cbc_solve_checked), but the bound of a stopped search is not
// (the engine itself concludes nothing from one); every bound is widened by kWiden relative.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "solvers/internal.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace solvers {

namespace {

constexpr double kWiden = 1e-6;

// The network cut after layer k - 1, with row i of layer k as its only output.
spec::Problem neuron_problem(const spec::Problem& p, int k, int i, double sense) {
  auto cut = std::make_shared<net::LayeredNetwork>();
  cut->layers.assign(p.net->layers.begin(), p.net->layers.begin() + k);
  const auto& L = p.net->layers[k];
  cut->layers.push_back({sense * L.W.row(i), net::Vector::Constant(1, sense * L.b[i])});
  spec::Problem q;
  q.net = cut;
  q.box = p.box;
  spec::Conjunction c;
  c.rows.push_back({spec::Vector::Ones(1), 0.0});  // margin = the output itself
  q.property.disjuncts.push_back(c);
  q.name = "bound_" + std::to_string(k) + "_" + std::to_string(i);
  return q;
}

}  // namespace

std::vector<bounds::LayerBounds> encoding_bounds(const spec::Problem& problem, const encodings::EncodeOptions& given,
                                                 double time_limit_s, BoundTighteningStats* stats) {
  BoundTighteningStats own;
  if (!stats) stats = &own;
  using encodings::BoundSource;
  encodings::EncodeOptions options = given;
  options.lp_time_limit_s = std::min(options.lp_time_limit_s, time_limit_s);
  options.milp_time_limit_s = std::min(options.milp_time_limit_s, time_limit_s);
  if (options.bounds != BoundSource::milp) return encodings::encoding_bounds(problem, options);
  if (problem.budget)
    throw util::InputError("--encoding-bounds", "", "milp tightening does not handle pruning budgets yet: use crown or alpha");
  const auto start = std::chrono::steady_clock::now();
  encodings::EncodeOptions lp = options;
  lp.bounds = BoundSource::lp;
  lp.lp_time_limit_s = std::min(options.lp_time_limit_s, options.milp_time_limit_s);
  std::vector<bounds::LayerBounds> pre = encodings::encoding_bounds(problem, lp);

  encodings::EncodeOptions eo;
  eo.encoding = encodings::Encoding::bigm;
  eo.bounds = BoundSource::lp;  // recorded in the models' comments only
  eo.goal = encodings::Goal::optimize;
  auto finish = [&] {
    stats->time_s = seconds_since(start);
    util::log(util::LogLevel::verbose, "milp tightening: %lld MILPs, %lld bounds tightened, %.2f s%s\n", stats->milps,
              stats->tightened, stats->time_s, stats->stopped_by_time ? " (stopped by the time limit)" : "");
    return pre;
  };
  MilpOptions cbc;  // the milp engine's CBC settings (one thread, isolated), the caller's re-checks
  cbc.rechecks = options.milp_rechecks;
  const net::LayeredNetwork& net = *problem.net;
  for (int k = 1; k < net.num_hidden(); ++k) {
    for (int i = 0; i < net.hidden_width(k); ++i) {
      for (const double sense : {1.0, -1.0}) {  // min z, then min -z (= -max z)
        if (pre[k].lo[i] >= 0 || pre[k].hi[i] <= 0) break;  // stable: nothing to gain
        const double left = options.milp_time_limit_s - seconds_since(start);
        if (left <= 0) {
          stats->stopped_by_time = true;
          return finish();
        }
        const spec::Problem q = neuron_problem(problem, k, i, sense);
        std::vector<bounds::LayerBounds> cut(pre.begin(), pre.begin() + k);
        const double lo = sense > 0 ? pre[k].lo[i] : -pre[k].hi[i], hi = sense > 0 ? pre[k].hi[i] : -pre[k].lo[i];
        cut.push_back({spec::Vector::Constant(1, lo), spec::Vector::Constant(1, hi)});
        const encodings::Model m = encodings::encode(q, eo, cut);
        const BackendAnswer a = cbc_solve_checked(m, std::min(options.milp_neuron_time_s, left), cbc);
        ++stats->milps;
        // Nothing proved; or "infeasible", which a non-empty box rules out: CBC erred, keep the LP bound.
        if (a.status == BackendAnswer::Status::infeasible || !std::isfinite(a.objective_lower)) continue;
        double b = a.objective_lower;
        b -= kWiden * std::max(1.0, std::abs(b));
        if (sense > 0) pre[k].lo[i] = std::max(pre[k].lo[i], b);
        else pre[k].hi[i] = std::min(pre[k].hi[i], -b);
        if (b > lo) ++stats->tightened;
      }
      if (pre[k].lo[i] > pre[k].hi[i])
        throw util::InternalError("milp tightening: empty interval at layer " + std::to_string(k));
    }
  }
  return finish();
}

}  // namespace solvers
