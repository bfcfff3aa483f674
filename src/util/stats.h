// Engine statistics: plain counters, one comment each (STYLE.md; CaDiCaL stats.hpp).
// Every engine fills the counters it has; --stats prints them and --json includes them.
#pragma once
#include <cstdint>

namespace util {

struct Stats {
  double time_s = 0;            // wall-clock time of the engine
  double bound_time_s = 0;      // time spent inside BoundEngine calls
  double branch_time_s = 0;     // time spent choosing splits and managing the queue
  int64_t bound_calls = 0;      // BoundEngine calls (one call bounds a whole batch)
  int64_t subdomains_bounded = 0;  // subdomains bounded, summed over calls
  int64_t nodes = 0;            // branch-and-bound nodes visited (or patterns enumerated)
  int64_t max_queue = 0;        // largest number of open subdomains
  int64_t relu_splits = 0;      // nodes split on a ReLU's phase (the others on the input, z or a mask bit)
  int64_t attack_restarts = 0;  // PGD restarts run
  int64_t attack_steps = 0;     // PGD gradient steps taken
  int64_t lp_calls = 0;         // exact LPs solved (leaves, brute force)
  int64_t solver_calls = 0;     // calls into an external solver (Z3, CBC)
  double root_lp_time_s = 0;    // bab: time tightening the root's intermediate bounds by LPs (or MILPs)

  // Another run's counters added to these (several properties of one query): times and counts
  // summed, max_queue the larger.
  void add(const Stats& o) {
    time_s += o.time_s;
    bound_time_s += o.bound_time_s;
    branch_time_s += o.branch_time_s;
    bound_calls += o.bound_calls;
    subdomains_bounded += o.subdomains_bounded;
    nodes += o.nodes;
    max_queue = max_queue > o.max_queue ? max_queue : o.max_queue;
    relu_splits += o.relu_splits;
    attack_restarts += o.attack_restarts;
    attack_steps += o.attack_steps;
    lp_calls += o.lp_calls;
    solver_calls += o.solver_calls;
    root_lp_time_s += o.root_lp_time_s;
  }
};

}  // namespace util
