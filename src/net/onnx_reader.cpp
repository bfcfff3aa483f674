// ONNX reader: lowers a graph of affine operators and ReLU into a net::Network DAG.
// Constants (initializers, Constant nodes and whatever is computed from them alone) are folded;
// Add/Sub/Mul/Div with a constant and BatchNormalization become ScaleShift layers, merged into
// the Dense, ScaleShift or (per-channel) Conv2D layer before them when nothing else reads it.
// Shapes are tracked with the batch dimension (an input's first dimension when it is 1 or
// symbolic) set to 1; it is dropped from Layer::out_shape. Everything else is an InputError.
#include <onnx/onnx_pb.h>  // defines ONNX_API, then includes onnx-ml.pb.h

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

#include "src/net/io.h"
#include "src/util/errors.h"

namespace net {
namespace {

static_assert(std::endian::native == std::endian::little, "raw ONNX tensor data is little-endian");

using Shape = std::vector<int64_t>;
using Index = std::vector<int64_t>;                                     // y[i] = x[index[i]] on flat row-major tensors
constexpr int64_t kMaxElements = int64_t{1} << 26;                      // per tensor and per dense matrix (512 MiB)
constexpr int64_t kMaxRank = 64, kMaxConvAttribute = int64_t{1} << 20;  // guards against corrupt files

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

Shape strides_of(const Shape& s) {
  Shape st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

// A tensor of the graph: a constant (values known) or data computed by a layer.
struct Value {
  Shape shape;
  bool is_const = false;
  std::vector<double> data;  // constant values, row-major
  Vertex vertex = 0;         // the layer computing it (data only)
};

class Reader {
 public:
  Reader(const onnx::ModelProto& model, std::string source) : model_(model), source_(std::move(source)) {}
  Network read();

 private:
  [[noreturn]] void fail(const std::string& problem) const { throw util::InputError(source_, place_, problem); }
  int64_t numel(const Shape& s) const;
  Shape drop_batch(Shape s) const;
  Value tensor(const onnx::TensorProto& t) const;
  template <class Raw, class Field>
  std::vector<double> decode(const onnx::TensorProto& t, const Field& field, int64_t count) const;

  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name, int type) const;
  double attr_float(const onnx::NodeProto& n, const char* name, double fallback) const;
  int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) const;
  Shape attr_ints(const onnx::NodeProto& n, const char* name, Shape fallback) const;
  std::string attr_string(const onnx::NodeProto& n, const char* name, const std::string& fallback) const;
  bool has_input(const onnx::NodeProto& n, int i) const { return i < n.input_size() && !n.input(i).empty(); }
  const Value& input(const onnx::NodeProto& n, int i) const;
  const Value& constant(const onnx::NodeProto& n, int i, const char* what) const;
  const Value& data(const onnx::NodeProto& n, int i) const;
  Shape ints_of(const Value& v) const;
  int64_t axis(int64_t a, size_t rank) const;

  Vertex take(const Value& x) { return --pending_[x.vertex], x.vertex; }
  bool foldable(Vertex v) const { return v != 0 && pending_[v] == 0 && boost::out_degree(v, net_.graph()) == 0; }
  Value add_layer(Layer layer, Vertex from, Shape shape, int uses);
  Value permute(const Value& x, Shape shape, Index index, int uses);
  Value scale_shift(const Value& x, Vector scale, Vector shift, int uses);

  void node(const onnx::NodeProto& n);
  Value constant_node(const onnx::NodeProto& n);
  Value elementwise(const onnx::NodeProto& n, const std::string& op, int uses);
  Value matmul(const onnx::NodeProto& n, int uses);
  Value gemm(const onnx::NodeProto& n, int uses);
  Value conv(const onnx::NodeProto& n, int uses);
  Value batch_norm(const onnx::NodeProto& n, int uses);
  Value reshape_like(const onnx::NodeProto& n, const std::string& op, int uses);

  const onnx::ModelProto& model_;
  std::string source_, place_;  // place_: the node or initializer being read, for messages
  Network net_;
  bool batched_ = false;  // the input's first dimension is a batch dimension
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;  // reads of each tensor by the nodes that matter, +1 for the output
  std::vector<int> pending_;         // per vertex: reads of its output not yet made
  std::string layer_name_;           // name for a layer made by the current node
};

int64_t Reader::numel(const Shape& s) const {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) fail("negative dimension in shape " + shape_str(s));
    if (d > 0 && n > kMaxElements / d) fail("tensor of shape " + shape_str(s) + " is too large");
    n *= d;
  }
  return n;
}

Shape Reader::drop_batch(Shape s) const {
  if (batched_ && s.size() >= 2 && s[0] == 1) s.erase(s.begin());
  return s;
}

// ---------------------------------------------------------------- tensors and attributes

template <class Raw, class Field>
std::vector<double> Reader::decode(const onnx::TensorProto& t, const Field& field, int64_t count) const {
  const size_t n = static_cast<size_t>(count);
  std::vector<double> out;
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != n * sizeof(Raw))
      fail("tensor '" + t.name() + "' has " + std::to_string(raw.size()) + " bytes of data, its shape needs " +
           std::to_string(n * sizeof(Raw)));
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
      Raw r;
      std::memcpy(&r, raw.data() + i * sizeof(Raw), sizeof(Raw));
      out[i] = static_cast<double>(r);
    }
    return out;
  }
  if (static_cast<size_t>(field.size()) != n)
    fail("tensor '" + t.name() + "' has " + std::to_string(field.size()) + " values, its shape needs " +
         std::to_string(n));
  for (const auto& f : field) out.push_back(static_cast<double>(static_cast<Raw>(f)));
  return out;
}

Value Reader::tensor(const onnx::TensorProto& t) const {
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
    fail("tensor '" + t.name() + "' keeps its data in an external file, which is not supported");
  if (t.has_segment()) fail("tensor '" + t.name() + "' is segmented, which is not supported");
  if (t.dims_size() > kMaxRank)
    fail("tensor '" + t.name() + "' has more than " + std::to_string(kMaxRank) + " dimensions");
  Value v;
  v.is_const = true;
  v.shape.assign(t.dims().begin(), t.dims().end());
  const int64_t n = numel(v.shape);
  using T = onnx::TensorProto;
  switch (t.data_type()) {
    case T::FLOAT: v.data = decode<float>(t, t.float_data(), n); break;
    case T::DOUBLE: v.data = decode<double>(t, t.double_data(), n); break;
    case T::INT64: v.data = decode<int64_t>(t, t.int64_data(), n); break;
    case T::INT32: v.data = decode<int32_t>(t, t.int32_data(), n); break;
    case T::INT16: v.data = decode<int16_t>(t, t.int32_data(), n); break;
    case T::UINT16: v.data = decode<uint16_t>(t, t.int32_data(), n); break;
    case T::INT8: v.data = decode<int8_t>(t, t.int32_data(), n); break;
    case T::UINT8: v.data = decode<uint8_t>(t, t.int32_data(), n); break;
    case T::BOOL: v.data = decode<uint8_t>(t, t.int32_data(), n); break;
    default:
      fail("tensor '" + t.name() + "' has data type " + T::DataType_Name(static_cast<T::DataType>(t.data_type())) +
           ", which is not supported");
  }
  return v;
}

const onnx::AttributeProto* Reader::attr(const onnx::NodeProto& n, const char* name, int type) const {
  for (const auto& a : n.attribute()) {
    if (a.name() != name) continue;
    if (a.type() != type && a.type() != onnx::AttributeProto::UNDEFINED)
      fail(std::string("attribute '") + name + "' has type " + onnx::AttributeProto::AttributeType_Name(a.type()) +
           ", expected " +
           onnx::AttributeProto::AttributeType_Name(static_cast<onnx::AttributeProto::AttributeType>(type)));
    return &a;
  }
  return nullptr;
}

double Reader::attr_float(const onnx::NodeProto& n, const char* name, double fallback) const {
  const auto* a = attr(n, name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : fallback;
}

int64_t Reader::attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) const {
  const auto* a = attr(n, name, onnx::AttributeProto::INT);
  return a ? a->i() : fallback;
}

Shape Reader::attr_ints(const onnx::NodeProto& n, const char* name, Shape fallback) const {
  const auto* a = attr(n, name, onnx::AttributeProto::INTS);
  return a ? Shape(a->ints().begin(), a->ints().end()) : fallback;
}

std::string Reader::attr_string(const onnx::NodeProto& n, const char* name, const std::string& fallback) const {
  const auto* a = attr(n, name, onnx::AttributeProto::STRING);
  return a ? a->s() : fallback;
}

const Value& Reader::input(const onnx::NodeProto& n, int i) const {
  if (!has_input(n, i)) fail("input " + std::to_string(i + 1) + " is missing");
  auto it = values_.find(n.input(i));
  if (it == values_.end())
    fail("tensor '" + n.input(i) + "' is used before it is produced (a missing initializer, or nodes out of order)");
  return it->second;
}

const Value& Reader::constant(const onnx::NodeProto& n, int i, const char* what) const {
  const Value& v = input(n, i);
  if (!v.is_const) fail(std::string(what) + " ('" + n.input(i) + "') must be a constant");
  return v;
}

const Value& Reader::data(const onnx::NodeProto& n, int i) const {
  const Value& v = input(n, i);
  if (v.is_const) fail(n.op_type() + " on constant inputs only is not supported");
  return v;
}

Shape Reader::ints_of(const Value& v) const {
  Shape r;
  for (double d : v.data) {
    if (d != std::trunc(d) || std::abs(d) > 1e15) fail("expected integers, found " + std::to_string(d));
    r.push_back(static_cast<int64_t>(d));
  }
  return r;
}

int64_t Reader::axis(int64_t a, size_t rank) const {
  const int64_t r = static_cast<int64_t>(rank);
  if (a < -r || a >= r) fail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
  return a < 0 ? a + r : a;
}

// ---------------------------------------------------------------- layers

Value Reader::add_layer(Layer layer, Vertex from, Shape shape, int uses) {
  if (numel(shape) == 0) fail("the node computes an empty tensor");
  layer.name = layer_name_;
  layer.out_shape = drop_batch(shape);
  Vertex v = net_.add_layer(std::move(layer));
  net_.connect(from, v);
  pending_.push_back(uses);  // vertices are numbered in order of creation
  return Value{std::move(shape), false, {}, v};
}

Value Reader::permute(const Value& x, Shape shape, Index index, int uses) {
  if (index.empty()) {  // a reshape
    index.resize(numel(shape));
    std::iota(index.begin(), index.end(), 0);
  }
  if (x.is_const) {
    Value c{shape, true, std::vector<double>(index.size()), 0};
    for (size_t i = 0; i < index.size(); ++i) c.data[i] = x.data[index[i]];
    return c;
  }
  if (index.empty()) fail("the node computes an empty tensor");
  Vertex p = take(x);
  Layer& prev = net_.graph()[p];
  if (foldable(p) && prev.kind == LayerKind::Permute) {
    for (auto& i : index) i = prev.perm[i];
    prev.perm = std::move(index);
    prev.out_shape = drop_batch(shape);
    pending_[p] = uses;
    return Value{std::move(shape), false, {}, p};
  }
  Layer l;
  l.kind = LayerKind::Permute;
  l.perm = std::move(index);
  return add_layer(std::move(l), p, std::move(shape), uses);
}

// y = scale .* x + shift, merged into the layer computing x where possible.
Value Reader::scale_shift(const Value& x, Vector scale, Vector shift, int uses) {
  Vertex p = take(x);
  Layer& prev = net_.graph()[p];
  bool merged = false;
  if (foldable(p) && prev.kind == LayerKind::Dense) {
    prev.W = scale.asDiagonal() * prev.W;
    prev.b = scale.cwiseProduct(prev.b) + shift;
    merged = true;
  } else if (foldable(p) && prev.kind == LayerKind::ScaleShift) {
    prev.scale = scale.cwiseProduct(prev.scale);
    prev.shift = scale.cwiseProduct(prev.shift) + shift;
    merged = true;
  } else if (foldable(p) && prev.kind == LayerKind::Conv2D) {
    Conv2DParams& c = prev.conv;
    const int64_t hw = c.out_h * c.out_w, per_filter = static_cast<int64_t>(c.weight.size()) / c.out_c;
    bool per_channel = true;
    for (int64_t i = 0; i < scale.size() && per_channel; ++i)
      per_channel = scale[i] == scale[i / hw * hw] && shift[i] == shift[i / hw * hw];
    if (per_channel) {
      for (int64_t oc = 0; oc < c.out_c; ++oc) {
        for (int64_t k = 0; k < per_filter; ++k) c.weight[oc * per_filter + k] *= scale[oc * hw];
        c.bias[oc] = scale[oc * hw] * c.bias[oc] + shift[oc * hw];
      }
      merged = true;
    }
  }
  if (merged) {
    pending_[p] = uses;
    return x;
  }
  Layer l;
  l.kind = LayerKind::ScaleShift;
  l.scale = std::move(scale);
  l.shift = std::move(shift);
  return add_layer(std::move(l), p, x.shape, uses);
}

// ---------------------------------------------------------------- operators

// The numpy-style broadcast of two shapes; nullopt when they do not broadcast.
std::optional<Shape> broadcast_shape(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1, db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[out.size() - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

// For each element of a tensor of shape `to`, the element of a tensor of shape `from` that
// numpy-style broadcasting puts there.
Index broadcast_index(const Shape& from, const Shape& to) {
  const Shape fs = strides_of(from), ts = strides_of(to);
  int64_t n = 1;
  for (int64_t d : to) n *= d;
  Index index(n, 0);
  for (int64_t i = 0; i < n; ++i)
    for (size_t k = 0; k < from.size(); ++k) {
      const size_t kt = k + to.size() - from.size();
      if (from[k] != 1) index[i] += (i / ts[kt] % to[kt]) * fs[k];
    }
  return index;
}

Value Reader::elementwise(const onnx::NodeProto& n, const std::string& op, int uses) {
  const Value& a = input(n, 0);
  const Value& b = input(n, 1);
  const std::optional<Shape> broadcast = broadcast_shape(a.shape, b.shape);
  if (!broadcast) fail("shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " do not broadcast");
  const Shape& shape = *broadcast;
  numel(shape);
  const Index ia = broadcast_index(a.shape, shape), ib = broadcast_index(b.shape, shape);
  if (a.is_const && b.is_const) {
    Value c{shape, true, std::vector<double>(ia.size()), 0};
    for (size_t i = 0; i < ia.size(); ++i) {
      const double u = a.data[ia[i]], v = b.data[ib[i]];
      c.data[i] = op == "Add" ? u + v : op == "Sub" ? u - v : op == "Mul" ? u * v : u / v;
    }
    return c;
  }
  if (!a.is_const && !b.is_const)
    fail(op + " of two computed tensors is not supported: prunecert handles networks without skip connections");
  const bool data_first = !a.is_const;
  const Value& c = data_first ? b : a;
  const Index& ic = data_first ? ib : ia;
  if (op == "Div" && !data_first) fail("dividing a constant by the network's data is not an affine operation");
  Value x = data_first ? a : b;
  if (x.shape != shape) x = permute(x, shape, data_first ? ia : ib, 1);
  const Eigen::Index size = static_cast<Eigen::Index>(ic.size());
  Vector cv(size);
  for (Eigen::Index i = 0; i < size; ++i) cv[i] = c.data[ic[i]];
  Vector ones = Vector::Ones(size), zeros = Vector::Zero(size);
  if (op == "Add") return scale_shift(x, ones, cv, uses);
  if (op == "Sub") return data_first ? scale_shift(x, ones, -cv, uses) : scale_shift(x, -ones, cv, uses);
  if (op == "Mul") return scale_shift(x, cv, zeros, uses);
  if ((cv.array() == 0.0).any()) fail("division by a constant that has zero entries");
  return scale_shift(x, cv.cwiseInverse(), zeros, uses);
}

// MatMul with one 2-D constant operand: x[..., K] @ B[K, N] or A[M, K] @ x[..., K, N].
Value Reader::matmul(const onnx::NodeProto& n, int uses) {
  const Value& a = input(n, 0);
  const Value& b = input(n, 1);
  if (a.is_const == b.is_const)
    fail(a.is_const ? "MatMul on constant inputs only is not supported"
                    : "MatMul of two computed tensors is not supported (only products with constant weights)");
  const bool data_first = !a.is_const;
  const Value& x = data_first ? a : b;
  const Value& w = data_first ? b : a;
  if (w.shape.size() != 2) fail("the constant operand of MatMul has shape " + shape_str(w.shape) + ", expected 2-D");
  if (x.shape.empty()) fail("MatMul of a scalar");
  const int64_t K = data_first ? w.shape[0] : w.shape[1], P = data_first ? w.shape[1] : w.shape[0];
  Shape xs = x.shape;
  if (xs.size() == 1) xs.insert(data_first ? xs.begin() : xs.end(), 1);  // ONNX promotes 1-D operands
  const int64_t inner = data_first ? xs.back() : xs[xs.size() - 2];
  if (inner != K) fail("MatMul shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " do not match");
  // data first: x[r, k] -> y[r, p] = sum_k x[r, k] B[k, p];  constant first: x[g, k, c] -> y[g, p, c].
  const int64_t cols = data_first ? 1 : xs.back();
  if (K * cols == 0) fail("MatMul of an empty tensor");
  const int64_t rows = numel(xs) / (K * cols);
  Shape ys = x.shape;
  if (x.shape.size() == 1)
    ys = {P};
  else
    (data_first ? ys.back() : ys[ys.size() - 2]) = P;
  const int64_t n_in = numel(x.shape), n_out = numel(ys);
  if (n_in > 0 && n_out > kMaxElements / n_in) fail("MatMul is too large for a dense layer");
  Layer l;
  l.kind = LayerKind::Dense;
  l.W = Matrix::Zero(n_out, n_in);
  l.b = Vector::Zero(n_out);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t p = 0; p < P; ++p)
      for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < cols; ++c)
          l.W((r * P + p) * cols + c, (r * K + k) * cols + c) = data_first ? w.data[k * P + p] : w.data[p * K + k];
  return add_layer(std::move(l), take(x), std::move(ys), uses);
}

// Y = alpha * A' B' + beta * C with A the data and B, C constant (A' = A^T when transA, ...).
Value Reader::gemm(const onnx::NodeProto& n, int uses) {
  const Value& x = data(n, 0);
  const Value& w = constant(n, 1, "the Gemm weight B");
  const double alpha = attr_float(n, "alpha", 1.0), beta = attr_float(n, "beta", 1.0);
  const bool ta = attr_int(n, "transA", 0) != 0, tb = attr_int(n, "transB", 0) != 0;
  if (x.shape.size() != 2 || w.shape.size() != 2)
    fail("Gemm needs 2-D operands, got " + shape_str(x.shape) + " and " + shape_str(w.shape));
  const int64_t M = ta ? x.shape[1] : x.shape[0], K = ta ? x.shape[0] : x.shape[1];
  const int64_t N = tb ? w.shape[0] : w.shape[1];
  if ((tb ? w.shape[1] : w.shape[0]) != K)
    fail("Gemm shapes " + shape_str(x.shape) + " and " + shape_str(w.shape) + " do not match");
  const Shape ys = {M, N};
  if (M * N > kMaxElements / std::max<int64_t>(1, M * K)) fail("Gemm is too large for a dense layer");
  Layer l;
  l.kind = LayerKind::Dense;
  l.W = Matrix::Zero(M * N, M * K);
  l.b = Vector::Zero(M * N);
  if (has_input(n, 2)) {
    const Value& c = constant(n, 2, "the Gemm bias C");
    if (broadcast_shape(c.shape, ys) != ys)
      fail("Gemm bias of shape " + shape_str(c.shape) + " does not broadcast to " + shape_str(ys));
    const Index ic = broadcast_index(c.shape, ys);
    for (size_t i = 0; i < ic.size(); ++i) l.b[i] = beta * c.data[ic[i]];
  }
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = 0; j < N; ++j)
      for (int64_t k = 0; k < K; ++k)
        l.W(m * N + j, ta ? k * M + m : m * K + k) = alpha * (tb ? w.data[j * K + k] : w.data[k * N + j]);
  return add_layer(std::move(l), take(x), ys, uses);
}

Value Reader::conv(const onnx::NodeProto& n, int uses) {
  const Value& x = data(n, 0);
  const Value& w = constant(n, 1, "the Conv weight");
  if (x.shape.size() != 4 || w.shape.size() != 4)
    fail("only 2-D convolutions are supported (input " + shape_str(x.shape) + ", weight " + shape_str(w.shape) + ")");
  if (x.shape[0] != 1) fail("Conv on a batch of " + std::to_string(x.shape[0]) + " images is not supported");
  Conv2DParams c;
  c.in_c = x.shape[1], c.in_h = x.shape[2], c.in_w = x.shape[3];
  c.out_c = w.shape[0], c.kh = w.shape[2], c.kw = w.shape[3];
  c.group = attr_int(n, "group", 1);
  if (c.group < 1 || c.in_c % c.group || c.out_c % c.group || w.shape[1] != c.in_c / c.group)
    fail("Conv weight " + shape_str(w.shape) + " does not fit input " + shape_str(x.shape) + " with group " +
         std::to_string(c.group));
  if (attr_ints(n, "kernel_shape", {c.kh, c.kw}) != Shape{c.kh, c.kw}) fail("kernel_shape does not match the weight");
  const Shape strides = attr_ints(n, "strides", {1, 1}), dil = attr_ints(n, "dilations", {1, 1});
  Shape pads = attr_ints(n, "pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
    fail("strides, dilations or pads have the wrong length");
  auto in_range = [](const Shape& a, int64_t lo) {
    return std::all_of(a.begin(), a.end(), [&](int64_t v) { return v >= lo && v <= kMaxConvAttribute; });
  };
  if (!in_range(strides, 1) || !in_range(dil, 1) || !in_range(pads, 0))
    fail("strides and dilations must be positive, pads non-negative, all at most " + std::to_string(kMaxConvAttribute));
  c.stride_h = strides[0], c.stride_w = strides[1], c.dil_h = dil[0], c.dil_w = dil[1];
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const int64_t in[2] = {c.in_h, c.in_w}, k[2] = {c.kh, c.kw};
    for (int d = 0; d < 2; ++d) {
      const int64_t out = (in[d] + strides[d] - 1) / strides[d];
      const int64_t total = std::max<int64_t>(0, (out - 1) * strides[d] + (k[d] - 1) * dil[d] + 1 - in[d]);
      pads[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[d + 2] = total - pads[d];
    }
  } else if (auto_pad != "NOTSET") {
    fail("auto_pad '" + auto_pad + "' is not supported");
  }
  c.pad_top = pads[0], c.pad_left = pads[1], c.pad_bottom = pads[2], c.pad_right = pads[3];
  c.out_h = (c.in_h + c.pad_top + c.pad_bottom - c.dil_h * (c.kh - 1) - 1) / c.stride_h + 1;
  c.out_w = (c.in_w + c.pad_left + c.pad_right - c.dil_w * (c.kw - 1) - 1) / c.stride_w + 1;
  if (c.out_h < 1 || c.out_w < 1) fail("the Conv kernel is larger than its padded input");
  c.weight = w.data;
  c.bias = Vector::Zero(c.out_c);
  if (has_input(n, 2)) {
    const Value& b = constant(n, 2, "the Conv bias");
    if (static_cast<int64_t>(b.data.size()) != c.out_c) fail("the Conv bias has the wrong size");
    for (int64_t i = 0; i < c.out_c; ++i) c.bias[i] = b.data[i];
  }
  Layer l;
  l.kind = LayerKind::Conv2D;
  Shape ys = {1, c.out_c, c.out_h, c.out_w};
  l.conv = std::move(c);
  return add_layer(std::move(l), take(x), std::move(ys), uses);
}

// Inference-mode BatchNormalization: per channel (axis 1), y = s (x - mean) + bias, s = scale / sqrt(var + eps).
Value Reader::batch_norm(const onnx::NodeProto& n, int uses) {
  const Value& x = data(n, 0);
  if (attr_int(n, "training_mode", 0) != 0) fail("BatchNormalization in training mode is not supported");
  if (x.shape.size() < 2) fail("BatchNormalization needs an input with a channel dimension");
  const double eps = attr_float(n, "epsilon", 1e-5);
  const int64_t C = x.shape[1], inner = numel(Shape(x.shape.begin() + 2, x.shape.end()));
  const char* what[4] = {"the BatchNormalization scale", "the BatchNormalization bias", "the BatchNormalization mean",
                         "the BatchNormalization variance"};
  std::vector<const std::vector<double>*> p;
  for (int i = 0; i < 4; ++i) {
    p.push_back(&constant(n, i + 1, what[i]).data);
    if (static_cast<int64_t>(p.back()->size()) != C)
      fail(std::string(what[i]) + " has " + std::to_string(p.back()->size()) + " entries, the input has " +
           std::to_string(C) + " channels");
  }
  const Eigen::Index size = numel(x.shape);
  Vector scale(size), shift(size);
  for (Eigen::Index i = 0; i < size; ++i) {
    const int64_t ch = i / inner % C;
    const double s = (*p[0])[ch] / std::sqrt((*p[3])[ch] + eps);
    scale[i] = s;
    shift[i] = (*p[1])[ch] - s * (*p[2])[ch];
  }
  return scale_shift(x, std::move(scale), std::move(shift), uses);
}

// Operators that only move elements: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Gather.
Value Reader::reshape_like(const onnx::NodeProto& n, const std::string& op, int uses) {
  const Value& x = input(n, 0);
  const Shape& s = x.shape;
  const int64_t size = numel(s);
  Shape out;
  Index index;  // empty: elements keep their order
  if (op == "Reshape") {
    out = attr(n, "shape", onnx::AttributeProto::INTS) ? attr_ints(n, "shape", {})
                                                       : ints_of(constant(n, 1, "the Reshape shape"));
    const bool allow_zero = attr_int(n, "allowzero", 0) != 0;
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == 0 && !allow_zero) {
        if (i >= s.size()) fail("Reshape copies dimension " + std::to_string(i) + " that the input does not have");
        out[i] = s[i];
      }
      if (out[i] == -1) {
        if (infer >= 0) fail("Reshape shape has two -1 entries");
        infer = static_cast<int>(i);
      } else if (out[i] < 0) {
        fail("Reshape shape has a negative entry");
      } else {
        if (out[i] > 0 && known > kMaxElements / out[i]) fail("Reshape shape " + shape_str(out) + " is too large");
        known *= out[i];
      }
    }
    if (infer >= 0) {
      if (known == 0 || size % known) fail("Reshape cannot infer the -1 dimension of " + shape_str(out));
      out[infer] = size / known;
    }
  } else if (op == "Flatten") {
    const int64_t r = static_cast<int64_t>(s.size());
    int64_t a = attr_int(n, "axis", 1);
    if (a < -r || a > r) fail("Flatten axis " + std::to_string(a) + " is out of range");
    if (a < 0) a += r;
    int64_t left = 1;
    for (int64_t i = 0; i < a; ++i) left *= s[i];
    out = {left, left ? size / left : 0};
  } else if (op == "Squeeze" || op == "Unsqueeze") {
    Shape axes = attr(n, "axes", onnx::AttributeProto::INTS) ? attr_ints(n, "axes", {})
                 : has_input(n, 1)                           ? ints_of(constant(n, 1, "the axes"))
                                                             : Shape{};
    if (op == "Squeeze") {
      std::set<int64_t> drop;
      for (int64_t a : axes) {
        drop.insert(axis(a, s.size()));
        if (s[axis(a, s.size())] != 1) fail("Squeeze of axis " + std::to_string(a) + " whose size is not 1");
      }
      for (size_t i = 0; i < s.size(); ++i)
        if (axes.empty() ? s[i] != 1 : !drop.count(static_cast<int64_t>(i))) out.push_back(s[i]);
    } else {
      const size_t rank = s.size() + axes.size();
      if (rank > kMaxRank) fail("Unsqueeze to more than " + std::to_string(kMaxRank) + " dimensions");
      std::set<int64_t> add;
      for (int64_t a : axes) add.insert(axis(a, rank));
      if (add.size() != axes.size()) fail("Unsqueeze axes repeat");
      for (size_t i = 0, j = 0; i < rank; ++i) out.push_back(add.count(static_cast<int64_t>(i)) ? 1 : s[j++]);
    }
  } else if (op == "Transpose") {
    Shape perm(s.size());
    std::iota(perm.rbegin(), perm.rend(), 0);
    perm = attr_ints(n, "perm", perm);
    Shape sorted = perm, axes(s.size());
    std::sort(sorted.begin(), sorted.end());
    std::iota(axes.begin(), axes.end(), 0);
    if (sorted != axes) fail("perm is not a permutation of the axes");
    for (int64_t p : perm) out.push_back(s[p]);
    const Shape in_strides = strides_of(s), out_strides = strides_of(out);
    index.assign(size, 0);
    for (int64_t i = 0; i < size; ++i)
      for (size_t k = 0; k < out.size(); ++k) index[i] += (i / out_strides[k] % out[k]) * in_strides[perm[k]];
  } else {  // Gather
    const Value& ind = constant(n, 1, "the Gather indices");
    const int64_t a = axis(attr_int(n, "axis", 0), s.size());
    const Shape ids = ints_of(ind);
    out.assign(s.begin(), s.begin() + a);
    out.insert(out.end(), ind.shape.begin(), ind.shape.end());
    out.insert(out.end(), s.begin() + a + 1, s.end());
    const int64_t inner = strides_of(s)[a], outer = numel(Shape(s.begin(), s.begin() + a));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t id : ids) {
        if (id < -s[a] || id >= s[a]) fail("Gather index " + std::to_string(id) + " is out of range");
        const int64_t from = (o * s[a] + (id < 0 ? id + s[a] : id)) * inner;
        for (int64_t k = 0; k < inner; ++k) index.push_back(from + k);
      }
  }
  if (index.empty() && numel(out) != size)
    fail(op + " from " + shape_str(s) + " to " + shape_str(out) + " changes the number of elements");
  return permute(x, std::move(out), std::move(index), uses);
}

Value Reader::constant_node(const onnx::NodeProto& n) {
  using A = onnx::AttributeProto;
  if (n.attribute_size() != 1) fail("Constant needs exactly one attribute");
  const A& a = n.attribute(0);
  if (a.name() == "value") return tensor(a.t());
  if (a.name() == "value_float") return Value{{}, true, {a.f()}, 0};
  if (a.name() == "value_int") return Value{{}, true, {static_cast<double>(a.i())}, 0};
  if (a.name() == "value_floats") return Value{{a.floats_size()}, true, {a.floats().begin(), a.floats().end()}, 0};
  if (a.name() == "value_ints") return Value{{a.ints_size()}, true, {a.ints().begin(), a.ints().end()}, 0};
  fail("Constant with attribute '" + a.name() + "' is not supported");
}

void Reader::node(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (n.output_size() < 1 || n.output(0).empty()) fail("node has no output");
  const std::string& out = n.output(0);
  const int uses = uses_[out];
  const bool standard = n.domain().empty() || n.domain() == "ai.onnx";
  Value v;
  if (!standard) {
    fail("operator " + n.domain() + "." + op +
         " is not supported: prunecert handles ReLU networks made of affine layers");
  } else if (op == "Constant") {
    v = constant_node(n);
  } else if (op == "Identity" || op == "Dropout") {
    if (op == "Dropout" && has_input(n, 2)) {
      const Value& mode = constant(n, 2, "Dropout training_mode");
      if (!mode.data.empty() && mode.data[0] != 0)
        fail("Dropout with training_mode=true is random; prunecert handles inference graphs only");
    }
    v = input(n, 0);
    if (!v.is_const) pending_[v.vertex] += uses - 1;  // the output is the same tensor
  } else if (op == "Cast") {
    v = constant(n, 0, "the input of Cast (Cast of the network's data is not supported)");
    const int64_t to = attr_int(n, "to", onnx::TensorProto::FLOAT);
    // Integer targets: their range; a value outside it (where ONNX leaves the result undefined
    // or wraps) is refused. Half-precision and other types are refused, not approximated.
    using T = onnx::TensorProto;
    static const std::map<int64_t, std::pair<double, double>> integer_range{
        {T::INT8, {-128.0, 127.0}},       {T::UINT8, {0.0, 255.0}},
        {T::INT16, {-32768.0, 32767.0}},  {T::UINT16, {0.0, 65535.0}},
        {T::INT32, {-2147483648.0, 2147483647.0}}, {T::UINT32, {0.0, 4294967295.0}},
        {T::INT64, {-9223372036854775808.0, 9223372036854775807.0}}, {T::UINT64, {0.0, 18446744073709551615.0}}};
    const auto range = integer_range.find(to);
    if (to != T::FLOAT && to != T::DOUBLE && to != T::BOOL && range == integer_range.end())
      fail("Cast to element type " + std::to_string(to) +
           " is not supported (FLOAT, DOUBLE, BOOL and the integer types are)");
    for (double& d : v.data) {
      if (to == T::FLOAT)
        d = static_cast<float>(d);
      else if (to == T::BOOL)
        d = d != 0;
      else if (to != T::DOUBLE) {
        d = std::trunc(d);
        if (!(d >= range->second.first && d <= range->second.second))
          fail("Cast of " + std::to_string(d) + " to element type " + std::to_string(to) + " is out of its range");
      }
    }
  } else if (op == "Relu") {
    v = input(n, 0);
    if (v.is_const) {
      for (double& d : v.data) d = std::max(d, 0.0);
    } else {
      Layer l;
      l.kind = LayerKind::Relu;
      v = add_layer(std::move(l), take(v), v.shape, uses);
    }
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    v = elementwise(n, op, uses);
  } else if (op == "MatMul") {
    v = matmul(n, uses);
  } else if (op == "Gemm") {
    v = gemm(n, uses);
  } else if (op == "Conv") {
    v = conv(n, uses);
  } else if (op == "BatchNormalization") {
    v = batch_norm(n, uses);
  } else if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Transpose" ||
             op == "Gather") {
    v = reshape_like(n, op, uses);
  } else {
    fail("operator " + op + " is not supported: prunecert handles ReLU networks made of affine layers");
  }
  values_[out] = std::move(v);
}

Network Reader::read() {
  if (!model_.has_graph()) fail("the model has no graph");
  // Opsets before 7 broadcast by attributes (broadcast, axis) and mark BatchNormalization and
  // Dropout with is_test; this reader implements the numpy broadcasting of opset 7 and later.
  for (const auto& o : model_.opset_import())
    if ((o.domain().empty() || o.domain() == "ai.onnx") && o.version() < 7)
      fail("opset " + std::to_string(o.version()) +
           " is not supported (7 or later; convert the model, e.g. with onnx.version_converter)");
  const onnx::GraphProto& g = model_.graph();
  net_.source = source_;
  for (const auto& p : model_.metadata_props()) net_.metadata[p.key()] = p.value();
  for (const auto& t : g.initializer()) {
    place_ = "initializer '" + t.name() + "'";
    values_[t.name()] = tensor(t);
  }
  place_.clear();

  std::vector<const onnx::ValueInfoProto*> inputs;
  std::string names;
  for (const auto& i : g.input())
    if (!values_.count(i.name())) {
      inputs.push_back(&i);
      names += (names.empty() ? "'" : ", '") + i.name() + "'";
    }
  if (inputs.size() != 1)
    fail("the model has " + std::to_string(inputs.size()) + " data inputs" + (names.empty() ? "" : " (" + names + ")") +
         "; prunecert handles networks with exactly one input");
  if (g.output_size() != 1)
    fail("the model has " + std::to_string(g.output_size()) + " outputs; prunecert handles networks with exactly one");

  const onnx::ValueInfoProto& in = *inputs[0];
  place_ = "input '" + in.name() + "'";
  if (!in.type().has_tensor_type() || !in.type().tensor_type().has_shape()) fail("the input has no tensor shape");
  const int elem = in.type().tensor_type().elem_type();
  if (elem != onnx::TensorProto::FLOAT && elem != onnx::TensorProto::DOUBLE && elem != onnx::TensorProto::FLOAT16 &&
      elem != onnx::TensorProto::BFLOAT16)
    fail("the input has element type " +
         onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem)) +
         "; prunecert needs a floating-point input");
  const auto& dims = in.type().tensor_type().shape().dim();
  batched_ = dims.size() >= 2 && (!dims[0].has_dim_value() || dims[0].dim_value() == 1);
  Shape shape;
  for (int i = 0; i < dims.size(); ++i) {
    if (i == 0 && batched_)
      shape.push_back(1);
    else if (dims[i].has_dim_value() && dims[i].dim_value() > 0)
      shape.push_back(dims[i].dim_value());
    else
      fail("dimension " + std::to_string(i) + " of the input is not a known positive size");
  }
  numel(shape);
  Layer input;
  input.kind = LayerKind::Input;
  input.name = in.name();
  input.out_shape = drop_batch(shape);
  net_.add_layer(std::move(input));
  net_.input_name = in.name();
  net_.output_name = g.output(0).name();

  // Only the nodes the output depends on are read (exporters leave dead ones behind), in a
  // topological order of our own: some files list nodes before the constants they use.
  std::map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i)
    for (const auto& o : g.node(i).output())
      if (!o.empty() && !producer.emplace(o, i).second) {
        place_ = "tensor '" + o + "'";
        fail("is produced by two nodes");
      }
  std::vector<int> order;
  std::vector<char> state(g.node_size(), 0);  // 1: on the path being explored, 2: done
  std::vector<std::pair<int, int>> stack;     // (node, next input to explore)
  if (auto it = producer.find(net_.output_name); it != producer.end()) {
    state[it->second] = 1;
    stack.emplace_back(it->second, 0);
  }
  while (!stack.empty()) {
    const int i = stack.back().first, k = stack.back().second++;
    if (k < g.node(i).input_size()) {
      auto it = producer.find(g.node(i).input(k));
      if (it == producer.end() || state[it->second] == 2) continue;
      if (state[it->second] == 1) fail("the graph has a cycle through tensor '" + g.node(i).input(k) + "'");
      state[it->second] = 1;
      stack.emplace_back(it->second, 0);
      continue;
    }
    state[i] = 2;
    order.push_back(i);
    stack.pop_back();
  }
  for (int i : order)
    for (const auto& name : g.node(i).input()) ++uses_[name];
  ++uses_[net_.output_name];
  values_[in.name()] = Value{shape, false, {}, 0};
  pending_.push_back(uses_[in.name()]);

  for (int i : order) {
    const onnx::NodeProto& n = g.node(i);
    const std::string label = n.name().empty() ? "#" + std::to_string(i) : "'" + n.name() + "'";
    place_ = "node " + label + " (" + n.op_type() + ")";
    layer_name_ = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    node(n);
  }

  place_ = "output '" + net_.output_name + "'";
  auto it = values_.find(net_.output_name);
  if (it == values_.end()) fail("the output is not produced by any node");
  if (it->second.is_const) {  // a constant function: y = 0 x + c
    Layer l;
    l.kind = LayerKind::Dense;
    l.b = Eigen::Map<const Vector>(it->second.data.data(), static_cast<Eigen::Index>(it->second.data.size()));
    if (l.b.size() > kMaxElements / net_.input_size()) fail("the constant output is too large");
    l.W = Matrix::Zero(l.b.size(), net_.input_size());
    layer_name_ = net_.output_name;
    add_layer(std::move(l), 0, it->second.shape, 0);
  }
  return std::move(net_);
}

}  // namespace

Network read_onnx_bytes(const std::string& bytes, const std::string& source_name) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw util::InputError(source_name, "", "not a valid ONNX model (truncated or corrupt)");
  return Reader(model, source_name).read();
}

Network read_onnx(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw util::InputError(path, "", "cannot open file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw util::InputError(path, "", "cannot read file");
  return read_onnx_bytes(bytes.str(), path);
}

}  // namespace net
