// prunecert spec: summary of a VNN-LIB file (input box and unsafe region).
#include <cstdio>

#include "src/cli/cli.h"
#include "src/spec/vnnlib.h"
#include "src/util/errors.h"

namespace cli {

static std::string row_str(const spec::Row& r) {
  std::string s;
  char buf[64];
  for (Eigen::Index i = 0; i < r.c.size(); ++i) {
    if (r.c[i] == 0) continue;
    std::snprintf(buf, sizeof buf, "%s%g*Y_%ld", s.empty() ? "" : " + ", r.c[i], static_cast<long>(i));
    s += buf;
  }
  std::snprintf(buf, sizeof buf, " <= %g", r.d);
  return (s.empty() ? "0" : s) + buf;
}

int run_spec(const util::Options& o) {
  if (o.spec.empty()) throw util::InputError("--spec", "", "a VNN-LIB file is required");
  spec::Spec s = spec::read_vnnlib(o.spec);
  if (o.json) {
    nlohmann::json cases = nlohmann::json::array();
    for (const auto& c : s.cases) {
      nlohmann::json disj = nlohmann::json::array();
      for (const auto& d : c.property.disjuncts) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& r : d.rows)
          rows.push_back({{"c", std::vector<double>(r.c.data(), r.c.data() + r.c.size())}, {"d", r.d}});
        disj.push_back(rows);
      }
      cases.push_back({{"lo", std::vector<double>(c.box.lo.data(), c.box.lo.data() + c.box.lo.size())},
                       {"hi", std::vector<double>(c.box.hi.data(), c.box.hi.data() + c.box.hi.size())},
                       {"unsafe_disjuncts", disj}});
    }
    print_json({{"file", o.spec}, {"inputs", s.num_inputs}, {"outputs", s.num_outputs}, {"cases", cases}});
    return 0;
  }
  std::printf("file     %s\ninputs   %d\noutputs  %d\ncases    %zu\n", o.spec.c_str(), s.num_inputs, s.num_outputs,
              s.cases.size());
  for (size_t k = 0; k < s.cases.size(); ++k) {
    const auto& c = s.cases[k];
    double vol_width = 0;
    for (int i = 0; i < c.box.dim(); ++i) vol_width = std::max(vol_width, c.box.hi[i] - c.box.lo[i]);
    std::printf("case %zu: input box, widest side %g\n", k, vol_width);
    if (c.box.dim() <= 10)
      for (int i = 0; i < c.box.dim(); ++i) std::printf("  X_%d in [%.9g, %.9g]\n", i, c.box.lo[i], c.box.hi[i]);
    std::printf("  unsafe region: %zu disjunct(s)\n", c.property.disjuncts.size());
    for (const auto& d : c.property.disjuncts) {
      std::printf("   or:");
      for (size_t r = 0; r < d.rows.size(); ++r) std::printf("%s %s", r ? " and" : "", row_str(d.rows[r]).c_str());
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace cli
