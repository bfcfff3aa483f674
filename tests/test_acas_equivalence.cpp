// The two public forms of ACAS Xu agree: Marabou's NNet files (input normalisation inside the
// file) and the VNN-COMP 2021 ONNX files (inputs already normalised), i.e.
// NNet(raw) = ONNX((raw - mean) / range) on raw inputs within the NNet's input min/max.
// Both are read from ../shared; the test is skipped when it is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "src/net/io.h"

namespace {

const std::string kShared = PRUNECERT_SHARED_DIR "/benchmarks";

}  // namespace

TEST(AcasXu, NnetOnRawInputsEqualsOnnxOnNormalisedInputs) {
  for (const auto& [i, j] : {std::pair{1, 1}, std::pair{2, 7}, std::pair{5, 9}}) {
    const std::string id = std::to_string(i) + "_" + std::to_string(j);
    const std::string onnx_path = kShared + "/vnncomp2021/acasxu/ACASXU_run2a_" + id + "_batch_2000.onnx";
    const std::string nnet_path = kShared + "/marabou-resources/nnet/acasxu/ACASXU_experimental_v2a_" + id + ".nnet";
    if (!std::filesystem::exists(onnx_path) || !std::filesystem::exists(nnet_path))
      GTEST_SKIP() << "ACAS Xu networks not found under " << kShared;
    SCOPED_TRACE(id);
    net::NNetInfo info;
    const net::Network nnet = net::read_nnet(nnet_path, &info);
    const net::Network onnx = net::read_onnx(onnx_path);
    ASSERT_EQ(nnet.input_size(), 5);
    ASSERT_EQ(onnx.input_size(), 5);
    ASSERT_EQ(info.input_min.size(), 5u);
    ASSERT_EQ(info.input_max.size(), 5u);
    ASSERT_GE(info.means.size(), 5u);
    ASSERT_GE(info.ranges.size(), 5u);
    std::mt19937 rng(100 * i + j);
    double worst = 0;
    for (int t = 0; t < 100; ++t) {
      net::Vector raw(5), normalised(5);
      for (int k = 0; k < 5; ++k) {
        raw[k] = std::uniform_real_distribution<double>(info.input_min[k], info.input_max[k])(rng);
        normalised[k] = (raw[k] - info.means[k]) / info.ranges[k];
      }
      const net::Vector a = nnet.eval(raw), b = onnx.eval(normalised);
      ASSERT_EQ(a.size(), b.size());
      worst = std::max(worst, (a - b).cwiseAbs().maxCoeff());
    }
    std::printf("  ACAS Xu %s: max |NNet - ONNX| = %.3g over 100 inputs\n", id.c_str(), worst);
    EXPECT_LE(worst, 1e-6);
  }
}
