// Branch and bound over the first hidden layer's pre-activations (Branching::first_layer): the
// network is g(z) = f's layers 2..K applied to relu(z), z = W1 x + b1 ranges over
// P = {W1 x + b1 : x in the input box X}. With few first-layer neurons (Marabou's mnist10x10: 10,
// against 784 inputs) the m-dimensional z-space can be split where the 784-dimensional input
// cannot. Each subdomain is a box Z of z; its margin is bounded from below by
//   - the BoundEngine on the lifted problem (input box Z, first layer the identity): CROWN or
//     alpha-CROWN, every intermediate layer concretised over Z, so that a smaller Z tightens all
//     the layers after it (the point of splitting), and
//   - the Lagrangian dual of the realisability constraint z in P: for the linear lower bound
//     A z + c of a property row (CROWN on g over Z) and any mu in R^m,
//       min_{x in X} (A + mu) (W1 x + b1) + c - sum_j max(mu_j hi_j, mu_j lo_j)
//     is below A z + c for every x in X with z = W1 x + b1 in Z (weak duality). mu = 0 is the
//     concretisation over X, mu = -A the one over Z. Projected supergradient steps, warm-started
//     from the parent's mu, move towards the LP over {x in X, W1 x + b1 in Z}; rows they leave
//     unproven get that LP exactly (a bounded-variable dual simplex on the m rows, its multipliers
//     fed back into the same dual formula, so the bound stays sound whatever the simplex does).
//     The regions of Z that no input reaches are what a box of z alone cannot exclude: without
//     this term the search stalls on them.
// Each box is bounded a second time as the part {x in X : W1 x + b1 in Z} of f's own input box
// (CROWN over X, every layer intersected with the lifted pass's bounds): the better bound of
// every neuron, layer after layer, goes into the dual.
// Branching: the z dimension whose box costs the worst row most (an unstable neuron's relaxation
// gap, split at 0; otherwise coefficient times width, split in the middle). When the whole first
// layer is stable on the ball, z splits fix no phase: the search then also splits the phases of
// deeper ReLUs (BaBSR's intercept score), bounds every subdomain with alpha-CROWN, and keeps, per
// node, whichever of the two splits leaves the smaller gap in its children (strong branching).
// The subdomains of a batch are bounded by the engine (its own threads), then refined (the dual,
// the LPs, the split choice) in parallel over the usable cores.
// Counterexamples are input points: the LP's optimum or the dual's minimiser (points of X), a
// point of X reaching the bound's minimiser in Z (alternating projections), replayed exactly on
// f, and PGD on f from them. Sound for unsat: every x in X has its z in some leaf Z, and its
// deeper pre-activations on the side of 0 of that leaf's fixed phases.
// Tests: BabSolve.AgreesWithTheExactOracleUnderFirstLayerSplitting and
// BabSolve.FirstLayerSplittingWithAStableFirstLayerSplitsDeeperReLUsAndAgreesWithTheOracle
// (tests/test_bab.cpp).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <queue>

#include "solvers/bab/internal.h"
#include "src/util/cores.h"
#include "src/util/errors.h"

namespace bab::detail {

namespace {

using bounds::Matrix;
using bounds::Vector;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kDualSteps = 30;      // supergradient steps of the realisability dual per row
constexpr double kDualDecay = 0.8;  // their step length shrinks by this factor
constexpr int kReachSteps = 20;  // alternating projections of reach()
constexpr int kLpIterations = 200;  // dual simplex pivots per realisability LP
constexpr double kLpShare = 0.3;    // of the search's time (per thread), at most, in those LPs
constexpr int kMinRefinePerThread = 8;  // subdomains per thread of bound_all's refine()

struct ZNode {
  Vector lo, hi;     // the box Z of first-layer pre-activations
  double lower = 0;  // certified lower bound of the margin on {x in X : W1 x + b1 in Z, phases}
  int split = -1;    // dimension of z to split, chosen when bounded
  double at = 0;     // where
  int deep = -1, deep_layer = 0;  // and/or a deeper neuron whose phase to split (relu_splits_)
  uint64_t id = 0;
  std::shared_ptr<const std::vector<Vector>> mu;  // the dual multipliers of each row, for warm starts
  std::shared_ptr<const bounds::Phases> phase;     // fixed phases of layers 2.. (null: none)
};
struct LaterNode {
  bool operator()(const ZNode& a, const ZNode& b) const { return a.lower != b.lower ? a.lower > b.lower : a.id > b.id; }
};

// A bounded subdomain: its lower bound, the split it asks for and an input point to replay.
struct Bounded {
  double lower = -kInf;
  bool infeasible = false;
  int split = -1;     // z dimension to split
  double at = 0;
  int deep = -1, deep_layer = 0;  // or a deeper neuron (relu_splits_)
  Vector candidate;  // a point of X (the dual's minimiser for the worst row)
  Vector reached;    // a point of X whose z is near the lifted bound's minimiser in Z (reach())
  Vector x_candidate;  // the minimiser in X of the bound over X (two-pass bounding)
  std::shared_ptr<const std::vector<Vector>> mu;
};

class FirstLayerSearch {
 public:
  FirstLayerSearch(const spec::Problem& problem, const BabOptions& options) : problem_(problem), options_(options) {
    const net::LayeredNetwork& f = *problem.net;
    if (f.num_hidden() < 1) throw util::InputError("--branching", "", "first-layer needs a network with a hidden layer");
    if (problem.budget) throw util::InputError("--branching", "", "first-layer does not decide pruning queries");
    W1_ = f.layers[0].W;
    b1_ = f.layers[0].b;
    m_ = static_cast<int>(W1_.rows());
    // The lifted network: the identity as its first layer, then f's layers 2..K+1.
    auto g = std::make_shared<net::LayeredNetwork>(f);
    g->layers[0].W = Matrix::Identity(m_, m_);
    g->layers[0].b = Vector::Zero(m_);
    lifted_.net = g;
    lifted_.property = problem.property;
    lifted_.name = problem.name;
    // The exact interval image of X, widened by the engine's rule.
    const Matrix Wp = W1_.cwiseMax(0.0), Wn = W1_.cwiseMin(0.0);
    zlo_ = Wp * problem.box.lo + Wn * problem.box.hi + b1_;
    zhi_ = Wp * problem.box.hi + Wn * problem.box.lo + b1_;
    const Vector mag = W1_.cwiseAbs() * problem.box.lo.cwiseAbs().cwiseMax(problem.box.hi.cwiseAbs()) + b1_.cwiseAbs();
    zlo_.array() -= options.bound.widen_rel * mag.array() + options.bound.widen_abs;
    zhi_.array() += options.bound.widen_rel * mag.array() + options.bound.widen_abs;
    lifted_.box = spec::Box{zlo_, zhi_};
    pinv_ = W1_.completeOrthogonalDecomposition().pseudoInverse();
    zabs_ = mag;  // |W1 x + b1| <= this on X
    // Property rows c.y - d, with the disjunct of each, merged with the output layer: the start
    // of every subdomain's back-substitution (refine()).
    std::vector<const spec::Row*> rows;
    for (size_t dj = 0; dj < problem.property.disjuncts.size(); ++dj)
      for (const spec::Row& row : problem.property.disjuncts[dj].rows) {
        rows.push_back(&row);
        disjunct_of_.push_back(static_cast<int>(dj));
      }
    const int R = static_cast<int>(rows.size()), K = f.num_hidden();
    Matrix Cy(R, f.output_dim());
    row_offset_.resize(R);
    for (int q = 0; q < R; ++q) {
      Cy.row(q) = rows[q]->c.transpose();
      row_offset_[q] = -rows[q]->d;
    }
    row_coef_ = Cy * f.layers[K].W;
    row_offset_ += Cy * f.layers[K].b;
    engine_ = options.engine;
    if (!engine_) {
      own_engine_ = bounds::make_cpu_engine();
      engine_ = own_engine_.get();
    }
    loop_ = options.bound;
    threads_ = util::usable_cores();
    // CROWN re-run for every intermediate layer: the lifted pass has no known bounds, and the pass
    // over X must tighten the lifted pass's bounds it is given, not merely inherit them.
    loop_.intermediate = bounds::BoundOptions::Intermediate::crown;
    no_phases_.resize(K);
    for (int j = 0; j < K; ++j) no_phases_[j].assign(f.hidden_width(j), 0);
    // Every first-layer phase fixed on the whole ball: splitting z cannot fix a phase, so the
    // search splits deeper ReLUs instead, every subdomain bounded by alpha-CROWN (CROWN alone
    // stalls on them: mnist10x10, mnist5k_4925 at eps 0.0089, README of benchmarks/bab).
    relu_splits_ = true;
    for (int j = 0; j < m_; ++j) relu_splits_ &= !(zlo_[j] < 0 && zhi_[j] > 0);
    relu_splits_ &= K > 1;
    if (relu_splits_) {
      loop_.method = bounds::Method::alpha;
      loop_.intermediate = bounds::BoundOptions::Intermediate::alpha;
    }
  }

  spec::Result run() {
    t0_ = Clock::now();
    result_.engine = "bab/first-layer";
    if (problem_.net->input_dim() != problem_.box.dim())
      throw util::InternalError("bab: the box does not match the network's input");
    if (!root()) loop();
    result_.stats.time_s = elapsed();
    result_.stats.lp_calls += lp_calls_.load();
    return result_;
  }

 private:
  double elapsed() const { return seconds(t0_, Clock::now()); }
  double time_left() const { return options_.timeout_s - elapsed(); }
  double global_lower() const { return std::min({queue_min(), proven_min_, stuck_min_, in_flight_}); }
  double queue_min() const {
    double v = heap_.empty() ? kInf : heap_.top().lower;
    for (const ZNode& n : stack_) v = std::min(v, n.lower);
    return v;
  }

  bool root() {
    std::vector<bounds::Subdomain> subs{bounds::root_subdomain(lifted_)};
    bounds::BoundOptions crown = loop_;
    crown.method = bounds::Method::crown;
    Bounded best = bound_all(subs, crown)[0];
    result_.stats.nodes += 1;
    in_flight_ = best.lower;
    if (best.infeasible || best.lower > 0) return finish(spec::Verdict::unsat, best.lower);
    if (replay(best.candidate) || replay(best.reached) || replay(best.x_candidate)) return finish(spec::Verdict::sat);
    std::vector<Vector> starts{best.candidate};
    if (best.reached.size()) starts.push_back(best.reached);
    if (options_.root_alpha && time_left() > 0) {
      bounds::BoundOptions alpha = loop_;
      alpha.method = bounds::Method::alpha;
      const Bounded a = bound_all(subs, alpha)[0];
      if (a.infeasible || a.lower > 0) return finish(spec::Verdict::unsat, a.lower);
      if (replay(a.candidate) || replay(a.reached) || replay(a.x_candidate)) return finish(spec::Verdict::sat);
      starts.push_back(a.candidate);
      if (a.reached.size()) starts.push_back(a.reached);
      if (a.lower > best.lower) best = a;
      in_flight_ = best.lower;
    }
    attack::AttackOptions ao = options_.attack;
    ao.seed = options_.attack.seed + options_.seed;
    if (attack_from(starts, ao)) return finish(spec::Verdict::sat);
    if (time_left() <= 0) return finish(spec::Verdict::timeout);
    if (best.split < 0 && best.deep < 0) {
      stuck_min_ = best.lower;
      ++stuck_;
      return finish(spec::Verdict::unknown);
    }
    push(node(zlo_, zhi_, best.lower, best, nullptr));
    in_flight_ = kInf;
    return false;
  }

  void loop() {
    int64_t step = 0;
    while (!heap_.empty() || !stack_.empty()) {
      if (time_left() <= 0) {
        finish(spec::Verdict::timeout);
        return;
      }
      const auto tb = Clock::now();
      depth_first_ = bytes() > options_.max_memory_bytes || (depth_first_ && !stack_.empty());
      used_depth_first_ |= depth_first_;
      std::vector<ZNode> parents;
      in_flight_ = kInf;
      while ((!heap_.empty() || !stack_.empty()) && static_cast<int>(parents.size()) < std::max(1, options_.batch)) {
        parents.push_back(pop());
        in_flight_ = std::min(in_flight_, parents.back().lower);
      }
      // Children of each parent: by its box's split and, where it has one, by a deeper neuron's
      // phase; with both, the pair leaving the smaller gap summed over its two children is kept
      // (strong branching between the two: on mnist10x10 the box alone stalls on mnist5k_4925,
      // phases alone on 3772, and keeping the pair with the better worse child failed too).
      std::vector<bounds::Subdomain> children;
      std::vector<std::shared_ptr<const bounds::Phases>> child_phase;
      std::vector<size_t> child_parent;
      std::vector<bool> child_by_phase;
      std::vector<std::shared_ptr<const std::vector<Vector>>> warm;
      for (size_t pi = 0; pi < parents.size(); ++pi) {
        const ZNode& p = parents[pi];
        for (int option = 0; option < 2; ++option) {
          if (option == 0 ? p.split < 0 : p.deep < 0) continue;
          for (int side = 0; side < 2; ++side) {
            bounds::Subdomain s;
            s.box = spec::Box{p.lo, p.hi};
            std::shared_ptr<const bounds::Phases> ph = p.phase;
            if (option == 0) {
              (side == 0 ? s.box.hi : s.box.lo)[p.split] = p.at;
            } else {  // a deeper neuron's phase: inactive (pre-activation <= 0), active (>= 0)
              auto fixed = std::make_shared<bounds::Phases>(ph ? *ph : no_phases_);
              (*fixed)[p.deep_layer][p.deep] = side == 0 ? -1 : 1;
              ph = std::move(fixed);
            }
            if (ph) s.phase = *ph;
            children.push_back(std::move(s));
            child_phase.push_back(std::move(ph));
            child_parent.push_back(pi);
            child_by_phase.push_back(option == 1);
            warm.push_back(p.mu);
          }
        }
      }
      result_.stats.branch_time_s += seconds(tb, Clock::now());
      const std::vector<Bounded> bs = bound_all(children, loop_, warm);
      result_.stats.nodes += static_cast<int64_t>(children.size());
      // Children come in pairs; a parent with two options has two pairs: keep the better.
      std::vector<bool> keep(children.size(), true);
      auto pair_value = [&](size_t c) {
        double v = 0;  // the gap left to prove, summed over the pair (proven children: none)
        for (size_t k = c; k < c + 2; ++k)
          if (!bs[k].infeasible) v += std::min(bs[k].lower, 0.0);
        return v;
      };
      for (size_t c = 0; c + 3 < children.size(); c += 2)
        if (child_parent[c] == child_parent[c + 2]) {
          const bool second = pair_value(c + 2) > pair_value(c);
          keep[second ? c : c + 2] = keep[second ? c + 1 : c + 3] = false;
          c += 2;
        }
      for (size_t c = 0; c < children.size(); c += 2) result_.stats.relu_splits += keep[c] && child_by_phase[c];
      std::vector<std::pair<double, Vector>> open_candidates;
      for (size_t c = 0; c < children.size(); ++c) {
        const Bounded& b = bs[c];
        if (b.infeasible) continue;
        if (!keep[c]) {  // not a leaf of the tree, but its points are points of X all the same
          if (b.lower <= 0 && (replay(b.candidate) || replay(b.reached) || replay(b.x_candidate))) {
            finish(spec::Verdict::sat);
            return;
          }
          continue;
        }
        if (b.lower > 0) {
          proven_min_ = std::min(proven_min_, b.lower);
          continue;
        }
        if (replay(b.candidate) || replay(b.reached) || replay(b.x_candidate)) {
          finish(spec::Verdict::sat);
          return;
        }
        const double lower = std::max(b.lower, parents[child_parent[c]].lower);
        if (b.split < 0 && b.deep < 0) {
          ++stuck_;
          stuck_min_ = std::min(stuck_min_, lower);
          continue;
        }
        push(node(children[c].box.lo, children[c].box.hi, lower, b, child_phase[c]));
        open_candidates.push_back({lower, b.reached.size() ? b.reached : b.candidate});
      }
      in_flight_ = kInf;
      result_.stats.max_queue = std::max<int64_t>(result_.stats.max_queue, static_cast<int64_t>(heap_.size() + stack_.size()));
      if (options_.attack_every > 0 && ++step % options_.attack_every == 0 && !open_candidates.empty()) {
        const size_t take = std::min(open_candidates.size(), static_cast<size_t>(std::max(1, options_.attack_starts)));
        std::partial_sort(open_candidates.begin(), open_candidates.begin() + take, open_candidates.end(),
                          [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<Vector> starts;
        for (size_t t = 0; t < take; ++t) starts.push_back(open_candidates[t].second);
        attack::AttackOptions ao = options_.attack;
        ao.restarts = 0;
        ao.steps = options_.attack_steps;
        ao.seed = options_.seed + (++attack_round_);
        if (attack_from(starts, ao)) {
          finish(spec::Verdict::sat);
          return;
        }
      }
    }
    finish(stuck_ > 0 ? spec::Verdict::unknown : spec::Verdict::unsat, proven_min_);
  }

  // Each subdomain Z (with its fixed phases) is bounded twice by the engine: as the lifted
  // problem over the box Z, then as the part {x in X : W1 x + b1 in Z, phases} of f's input box,
  // every layer intersected with the first pass's bounds (known). The second pass concretises
  // each layer over X instead of over Z, which contains the image of X loosely, and the
  // intersection keeps the better of the two for every neuron, layer after layer (on mnist10x10
  // it halves the nodes of mnist5k_3892 and 3772). Then the realisability dual raises the rows.
  std::vector<Bounded> bound_all(const std::vector<bounds::Subdomain>& subs, const bounds::BoundOptions& o,
                                 const std::vector<std::shared_ptr<const std::vector<Vector>>>& warm = {}) {
    std::vector<bounds::SubdomainBounds> bs = engine_->bound(lifted_, subs, o, &result_.stats);
    std::vector<bounds::Subdomain> on_x(subs.size());
    for (size_t i = 0; i < subs.size(); ++i) {
      on_x[i].box = problem_.box;
      on_x[i].phase = subs[i].phase;
      on_x[i].known = std::make_shared<const std::vector<bounds::LayerBounds>>(bs[i].pre);
    }
    const std::vector<bounds::SubdomainBounds> bx = engine_->bound(problem_, on_x, o, &result_.stats);
    const auto t = Clock::now();
    std::vector<Bounded> out(subs.size());
    // The subdomains are refined independently (each writes only its own bs[i] and out[i]), in
    // contiguous pieces over the usable cores.
    auto refine_one = [&](size_t i) {
      bounds::SubdomainBounds& b = bs[i];
      if (b.infeasible || bx[i].infeasible) {
        b.infeasible = true;
      } else {
        for (size_t k = 0; k < b.pre.size(); ++k) {  // the engine intersects already; kept explicit
          b.pre[k].lo = b.pre[k].lo.cwiseMax(bx[i].pre[k].lo);
          b.pre[k].hi = b.pre[k].hi.cwiseMin(bx[i].pre[k].hi);
        }
        b.disjunct_lower = b.disjunct_lower.cwiseMax(bx[i].disjunct_lower);
        b.margin_lower = std::max(b.margin_lower, bx[i].margin_lower);
      }
      out[i] = refine(subs[i].box, b, i < warm.size() ? warm[i] : nullptr);
      out[i].x_candidate = bx[i].candidate;
    };
    util::parallel_pieces(static_cast<int>(subs.size()), threads_, kMinRefinePerThread, [&](int i0, int i1) {
      for (int i = i0; i < i1; ++i) refine_one(static_cast<size_t>(i));
    });
    result_.stats.bound_time_s += seconds(t, Clock::now());
    return out;
  }

  // Const but for the LP counters: bound_all runs it on several subdomains at once.
  Bounded refine(const spec::Box& Z, const bounds::SubdomainBounds& sb,
                 const std::shared_ptr<const std::vector<Vector>>& parent_mu) const {
    Bounded r;
    if (sb.infeasible) {
      r.infeasible = true;
      r.lower = kInf;
      return r;
    }
    const net::LayeredNetwork& g = *lifted_.net;
    const int K = g.num_hidden(), R = static_cast<int>(disjunct_of_.size());
    const int D = static_cast<int>(problem_.property.disjuncts.size());
    // CROWN's back-substitution of the property rows down to z (the relaxation of every hidden
    // layer from the engine's pre-activation bounds).
    Matrix A = row_coef_;
    Vector cst = row_offset_;
    Vector scale = cst.cwiseAbs();
    std::vector<Matrix> Apre(K);  // coefficients on each hidden layer's output before its relaxation (for branching)
    for (int j = K - 1; j >= 0; --j) {
      Apre[j] = A;
      const Vector& l = sb.pre[j].lo;
      const Vector& u = sb.pre[j].hi;
      for (Eigen::Index i = 0; i < A.cols(); ++i) {
        double lower_slope = 0, upper_slope = 0, upper_bias = 0;
        if (u[i] <= 0) {
        } else if (l[i] >= 0) {
          lower_slope = upper_slope = 1;
        } else {  // the engine's lines, with its guard for an overflowing u - l (a review)
          const bounds::ReluLines lines = bounds::unstable_relu_lines(l[i], u[i]);
          upper_slope = lines.upper_slope;
          upper_bias = lines.upper_bias;
          lower_slope = lines.lower_slope;
        }
        for (int q = 0; q < R; ++q) {
          const double a = A(q, i);
          if (a >= 0) {
            A(q, i) = a * lower_slope;
          } else {
            A(q, i) = a * upper_slope;
            cst[q] += a * upper_bias;
          }
        }
      }
      if (j > 0) {
        cst += A * g.layers[j].b;
        scale += (A.cwiseAbs() * g.layers[j].b.cwiseAbs());
        A = A * g.layers[j].W;
      }
    }
    // Per row: the engine's bound of the row's disjunct, and the dual.
    std::vector<double> row_lower(R, -kInf);
    std::vector<Vector> row_point(R), mus(R);
    const Vector zmag = Z.lo.cwiseAbs().cwiseMax(Z.hi.cwiseAbs());
    // Rounding of the back-substitution (the dual's own is in dual_value): widened as the engine does.
    std::vector<double> slacks(R);
    for (int q = 0; q < R; ++q) {
      slacks[q] = options_.bound.widen_rel * (scale[q] + A.row(q).cwiseAbs().dot(zmag) + std::abs(cst[q])) +
                  options_.bound.widen_abs;
      const Vector* warm = parent_mu && static_cast<int>(parent_mu->size()) == R ? &(*parent_mu)[q] : nullptr;
      row_lower[q] = dual_ascent(A.row(q).transpose(), cst[q], Z, warm, &row_point[q], &mus[q]) - slacks[q];
    }
    // Rows the dual ascent left unproven: their LP, disjunct by disjunct, until one disjunct stays
    // unproven (the subdomain stays open then, and further LPs would not close it). The LPs get
    // at most kLpShare of the search's time: on mnist10x10 (mnist5k_602, eps 0.0112) they
    // doubled the time to a proof that the warm-started dual finds alone, while small networks'
    // queries near margin 0 need them to finish at all.
    if (lp_time_.load() <= kLpShare * threads_ * elapsed()) {
      const auto t_lp = Clock::now();
      for (int dj = 0; dj < D; ++dj) {
        bool proven = sb.disjunct_lower[dj] > 0;
        for (int q = 0; q < R && !proven; ++q)
          proven = disjunct_of_[q] == dj && row_lower[q] > 0;
        for (int q = 0; q < R && !proven; ++q) {
          if (disjunct_of_[q] != dj) continue;
          Vector mu, x;
          const double v = realisability_lp(A.row(q).transpose(), cst[q], Z, &mu, &x) - slacks[q];
          ++lp_calls_;
          if (v > row_lower[q]) {
            row_lower[q] = v;
            mus[q] = mu;
          }
          if (x.size()) row_point[q] = x;
          proven = row_lower[q] > 0;
        }
        if (!proven) break;
      }
      lp_time_.fetch_add(seconds(t_lp, Clock::now()));
    }
    r.mu = std::make_shared<const std::vector<Vector>>(std::move(mus));
    // Disjunct bounds: the better of the engine's and the rows' (max over a disjunct's rows).
    Vector dl = sb.disjunct_lower;
    std::vector<int> best_row(D, -1);
    std::vector<double> best_row_lower(D, -kInf);
    for (int q = 0; q < R; ++q) {
      const int dj = disjunct_of_[q];
      if (row_lower[q] > best_row_lower[dj]) {
        best_row_lower[dj] = row_lower[q];
        best_row[dj] = q;
      }
    }
    int worst = -1;
    for (int dj = 0; dj < D; ++dj) {
      dl[dj] = std::max(dl[dj], best_row_lower[dj]);
      if (std::isnan(dl[dj])) dl[dj] = -kInf;  // an overflow (inf - inf) proves nothing
      if (worst < 0 || dl[dj] < dl[worst]) worst = dj;
    }
    r.lower = worst < 0 ? kInf : dl[worst];
    if (worst < 0 || r.lower > 0) return r;
    const int q = best_row[worst];
    r.candidate = q >= 0 ? row_point[q] : problem_.box.center();
    if (sb.candidate.size() == m_) r.reached = reach(sb.candidate);
    // Split the dimension of z whose box costs the worst row most: an unstable neuron (lo < 0 <
    // hi) by its relaxation's gap |coef| hi (-lo) / (hi - lo) (BaBSR's intercept score), split at
    // 0 so that its phase becomes fixed; any other by |A_qj| (hi_j - lo_j), split in the middle.
    double best = 0;
    for (int j = 0; j < m_; ++j) {
      const double w = Z.hi[j] - Z.lo[j];
      if (!(w > 1e-12 * (1 + std::abs(Z.lo[j]) + std::abs(Z.hi[j])))) continue;
      double score = 1e-12 * w;
      if (q >= 0) {
        score += std::abs(A(q, j)) * w;
        if (Z.lo[j] < 0 && Z.hi[j] > 0) score += std::abs(Apre[0](q, j)) * Z.hi[j] * (-Z.lo[j]) / w;
      }
      if (score > best) {
        best = score;
        r.split = j;
      }
    }
    if (r.split >= 0) {
      const int j = r.split;
      r.at = Z.lo[j] < 0 && Z.hi[j] > 0 ? 0.0 : 0.5 * (Z.lo[j] + Z.hi[j]);
      if (!(r.at > Z.lo[j] && r.at < Z.hi[j])) r.split = -1;  // no double strictly inside
    }
    // With the first layer stable on the ball (relu_splits_): the phase of the unstable neuron of
    // a deeper layer with the largest intercept score instead, while one is left.
    if (q >= 0 && relu_splits_) {
      double best_deep = 0;
      int layer = 0, neuron = -1;
      for (int j = 1; j < K; ++j)
        for (Eigen::Index i = 0; i < Apre[j].cols(); ++i) {
          const double l = sb.pre[j].lo[i], u = sb.pre[j].hi[i];
          if (!(l < 0 && u > 0)) continue;
          const double score = std::abs(Apre[j](q, i)) * u * (-l) / (u - l);
          if (score > best_deep) {
            best_deep = score;
            layer = j;
            neuron = static_cast<int>(i);
          }
        }
      if (neuron >= 0) {
        r.deep = neuron;
        r.deep_layer = layer;
      }
    }
    return r;
  }

  // The dual bound of a z + c on {x in X : W1 x + b1 in Z} for the multipliers mu (sound for
  // every mu, widened by the rounding of its terms), with the minimising x (a vertex of X) and its z.
  double dual_value(const Vector& a, double c, const spec::Box& Z, const Vector& mu, Vector* x, Vector* z) const {
    const spec::Box& X = problem_.box;
    const Vector gW = W1_.transpose() * (a + mu);  // n
    *x = (gW.array() > 0).select(X.lo, X.hi);
    *z = W1_ * *x + b1_;
    double v = c + (a + mu).dot(*z);
    double magnitude = std::abs(c) + (a + mu).cwiseAbs().dot(zabs_);
    for (int j = 0; j < m_; ++j) {
      v -= mu[j] > 0 ? mu[j] * Z.hi[j] : mu[j] * Z.lo[j];
      magnitude += std::abs(mu[j]) * std::max(std::abs(Z.lo[j]), std::abs(Z.hi[j]));
    }
    return v - (options_.bound.widen_rel * magnitude + options_.bound.widen_abs);  // rounding, as the engine widens
  }

  // The LP min a.(W1 x + b1) + c over {x in X : W1 x + b1 in Z}, by a bounded-variable dual
  // simplex on the m rows W1 x - s = 0, s in Z - b1 (every basis m x m), from the slack basis
  // with each x_j at the bound that minimises its cost (dual feasible). The bound returned is
  // dual_value at mu = -y of the last basis (sound whatever the simplex did); an infeasible LP is
  // certified by a point of its dual ray where dual_value > 0. *x: the primal point when the LP
  // reached its optimum (in X, with W1 x + b1 in Z up to tolerance), else empty.
  double realisability_lp(const Vector& a, double c, const spec::Box& Z, Vector* mu_out, Vector* x_out) const {
    const spec::Box& X = problem_.box;
    const int n = static_cast<int>(W1_.cols()), m = m_, N = n + m;
    const Vector cx = W1_.transpose() * a;
    const Vector slo = Z.lo - b1_, shi = Z.hi - b1_;
    auto lower_of = [&](int j) { return j < n ? X.lo[j] : slo[j - n]; };
    auto upper_of = [&](int j) { return j < n ? X.hi[j] : shi[j - n]; };
    std::vector<int> basic(m);
    std::vector<int8_t> status(N, -1);  // -1 at lower, +1 at upper, 0 basic
    Matrix Binv = -Matrix::Identity(m, m);
    for (int i = 0; i < m; ++i) {
      basic[i] = n + i;
      status[n + i] = 0;
    }
    for (int j = 0; j < n; ++j) status[j] = cx[j] >= 0 ? -1 : 1;
    const double scale = 1 + X.lo.cwiseAbs().cwiseMax(X.hi.cwiseAbs()).maxCoeff();
    const double tol = 1e-9 * scale, pivot_tol = 1e-9;
    x_out->resize(0);
    Vector y = Vector::Zero(m);
    bool infeasible = false;
    Vector ray;
    for (int it = 0; it < kLpIterations; ++it) {
      // Basic values from the nonbasic ones: x_B = -Binv (sum_j a_j v_j).
      Vector xv = Vector::Zero(n), t = Vector::Zero(m);
      for (int j = 0; j < n; ++j)
        if (status[j]) xv[j] = status[j] < 0 ? X.lo[j] : X.hi[j];
      t = W1_ * xv;
      for (int i = 0; i < m; ++i)
        if (status[n + i]) t[i] -= status[n + i] < 0 ? slo[i] : shi[i];
      const Vector xB = -(Binv * t);
      Vector cB(m);
      for (int i = 0; i < m; ++i) cB[i] = basic[i] < n ? cx[basic[i]] : 0.0;
      y = Binv.transpose() * cB;
      int r = -1;
      double worst = tol;
      for (int i = 0; i < m; ++i) {
        const double v = std::max(lower_of(basic[i]) - xB[i], xB[i] - upper_of(basic[i]));
        if (v > worst) {
          worst = v;
          r = i;
        }
      }
      if (r < 0) {  // optimal: assemble the primal point
        Vector x = xv;
        for (int i = 0; i < m; ++i)
          if (basic[i] < n) x[basic[i]] = xB[i];
        *x_out = x.cwiseMax(X.lo).cwiseMin(X.hi);
        break;
      }
      const bool below = xB[r] < lower_of(basic[r]);
      const Vector rho = Binv.row(r).transpose();
      const Vector alpha_x = W1_.transpose() * rho;  // row r of Binv A on the x columns
      const Vector d_x = cx - W1_.transpose() * y;   // reduced costs of x
      int q = -1;
      double best_ratio = kInf, best_alpha = 0;
      for (int j = 0; j < N; ++j) {
        if (status[j] == 0 || lower_of(j) == upper_of(j)) continue;
        const double al = j < n ? alpha_x[j] : -rho[j - n];
        const double dj = j < n ? d_x[j] : y[j - n];
        const bool eligible = below ? (status[j] < 0 ? al < -pivot_tol : al > pivot_tol)
                                    : (status[j] < 0 ? al > pivot_tol : al < -pivot_tol);
        if (!eligible) continue;
        const double ratio = std::abs(dj) / std::abs(al);
        if (ratio < best_ratio || (ratio == best_ratio && std::abs(al) > best_alpha)) {
          best_ratio = ratio;
          best_alpha = std::abs(al);
          q = j;
        }
      }
      if (q < 0) {  // no entering column: the dual is unbounded along rho, the LP infeasible
        infeasible = true;
        ray = rho;
        break;
      }
      Vector w(m);  // Binv a_q
      if (q < n) w = Binv * W1_.col(q);
      else w = -Binv.col(q - n);
      const double piv = w[r];
      Binv.row(r) /= piv;
      for (int i = 0; i < m; ++i)
        if (i != r) Binv.row(i) -= w[i] * Binv.row(r);
      status[basic[r]] = below ? -1 : 1;
      status[q] = 0;
      basic[r] = q;
    }
    // Final multipliers of the last basis (recomputed), and the sound bound they give.
    Vector cB(m);
    for (int i = 0; i < m; ++i) cB[i] = basic[i] < n ? cx[basic[i]] : 0.0;
    y = Binv.transpose() * cB;
    Vector xs, zs;
    *mu_out = -y;
    double best = dual_value(a, c, Z, *mu_out, &xs, &zs);
    if (infeasible) {
      for (double step = 1e-3; step < 1e12 && best <= 0; step *= 10)
        for (double sign : {1.0, -1.0}) {
          const Vector mu = -(y + sign * step * ray.normalized() * std::max(1.0, a.norm()));
          const double v = dual_value(a, c, Z, mu, &xs, &zs);
          if (v > best) {
            best = v;
            *mu_out = mu;
          }
        }
    }
    return best;
  }

  // max over mu of the dual bound of a z + c on {x in X : W1 x + b1 in Z}; *point: the minimiser
  // x of the best mu. Starts from the better of mu = 0 (concretisation over X) and mu = -a (over
  // Z), then projected supergradient steps of decreasing length.
  double dual_ascent(const Vector& a, double c, const spec::Box& Z, const Vector* warm, Vector* point,
                     Vector* mu_out) const {
    auto value = [&](const Vector& mu, Vector* x, Vector* z) { return dual_value(a, c, Z, mu, x, z); };
    Vector x, z, bx, bz;
    Vector mu = Vector::Zero(m_), best_mu = mu;
    double best = value(mu, &bx, &bz);
    auto consider = [&](const Vector& m0) {
      const double v = value(m0, &x, &z);
      if (v > best) {
        best = v;
        best_mu = m0;
        bx = x;
        bz = z;
      }
    };
    consider(-a);
    if (warm && warm->size() == m_) consider(*warm);
    mu = best_mu;
    Vector cur_z = bz;
    double cur = best;
    double step = 0.5 * std::max(a.cwiseAbs().maxCoeff(), 1e-12);
    for (int t = 0; t < kDualSteps && best <= 0; ++t) {
      Vector d(m_);
      for (int j = 0; j < m_; ++j) {
        if (mu[j] > 0) d[j] = cur_z[j] - Z.hi[j];
        else if (mu[j] < 0) d[j] = cur_z[j] - Z.lo[j];
        else d[j] = cur_z[j] > Z.hi[j] ? cur_z[j] - Z.hi[j] : cur_z[j] < Z.lo[j] ? cur_z[j] - Z.lo[j] : 0.0;
      }
      const double norm2 = d.squaredNorm();
      if (!(norm2 > 0)) break;  // the minimiser lies in Z: the dual is at its optimum
      mu += (step / std::sqrt(norm2)) * d;
      cur = value(mu, &x, &z);
      cur_z = z;
      if (cur > best) {
        best = cur;
        best_mu = mu;
        bx = x;
      }
      step *= kDualDecay;
    }
    *point = bx;
    if (mu_out) *mu_out = best_mu;
    return best;
  }

  // A point of X whose pre-activations are close to z (alternating projections onto the affine
  // set W1 x + b1 = z and onto the box X, from the box's centre): a candidate counterexample.
  Vector reach(const Vector& z) const {
    const spec::Box& X = problem_.box;
    Vector x = X.center();
    for (int t = 0; t < kReachSteps; ++t) {
      x += pinv_ * (z - b1_ - W1_ * x);
      x = x.cwiseMax(X.lo).cwiseMin(X.hi);
    }
    return x;
  }

  bool replay(const Vector& x) {
    if (x.size() != problem_.box.dim() || !x.allFinite()) return false;
    spec::Witness w{x, {}, {}};
    const bool violated = spec::confirm_witness(problem_, w);
    if (w.y.size()) result_.margin_upper = std::min(result_.margin_upper, problem_.property.margin(w.y));
    if (violated) witness_ = std::move(w);
    return violated;
  }

  bool attack_from(const std::vector<Vector>& starts, attack::AttackOptions ao) {
    ao.time_limit_s = std::min(ao.time_limit_s, time_left());
    if (ao.time_limit_s <= 0) return false;
    const attack::AttackResult a = attack::pgd_attack(problem_, ao, starts, &result_.stats);
    if (a.best.x.size() == 0) return false;
    return replay(a.best.x);
  }

  ZNode node(const Vector& lo, const Vector& hi, double lower, const Bounded& b,
             std::shared_ptr<const bounds::Phases> phase) {
    return ZNode{lo, hi, lower, b.split, b.at, b.deep, b.deep_layer, next_id_++, b.mu, std::move(phase)};
  }

  void push(ZNode n) {
    if (depth_first_) stack_.push_back(std::move(n));
    else heap_.push(std::move(n));
  }
  ZNode pop() {
    if (!stack_.empty()) {
      ZNode n = std::move(stack_.back());
      stack_.pop_back();
      return n;
    }
    ZNode n = heap_.top();
    heap_.pop();
    return n;
  }
  size_t bytes() const { return (heap_.size() + stack_.size()) * (sizeof(ZNode) + 2 * sizeof(double) * m_ + 32); }

  bool finish(spec::Verdict v, double unsat_lower = kInf) {
    finish_result(result_, v, unsat_lower, global_lower(), witness_, stuck_, used_depth_first_);
    return true;
  }

  const spec::Problem& problem_;
  const BabOptions& options_;
  spec::Problem lifted_;
  Matrix W1_, pinv_;
  Vector b1_, zlo_, zhi_, zabs_;
  int m_ = 0;
  Matrix row_coef_;         // property rows times the output layer (R x last hidden width)
  Vector row_offset_;       // their constants
  std::vector<int> disjunct_of_;  // the disjunct of each row
  std::unique_ptr<bounds::BoundEngine> own_engine_;
  bounds::BoundEngine* engine_ = nullptr;
  bounds::BoundOptions loop_;
  std::priority_queue<ZNode, std::vector<ZNode>, LaterNode> heap_;
  std::vector<ZNode> stack_;
  bool depth_first_ = false, used_depth_first_ = false;
  spec::Result result_;
  std::optional<spec::Witness> witness_;
  Clock::time_point t0_;
  uint64_t next_id_ = 0, attack_round_ = 0;
  // Shared by the threads of bound_all's refine(); the LPs' time is summed over them.
  mutable std::atomic<int64_t> lp_calls_{0};
  mutable std::atomic<double> lp_time_{0};
  int threads_ = 1;
  double proven_min_ = kInf, stuck_min_ = kInf, in_flight_ = kInf;
  int64_t stuck_ = 0;
  bounds::Phases no_phases_;  // every neuron undecided
  bool relu_splits_ = false;  // split deeper ReLUs (the first layer is stable on the ball)
};

}  // namespace

spec::Result solve_first_layer_split(const spec::Problem& problem, const BabOptions& options) {
  FirstLayerSearch search(problem, options);
  return search.run();
}

}  // namespace bab::detail
