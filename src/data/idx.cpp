// IDX reader (LeCun's MNIST format, also used by FashionMNIST): a 4-byte magic 0x0000TTNN
// (TT = 0x08 unsigned bytes, NN = number of dimensions), NN big-endian 32-bit sizes, then the
// data. Files are read through zlib's gzread, which also reads uncompressed files unchanged.
// Images (NN >= 2) become rows scaled to [0,1]; labels (NN = 1) become ints. Checked strictly:
// bad magic, truncation, trailing bytes and image/label count mismatches are InputErrors.
#include "src/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>

#include "src/util/errors.h"

namespace data {

namespace {

// Refuse headers that promise more than this many bytes of data (a corrupted size field
// would otherwise make us allocate gigabytes before noticing the truncation).
constexpr uint64_t kMaxDataBytes = uint64_t{1} << 32;

struct IdxFile {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> bytes;  // product of dims, row-major
};

class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    if (std::filesystem::is_directory(path)) throw util::InputError(path, "", "is a directory, not an IDX file");
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) {
      const int err = errno;
      throw util::InputError(path, "", std::string("cannot open: ") + (err ? std::strerror(err) : "out of memory"));
    }
    gzbuffer(file_, 1 << 17);
  }
  ~GzReader() {
    if (file_) gzclose(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  // A corrupt gzip stream is an InputError naming the byte offset.
  size_t read(uint8_t* out, size_t n) {
    size_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      const int got = gzread(file_, out + done, chunk);
      if (got <= 0) {
        // zlib reports a gzip stream cut short as -1, or as end of file plus an error state.
        int code = 0;
        const char* msg = gzerror(file_, &code);
        if (got < 0 || (code != Z_OK && code != Z_STREAM_END))
          throw util::InputError(path_, "byte " + std::to_string(offset_ + done) + " of the uncompressed data",
                                 std::string("truncated or corrupt gzip data: ") + (msg ? msg : "read error"));
        break;
      }
      done += static_cast<size_t>(got);
    }
    offset_ += done;
    return done;
  }
  uint64_t offset() const { return offset_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  uint64_t offset_ = 0;
};

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hex_magic(const uint8_t* p) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  for (int i = 0; i < 4; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

// what: "images" or "labels" (for messages); min_dims/max_dims: accepted dimension counts.
IdxFile read_idx_file(const std::string& path, const std::string& what, int min_dims, int max_dims) {
  GzReader in(path);
  uint8_t head[4];
  const size_t got = in.read(head, 4);
  if (got < 4) throw util::InputError(path, "header", "truncated: " + std::to_string(got) + " of 4 magic bytes");
  const std::string expected = what == "labels" ? "0x00000801" : "0x00000803";
  if (head[0] != 0 || head[1] != 0)
    throw util::InputError(path, "header", "bad magic " + hex_magic(head) + ", expected " + expected + " (IDX " +
                                               what + ")");
  if (head[2] != 0x08)
    throw util::InputError(path, "header", "element type " + hex_magic(head) +
                                               " is not unsigned bytes (0x08); expected " + expected);
  const int ndims = head[3];
  if (ndims < min_dims || ndims > max_dims)
    throw util::InputError(path, "header", "bad magic " + hex_magic(head) + ": " + std::to_string(ndims) +
                                               " dimensions, expected " + expected + " (IDX " + what + ")");
  IdxFile f;
  uint64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    uint8_t b[4];
    if (in.read(b, 4) < 4)
      throw util::InputError(path, "header", "truncated: missing size of dimension " + std::to_string(d + 1));
    f.dims.push_back(big_endian(b));
    total *= f.dims.back();
    if (total > kMaxDataBytes)
      throw util::InputError(path, "header", "sizes promise more than " + std::to_string(kMaxDataBytes) + " bytes");
  }
  f.bytes.resize(total);
  const size_t data_start = 4 + 4 * static_cast<size_t>(ndims);
  const size_t n = in.read(f.bytes.data(), total);
  if (n < total) {
    const uint64_t item = f.dims.empty() || f.dims[0] == 0 ? 0 : total / f.dims[0];
    throw util::InputError(path, "byte " + std::to_string(data_start + n),
                           "truncated: " + std::to_string(n) + " of " + std::to_string(total) +
                               " data bytes (" + std::to_string(item ? n / item : 0) + " of " +
                               std::to_string(f.dims[0]) + " " + what + " complete)");
  }
  uint8_t extra;
  if (in.read(&extra, 1) != 0)
    throw util::InputError(path, "byte " + std::to_string(data_start + total),
                           "unexpected bytes after the " + std::to_string(f.dims[0]) + " " + what +
                               " the header announces");
  return f;
}

}  // namespace

Dataset read_idx(const std::string& images_path, const std::string& labels_path) {
  const IdxFile images = read_idx_file(images_path, "images", 2, 4);
  const IdxFile labels = read_idx_file(labels_path, "labels", 1, 1);
  const uint32_t n = images.dims[0];
  if (labels.dims[0] != n)
    throw util::InputError(labels_path, "header", "has " + std::to_string(labels.dims[0]) + " labels but " +
                                                      images_path + " has " + std::to_string(n) + " images");
  uint64_t features = 1;
  for (size_t d = 1; d < images.dims.size(); ++d) features *= images.dims[d];
  if (features == 0 || features > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    throw util::InputError(images_path, "header", "an image has " + std::to_string(features) + " pixels");

  Dataset ds;
  ds.x.resize(n, static_cast<Eigen::Index>(features));
  for (uint32_t i = 0; i < n; ++i)
    for (uint64_t j = 0; j < features; ++j)
      ds.x(i, static_cast<Eigen::Index>(j)) = images.bytes[i * features + j] / 255.0;
  ds.y.assign(labels.bytes.begin(), labels.bytes.end());
  int max_label = -1;
  for (int v : ds.y) max_label = std::max(max_label, v);
  ds.num_classes = max_label + 1;
  ds.name = images_path;
  return ds;
}

std::vector<int> absent_labels(const Dataset& ds) {
  std::vector<char> seen(static_cast<size_t>(std::max(ds.num_classes, 0)), 0);
  for (int v : ds.y)
    if (v >= 0 && v < ds.num_classes) seen[static_cast<size_t>(v)] = 1;
  std::vector<int> absent;
  for (int c = 0; c < ds.num_classes; ++c)
    if (!seen[static_cast<size_t>(c)]) absent.push_back(c);
  return absent;
}

Dataset load_dataset(const std::string& name, const std::string& split) {
  const auto comma = name.find(',');
  if (comma != std::string::npos) {
    const std::string images = name.substr(0, comma), labels = name.substr(comma + 1);
    if (images.empty() || labels.empty() || labels.find(',') != std::string::npos)
      throw util::InputError(name, "", "expected IMAGES,LABELS (two IDX file paths)");
    return read_idx(images, labels);
  }
  if (name == "fashion-mnist") {
    std::string prefix;
    if (split == "train") prefix = "train";
    else if (split == "test" || split == "t10k") prefix = "t10k";
    else throw util::InputError(name, "split '" + split + "'", "unknown split: expected train or test");
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    const std::string images = dir + prefix + "-images-idx3-ubyte.gz", labels = dir + prefix + "-labels-idx1-ubyte.gz";
    if (!std::filesystem::exists(images))
      throw util::InputError(images, "", "not found: install the Debian package dataset-fashion-mnist, or give "
                                         "IMAGES,LABELS paths");
    Dataset ds = read_idx(images, labels);
    ds.num_classes = 10;  // a subset need not contain every class
    ds.name = "fashion-mnist/" + split;
    return ds;
  }
  throw util::InputError(name, "", "unknown data set: expected fashion-mnist or IMAGES,LABELS (IDX files)");
}

}  // namespace data
