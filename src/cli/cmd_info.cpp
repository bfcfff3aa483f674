// prunecert info: the layers of a network's DAG and its layered view.
#include <cstdio>

#include "src/cli/cli.h"
#include "src/util/errors.h"

namespace cli {

static std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

int run_info(const util::Options& o) {
  net::Network n = load_network(o);
  net::LayeredNetwork l = n.layered();
  std::vector<int> widths;
  for (int k = 0; k < l.num_hidden(); ++k) widths.push_back(l.hidden_width(k));
  if (o.json) {
    nlohmann::json layers = nlohmann::json::array();
    for (auto v : n.topological_order()) {
      const auto& L = n.graph()[v];
      layers.push_back({{"name", L.name}, {"kind", net::to_string(L.kind)}, {"shape", L.out_shape}});
    }
    print_json({{"file", o.net},
                {"inputs", l.input_dim()},
                {"outputs", l.output_dim()},
                {"input_shape", n.input_shape()},
                {"hidden_widths", widths},
                {"relus", l.num_relus()},
                {"parameters", l.num_parameters()},
                {"layers", layers},
                {"metadata", n.metadata}});
    return 0;
  }
  std::printf("file        %s\n", o.net.c_str());
  std::printf("inputs      %d %s\n", l.input_dim(), shape_str(n.input_shape()).c_str());
  std::printf("outputs     %d\n", l.output_dim());
  std::printf("hidden      %d layers:", l.num_hidden());
  for (int w : widths) std::printf(" %d", w);
  std::printf("\nrelus       %d\nparameters  %lld (layered view)\n", l.num_relus(), static_cast<long long>(l.num_parameters()));
  std::printf("layers (DAG, %zu):\n", n.num_layers());
  for (auto v : n.topological_order()) {
    const auto& L = n.graph()[v];
    std::printf("  %-10s %-24s -> %s\n", net::to_string(L.kind), L.name.c_str(), shape_str(L.out_shape).c_str());
  }
  for (const auto& [k, v] : n.metadata) std::printf("meta        %s = %s\n", k.c_str(), v.c_str());
  return 0;
}

int run_eval(const util::Options& o) {
  net::Network n = load_network(o);
  if (o.input.empty()) throw util::InputError("--input", "", "an input file is required");
  Eigen::VectorXd x = read_vector_file(o.input);
  if (x.size() != n.input_size())
    throw util::InputError(o.input, "", "has " + std::to_string(x.size()) + " numbers, the network expects " +
                                            std::to_string(n.input_size()));
  Eigen::VectorXd y = n.eval(x);
  if (o.json) {
    print_json({{"outputs", std::vector<double>(y.data(), y.data() + y.size())}});
    return 0;
  }
  for (Eigen::Index i = 0; i < y.size(); ++i) std::printf("%.17g\n", y[i]);
  return 0;
}

}  // namespace cli
