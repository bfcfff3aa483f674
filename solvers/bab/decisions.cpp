// Subdomains as lists of decisions (STYLE.md "Branch-and-bound"; HiGHS mip/HighsDomainChange.h):
// a subdomain is rebuilt from the root by applying its decisions, which commute (input splits
// only shrink the box, ReLU and mask decisions each fix one entry), so the order is free.
#include <algorithm>

#include "solvers/bab/internal.h"
#include "src/util/errors.h"

namespace bab {

const char* to_string(DecisionKind k) {
  switch (k) {
    case DecisionKind::input_below: return "input_below";
    case DecisionKind::input_above: return "input_above";
    case DecisionKind::relu_active: return "relu_active";
    case DecisionKind::relu_inactive: return "relu_inactive";
    case DecisionKind::neuron_kept: return "neuron_kept";
    case DecisionKind::neuron_pruned: return "neuron_pruned";
  }
  return "?";
}

bounds::Subdomain apply_decisions(const spec::Problem& problem, const std::vector<Decision>& decisions) {
  bounds::Subdomain s = bounds::root_subdomain(problem);
  for (const Decision& d : decisions) detail::apply_decision(problem, d, s);
  return s;
}

namespace detail {

Path extend(const Path& parent, const Decision& d) {
  return std::make_shared<const DecisionLink>(DecisionLink{d, parent});
}

std::vector<Decision> path_decisions(const Path& path) {
  std::vector<Decision> out;
  for (const DecisionLink* l = path.get(); l; l = l->parent.get()) out.push_back(l->decision);
  std::reverse(out.begin(), out.end());
  return out;
}

void apply_decision(const spec::Problem& problem, const Decision& d, bounds::Subdomain& s) {
  const net::LayeredNetwork& net = *problem.net;
  const bool on_neuron = d.kind != DecisionKind::input_below && d.kind != DecisionKind::input_above;
  if (on_neuron && (d.layer < 0 || d.layer >= net.num_hidden() || d.index < 0 || d.index >= net.hidden_width(d.layer)))
    throw util::InternalError("bab: decision on a neuron that does not exist");
  if (!on_neuron && (d.index < 0 || d.index >= s.box.dim()))
    throw util::InternalError("bab: input split on a dimension that does not exist");
  switch (d.kind) {
    case DecisionKind::input_below: s.box.hi[d.index] = std::min(s.box.hi[d.index], d.at); break;
    case DecisionKind::input_above: s.box.lo[d.index] = std::max(s.box.lo[d.index], d.at); break;
    case DecisionKind::relu_active:
    case DecisionKind::relu_inactive:
      if (s.phase.empty()) {
        s.phase.resize(net.num_hidden());
        for (int k = 0; k < net.num_hidden(); ++k) s.phase[k].assign(net.hidden_width(k), 0);
      }
      s.phase[d.layer][d.index] = d.kind == DecisionKind::relu_active ? 1 : -1;
      break;
    case DecisionKind::neuron_kept:
    case DecisionKind::neuron_pruned:
      if (s.mask.empty()) throw util::InternalError("bab: mask decision on a problem without a budget");
      if (s.mask[d.layer][d.index] >= 0) throw util::InternalError("bab: mask bit decided twice");
      if (d.kind == DecisionKind::neuron_pruned) {
        if (s.budget_left[d.layer] <= 0) throw util::InternalError("bab: prune beyond the budget");
        s.mask[d.layer][d.index] = 0;
        s.budget_left[d.layer] -= 1;
      } else {
        s.mask[d.layer][d.index] = 1;
      }
      break;
  }
}

bounds::Subdomain materialise(const spec::Problem& problem, const bounds::Subdomain& root, const Path& path) {
  bounds::Subdomain s = root;
  for (const DecisionLink* l = path.get(); l; l = l->parent.get()) apply_decision(problem, l->decision, s);
  return s;
}

std::pair<Decision, Decision> split_decisions(const Split& s) {
  switch (s.kind) {
    case Split::Kind::input:
      return {{DecisionKind::input_below, -1, s.index, s.at}, {DecisionKind::input_above, -1, s.index, s.at}};
    case Split::Kind::relu:
      return {{DecisionKind::relu_inactive, s.layer, s.index, 0}, {DecisionKind::relu_active, s.layer, s.index, 0}};
    case Split::Kind::mask:
      return {{DecisionKind::neuron_pruned, s.layer, s.index, 0}, {DecisionKind::neuron_kept, s.layer, s.index, 0}};
    case Split::Kind::none: break;
  }
  throw util::InternalError("bab: splitting a node that has no split");
}

net::Mask decided_mask(const spec::Problem& problem, const bounds::Subdomain& s) {
  if (s.mask.empty()) return {};
  net::Mask m = problem.net->full_mask();
  for (size_t k = 0; k < s.mask.size(); ++k)
    for (size_t i = 0; i < s.mask[k].size(); ++i)
      if (s.mask[k][i] == 0) m[k][i] = 0;
  return m;
}

bool maskable(const bounds::Subdomain& s) {
  for (size_t k = 0; k < s.mask.size(); ++k) {
    if (s.budget_left[k] <= 0) continue;
    for (int8_t v : s.mask[k])
      if (v < 0) return true;
  }
  return false;
}

bool unstable(const bounds::Subdomain& s, const bounds::SubdomainBounds& b, int j, int i) {
  if (!s.phase.empty() && s.phase[j][i] != 0) return false;
  if (!s.mask.empty() && s.mask[j][i] == 0) return false;  // pruned: its phase does not matter
  return b.pre[j].lo[i] < 0 && b.pre[j].hi[i] > 0;
}

}  // namespace detail

}  // namespace bab
