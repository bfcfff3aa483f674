// The queue of open subdomains, ordered by lower bound (HiGHS mip/HighsNodeQueue.h): a binary
// heap, lowest bound first. Above the memory limit the driver switches to depth-first: new nodes
// go on a stack popped before the heap, so the open set stops growing (the stack holds at most
// about depth x batch nodes) while the heap waits.
#include <algorithm>
#include <limits>

#include "solvers/bab/internal.h"

namespace bab::detail {

size_t NodeQueue::known_bytes(const Node& n) {
  size_t bytes = n.slopes ? n.slopes->bytes() : 0;
  if (!n.known) return bytes;
  size_t doubles = 0;
  for (const auto& l : *n.known) doubles += static_cast<size_t>(l.lo.size() + l.hi.size());
  return bytes + doubles * sizeof(double) + 64;
}

void NodeQueue::push(Node node) {
  known_bytes_ += known_bytes(node);
  if (depth_first_) {
    stack_.push_back(std::move(node));
    return;
  }
  heap_.push_back(std::move(node));
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

Node NodeQueue::pop() {
  Node n;
  if (!stack_.empty()) {
    n = std::move(stack_.back());
    stack_.pop_back();
  } else {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    n = std::move(heap_.back());
    heap_.pop_back();
  }
  known_bytes_ -= known_bytes(n);
  return n;
}

double NodeQueue::min_lower() const {
  double m = heap_.empty() ? std::numeric_limits<double>::infinity() : heap_.front().lower;
  for (const Node& n : stack_) m = std::min(m, n.lower);
  return m;
}

size_t NodeQueue::bytes() const {
  // Per open node: the Node itself and two DecisionLinks with their shared-pointer control
  // blocks (make_shared puts both in one allocation, about sizeof(DecisionLink) + 16 rounded up
  // by the allocator): its own link, and one for the ancestors that the open frontier keeps
  // alive (a binary tree with N leaves has fewer than N inner nodes).
  constexpr size_t kPerNode = sizeof(Node) + 2 * (sizeof(DecisionLink) + 32);
  return size() * kPerNode + known_bytes_;
}

}  // namespace bab::detail
