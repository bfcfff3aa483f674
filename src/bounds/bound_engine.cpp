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
