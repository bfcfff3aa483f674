// IDX reader: tiny image/label files written here (plain and gzip) read back exactly and scaled
// to [0,1]; bad magic, truncation (plain, inside a gzip stream, and a cut gzip file), trailing
// bytes and image/label count mismatches rejected with util::InputError naming the file; the
// installed FashionMNIST test set loads as 10000 x 784 with labels 0-9.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "src/data/idx.h"
#include "src/util/errors.h"

namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
  return (fs::path(::testing::TempDir()) / ("idx_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::vector<uint8_t> idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out{0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(d >> shift));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string write_plain(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = temp_path(name);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return path;
}

std::string write_gz(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = temp_path(name);
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
  return path;
}

// 3 images of 2 x 2 pixels and their labels.
const std::vector<uint8_t> kPixels{0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0};
const std::vector<uint8_t> kLabels{0, 2, 1};

std::vector<uint8_t> images() { return idx_bytes(0x08, {3, 2, 2}, kPixels); }
std::vector<uint8_t> labels() { return idx_bytes(0x08, {3}, kLabels); }

// Runs f, expects an InputError for `file` whose message contains `needle`.
template <class F>
void expect_input_error(F f, const std::string& file, const std::string& needle) {
  try {
    f();
    FAIL() << "no error; expected one containing '" << needle << "'";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.file(), file) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(IdxReader, ReadsPlainFilesExactlyAndScalesToUnitInterval) {
  const data::Dataset ds = data::read_idx(write_plain("img", images()), write_plain("lab", labels()));
  ASSERT_EQ(ds.x.rows(), 3);
  ASSERT_EQ(ds.x.cols(), 4);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(ds.x(i, j), kPixels[4 * i + j] / 255.0) << i << "," << j;
  EXPECT_EQ(ds.x(0, 1), 1.0);
  EXPECT_EQ(ds.x(0, 2), 0.2);
  EXPECT_EQ(ds.y, (std::vector<int>{0, 2, 1}));
  EXPECT_EQ(ds.num_classes, 3);
}

TEST(IdxReader, NamesTheLabelsNoSampleCarries) {
  const data::Dataset ds = data::read_idx(write_plain("img_absent", images()),
                                          write_plain("lab_absent", idx_bytes(0x08, {3}, {0, 5, 1})));
  EXPECT_EQ(ds.num_classes, 6);  // the largest label decides the width of the output layer
  EXPECT_EQ(data::absent_labels(ds), (std::vector<int>{2, 3, 4}));
  const data::Dataset full = data::read_idx(write_plain("img_full", images()), write_plain("lab_full", labels()));
  EXPECT_TRUE(data::absent_labels(full).empty());
}

TEST(IdxReader, ReadsGzipFilesLikePlainOnes) {
  const data::Dataset plain = data::read_idx(write_plain("img2", images()), write_plain("lab2", labels()));
  const data::Dataset gz = data::read_idx(write_gz("img2.gz", images()), write_gz("lab2.gz", labels()));
  EXPECT_TRUE(plain.x == gz.x);
  EXPECT_EQ(plain.y, gz.y);
  // Mixed: gzip images, plain labels, through load_dataset's "IMAGES,LABELS" form.
  const std::string img = write_gz("img3.gz", images()), lab = write_plain("lab3", labels());
  const data::Dataset mixed = data::load_dataset(img + "," + lab, "");
  EXPECT_TRUE(mixed.x == plain.x);
  EXPECT_EQ(mixed.y, plain.y);
}

TEST(IdxReader, RejectsBadMagic) {
  const std::string lab = write_plain("lab4", labels());
  // Swapped: the label file given as images has 1 dimension.
  expect_input_error([&] { data::read_idx(lab, lab); }, lab, "bad magic 0x00000801");
  // Not starting with two zero bytes.
  std::vector<uint8_t> bad = images();
  bad[0] = 0x1f;
  bad[1] = 0x00;
  const std::string p = write_plain("bad_magic", bad);
  expect_input_error([&] { data::read_idx(p, lab); }, p, "bad magic");
  // Float elements (0x0D) are not unsigned bytes.
  const std::string f = write_plain("float", idx_bytes(0x0D, {3, 2, 2}, kPixels));
  expect_input_error([&] { data::read_idx(f, lab); }, f, "not unsigned bytes");
  // Images given as labels.
  const std::string img = write_plain("img4", images());
  expect_input_error([&] { data::read_idx(img, img); }, img, "expected 0x00000801");
}

TEST(IdxReader, RejectsTruncatedFiles) {
  const std::string lab = write_plain("lab5", labels());
  std::vector<uint8_t> cut = images();
  cut.resize(cut.size() - 3);
  const std::string p = write_plain("cut", cut);
  expect_input_error([&] { data::read_idx(p, lab); }, p, "truncated: 9 of 12 data bytes (2 of 3 images complete)");
  // The same data inside a well-formed gzip stream.
  const std::string g = write_gz("cut.gz", cut);
  expect_input_error([&] { data::read_idx(g, lab); }, g, "truncated: 9 of 12 data bytes");
  // A header cut short.
  const std::vector<uint8_t> whole = images();
  const std::string h = write_plain("header", std::vector<uint8_t>(whole.begin(), whole.begin() + 6));
  expect_input_error([&] { data::read_idx(h, lab); }, h, "truncated: missing size of dimension 1");
  const std::string e = write_plain("empty", {});
  expect_input_error([&] { data::read_idx(e, lab); }, e, "truncated: 0 of 4 magic bytes");
  // A gzip file cut in the middle of the compressed stream: 4000 images so the stream is long.
  std::vector<uint8_t> pixels(4000 * 4);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 7919) % 251);
  const std::string full = write_gz("long.gz", idx_bytes(0x08, {4000, 2, 2}, pixels));
  std::ifstream in(full, std::ios::binary);
  std::vector<char> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(gz.size(), 100u);
  gz.resize(gz.size() / 2);
  const std::string half = temp_path("half.gz");
  std::ofstream(half, std::ios::binary).write(gz.data(), gz.size());
  expect_input_error([&] { data::read_idx(half, lab); }, half, "truncated");
}

TEST(IdxReader, RejectsTrailingBytesAndCountMismatch) {
  std::vector<uint8_t> longer = images();
  longer.push_back(7);
  const std::string lab = write_plain("lab6", labels());
  const std::string p = write_plain("long", longer);
  expect_input_error([&] { data::read_idx(p, lab); }, p, "unexpected bytes after the 3 images");
  const std::string img = write_plain("img6", images());
  const std::string two = write_plain("two", idx_bytes(0x08, {2}, {1, 2}));
  expect_input_error([&] { data::read_idx(img, two); }, two, "has 2 labels but");
}

TEST(IdxReader, RejectsMissingFilesAndUnknownNames) {
  const std::string missing = temp_path("does_not_exist.gz");
  const std::string lab = write_plain("lab7", labels());
  expect_input_error([&] { data::read_idx(missing, lab); }, missing, "cannot open");
  const std::string dir = ::testing::TempDir();
  expect_input_error([&] { data::read_idx(dir, lab); }, dir, "is a directory");
  expect_input_error([&] { data::load_dataset("mnist-digits", "test"); }, "mnist-digits", "unknown data set");
  expect_input_error([&] { data::load_dataset("fashion-mnist", "validation"); }, "fashion-mnist", "unknown split");
  expect_input_error([&] { data::load_dataset("a,b,c", ""); }, "a,b,c", "expected IMAGES,LABELS");
}

TEST(IdxReader, LoadsTheInstalledFashionMnistTestSet) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const data::Dataset ds = data::load_dataset("fashion-mnist", "test");
  ASSERT_EQ(ds.x.rows(), 10000);
  ASSERT_EQ(ds.x.cols(), 784);
  ASSERT_EQ(ds.y.size(), 10000u);
  EXPECT_EQ(ds.num_classes, 10);
  EXPECT_EQ(ds.name, "fashion-mnist/test");
  std::vector<int> count(10, 0);
  for (int l : ds.y) {
    ASSERT_GE(l, 0);
    ASSERT_LE(l, 9);
    count[l]++;
  }
  for (int c = 0; c < 10; ++c) EXPECT_EQ(count[c], 1000) << "class " << c;  // the test set is balanced
  EXPECT_EQ(ds.x.minCoeff(), 0.0);
  EXPECT_EQ(ds.x.maxCoeff(), 1.0);
  // Images are mostly background with a bright object: the mean pixel is far from 0 and 1.
  const double mean = ds.x.mean();
  EXPECT_GT(mean, 0.2);
  EXPECT_LT(mean, 0.4);
}
