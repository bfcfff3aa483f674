// Writes a network's layered view as NNet (format in nnet_reader.cpp) with neutral normalisation:
// means 0 and ranges 1, so the stored weights are the network's own, and input min/max -1e30 and
// 1e30, so tools that clamp inputs to [min, max] (Marabou) leave them alone. Numbers are printed
// with %.17g, which read_nnet parses back to the same doubles.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "src/net/io.h"
#include "src/util/errors.h"

namespace net {

namespace {

constexpr double kUnbounded = 1e30;

void put_row(std::FILE* f, const Vector& values) {
  for (double v : values) std::fprintf(f, "%.17g,", v);
  std::fputc('\n', f);
}

}  // namespace

void write_nnet(const Network& network, const std::string& path) {
  const LayeredNetwork l = network.layered();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "w"), std::fclose);
  if (!file) throw util::InputError(path, "", "cannot open the file for writing");
  std::FILE* f = file.get();

  std::vector<int64_t> sizes{l.input_dim()};
  for (const auto& a : l.layers) sizes.push_back(a.W.rows());
  std::fprintf(f, "// Written by prunecert: neutral normalisation (means 0, ranges 1), inputs unbounded (+-1e30)\n");
  std::fprintf(f, "%zu,%d,%d,%lld,\n", l.layers.size(), l.input_dim(), l.output_dim(),
               static_cast<long long>(*std::max_element(sizes.begin(), sizes.end())));
  for (int64_t s : sizes) std::fprintf(f, "%lld,", static_cast<long long>(s));
  std::fprintf(f, "\n0,\n");
  const int n = l.input_dim();
  put_row(f, Vector::Constant(n, -kUnbounded));  // min
  put_row(f, Vector::Constant(n, kUnbounded));   // max
  put_row(f, Vector::Zero(n + 1));               // means
  put_row(f, Vector::Ones(n + 1));               // ranges
  for (const auto& a : l.layers) {
    for (Eigen::Index r = 0; r < a.W.rows(); ++r) put_row(f, a.W.row(r).transpose());
    for (Eigen::Index r = 0; r < a.b.size(); ++r) put_row(f, a.b.segment(r, 1));
  }
  if (std::ferror(f) || std::fclose(file.release()) != 0)
    throw util::InputError(path, "", "cannot write the file");
}

}  // namespace net
