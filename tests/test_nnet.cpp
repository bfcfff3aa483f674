// NNet reader and writer: exact outputs of a hand-computed network, normalisation folded into the
// first layer, Marabou's ACAS Xu nets agreeing with the VNN-COMP ONNX versions, exact write/read
// round trips, and malformed files rejected with util::InputError at the right line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "src/net/io.h"
#include "src/util/errors.h"

namespace fs = std::filesystem;

namespace {

const fs::path kMarabouNnet = fs::path(PRUNECERT_SHARED_DIR) / "benchmarks/marabou-resources/nnet";

// 2 inputs -> 2 hidden -> 1 output; inputs normalised by means (1, 2) and ranges (2, 4), output
// mean 5 and range 10 (not applied).
const char* kTiny =
    "// tiny test network\n"  // line 1
    "2,2,1,2,\n"              // 2  header
    "2,2,1,\n"                // 3  layer sizes
    "0,\n"                    // 4  symmetric flag
    "-10,-10,\n"              // 5  min
    "10,10,\n"                // 6  max
    "1,2,5,\n"                // 7  means
    "2,4,10,\n"               // 8  ranges
    "1,-1,\n"                 // 9  W0 row 1
    "0.5,2,\n"                // 10 W0 row 2
    "0,\n"                    // 11 b0
    "-1,\n"                   // 12
    "1,1,\n"                  // 13 W1
    "0.5,\n";                 // 14 b1

std::string temp_path(const std::string& name) {
  return (fs::path(::testing::TempDir()) / (std::to_string(::getpid()) + "_" + name)).string();
}

std::string replace_line(std::string text, int line, const std::string& with) {
  size_t begin = 0;
  for (int l = 1; l < line; ++l) begin = text.find('\n', begin) + 1;
  return text.replace(begin, text.find('\n', begin) - begin, with);
}

void expect_same_layers(const net::LayeredNetwork& a, const net::LayeredNetwork& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t k = 0; k < a.layers.size(); ++k) {
    ASSERT_EQ(a.layers[k].W.rows(), b.layers[k].W.rows()) << "layer " << k;
    ASSERT_EQ(a.layers[k].W.cols(), b.layers[k].W.cols()) << "layer " << k;
    EXPECT_TRUE(a.layers[k].W == b.layers[k].W) << "layer " << k;
    EXPECT_TRUE(a.layers[k].b == b.layers[k].b) << "layer " << k;
  }
}

}  // namespace

TEST(NNetReader, TinyNetworkGivesHandComputedOutputs) {
  const net::Network n = net::read_nnet_text(kTiny, "tiny");
  // x = (3, 6): normalised (1, 1), hidden relu(0, 1.5), output 0 + 1.5 + 0.5.
  EXPECT_EQ(n.eval(net::Vector{{3.0, 6.0}})[0], 2.0);
  // x = (5, -2): normalised (2, -1), hidden relu(3, -2) = (3, 0), output 3.5.
  EXPECT_EQ(n.eval(net::Vector{{5.0, -2.0}})[0], 3.5);
  EXPECT_EQ(n.layered().eval(net::Vector{{5.0, -2.0}})[0], 3.5);
}

TEST(NNetReader, FoldsNormalisationIntoFirstLayerAndRecordsIt) {
  net::NNetInfo info;
  const net::LayeredNetwork l = net::read_nnet_text(kTiny, "tiny", &info).layered();
  ASSERT_EQ(l.layers.size(), 2u);
  // W' = W diag(1 / range), b' = b - W' mean.
  EXPECT_TRUE(l.layers[0].W == (net::Matrix(2, 2) << 0.5, -0.25, 0.25, 0.5).finished());
  EXPECT_TRUE(l.layers[0].b == (net::Vector(2) << 0.0, -2.25).finished());
  EXPECT_TRUE(l.layers[1].W == (net::Matrix(1, 2) << 1.0, 1.0).finished());
  EXPECT_TRUE(l.layers[1].b == (net::Vector(1) << 0.5).finished());
  EXPECT_EQ(info.input_min, (std::vector<double>{-10, -10}));
  EXPECT_EQ(info.input_max, (std::vector<double>{10, 10}));
  EXPECT_EQ(info.means, (std::vector<double>{1, 2, 5}));
  EXPECT_EQ(info.ranges, (std::vector<double>{2, 4, 10}));
}

TEST(NNetReader, AcceptsMissingTrailingCommasBlankLinesAndCrLf) {
  std::string text;
  for (char ch : std::string(kTiny)) {
    if (ch == '\n') text += "\r\n\r\n";
    else if (ch != ',') text += ch;
    else text += ", ";
  }
  EXPECT_EQ(net::read_nnet_text(text, "tiny").eval(net::Vector{{3.0, 6.0}})[0], 2.0);
}

TEST(NNetReader, AcasXuAgreesWithTheVnnCompOnnxVersion) {
  const fs::path file = kMarabouNnet / "acasxu/ACASXU_experimental_v2a_1_1.nnet";
  if (!fs::exists(file)) GTEST_SKIP() << file << " not found";
  net::NNetInfo info;
  const net::Network n = net::read_nnet(file.string(), &info);
  const net::LayeredNetwork l = n.layered();
  EXPECT_EQ(l.input_dim(), 5);
  EXPECT_EQ(l.output_dim(), 5);
  EXPECT_EQ(l.num_hidden(), 6);
  EXPECT_EQ(l.num_relus(), 300);
  EXPECT_EQ(info.means, (std::vector<double>{1.9791091e+04, 0.0, 0.0, 650.0, 600.0, 7.5188840201005975}));
  EXPECT_EQ(info.ranges[0], 60261.0);
  EXPECT_EQ(info.input_max[0], 60760.0);
  // Raw inputs x; the reference is ACASXU_run2a_1_1_batch_2000.onnx (VNN-COMP 2021) evaluated with
  // numpy at (x - mean) / range. The ONNX weights are float32, hence the tolerance.
  const std::vector<std::pair<net::Vector, net::Vector>> cases = {
      {net::Vector{{2000, -0.5, 1.0, 500, 700}},
       net::Vector{{0.05289361545084283, 0.06934557777799125, 0.0418381119545364, 0.07422943643865414,
                    0.02677495806442821}}},
      {net::Vector{{55947.691, 0.0, 3.1, 1145, 0}},
       net::Vector{{-0.01897186736705659, -0.01428577888663049, -0.0179863704463954, -0.01360569752030149,
                    -0.01734931015145913}}},
      {net::Vector{{1500, 0.06, -3.1, 1200, 1200}},
       net::Vector{{0.173831391403771, 0.16823627006635053, 0.17898923735951308, 0.12098911896328615,
                    0.1354786374589729}}},
  };
  for (const auto& [x, y] : cases) {
    const net::Vector got = n.eval(x);
    for (int i = 0; i < 5; ++i) EXPECT_NEAR(got[i], y[i], 1e-5) << "x = " << x.transpose() << ", output " << i;
    EXPECT_LT((l.eval(x) - got).cwiseAbs().maxCoeff(), 1e-12);
  }
}

TEST(NNetReader, ReadsEveryMarabouNetwork) {
  if (!fs::exists(kMarabouNnet)) GTEST_SKIP() << kMarabouNnet << " not found";
  int count = 0;
  for (const auto& e : fs::recursive_directory_iterator(kMarabouNnet)) {
    if (e.path().extension() != ".nnet") continue;
    SCOPED_TRACE(e.path().string());
    net::NNetInfo info;
    const net::LayeredNetwork l = net::read_nnet(e.path().string(), &info).layered();
    const bool mnist = e.path().parent_path().filename() == "mnist";
    EXPECT_EQ(l.input_dim(), mnist ? 784 : 5);
    EXPECT_EQ(l.output_dim(), mnist ? 10 : 5);
    EXPECT_EQ(info.means.size(), l.input_dim() + 1u);
    EXPECT_TRUE(l.eval(net::Vector::Zero(l.input_dim())).allFinite());
    ++count;
  }
  EXPECT_EQ(count, 45 + 4);
}

TEST(NNetReader, MnistLayerSizesMatchTheFileName) {
  const fs::path file = kMarabouNnet / "mnist/mnist10x20.nnet";
  if (!fs::exists(file)) GTEST_SKIP() << file << " not found";
  const net::LayeredNetwork l = net::read_nnet(file.string()).layered();
  EXPECT_EQ(l.num_hidden(), 10);
  for (int k = 0; k < l.num_hidden(); ++k) EXPECT_EQ(l.hidden_width(k), 20);
}

TEST(NNetWriter, WriteThenReadGivesIdenticalWeights) {
  std::vector<net::Network> nets{net::read_nnet_text(kTiny, "tiny")};
  const fs::path acas = kMarabouNnet / "acasxu/ACASXU_experimental_v2a_3_7.nnet";
  if (fs::exists(acas)) nets.push_back(net::read_nnet(acas.string()));
  const std::string path = temp_path("roundtrip.nnet");
  for (const auto& n : nets) {
    net::write_nnet(n, path);
    net::NNetInfo info;
    const net::Network back = net::read_nnet(path, &info);
    expect_same_layers(n.layered(), back.layered());
    const size_t d = n.input_size();
    EXPECT_EQ(info.means, std::vector<double>(d + 1, 0.0));
    EXPECT_EQ(info.ranges, std::vector<double>(d + 1, 1.0));
    EXPECT_EQ(info.input_max, std::vector<double>(d, 1e30));
  }
  fs::remove(path);
}

TEST(NNetWriter, UnwritablePathIsAnInputError) {
  EXPECT_THROW(net::write_nnet(net::read_nnet_text(kTiny, "tiny"), "/nonexistent-dir/x.nnet"), util::InputError);
}

TEST(NNetReader, MissingFileIsAnInputError) {
  EXPECT_THROW(net::read_nnet("/nonexistent-dir/x.nnet"), util::InputError);
}

TEST(NNetReader, MalformedFilesNameTheLine) {
  struct Case {
    std::string text;
    int line;
    std::string problem;  // a part of the message
  };
  const std::string tiny = kTiny;
  const std::vector<Case> cases = {
      {"", 1, "unexpected end of file"},
      {replace_line(tiny, 2, "2,2,1,"), 2, "expected 4 fields"},
      {replace_line(tiny, 2, "2,2,x,2,"), 2, "'x' is not an integer"},
      {replace_line(tiny, 2, "-2,2,1,2,"), 2, "'-2' is not an integer in [1, 16777216]"},
      {replace_line(tiny, 2, "2,2,1,99999999999999999999999,"), 2, "is not an integer"},
      {replace_line(tiny, 2, "70000,2,1,2,"), 2, "more than 65536 layers"},
      {replace_line(tiny, 2, "2,2,1,,2"), 2, "empty field"},
      {replace_line(tiny, 3, "3,2,1,"), 3, "the header says 2 inputs"},
      {replace_line(tiny, 3, "2,0,1,"), 3, "'0' is not an integer in [1"},
      {replace_line(tiny, 3, "2,2,"), 3, "expected 3 fields (layer sizes), found 2"},
      {replace_line(tiny, 5, "-10,"), 5, "input minimums"},
      {replace_line(tiny, 7, "1,2,"), 7, "expected 3 fields"},
      {replace_line(tiny, 8, "2,0,10,"), 8, "the range of input 1 is zero"},
      {replace_line(tiny, 8, "1e-320,4,10,"), 8, "overflows"},
      {replace_line(tiny, 9, "1,abc,"), 9, "'abc' is not a finite number (layer 1 weight row 1)"},
      {replace_line(tiny, 9, "nan,1,"), 9, "'nan' is not a finite number"},
      {replace_line(tiny, 9, "1e999,1,"), 9, "'1e999' is not a finite number"},
      {replace_line(tiny, 10, "0.5,2,3,"), 10, "expected 2 fields"},
      {replace_line(tiny, 12, "-1,2,"), 12, "layer 1 bias 2"},
      {tiny.substr(0, tiny.rfind("0.5")), 14, "unexpected end of file, expected layer 2 bias 1"},
      {tiny + "1,\n", 15, "unexpected content after the last layer"},
      // A header announcing a 2^24 x 2^24 layer must not allocate it.
      {"3,1,1,16777216,\n1,16777216,16777216,1,\n0,\n0,\n1,\n0,0,\n1,1,\n1,\n", 2, "too short"},
  };
  for (const auto& c : cases) {
    try {
      net::read_nnet_text(c.text, "bad.nnet");
      ADD_FAILURE() << "accepted:\n" << c.text;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.file(), "bad.nnet");
      EXPECT_EQ(e.place(), "line " + std::to_string(c.line)) << e.what();
      EXPECT_NE(e.problem().find(c.problem), std::string::npos) << e.what() << "\nexpected: " << c.problem;
    }
  }
}
