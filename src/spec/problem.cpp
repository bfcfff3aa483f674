// Problems, verdicts, budgets, and the exact re-check of witnesses.
#include "src/spec/problem.h"

#include <cmath>
#include <sstream>

#include "src/util/errors.h"

namespace spec {

bool PruningBudget::any() const {
  for (int v : s)
    if (v > 0) return true;
  return false;
}

PruningBudget parse_budget(const std::string& text, const net::LayeredNetwork& net) {
  PruningBudget b;
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) parts.push_back(item);
  if (!text.empty() && text.back() == ',') parts.push_back("");  // getline drops an empty last field
  if (parts.size() != static_cast<size_t>(net.num_hidden()))
    throw util::InputError("--budget", "", "has " + std::to_string(parts.size()) + " entries, the network has " +
                                               std::to_string(net.num_hidden()) + " hidden layers");
  for (size_t k = 0; k < parts.size(); ++k) {
    std::string p = parts[k];
    const int width = net.hidden_width(static_cast<int>(k));
    const std::string where = "entry " + std::to_string(k + 1);
    bool percent = !p.empty() && p.back() == '%';
    if (percent) p.pop_back();
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(p, &used);
    } catch (...) {
      used = 0;
    }
    if (p.empty() || used != p.size() || !std::isfinite(v))
      throw util::InputError("--budget", where, "'" + parts[k] + "' is not a count or a percentage");
    if (v < 0) throw util::InputError("--budget", where, "must not be negative");
    int count;
    if (percent) {
      if (v > 100) throw util::InputError("--budget", where, "percentage above 100%");
      // v * width first: exact for the usual percentages, so halves round up (58% of 25 = 14.5
      // gives 15); v / 100 first rounded 14.5 down and 0.5 up, depending on the division's error.
      count = static_cast<int>(std::lround(v * width / 100.0));
    } else {
      if (v != std::floor(v)) throw util::InputError("--budget", where, "a count must be an integer");
      if (v > width)  // before the cast: a count past INT_MAX would wrap to a negative one
        throw util::InputError("--budget", where, parts[k] + " is above the layer's width " + std::to_string(width));
      count = static_cast<int>(v);
    }
    b.s.push_back(count);  // <= width: a percentage is at most 100, a count was checked above
  }
  return b;
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::sat: return "sat";
    case Verdict::unsat: return "unsat";
    case Verdict::unknown: return "unknown";
    case Verdict::timeout: return "timeout";
  }
  return "?";
}

bool confirm_witness(const Problem& problem, Witness& w) {
  const auto& n = *problem.net;
  if (w.x.size() != n.input_dim() || !w.x.allFinite() || !problem.box.contains(w.x)) return false;
  if (!w.mask.empty()) {
    if (!problem.budget || static_cast<int>(w.mask.size()) != n.num_hidden()) return false;
    for (int k = 0; k < n.num_hidden(); ++k) {
      if (static_cast<int>(w.mask[k].size()) != n.hidden_width(k)) return false;
      int pruned = 0;
      for (auto m : w.mask[k]) pruned += (m == 0);
      if (pruned > problem.budget->s[k]) return false;
    }
    w.y = n.eval(w.x, w.mask);
  } else {
    w.y = n.eval(w.x);
  }
  // An output that overflowed to inf or NaN proves nothing about the exact network; a double
  // margin <= 0 may be rounding (y = relu(x) + 1 at x = 1e-20 is 1 in double): the rational
  // forward pass decides.
  return w.y.allFinite() && problem.property.violated(w.y) &&
         (certainly_violated(problem, w.x, w.mask) || exactly_violated(problem, w.x, w.mask));
}

Box ball_box(const Vector& x0, double eps, double clip_lo, double clip_hi) {
  return {(x0.array() - eps).cwiseMax(clip_lo).matrix(), (x0.array() + eps).cwiseMin(clip_hi).matrix()};
}

Problem robustness_problem(std::shared_ptr<const net::LayeredNetwork> net, const Vector& x0, int label, double eps,
                           double clip_lo, double clip_hi) {
  if (x0.size() != net->input_dim())
    throw util::InputError("--input", "", "has " + std::to_string(x0.size()) + " numbers, the network expects " +
                                              std::to_string(net->input_dim()));
  if (label < 0 || label >= net->output_dim())
    throw util::InputError("--label", "", std::to_string(label) + " is out of range: the network has " +
                                              std::to_string(net->output_dim()) + " outputs");
  if (!(eps >= 0)) throw util::InputError("--eps", "", "must be >= 0");
  Problem p;
  p.net = std::move(net);
  p.box = ball_box(x0, eps, clip_lo, clip_hi);
  for (Eigen::Index i = 0; i < x0.size(); ++i)
    if (p.box.lo[i] > p.box.hi[i])
      throw util::InputError("--clip", "", "the ball around input " + std::to_string(i) + " lies outside the clip range");
  p.property = robustness_property(p.net->output_dim(), label);
  return p;
}

}  // namespace spec
