// Margins of output properties.
#include "src/spec/property.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spec {

bool Box::contains(const Vector& x, double tol) const {
  if (x.size() != lo.size()) return false;
  for (Eigen::Index i = 0; i < x.size(); ++i)
    if (!(x[i] >= lo[i] - tol && x[i] <= hi[i] + tol)) return false;  // NaN is outside
  return true;
}

int OutputProperty::output_dim() const {
  for (const auto& d : disjuncts)
    for (const auto& r : d.rows) return static_cast<int>(r.c.size());
  return 0;
}

namespace {

// c.y - d, with NaN (an output that overflowed) read as +inf: such a row is never shown violated.
double row_value(const Row& r, const Vector& y) {
  const double v = r.c.dot(y) - r.d;
  return std::isnan(v) ? std::numeric_limits<double>::infinity() : v;
}

}  // namespace

double Conjunction::margin(const Vector& y) const {
  double m = -std::numeric_limits<double>::infinity();
  for (const auto& r : rows) m = std::max(m, row_value(r, y));
  return m;
}

double OutputProperty::margin(const Vector& y, const Row** active) const {
  double m = std::numeric_limits<double>::infinity();
  const Row* at = nullptr;
  for (const auto& conj : disjuncts) {
    double worst = -std::numeric_limits<double>::infinity();
    const Row* arg = nullptr;
    for (const auto& r : conj.rows) {
      const double v = row_value(r, y);
      if (v > worst || !arg) {
        worst = v;
        arg = &r;
      }
    }
    if (worst < m) {
      m = worst;
      at = arg;
    }
  }
  if (active) *active = at;
  return m;
}

OutputProperty robustness_property(int num_classes, int label) {
  OutputProperty p;
  for (int i = 0; i < num_classes; ++i) {
    if (i == label) continue;
    Row r;
    r.c = Vector::Zero(num_classes);
    r.c[label] = 1.0;
    r.c[i] = -1.0;
    r.d = 0.0;
    p.disjuncts.push_back({{r}});
  }
  return p;
}

}  // namespace spec
