// Network files by extension: .onnx or .nnet.
#include <algorithm>

#include "src/net/io.h"
#include "src/util/errors.h"

namespace net {

static std::string extension(const std::string& path) {
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos) return "";
  std::string e = path.substr(dot + 1);
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e;
}

Network read_network(const std::string& path) {
  const std::string e = extension(path);
  if (e == "onnx") return read_onnx(path);
  if (e == "nnet") return read_nnet(path);
  throw util::InputError(path, "", "unknown network format (expected a .onnx or .nnet file)");
}

void write_network(const Network& network, const std::string& path) {
  const std::string e = extension(path);
  if (e == "onnx") return write_onnx(network, path);
  if (e == "nnet") return write_nnet(network, path);
  throw util::InputError(path, "", "unknown network format (expected a .onnx or .nnet file)");
}

}  // namespace net
