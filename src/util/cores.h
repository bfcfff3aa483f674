// Cores this process may run on, and a split of an index range over them.
#pragma once
#include <algorithm>
#include <future>
#include <vector>

namespace util {

// The process's affinity mask (taskset, cgroups' cpusets, a benchmark's pinning), not the
// machine's core count: more threads than allowed cores only queue. At least 1.
int usable_cores();

// fn(begin, end) over [0, n) in up to `parts` contiguous pieces of at least `min_piece`
// indices, one thread each (the caller runs the first piece). Exceptions propagate.
template <class F>
void parallel_pieces(int n, int parts, int min_piece, F&& fn) {
  const int t = std::max(1, std::min(parts, n / std::max(1, min_piece)));
  if (t <= 1) {
    fn(0, n);
    return;
  }
  const int per = (n + t - 1) / t;
  std::vector<std::future<void>> rest;
  for (int b0 = per; b0 < n; b0 += per)
    rest.push_back(std::async(std::launch::async, [&fn, b0, per, n] { fn(b0, std::min(n, b0 + per)); }));
  fn(0, std::min(n, per));
  for (auto& f : rest) f.get();
}

}  // namespace util
