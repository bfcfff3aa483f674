// Public helpers of bounds/: method names, the root subdomain, one-shot bounding.
#include "src/bounds/bound_engine.h"

#include "src/util/errors.h"

namespace bounds {

const char* to_string(Method m) {
  switch (m) {
    case Method::ibp: return "ibp";
    case Method::crown: return "crown";
    case Method::alpha: return "alpha";
  }
  return "?";
}

Method parse_method(const std::string& text) {
  if (text == "ibp") return Method::ibp;
  if (text == "crown") return Method::crown;
  if (text == "alpha") return Method::alpha;
  throw util::InputError("--method", "", "'" + text + "' is not a bound method (ibp, crown, alpha)");
}

const char* to_string(BoundOptions::Intermediate i) {
  switch (i) {
    case BoundOptions::Intermediate::automatic: return "auto";
    case BoundOptions::Intermediate::inherit: return "inherit";
    case BoundOptions::Intermediate::crown: return "crown";
    case BoundOptions::Intermediate::alpha: return "alpha";
  }
  return "?";
}

BoundOptions::Intermediate parse_intermediate(const std::string& text) {
  if (text == "auto") return BoundOptions::Intermediate::automatic;
  if (text == "inherit") return BoundOptions::Intermediate::inherit;
  if (text == "crown") return BoundOptions::Intermediate::crown;
  if (text == "alpha") return BoundOptions::Intermediate::alpha;
  throw util::InputError("--intermediate", "", "'" + text + "' is not a way to bound intermediate layers (auto, inherit, crown, alpha)");
}

size_t OptimisedSlopes::bytes() const {
  size_t floats = 0;
  for (const SlopeRows& l : layer) {
    for (const auto& a : l.alpha) floats += static_cast<size_t>(a.size());
    for (const auto& b : l.beta) floats += static_cast<size_t>(b.size());
    floats += l.ids.size();
  }
  return floats * sizeof(float) + sizeof(OptimisedSlopes) + layer.size() * sizeof(SlopeRows) + 64;
}

Subdomain root_subdomain(const spec::Problem& problem) {
  Subdomain s;
  s.box = problem.box;
  if (problem.budget && problem.budget->any()) {
    const auto& net = *problem.net;
    s.mask.resize(net.num_hidden());
    for (int k = 0; k < net.num_hidden(); ++k) s.mask[k].assign(net.hidden_width(k), -1);
    s.budget_left = problem.budget->s;
  }
  return s;
}

SubdomainBounds bound_root(const spec::Problem& problem, const BoundOptions& options) {
  BoundOptions o = options;
  o.tight_output = true;
  return make_cpu_engine()->bound(problem, {root_subdomain(problem)}, o)[0];
}

}  // namespace bounds
