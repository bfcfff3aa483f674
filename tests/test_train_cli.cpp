// `prunecert train` end to end: bad options are input errors (exit 2, one line naming the
// option), and a run on small IDX files writes a network whose metadata records the data,
// the loss, the seed, the accuracy and a command line that reproduces it bit for bit.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "src/data/idx.h"
#include "src/net/io.h"
#include "tests/run_command.h"
#include "tests/temp_file.h"

namespace {


using TrainRun = testutil::CmdRun;
using testutil::run_prunecert;

void put_be32(std::ofstream& out, uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  out.write(b, 4);
}

// Three classes of 8x8 images: a bright row band, column band or diagonal, plus noise.
std::string write_idx_pair(const std::string& stem, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::ofstream images(stem + "-images.idx", std::ios::binary), labels(stem + "-labels.idx", std::ios::binary);
  put_be32(images, 0x00000803);
  put_be32(images, n);
  put_be32(images, 8);
  put_be32(images, 8);
  put_be32(labels, 0x00000801);
  put_be32(labels, n);
  for (int s = 0; s < n; ++s) {
    const int c = s % 3;
    for (int r = 0; r < 8; ++r)
      for (int q = 0; q < 8; ++q) {
        const bool on = (c == 0 && r / 2 == 1) || (c == 1 && q / 2 == 2) || (c == 2 && r == q);
        const int v = (on ? 170 : 20) + static_cast<int>(rng() % 60);
        images.put(static_cast<char>(v));
      }
    labels.put(static_cast<char>(c));
  }
  return stem + "-images.idx," + stem + "-labels.idx";
}

struct IdxData {
  std::string train, test;
};

const IdxData& idx_data() {
  static const IdxData d = {write_idx_pair(testutil::temp_file("train_cli_train"), 600, 1),
                            write_idx_pair(testutil::temp_file("train_cli_test"), 300, 2)};
  return d;
}

std::string data_args() { return "--data " + idx_data().train + " --test-data " + idx_data().test; }

void expect_input_error(const std::string& args, const std::string& names) {
  const TrainRun r = run_prunecert("train " + args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.out;
  EXPECT_NE(r.out.find(names), std::string::npos) << args << "\n" << r.out;
}

}  // namespace

TEST(TrainCli, BadOptionsAreInputErrorsNamingTheOption) {
  const std::string out = " --output " + testutil::temp_file("never.onnx");
  expect_input_error("--loss hinge" + out, "--loss");
  expect_input_error("--loss prune-robust --widths 8,4" + out, "--budget");
  expect_input_error("--loss prune-robust --widths 8,4 --budget 0,4" + out, "--budget");
  expect_input_error("--loss prune-robust --widths 8,4 --budget 1" + out, "--budget");
  expect_input_error("--budget 0,1 --widths 8,4" + out, "--budget");
  expect_input_error("--loss ibp" + out, "--eps");
  expect_input_error("--eps 0.1" + out, "--eps");
  expect_input_error("--widths 8,x" + out, "--widths");
  expect_input_error("--widths 8,0" + out, "--widths");
  expect_input_error("--widths 8 --output net.txt", "net.txt");
  expect_input_error("--widths 8", "--output");
  expect_input_error("--widths 8 --param-budget 10 " + data_args() + out, "--param-budget");
  // 400 parameters keep about 5 of the 12 neurons: a budget of 6 would prune every one of them.
  expect_input_error("--loss prune-robust --widths 12 --budget 6 --param-budget 400 " + data_args() + out,
                     "--param-budget keeps");
  expect_input_error("--widths 8 --data /nonexistent/a,/nonexistent/b --test-data /nonexistent/c,/nonexistent/d" + out,
                     "/nonexistent/a");
  expect_input_error("--widths 8 --data /nonexistent/a,/nonexistent/b" + out, "--test-data");
}

TEST(TrainCli, WritesANetworkWithMetadataAndACommandThatReproducesIt) {
  const std::string path = testutil::temp_file("train_cli.onnx");
  const TrainRun r = run_prunecert("train " + data_args() +
                                       " --widths 12,6 --no-bias --epochs 6 --batch-size 32 --seed 9 --lr 0.003 --json --output " +
                                       path,
                                   false);
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_GT(j.at("test_accuracy").get<double>(), 0.9);
  EXPECT_EQ(j.at("epochs").size(), 6u);
  EXPECT_EQ(j.at("hidden_widths"), nlohmann::json({12, 6}));
  const net::Network n = net::read_network(path);
  EXPECT_EQ(n.metadata.at("loss"), "ce");
  EXPECT_EQ(n.metadata.at("seed"), "9");
  EXPECT_EQ(n.metadata.at("bias"), "no");
  EXPECT_EQ(std::stod(n.metadata.at("accuracy")), j.at("test_accuracy").get<double>());
  const std::string command = n.metadata.at("command");
  EXPECT_NE(command.find("--widths 12,6"), std::string::npos) << command;
  EXPECT_NE(command.find("--lr 0.003"), std::string::npos) << command;
  EXPECT_EQ(command.find("--json"), std::string::npos) << command;
  EXPECT_EQ(n.layered().num_hidden(), 2);
  for (const auto& layer : n.layered().layers) EXPECT_TRUE(layer.b.isZero());

  // Running the recorded command again gives the same network.
  const std::string again = testutil::temp_file("train_cli_again.onnx");
  std::string replay = command.substr(std::string("prunecert ").size());
  ASSERT_NE(replay.find(path), std::string::npos) << command;
  replay.replace(replay.find(path), path.size(), again);
  const TrainRun r2 = run_prunecert(replay + " --verbosity 0");
  ASSERT_EQ(r2.code, 0) << r2.out;
  const net::LayeredNetwork a = n.layered(), b = net::read_network(again).layered();
  for (size_t k = 0; k < a.layers.size(); ++k) EXPECT_TRUE(a.layers[k].W == b.layers[k].W) << "layer " << k;
  std::remove(path.c_str());
  std::remove(again.c_str());
}

TEST(TrainCli, PruneRobustAndIbpRunsRecordTheirBudgetAndEps) {
  const std::string path = testutil::temp_file("train_cli_pr.nnet");
  TrainRun r = run_prunecert("train " + data_args() +
                             " --widths 12,6 --epochs 2 --loss prune-robust --budget 0,1 --warmup-epochs 0 --ramp-epochs 1 "
                             "--output " + path);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("delta"), std::string::npos) << r.out;  // the per-epoch progress line
  EXPECT_EQ(net::read_network(path).layered().hidden_width(1), 6);
  const std::string ibp = testutil::temp_file("train_cli_ibp.onnx");
  r = run_prunecert("train " + data_args() +
                    " --widths 12,6 --epochs 3 --loss ibp --eps 0.05 --eps-start 0 --eps-length 1 --param-budget 400 "
                    "--deactivate-every 1 --output " + ibp);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ibp-verified"), std::string::npos) << r.out;
  const net::Network n = net::read_network(ibp);
  EXPECT_EQ(n.metadata.at("eps"), "0.05");
  EXPECT_LE(std::stoll(n.metadata.at("parameters")), 400);
  EXPECT_LE(n.layered().num_parameters(), 400);
  std::remove(path.c_str());
  std::remove(ibp.c_str());
}

// The example networks of examples/ (examples/README.md): 784-128-64-32-10 without biases, with
// the training metadata of `prunecert train`; the clean test accuracy recorded there is what the
// verifier's own exact evaluation of the saved file gives on the FashionMNIST test set.
TEST(TrainExamples, ExampleNetworksHaveTheirShapeMetadataAndRecordedAccuracy) {
  namespace fs = std::filesystem;
  const std::string dir = std::string(PRUNECERT_SOURCE_DIR) + "/examples/";
  const bool have_data = fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
  data::Dataset test;
  if (have_data) test = data::load_dataset("fashion-mnist", "test");
  int found = 0;
  for (const std::string loss : {"ce", "prune-robust", "ibp"}) {
    const std::string name = std::string("fmnist-mlp-") + (loss == "ce" ? "standard" : loss) + ".onnx";
    if (!fs::exists(dir + name)) continue;
    ++found;
    SCOPED_TRACE(name);
    const net::Network n = net::read_network(dir + name);
    const net::LayeredNetwork L = n.layered();
    ASSERT_EQ(L.input_dim(), 784);
    ASSERT_EQ(L.num_hidden(), 3);
    EXPECT_EQ(L.hidden_width(0), 128);
    EXPECT_EQ(L.hidden_width(1), 64);
    EXPECT_EQ(L.hidden_width(2), 32);
    EXPECT_EQ(L.output_dim(), 10);
    for (const auto& layer : L.layers) EXPECT_EQ(layer.b.cwiseAbs().maxCoeff(), 0.0) << "an example has biases";
    EXPECT_EQ(n.metadata.at("loss"), loss);
    EXPECT_EQ(n.metadata.at("bias"), "no");
    const std::string cmd = n.metadata.at("command");
    EXPECT_NE(cmd.find("--loss " + loss), std::string::npos) << cmd;
    EXPECT_NE(cmd.find("--no-bias"), std::string::npos) << cmd;
    EXPECT_EQ(n.metadata.count("stopped"), 0u) << "trained under a timeout";
    if (loss == "prune-robust") EXPECT_EQ(n.metadata.at("budget"), "0,0,3");
    if (loss == "ibp") EXPECT_EQ(std::stod(n.metadata.at("eps")), 0.1);
    if (!have_data) continue;
    int correct = 0;
    for (Eigen::Index i = 0; i < test.x.rows(); ++i) {
      Eigen::Index arg = 0;
      L.eval(test.x.row(i).transpose()).maxCoeff(&arg);
      correct += arg == test.y[i];
    }
    const double acc = static_cast<double>(correct) / static_cast<double>(test.x.rows());
    EXPECT_NEAR(acc, std::stod(n.metadata.at("accuracy")), 1e-9);
    if (loss == "ce") EXPECT_GE(acc, 0.85);
  }
  if (found == 0) GTEST_SKIP() << "no example networks in " << dir;
}
