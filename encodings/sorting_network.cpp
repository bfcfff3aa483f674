// "At least k of n literals" as a sorting network in clauses (Batcher's odd-even merge sort;
// the half encoding of Een & Sorensson 2006, "Translating pseudo-Boolean constraints into SAT",
// sec. 5.3): the n "false" indicators are sorted descending, comparator outputs are only forced
// upwards (a -> max, b -> max, a & b -> min), and the (n-k+1)-th largest output is asserted false.
// An ablation against Z3's native pseudo-Boolean at-least.
#include <optional>

#include "encodings/internal.h"

namespace encodings {

namespace {

using Wire = std::optional<Literal>;  // nullopt: the constant false (padding)

Literal negate(Literal l) {
  l.negated = !l.negated;
  return l;
}

class SortingNetwork {
 public:
  SortingNetwork(Model& model, const std::string& prefix) : m_(model), prefix_(prefix) {}

  // Descending: after the call w[0] >= w[1] >= ... (as Booleans) in every model of the clauses
  // that minimises the outputs; any model has w[j] at least the j-th largest input.
  void sort(std::vector<Wire>& w) {
    const size_t n = w.size();  // a power of two
    for (size_t p = 1; p < n; p <<= 1)
      for (size_t k = p; k >= 1; k >>= 1) {
        for (size_t j = k % p; j + k < n; j += 2 * k)
          for (size_t i = 0; i < std::min(k, n - j - k); ++i)
            if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) compare(w[i + j], w[i + j + k]);
        if (k == 1) break;
      }
  }

 private:
  Wire fresh() {
    int v = m_.add_var(prefix_ + std::to_string(count_++), VarKind::boolean, 0.0, 1.0);
    return Literal{v, false};
  }
  // (a, b) -> (max, min).
  void compare(Wire& a, Wire& b) {
    if (!a && !b) return;
    if (!b) return;                 // max = a, min = false
    if (!a) {                       // max = b, min = false
      a = b;
      b.reset();
      return;
    }
    Wire hi = fresh(), lo = fresh();
    m_.clauses.push_back({{negate(*a), *hi}});
    m_.clauses.push_back({{negate(*b), *hi}});
    m_.clauses.push_back({{negate(*a), negate(*b), *lo}});
    a = hi;
    b = lo;
  }

  Model& m_;
  std::string prefix_;
  int count_ = 0;
};

}  // namespace

void lower_cardinality_sortnet(Model& m) {
  std::vector<AtLeast> cards = std::move(m.cardinalities);
  m.cardinalities.clear();
  for (const auto& c : cards) {
    const int n = static_cast<int>(c.lits.size());
    if (c.k <= 0) continue;
    if (c.k > n) {
      m.clauses.push_back({});  // the empty clause: unsatisfiable
      continue;
    }
    size_t size = 1;
    while (size < c.lits.size()) size <<= 1;
    std::vector<Wire> w(size);
    for (int i = 0; i < n; ++i) w[i] = negate(c.lits[i]);  // "false" indicators
    SortingNetwork net(m, "sn_" + c.name + "_");
    net.sort(w);
    // At most n - k indicators true: the (n-k+1)-th largest is false.
    const Wire& bad = w[n - c.k];
    if (bad) m.clauses.push_back({{negate(*bad)}});
  }
}

}  // namespace encodings
