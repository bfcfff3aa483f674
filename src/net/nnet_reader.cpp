// Reads the NNet format of Reluplex/Marabou (Kyle Julian, 2016): "//" comment lines, a header
// "numLayers,inputSize,outputSize,maxLayerSize", the layer sizes, a symmetric flag, input min and
// max, means and ranges (inputSize + 1 entries, the last for the outputs), then per layer its
// weight rows and its bias rows, one comma-separated line each (trailing commas allowed).
// (x - mean_i) / range_i is folded into the first layer; min/max are recorded but not applied.
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string_view>

#include "src/net/io.h"
#include "src/util/errors.h"

namespace net {
namespace {

// Caps that keep a crafted header from allocating much more than the file holds.
constexpr int64_t kMaxLayers = 1 << 16;
constexpr int64_t kMaxLayerSize = 1 << 24;

// The text as numbered lines of comma-separated fields; blank and "//" lines are skipped.
class LineReader {
 public:
  LineReader(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  [[noreturn]] void fail_at(int64_t line, const std::string& problem) const {
    throw util::InputError(source_, "line " + std::to_string(line), problem);
  }
  [[noreturn]] void fail(const std::string& problem) const { fail_at(line_, problem); }

  // Moves to the next content line; false at the end of the text.
  bool advance() {
    while (pos_ < text_.size()) {
      size_t end = text_.find('\n', pos_);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view line = trim(text_.substr(pos_, end - pos_));
      pos_ = end + 1;
      ++line_;
      if (!line.empty() && !line.starts_with("//")) {
        current_ = line;
        return true;
      }
    }
    ++line_;  // errors at the end of the text point just past its last line
    return false;
  }

  // The fields of the next content line, which must hold exactly `count` of them.
  std::vector<std::string_view> fields(size_t count, const std::string& what) {
    if (!advance()) fail("unexpected end of file, expected " + what);
    std::vector<std::string_view> out;
    for (size_t start = 0;;) {
      size_t comma = current_.find(',', start);
      std::string_view f = trim(current_.substr(start, comma == std::string_view::npos ? comma : comma - start));
      if (comma == std::string_view::npos) {
        if (!f.empty()) out.push_back(f);  // a trailing comma leaves one empty field
        break;
      }
      if (f.empty()) fail("empty field in " + what);
      out.push_back(f);
      start = comma + 1;
    }
    if (out.size() != count)
      fail("expected " + std::to_string(count) + (count == 1 ? " field (" : " fields (") + what + "), found " +
           std::to_string(out.size()));
    return out;
  }

  std::vector<double> numbers(size_t count, const std::string& what) {
    std::vector<double> out;
    for (std::string_view f : fields(count, what)) {
      double v = 0;
      auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      if (ec != std::errc() || end != f.data() + f.size() || !std::isfinite(v))
        fail("'" + std::string(f.substr(0, 40)) + "' is not a finite number (" + what + ")");
      out.push_back(v);
    }
    return out;
  }

  // Integers in [lo, hi].
  std::vector<int64_t> integers(size_t count, int64_t lo, int64_t hi, const std::string& what) {
    std::vector<int64_t> out;
    for (std::string_view f : fields(count, what)) {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      if (ec != std::errc() || end != f.data() + f.size() || v < lo || v > hi)
        fail("'" + std::string(f.substr(0, 40)) + "' is not an integer in [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "] (" + what + ")");
      out.push_back(v);
    }
    return out;
  }

  int64_t line() const { return line_; }
  size_t bytes_left() const { return text_.size() - std::min(pos_, text_.size()); }

 private:
  static std::string_view trim(std::string_view s) {
    const char* ws = " \t\r\f\v";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
  }

  std::string_view text_, current_;
  const std::string& source_;
  size_t pos_ = 0;
  int64_t line_ = 0;
};

}  // namespace

Network read_nnet_text(const std::string& text, const std::string& source_name, NNetInfo* info) {
  LineReader in(text, source_name);
  const auto header = in.integers(4, 1, kMaxLayerSize, "header: numLayers, inputSize, outputSize, maxLayerSize");
  if (header[0] > kMaxLayers) in.fail("more than " + std::to_string(kMaxLayers) + " layers");
  const int64_t num_layers = header[0], n_in = header[1], n_out = header[2];  // maxLayerSize is not needed

  const auto sizes = in.integers(num_layers + 1, 1, kMaxLayerSize, "layer sizes");
  const int64_t sizes_line = in.line();
  if (sizes.front() != n_in || sizes.back() != n_out)
    in.fail("layer sizes start with " + std::to_string(sizes.front()) + " and end with " +
            std::to_string(sizes.back()) + ", but the header says " + std::to_string(n_in) + " inputs and " +
            std::to_string(n_out) + " outputs");
  in.numbers(1, "symmetric flag");

  NNetInfo meta;
  meta.input_min = in.numbers(n_in, "input minimums");
  meta.input_max = in.numbers(n_in, "input maximums");
  meta.means = in.numbers(n_in + 1, "means of the inputs, then of the outputs");
  meta.ranges = in.numbers(n_in + 1, "ranges of the inputs, then of the outputs");
  const int64_t ranges_line = in.line();
  for (int64_t i = 0; i < n_in; ++i)
    if (meta.ranges[i] == 0) in.fail("the range of input " + std::to_string(i) + " is zero");

  LayeredNetwork layered;
  for (int64_t k = 0; k < num_layers; ++k) {
    const int64_t rows = sizes[k + 1], cols = sizes[k];
    const std::string layer = "layer " + std::to_string(k + 1);
    // Every number takes at least one byte, so this bounds the allocation by the file size.
    if (static_cast<uint64_t>(rows * (cols + 1)) > in.bytes_left())
      in.fail_at(sizes_line, "the file is too short for the " + std::to_string(rows) + " x " + std::to_string(cols) +
                                 " weights of " + layer);
    AffineLayer a{Matrix(rows, cols), Vector(rows)};
    for (int64_t r = 0; r < rows; ++r) {
      const auto w = in.numbers(cols, layer + " weight row " + std::to_string(r + 1));
      a.W.row(r) = Eigen::Map<const Vector>(w.data(), cols).transpose();
    }
    for (int64_t r = 0; r < rows; ++r) a.b[r] = in.numbers(1, layer + " bias " + std::to_string(r + 1))[0];
    layered.layers.push_back(std::move(a));
  }
  if (in.advance()) in.fail("unexpected content after the last layer");

  // W ((x - mean) / range) + b = (W diag(1/range)) x + (b - W diag(1/range) mean).
  AffineLayer& first = layered.layers.front();
  for (int64_t j = 0; j < n_in; ++j) first.W.col(j) /= meta.ranges[j];
  first.b -= first.W * Eigen::Map<const Vector>(meta.means.data(), n_in);
  if (!first.W.allFinite() || !first.b.allFinite())
    in.fail_at(ranges_line, "dividing the weights of layer 1 by these ranges overflows");

  Network network = Network::from_layered(layered);
  network.source = source_name;
  if (info) *info = std::move(meta);
  return network;
}

Network read_nnet(const std::string& path, NNetInfo* info) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw util::InputError(path, "", "cannot open the file");
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad()) throw util::InputError(path, "", "cannot read the file");
  return read_nnet_text(text.str(), path, info);
}

}  // namespace net
