// Every network file under ../shared/benchmarks (VNN-COMP 2021, Marabou's NNet files and ONNX
// layer zoo) goes through net::read_network: it loads, with a layered view, or it is refused
// with an InputError. Only the five layer-zoo models without a ReLU-network meaning are refused.
// benchmarks/load_all.sh does the same through `prunecert info`. Skipped when ../shared is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "src/net/io.h"
#include "src/util/errors.h"

namespace fs = std::filesystem;

TEST(BenchmarkNetworks, EveryFileLoadsOrIsRefusedWithAnInputError) {
  const fs::path root = PRUNECERT_SHARED_DIR "/benchmarks";
  if (!fs::exists(root)) GTEST_SKIP() << root << " is absent";
  const std::set<std::string> expected_refused = {"maxpool.onnx", "sigmoid.onnx", "tanh.onnx", "leakyRelu.onnx",
                                                  "dropout_training_mode_true.onnx"};
  int loaded = 0;
  std::set<std::string> refused;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string ext = e.path().extension().string();
    if (ext != ".onnx" && ext != ".nnet") continue;
    SCOPED_TRACE(e.path().string());
    try {
      const net::Network n = net::read_network(e.path().string());
      n.layered();
      ++loaded;
    } catch (const util::InputError& err) {
      refused.insert(e.path().filename().string());
    }
  }
  std::printf("  %d networks loaded, %zu refused\n", loaded, refused.size());
  EXPECT_EQ(refused, expected_refused);
  EXPECT_EQ(loaded, 45 + 1 + 45 + 4 + 19);  // VNN-COMP ACAS Xu, MNIST; Marabou NNet ACAS Xu, MNIST; layer zoo
}
