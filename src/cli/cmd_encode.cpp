// prunecert encode: writes the model of a query (SMT-LIB2, MPS or CPLEX-LP) so that any solver
// can be compared on exactly the formulation prunecert's own back ends solve.
#include <cstdio>

#include "src/cli/cli.h"
#include "src/cli/engines.h"
#include "solvers/solve.h"
#include "src/util/errors.h"

namespace cli {

int run_encode(const util::Options& o) {
  if (o.output.empty()) throw util::InputError("--output", "", "an output file is required");
  net::Network network = load_network(o);
  auto layered = std::make_shared<const net::LayeredNetwork>(network.layered());
  std::vector<spec::Problem> problems = build_problems(o, layered);
  const encodings::Format format = o.format.empty() ? encodings::format_from_path(o.output) : encodings::parse_format(o.format);
  const encodings::Encoding default_encoding =
      format == encodings::Format::smt2 ? encodings::Encoding::smt : encodings::Encoding::bigm;
  const encodings::EncodeOptions eo = encode_options(o, default_encoding, encodings::Goal::optimize);
  // One file per model: the input cases of the VNN-LIB file times the per-class models.
  std::vector<std::string> written;
  int total = 0;
  for (const auto& p : problems) total += encodings::num_cases(p, eo);
  const auto dot = o.output.find_last_of('.');
  for (size_t c = 0, n = 0; c < problems.size(); ++c) {
    const auto pre = solvers::encoding_bounds(problems[c], eo);  // one bound computation per input case
    for (int i = 0; i < encodings::num_cases(problems[c], eo); ++i, ++n) {
      std::string path = o.output;
      if (total > 1) path = o.output.substr(0, dot) + "." + std::to_string(n) + o.output.substr(dot);
      encodings::write_model(encodings::encode(problems[c], eo, pre, i), format, path);
      written.push_back(path);
    }
  }
  if (o.json) {
    print_json({{"files", written}, {"encoding", encodings::to_string(eo.encoding)},
                {"encoding_bounds", encodings::to_string(eo.bounds)}, {"format", encodings::to_string(format)}});
    return 0;
  }
  for (const auto& w : written)
    std::printf("wrote %s (%s, %s bounds, %s)\n", w.c_str(), encodings::to_string(eo.encoding),
                encodings::to_string(eo.bounds), encodings::to_string(format));
  return 0;
}

}  // namespace cli
