// The branch-and-bound driver (DESIGN.md "Subdomains and batching"; the BaB framework of Bunel
// et al. 2018/2020 with batched bounding as in alpha,beta-CROWN). Root: CROWN, then alpha-CROWN
// and PGD; loop: pop the `batch` lowest-bound subdomains, split each in two, bound all children
// in one BoundEngine call, drop the proven ones, replay every candidate exactly, run a short PGD
// every few steps. With ReLU splitting, children inherit their parent's intermediate bounds,
// clipped by the split, and alpha-CROWN bounds their property rows with beta-CROWN's split
// multipliers; on deep networks (BoundOptions::intermediate, kAutoIntermediateDepth) the
// intermediate layers are re-bounded by alpha-CROWN under the splits as well. Each child starts
// alpha-CROWN from its parent's optimised slopes and multipliers (BabOptions::warm_start). A
// leaf whose phases are all known is decided by its LP (linear_region.cpp) and, failing that,
// by bisecting its input box.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "encodings/encode.h"
#include "solvers/bab/internal.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace bab {

const char* to_string(Branching b) {
  switch (b) {
    case Branching::automatic: return "auto";
    case Branching::input: return "input";
    case Branching::relu_babsr: return "relu-babsr";
    case Branching::relu_widest: return "relu-widest";
    case Branching::relu_layer: return "relu-layer";
    case Branching::first_layer: return "first-layer";
  }
  return "?";
}

Branching parse_branching(const std::string& text) {
  if (text == "auto") return Branching::automatic;
  if (text == "input") return Branching::input;
  if (text == "relu-babsr") return Branching::relu_babsr;
  if (text == "relu-widest") return Branching::relu_widest;
  if (text == "relu-layer") return Branching::relu_layer;
  if (text == "first-layer") return Branching::first_layer;
  throw util::InputError("--branching", "",
                         "'" + text + "' is not a branching rule (auto, input, relu-babsr, relu-widest, relu-layer, first-layer)");
}

namespace {

using namespace detail;
constexpr double kInf = std::numeric_limits<double>::infinity();

bool proven(const bounds::SubdomainBounds& b) { return b.infeasible || b.margin_lower > 0; }

// The network with the pruned neurons' outgoing weights zeroed: equal to the masked network,
// so the mask-unaware PGD can attack a fixed mask.
std::shared_ptr<const net::LayeredNetwork> fold_mask(const net::LayeredNetwork& net, const net::Mask& mask) {
  auto folded = std::make_shared<net::LayeredNetwork>(net);
  for (int k = 0; k < net.num_hidden(); ++k)
    for (int i = 0; i < net.hidden_width(k); ++i)
      if (mask[k][i] == 0) folded->layers[k + 1].W.col(i).setZero();
  return folded;
}

// The branching rule a search uses: automatic resolved by the input dimension, and for ReLU
// splitting without a pruning budget by the depth (kAutoLayerOrderDepth).
Branching resolved_rule(const spec::Problem& problem, Branching b) {
  if (b != Branching::automatic) return b;
  if (problem.net->input_dim() <= kAutoInputDims) return Branching::input;
  return !problem.budget && problem.net->num_hidden() >= kAutoLayerOrderDepth ? Branching::relu_layer
                                                                              : Branching::relu_babsr;
}

// Where every subdomain inherits the root's intermediate bounds, so that bounds given for the root
// (root_known) or tightened there (root_lp, root_milp) serve the whole search: ReLU splitting
// (input splitting's children recompute theirs on their smaller boxes, which inherited bounds
// would stop), without a certificate tree (the exact checker recomputes every leaf from CROWN)
// or a pruning budget (no LP for masks).
bool inherits_root_bounds(const spec::Problem& problem, Branching rule, bool tree) {
  return rule != Branching::input && !tree && !problem.budget;
}

class Search {
 public:
  Search(const spec::Problem& problem, const BabOptions& options, BabTree* tree)
      : problem_(problem), options_(options), tree_(tree), root_(bounds::root_subdomain(problem)) {
    rule_ = resolved_rule(problem, options.branching);
    loop_ = options.bound;
    if (options.relu_alpha && rule_ != Branching::input && !tree_ && loop_.method == bounds::Method::crown)
      loop_.method = bounds::Method::alpha;
    using I = bounds::BoundOptions::Intermediate;
    if (loop_.intermediate == I::automatic)
      loop_.intermediate =
          rule_ != Branching::input && !problem.budget && problem.net->num_hidden() >= kAutoIntermediateDepth
              ? I::alpha
              : I::inherit;
    // A certificate's leaves are re-proved from CROWN bounds (check_exact.cpp): no alpha there,
    // neither for the intermediate layers nor for the leaves (`--method alpha --certificate`
    // recorded alpha-CROWN leaves that `check` rejected).
    if (tree_ && loop_.intermediate == I::alpha) loop_.intermediate = I::inherit;
    if (tree_ && loop_.method == bounds::Method::alpha) loop_.method = bounds::Method::crown;
    // Warm starts: a node's optimised slopes and multipliers go to its children (alpha,beta-CROWN).
    loop_.keep_slopes = options.warm_start && !tree_ &&
                        (loop_.method == bounds::Method::alpha || loop_.intermediate == I::alpha);
    engine_ = options.engine;
    if (!engine_) {
      own_engine_ = bounds::make_cpu_engine();
      engine_ = own_engine_.get();
    }
    if (tree_) *tree_ = BabTree{};
    if (options.root_known && inherits_root_bounds(problem, rule_, tree_)) root_.known = options.root_known;
  }

  spec::Result run() {
    t0_ = Clock::now();
    result_.engine = std::string("bab/") + to_string(rule_);
    if (problem_.net->input_dim() != problem_.box.dim())
      throw util::InternalError("bab: the box does not match the network's input");
    if (!root()) loop();
    return result_;
  }

 private:
  double elapsed() const { return seconds(t0_, Clock::now()); }
  // BabOptions::root_lp resolved (bab.h).
  bool root_lp() const {
    using R = BabOptions::RootLp;
    if (options_.root_lp != R::automatic) return options_.root_lp == R::on;
    return !(loop_.intermediate == bounds::BoundOptions::Intermediate::alpha &&
             problem_.net->num_hidden() >= kAutoLayerOrderDepth);
  }
  double time_left() const { return options_.timeout_s - elapsed(); }
  double global_lower() const {
    return std::min({queue_.min_lower(), proven_min_, stuck_min_, in_flight_lower_});
  }

  // Root: (LP-tightened intermediate bounds,) CROWN, alpha-CROWN, PGD. Returns true when the
  // search is over.
  bool root() {
    bounds::BoundOptions crown = options_.bound;
    crown.method = bounds::Method::crown;
    crown.intermediate = loop_.intermediate;
    crown.keep_slopes = loop_.keep_slopes;
    const auto t_root = Clock::now();
    bounds::SubdomainBounds rb = engine_->bound(problem_, {root_}, crown, &result_.stats)[0];
    per_child_s_ = seconds(t_root, Clock::now());
    result_.stats.nodes += 1;
    in_flight_lower_ = rb.margin_lower;
    Split split;
    Fate fate = process(nullptr, root_, rb, bounds::Method::crown, &split);
    if (fate == Fate::proven) return finish(spec::Verdict::unsat);
    if (fate == Fate::sat) return finish(spec::Verdict::sat);
    attack::AttackOptions ao = options_.attack;
    ao.seed = options_.attack.seed + options_.seed;
    // ReLU splitting keeps the intermediate bounds of a parent, so the root's are the ones every
    // subdomain starts from: tighten them by LPs over the triangle relaxation (on mnist-net_256x2
    // prop_0_0.03 this turns a 120 s timeout into a proof in 7 nodes; see README), and with
    // root_milp by MILPs after them. PGD first, as the LPs can take seconds.
    if ((root_lp() || options_.root_milp) && inherits_root_bounds(problem_, rule_, tree_) &&
        problem_.net->num_hidden() > 1) {
      if (attack_from({rb.candidate}, decided_mask(problem_, root_), ao)) return finish(spec::Verdict::sat);
      encodings::EncodeOptions lp;
      lp.bounds = encodings::BoundSource::lp;
      lp.lp_time_limit_s = options_.root_lp_share * options_.timeout_s;
      lp.known = root_.known;
      const auto t_lp = Clock::now();
      root_milp_used_ = static_cast<bool>(options_.root_milp);
      root_.known = std::make_shared<const std::vector<bounds::LayerBounds>>(
          options_.root_milp ? options_.root_milp(problem_, lp, std::min(options_.root_milp_share * options_.timeout_s,
                                                                         time_left()))
                             : encodings::encoding_bounds(problem_, lp));
      result_.stats.bound_calls += 1;
      const double lp_s = seconds(t_lp, Clock::now());
      result_.stats.bound_time_s += lp_s;
      result_.stats.root_lp_time_s += lp_s;
      rb = engine_->bound(problem_, {root_}, crown, &result_.stats)[0];
      in_flight_lower_ = rb.margin_lower;
      fate = process(nullptr, root_, rb, bounds::Method::crown, &split);
      if (fate == Fate::proven) return finish(spec::Verdict::unsat);
      if (fate == Fate::sat) return finish(spec::Verdict::sat);
      ao.seed += 1;
    }
    std::vector<Eigen::VectorXd> starts{rb.candidate};
    double lower = rb.margin_lower;
    // alpha-CROWN proofs are not recorded in certificates (its slopes are not kept): with a tree,
    // the root goes on with CROWN and splitting.
    if (options_.root_alpha && !tree_ && time_left() > 0) {
      bounds::BoundOptions alpha = options_.bound;
      alpha.method = bounds::Method::alpha;
      alpha.intermediate = loop_.intermediate;
      alpha.keep_slopes = loop_.keep_slopes;
      const bounds::SubdomainBounds ab = engine_->bound(problem_, {root_}, alpha, &result_.stats)[0];
      if (ab.slopes) rb.slopes = ab.slopes;  // the root node hands alpha-CROWN's slopes down
      Split alpha_split;
      const Fate alpha_fate = process(nullptr, root_, ab, bounds::Method::alpha, &alpha_split);
      if (alpha_fate == Fate::proven) return finish(spec::Verdict::unsat);
      if (alpha_fate == Fate::sat) return finish(spec::Verdict::sat);
      starts.push_back(ab.candidate);
      if (ab.margin_lower >= lower) {  // its linear form guides the first split
        lower = ab.margin_lower;
        split = alpha_split;
        fate = alpha_fate;
      }
    }
    in_flight_lower_ = lower;
    if (attack_from(starts, decided_mask(problem_, root_), ao)) return finish(spec::Verdict::sat);
    if (time_left() <= 0) return finish(spec::Verdict::timeout);
    if (fate == Fate::stuck) {
      ++stuck_;
      stuck_min_ = lower;
      return finish(spec::Verdict::unknown);
    }
    queue_.push(Node{nullptr, 0, lower, split, next_id_++, keep_bounds(split, rb), keep_slopes(rb)});
    in_flight_lower_ = kInf;
    return false;
  }

  enum class Fate { proven, sat, open, stuck };
  // What becomes of a bounded subdomain: proven (by its bound, or as a linear region), sat (its
  // candidate or its LP minimiser is a counterexample), open (with *split), or stuck (nothing
  // left to split in double precision).
  Fate process(const Path& path, const bounds::Subdomain& s, const bounds::SubdomainBounds& b, bounds::Method method,
               Split* split) {
    if (proven(b)) {
      record_leaf(path, b, method);
      return Fate::proven;
    }
    if (try_candidate(s, b.candidate)) return Fate::sat;
    LinearRegion region;
    if (linear_region(problem_, s, b, &region)) {
      LeafDecision leaf = decide_linear_region(problem_, s, b, region, options_.bound, options_.max_leaf_lp_entries,
                                               &result_.stats, time_left());
      if (leaf.outcome != LeafDecision::Outcome::undecided) {
        record_region_leaf(path, leaf, method);
        return Fate::proven;
      }
      if (leaf.candidate.size() && try_candidate(s, leaf.candidate)) return Fate::sat;
    }
    *split = choose_split(s, b);
    return split->kind == Split::Kind::none ? Fate::stuck : Fate::open;
  }

  void loop() {
    int64_t step = 0;
    auto last_progress = Clock::now();
    while (!queue_.empty()) {
      if (time_left() <= 0) {
        finish(spec::Verdict::timeout);
        return;
      }
      const auto tb = Clock::now();
      update_memory_mode();
      // Pop up to `batch` nodes and build both children of each.
      std::vector<Node> parents;
      in_flight_lower_ = kInf;
      const int batch = step_batch();
      while (!queue_.empty() && static_cast<int>(parents.size()) < batch) {
        parents.push_back(queue_.pop());
        in_flight_lower_ = std::min(in_flight_lower_, parents.back().lower);
      }
      std::vector<bounds::Subdomain> children;
      std::vector<Path> paths;
      std::vector<size_t> parent_of;
      children.reserve(2 * parents.size());
      for (size_t p = 0; p < parents.size(); ++p) {
        bounds::Subdomain base = materialise(problem_, root_, parents[p].path);
        if (parents[p].split.kind == Split::Kind::relu) {
          base.known = parents[p].known;
          ++result_.stats.relu_splits;
        }
        base.warm = parents[p].slopes;
        const auto [d0, d1] = split_decisions(parents[p].split);
        for (const Decision& d : {d0, d1}) {
          children.push_back(base);
          apply_decision(problem_, d, children.back());
          paths.push_back(extend(parents[p].path, d));
          parent_of.push_back(p);
        }
      }
      const auto tbound = Clock::now();
      result_.stats.branch_time_s += seconds(tb, tbound);
      const std::vector<bounds::SubdomainBounds> bs = engine_->bound(problem_, children, loop_, &result_.stats);
      const auto tafter = Clock::now();
      result_.stats.nodes += static_cast<int64_t>(children.size());
      const double per_child = seconds(tbound, tafter) / static_cast<double>(std::max<size_t>(1, children.size()));
      per_child_s_ = 0.5 * (per_child_s_ + per_child);

      std::vector<Node> open;
      std::vector<size_t> open_child;
      for (size_t c = 0; c < children.size(); ++c) {
        Split split;
        const Fate fate = process(paths[c], children[c], bs[c], loop_.method, &split);
        if (fate == Fate::proven) continue;
        if (fate == Fate::sat) {
          finish(spec::Verdict::sat);
          return;
        }
        const double lower = std::max(bs[c].margin_lower, parents[parent_of[c]].lower);
        if (fate == Fate::stuck) {
          ++stuck_;
          stuck_min_ = std::min(stuck_min_, lower);
          continue;
        }
        open.push_back(Node{paths[c], parents[parent_of[c]].depth + 1, lower, split, next_id_++,
                            keep_bounds(split, bs[c]), keep_slopes(bs[c])});
        open_child.push_back(c);
      }
      double attack_time = 0;
      if (options_.attack_every > 0 && ++step % options_.attack_every == 0 && !open.empty()) {
        const auto ta = Clock::now();
        if (attack_worst(open, open_child, children, bs)) {
          finish(spec::Verdict::sat);
          return;
        }
        attack_time = seconds(ta, Clock::now());
      }
      for (Node& n : open) queue_.push(std::move(n));
      in_flight_lower_ = kInf;
      result_.stats.max_queue = std::max<int64_t>(result_.stats.max_queue, static_cast<int64_t>(queue_.size()));
      result_.stats.branch_time_s += seconds(tafter, Clock::now()) - attack_time;
      if (util::stderr_is_terminal() && util::log_level() >= util::LogLevel::normal &&
          seconds(last_progress, Clock::now()) > 1.0) {
        last_progress = Clock::now();
        util::log(util::LogLevel::normal, "\rbab: %lld nodes, %zu open, lower %.6g, %.1f s   ",
                  static_cast<long long>(result_.stats.nodes), queue_.size(), global_lower(), elapsed());
      }
    }
    if (util::stderr_is_terminal() && util::log_level() >= util::LogLevel::normal && result_.stats.nodes > 0)
      util::log(util::LogLevel::normal, "\n");
    finish(stuck_ > 0 ? spec::Verdict::unknown : spec::Verdict::unsat);
  }

  // The bounds a node hands to its children: only for ReLU splits (an input split shrinks the
  // box, and fresh CROWN bounds on the smaller box are what input splitting is for), and not
  // while a certificate is recorded (the exact checker recomputes every leaf from scratch).
  std::shared_ptr<const std::vector<bounds::LayerBounds>> keep_bounds(const Split& split,
                                                                      const bounds::SubdomainBounds& b) const {
    if (!options_.reuse_parent_bounds || tree_ || split.kind != Split::Kind::relu) return nullptr;
    return std::make_shared<const std::vector<bounds::LayerBounds>>(b.pre);
  }

  // The slopes a node hands to its children as their warm start (BoundOptions::keep_slopes), while
  // the open queue holds less than half of the memory limit (beyond, children start cold).
  std::shared_ptr<const bounds::OptimisedSlopes> keep_slopes(const bounds::SubdomainBounds& b) const {
    if (!b.slopes || queue_.bytes() > options_.max_memory_bytes / 2) return nullptr;
    return b.slopes;
  }

  // Parents to pop this step: options_.batch, or fewer when the step's bound call (two children
  // per parent at per_child_s_ each) would take longer than the target or than the time left.
  int step_batch() const {
    const int cap = std::max(1, options_.batch);
    if (!options_.adaptive_batch || !(per_child_s_ > 0)) return cap;
    const double target = std::min(std::clamp(options_.timeout_s / 100, 0.05, 1.0), 0.5 * time_left());
    const double fit = target / (2 * per_child_s_);
    return std::clamp(static_cast<int>(fit), 1, cap);
  }

  // Depth-first above the memory limit; best-first again once the stack is worked off and the
  // estimate is back under 90% of the limit.
  void update_memory_mode() {
    const size_t bytes = queue_.bytes();
    if (!queue_.depth_first() && bytes > options_.max_memory_bytes) {
      queue_.set_depth_first(true);
      used_depth_first_ = true;
    } else if (queue_.depth_first() && queue_.stack_empty() && bytes < options_.max_memory_bytes / 10 * 9) {
      queue_.set_depth_first(false);
    }
  }

  Split choose_split(const bounds::Subdomain& s, const bounds::SubdomainBounds& b) {
    if (maskable(s)) {
      const Split m = choose_mask_split(problem_, s, b.candidate);
      if (m.kind != Split::Kind::none) return m;
    }
    if (rule_ == Branching::input) return choose_input_split(s, b);
    const Split r = rule_ == Branching::relu_widest  ? choose_relu_widest(s, b)
                    : rule_ == Branching::relu_layer ? choose_relu_layer(s, b)
                                                     : choose_relu_babsr(s, b);
    if (r.kind != Split::Kind::none) return r;
    // Every ReLU's phase is known but neither the bound nor the leaf LP decided the subdomain
    // (LP too large, or numerically on the fence): bisect the box, which decides it in the limit.
    return choose_input_split(s, b);
  }

  // Replays a candidate exactly; keeps the witness when it violates the property.
  bool try_candidate(const bounds::Subdomain& s, const Eigen::VectorXd& x) {
    if (x.size() != problem_.box.dim() || !x.allFinite()) return false;
    spec::Witness w{x, {}, decided_mask(problem_, s)};
    const bool violated = spec::confirm_witness(problem_, w);
    if (w.y.size()) result_.margin_upper = std::min(result_.margin_upper, problem_.property.margin(w.y));
    if (violated) witness_ = std::move(w);
    return violated;
  }

  // PGD from the given points with the mask fixed (pruned neurons folded into the weights).
  bool attack_from(const std::vector<Eigen::VectorXd>& starts, const net::Mask& mask, attack::AttackOptions ao) {
    ao.time_limit_s = std::min(ao.time_limit_s, time_left());
    if (ao.time_limit_s <= 0) return false;
    spec::Problem p = problem_;
    p.budget.reset();
    bool any_pruned = false;
    for (const auto& layer : mask)
      for (uint8_t bit : layer) any_pruned |= bit == 0;
    if (any_pruned) p.net = fold_mask(*problem_.net, mask);
    const attack::AttackResult a = attack::pgd_attack(p, ao, starts, &result_.stats);
    if (a.best.x.size() == 0) return false;
    spec::Witness w{a.best.x, {}, mask};
    const bool violated = spec::confirm_witness(problem_, w);
    if (w.y.size()) result_.margin_upper = std::min(result_.margin_upper, problem_.property.margin(w.y));
    if (violated) witness_ = std::move(w);
    return violated;
  }

  // Short PGD runs from the candidates of the worst open children, one run per decided mask.
  bool attack_worst(const std::vector<Node>& open, const std::vector<size_t>& open_child,
                    const std::vector<bounds::Subdomain>& children, const std::vector<bounds::SubdomainBounds>& bs) {
    std::vector<size_t> order(open.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    const size_t take = std::min(order.size(), static_cast<size_t>(std::max(1, options_.attack_starts)));
    std::partial_sort(order.begin(), order.begin() + take, order.end(),
                      [&](size_t a, size_t b) { return open[a].lower < open[b].lower; });
    std::vector<std::pair<net::Mask, std::vector<Eigen::VectorXd>>> groups;
    for (size_t t = 0; t < take; ++t) {
      const size_t c = open_child[order[t]];
      net::Mask m = decided_mask(problem_, children[c]);
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == m; });
      if (it == groups.end()) {
        groups.push_back({std::move(m), {}});
        it = groups.end() - 1;
      }
      it->second.push_back(bs[c].candidate);
    }
    attack::AttackOptions ao = options_.attack;
    ao.restarts = 0;
    ao.steps = options_.attack_steps;
    for (auto& [mask, starts] : groups) {
      ao.seed = options_.seed + (++attack_round_);
      if (attack_from(starts, mask, ao)) return true;
    }
    return false;
  }

  void record_leaf(const Path& path, const bounds::SubdomainBounds& b, bounds::Method method) {
    if (!b.infeasible) proven_min_ = std::min(proven_min_, b.margin_lower);
    if (tree_) tree_->leaves.push_back(ProvenLeaf{path_decisions(path), LeafProof::bound, method, b.infeasible,
                                                  b.margin_lower, {}});
  }

  void record_region_leaf(const Path& path, LeafDecision& leaf, bounds::Method method) {
    const bool infeasible = leaf.outcome == LeafDecision::Outcome::infeasible;
    if (!infeasible) proven_min_ = std::min(proven_min_, leaf.margin_lower);
    if (tree_)
      tree_->leaves.push_back(ProvenLeaf{path_decisions(path), LeafProof::linear_region, method, infeasible,
                                         leaf.margin_lower, std::move(leaf.multipliers)});
  }

  bool finish(spec::Verdict v) {
    // A certified lower bound of the margin over the whole box: every point lies in a proven
    // leaf, an open node, a node being processed or an undecided one.
    finish_result(result_, v, proven_min_, global_lower(), witness_, stuck_, used_depth_first_);
    if (v == spec::Verdict::unsat && root_milp_used_)
      result_.note = std::string(encodings::kRestsOnMilpBounds) + (result_.note.empty() ? "" : "; " + result_.note);
    if (tree_) tree_->complete = v == spec::Verdict::unsat;
    result_.stats.time_s = elapsed();
    return true;
  }

  const spec::Problem& problem_;
  const BabOptions& options_;
  bool root_milp_used_ = false;  // the root's intermediate bounds came from root_milp (CBC)
  BabTree* tree_;
  Branching rule_;
  std::unique_ptr<bounds::BoundEngine> own_engine_;
  bounds::BoundEngine* engine_ = nullptr;
  bounds::Subdomain root_;
  bounds::BoundOptions loop_;  // the bound options of the loop (options_.bound, or alpha: relu_alpha)
  NodeQueue queue_;
  spec::Result result_;
  std::optional<spec::Witness> witness_;
  Clock::time_point t0_;
  uint64_t next_id_ = 0;
  uint64_t attack_round_ = 0;
  double proven_min_ = kInf;       // smallest certified bound of a proven, feasible leaf
  double stuck_min_ = kInf;        // smallest lower bound of an undecided (unsplittable) node
  double in_flight_lower_ = kInf;  // smallest lower bound of the nodes popped this step
  double per_child_s_ = 0;         // running estimate of the bound time per subdomain
  int64_t stuck_ = 0;              // nodes too small to split
  bool used_depth_first_ = false;
};

}  // namespace

namespace detail {

void finish_result(spec::Result& result, spec::Verdict v, double unsat_lower, double global_lower,
                   const std::optional<spec::Witness>& witness, int64_t stuck, bool used_depth_first) {
  result.verdict = v;
  result.margin_lower = v == spec::Verdict::unsat ? unsat_lower : global_lower;
  if (v == spec::Verdict::sat) {
    result.witness = witness;
    result.margin_lower = std::min(result.margin_lower, result.margin_upper);
  }
  if (v == spec::Verdict::unknown)
    result.note = std::to_string(stuck) + " subdomain(s) too small to split in double precision were left undecided";
  if (used_depth_first) {
    if (!result.note.empty()) result.note += "; ";
    result.note += "memory limit reached: searched depth-first";
  }
}

}  // namespace detail

spec::Result solve_bab(const spec::Problem& problem, const BabOptions& options, BabTree* tree) {
  if (options.branching == Branching::first_layer) {
    if (tree) throw util::InputError("--branching", "", "first-layer records no certificate (use input or relu-babsr)");
    return detail::solve_first_layer_split(problem, options);
  }
  const bool restart = options.root_milp && options.root_milp_restart_share > 0 &&
                       inherits_root_bounds(problem, resolved_rule(problem, options.branching), tree) &&
                       problem.net->num_hidden() > 1;
  if (!restart) return Search(problem, options, tree).run();
  // root_milp_restart_share: first without the MILPs; then, if undecided, again from the root with them.
  const auto t0 = Clock::now();
  BabOptions first = options;
  first.root_milp = nullptr;
  first.timeout_s = options.root_milp_restart_share * options.timeout_s;
  spec::Result quick = Search(problem, first, nullptr).run();
  if (quick.verdict == spec::Verdict::sat || quick.verdict == spec::Verdict::unsat) return quick;
  BabOptions second = options;
  second.timeout_s = std::max(0.0, options.timeout_s - seconds(t0, Clock::now()));
  spec::Result r = Search(problem, second, nullptr).run();
  if (r.verdict != spec::Verdict::unsat && r.verdict != spec::Verdict::sat) {
    r.margin_lower = std::max(r.margin_lower, quick.margin_lower);  // both bound the same minimum from below
    r.margin_upper = std::min(r.margin_upper, quick.margin_upper);
  }
  r.stats.add(quick.stats);
  r.stats.time_s = seconds(t0, Clock::now());
  char when[64];
  std::snprintf(when, sizeof when, "restarted from MILP-tightened root bounds after %.2f s", quick.stats.time_s);
  r.note = when + (r.note.empty() ? std::string() : "; " + r.note);
  return r;
}

}  // namespace bab
