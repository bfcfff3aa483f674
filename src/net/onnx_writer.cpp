// ONNX writer: the Network DAG as an opset-13 model (ir_version 8). Dense -> Gemm (transB=1),
// Conv2D -> Conv, ScaleShift -> Mul + Add, Permute -> Reshape (identity) or Gather, Relu -> Relu.
// Weights, input and output are DOUBLE, not float32, so that writing and reading back is exact
// (onnxruntime runs double Gemm, Add, Mul, Relu, Reshape and Gather; its CPU Conv is float-only).
// Every layer's output tensor has shape [1] + out_shape; Reshape nodes adapt it where needed.
#include <onnx/onnx_pb.h>  // defines ONNX_API, then includes onnx-ml.pb.h

#include <algorithm>
#include <fstream>
#include <set>

#include "src/net/io.h"
#include "src/util/errors.h"

namespace net {
namespace {

using Shape = std::vector<int64_t>;

class Writer {
 public:
  explicit Writer(onnx::GraphProto& graph) : g_(graph) {}

  std::string fresh() { return "prunecert_t" + std::to_string(counter_++); }

  template <class T>
  std::string initializer(const Shape& dims, const T* values, int64_t count) {
    onnx::TensorProto* t = g_.add_initializer();
    t->set_name(fresh());
    t->set_data_type(std::is_same_v<T, double> ? onnx::TensorProto::DOUBLE : onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values), count * sizeof(T)));  // little-endian
    return t->name();
  }

  // A node named after its layer; onnxruntime wants node names unique.
  onnx::NodeProto& node(const std::string& op, const std::string& name, std::vector<std::string> inputs) {
    onnx::NodeProto* n = g_.add_node();
    n->set_op_type(op);
    std::string unique = name.empty() ? op : name;
    for (int k = 1; !node_names_.insert(unique).second; ++k)
      unique = name + "/" + op + (k > 1 ? std::to_string(k) : "");
    n->set_name(unique);
    for (auto& i : inputs) n->add_input(i);
    n->add_output(fresh());
    return *n;
  }

  // A tensor of shape `to` with the elements of x (shape `from`) in the same order.
  std::string reshape(const std::string& x, const Shape& from, const Shape& to, const std::string& name) {
    if (from == to) return x;
    return node("Reshape", name, {x, initializer(Shape{int64_t(to.size())}, to.data(), to.size())}).output(0);
  }

  onnx::GraphProto& g_;
  int counter_ = 0;
  std::set<std::string> node_names_;
};

void set_ints(onnx::NodeProto& n, const char* name, const Shape& values) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void set_int(onnx::NodeProto& n, const char* name, int64_t value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

// Whether a layer's parameters fit its input size and its out_shape: a layer that does not is a
// broken invariant and would make an invalid file.
bool fits(const Layer& L, int64_t n_in) {
  const int64_t n_out = L.out_size();
  switch (L.kind) {
    case LayerKind::Input: return true;
    case LayerKind::Dense: return L.W.cols() == n_in && L.W.rows() == n_out && L.b.size() == n_out;
    case LayerKind::Conv2D: {
      const Conv2DParams& c = L.conv;
      return c.group > 0 && c.in_c % c.group == 0 && c.in_c * c.in_h * c.in_w == n_in &&
             c.out_c * c.out_h * c.out_w == n_out && (c.bias.size() == 0 || c.bias.size() == c.out_c) &&
             static_cast<int64_t>(c.weight.size()) == c.out_c * (c.in_c / c.group) * c.kh * c.kw;
    }
    case LayerKind::ScaleShift: return n_in == n_out && L.scale.size() == n_out && L.shift.size() == n_out;
    case LayerKind::Permute:
      return static_cast<int64_t>(L.perm.size()) == n_out &&
             std::all_of(L.perm.begin(), L.perm.end(), [&](int64_t i) { return i >= 0 && i < n_in; });
    case LayerKind::Relu: return n_in == n_out;
  }
  return false;
}

void value_info(onnx::ValueInfoProto* v, const std::string& name, const Shape& shape) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::DOUBLE);
  for (int64_t d : shape) t->mutable_shape()->add_dim()->set_dim_value(d);
}

}  // namespace

void write_onnx(const Network& network, const std::string& path) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("prunecert");
  model.add_opset_import()->set_version(13);
  for (const auto& [key, value] : network.metadata) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name("prunecert");
  Writer w(graph);

  const Graph& G = network.graph();
  const std::string input_name = network.input_name.empty() ? "input" : network.input_name;
  const std::string output_name =
      network.output_name.empty() || network.output_name == input_name ? input_name + "_output" : network.output_name;
  std::vector<std::string> tensor(network.num_layers());  // ONNX tensor of each layer's output
  std::vector<Shape> shape(network.num_layers());         // its ONNX shape
  for (Vertex v : network.topological_order()) {
    const Layer& L = G[v];
    Shape target = {1};
    target.insert(target.end(), L.out_shape.begin(), L.out_shape.end());
    const int first_node = graph.node_size();
    std::string y;
    if (L.kind == LayerKind::Input) {
      value_info(graph.add_input(), input_name, target);
      tensor[v] = input_name;
      shape[v] = target;
      continue;
    }
    if (boost::in_degree(v, G) != 1)
      throw util::InputError(path, "layer '" + L.name + "'", "layers with several inputs cannot be written to ONNX");
    const Vertex u = boost::source(*boost::in_edges(v, G).first, G);
    const std::string& x = tensor[u];
    const int64_t n_in = G[u].out_size();
    if (!fits(L, n_in))
      throw util::InternalError("write_onnx: layer '" + L.name + "' does not fit its input or out_shape");
    switch (L.kind) {
      case LayerKind::Dense: {
        const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> W = L.W;
        auto& n =
            w.node("Gemm", L.name,
                   {w.reshape(x, shape[u], {1, n_in}, L.name), w.initializer({W.rows(), W.cols()}, W.data(), W.size()),
                    w.initializer({L.b.size()}, L.b.data(), L.b.size())});
        set_int(n, "transB", 1);
        y = w.reshape(n.output(0), {1, W.rows()}, target, L.name);
        break;
      }
      case LayerKind::Conv2D: {
        const Conv2DParams& c = L.conv;
        std::vector<std::string> inputs = {
            w.reshape(x, shape[u], {1, c.in_c, c.in_h, c.in_w}, L.name),
            w.initializer({c.out_c, c.in_c / c.group, c.kh, c.kw}, c.weight.data(), c.weight.size())};
        if (c.bias.size()) inputs.push_back(w.initializer({c.out_c}, c.bias.data(), c.bias.size()));
        auto& n = w.node("Conv", L.name, inputs);
        set_ints(n, "kernel_shape", {c.kh, c.kw});
        set_ints(n, "pads", {c.pad_top, c.pad_left, c.pad_bottom, c.pad_right});
        set_ints(n, "strides", {c.stride_h, c.stride_w});
        set_ints(n, "dilations", {c.dil_h, c.dil_w});
        set_int(n, "group", c.group);
        y = w.reshape(n.output(0), {1, c.out_c, c.out_h, c.out_w}, target, L.name);
        break;
      }
      case LayerKind::ScaleShift:
        y = w.reshape(x, shape[u], target, L.name);
        if (!(L.scale.array() == 1.0).all())
          y = w.node("Mul", L.name, {y, w.initializer(target, L.scale.data(), L.scale.size())}).output(0);
        if (!(L.shift.array() == 0.0).all())
          y = w.node("Add", L.name, {y, w.initializer(target, L.shift.data(), L.shift.size())}).output(0);
        break;
      case LayerKind::Permute: {
        bool identity = static_cast<int64_t>(L.perm.size()) == n_in;
        for (size_t i = 0; i < L.perm.size() && identity; ++i) identity = L.perm[i] == static_cast<int64_t>(i);
        if (identity) {
          y = w.reshape(x, shape[u], target, L.name);
          break;
        }
        const int64_t m = static_cast<int64_t>(L.perm.size());
        auto& n =
            w.node("Gather", L.name, {w.reshape(x, shape[u], {1, n_in}, L.name), w.initializer({m}, L.perm.data(), m)});
        set_int(n, "axis", 1);
        y = w.reshape(n.output(0), {1, m}, target, L.name);
        break;
      }
      case LayerKind::Relu: y = w.node("Relu", L.name, {w.reshape(x, shape[u], target, L.name)}).output(0); break;
      case LayerKind::Input: break;
    }
    if (graph.node_size() == first_node) y = w.node("Identity", L.name, {y}).output(0);  // an identity layer
    tensor[v] = y;
    shape[v] = target;
  }

  // The output: the one layer nothing reads.
  Vertex sink = 0;
  for (auto v : boost::make_iterator_range(boost::vertices(G)))
    if (boost::out_degree(v, G) == 0) sink = v;
  onnx::NodeProto* last = nullptr;
  for (auto& n : *graph.mutable_node())
    if (n.output(0) == tensor[sink]) last = &n;
  if (!last) last = &w.node("Identity", "output", {tensor[sink]});  // the network is its input
  last->set_output(0, output_name);
  value_info(graph.add_output(), output_name, shape[sink]);

  std::ofstream out(path, std::ios::binary);
  if (!out || !model.SerializeToOstream(&out)) throw util::InputError(path, "", "cannot write file");
}

}  // namespace net
