// prunecert bounds: per-layer pre-activation bounds of a network on the property's box, the
// number of unstable ReLUs, and the instability sum of seed 002 eq. 3 (sum of -l*u over the
// unstable neurons; stable neurons count zero), plus the margin's lower bound.
#include <cstdio>

#include "src/bounds/bound_engine.h"
#include "src/cli/cli.h"

namespace cli {

int run_bounds(const util::Options& o) {
  net::Network network = load_network(o);
  auto layered = std::make_shared<const net::LayeredNetwork>(network.layered());
  std::vector<spec::Problem> problems = build_problems(o, layered);
  bounds::BoundOptions bo;
  bo.method = bounds::parse_method(o.method);
  bo.alpha_iters = static_cast<int>(o.alpha_iters);
  bo.alpha_lr = o.alpha_lr;
  bo.tight_output = true;
  nlohmann::json all = nlohmann::json::array();
  auto engine = bounds::make_engine(bounds::parse_device(o.device));
  for (size_t c = 0; c < problems.size(); ++c) {
    util::Stats st;
    auto b = engine->bound(problems[c], {bounds::root_subdomain(problems[c])}, bo, &st)[0];
    nlohmann::json layers = nlohmann::json::array();
    int total_unstable = 0;
    double total_instability = 0;
    if (!o.json) std::printf("case %zu (%s): margin lower bound %.9g (%s, %.3f s)\n", c, problems[c].name.c_str(),
                             b.margin_lower, bounds::to_string(bo.method), st.bound_time_s);
    for (size_t k = 0; k < b.pre.size(); ++k) {
      const auto& L = b.pre[k];
      int unstable = 0;
      double instability = 0;
      const bool hidden = k + 1 < b.pre.size();
      for (Eigen::Index i = 0; i < L.lo.size(); ++i)
        if (hidden && L.lo[i] < 0 && L.hi[i] > 0) {
          ++unstable;
          instability += -L.lo[i] * L.hi[i];
        }
      total_unstable += unstable;
      total_instability += instability;
      layers.push_back({{"layer", k},
                        {"width", L.lo.size()},
                        {"hidden", hidden},
                        {"lo", std::vector<double>(L.lo.data(), L.lo.data() + L.lo.size())},
                        {"hi", std::vector<double>(L.hi.data(), L.hi.data() + L.hi.size())},
                        {"unstable", unstable},
                        {"instability", instability}});
      if (!o.json) {
        std::printf("  layer %zu (%s, %ld neurons): bounds in [%.6g, %.6g]", k, hidden ? "hidden" : "output",
                    static_cast<long>(L.lo.size()), L.lo.minCoeff(), L.hi.maxCoeff());
        if (hidden) std::printf(", unstable %d, instability %.6g", unstable, instability);
        std::printf("\n");
        if (L.lo.size() <= 10)
          for (Eigen::Index i = 0; i < L.lo.size(); ++i)
            std::printf("    [%ld] %.9g .. %.9g\n", static_cast<long>(i), L.lo[i], L.hi[i]);
      }
    }
    if (!o.json) std::printf("  total: %d unstable ReLUs, instability sum %.6g\n", total_unstable, total_instability);
    all.push_back({{"case", c},
                   {"method", bounds::to_string(bo.method)},
                   {"margin_lower", b.margin_lower},
                   {"unstable", total_unstable},
                   {"instability", total_instability},
                   {"layers", layers}});
  }
  if (o.json) print_json({{"file", o.net}, {"cases", all}});
  return 0;
}

}  // namespace cli
