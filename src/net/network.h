// net::Network: a ReLU network as a DAG of layers (Boost.Graph), with exact forward evaluation
// in double, and its normalised layered view (affine, ReLU, affine, ..., affine) that every
// engine uses. Conv2D stays a layer in the DAG and is lowered to a dense affine map only in
// the layered view. Vectors are flat, in the row-major (C) order of the ONNX tensor shape.
#pragma once
#include <Eigen/Dense>
#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace net {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

enum class LayerKind {
  Input,       // the network input; out_shape is the input shape
  Dense,       // y = W x + b              (W: out x in)
  Conv2D,      // 2-D convolution, NCHW without the batch dimension
  ScaleShift,  // y = scale .* x + shift   (elementwise Mul/Div/Add/Sub with constants, folded BN)
  Permute,     // y[i] = x[perm[i]]        (Transpose; Reshape/Flatten/Squeeze are perm = identity)
  Relu,        // y = max(x, 0)
};
const char* to_string(LayerKind kind);

struct Conv2DParams {
  int64_t in_c = 0, in_h = 0, in_w = 0;
  int64_t out_c = 0, out_h = 0, out_w = 0;
  int64_t kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dil_h = 1, dil_w = 1;
  int64_t group = 1;
  std::vector<double> weight;  // [out_c][in_c / group][kh][kw], row-major
  Vector bias;                 // out_c entries (zeros when the node had none)
};

struct Layer {
  LayerKind kind = LayerKind::Input;
  std::string name;                 // source node name (ONNX) or a generated one
  std::vector<int64_t> out_shape;   // output shape without batch dimension
  Matrix W;                         // Dense
  Vector b;                         // Dense
  Vector scale, shift;              // ScaleShift
  std::vector<int64_t> perm;        // Permute
  Conv2DParams conv;                // Conv2D
  int64_t out_size() const;         // product of out_shape
};

// The layered view: ReLU after every layer except the last. Hidden layer k (0-based) is the
// output of layers[k] after its ReLU; there are layers.size() - 1 hidden layers.
struct AffineLayer {
  Matrix W;  // d_{k+1} x d_k
  Vector b;  // d_{k+1}
};

// Per hidden layer, 1 = neuron kept, 0 = pruned (its post-ReLU output is zeroed; seed 003 eq. 4).
using Mask = std::vector<std::vector<uint8_t>>;

struct LayeredNetwork {
  std::vector<AffineLayer> layers;

  int input_dim() const { return layers.empty() ? 0 : static_cast<int>(layers.front().W.cols()); }
  int output_dim() const { return layers.empty() ? 0 : static_cast<int>(layers.back().W.rows()); }
  int num_hidden() const { return static_cast<int>(layers.size()) - 1; }
  int hidden_width(int k) const { return static_cast<int>(layers[k].W.rows()); }
  int num_relus() const;
  int64_t num_parameters() const;
  // Exact forward evaluation (double). With a mask, pruned neurons output 0.
  Vector eval(const Vector& x) const;
  Vector eval(const Vector& x, const Mask& mask) const;
  // Pre-activations of every layer (hidden ones and the output), for attacks and tests.
  std::vector<Vector> pre_activations(const Vector& x, const Mask* mask = nullptr) const;
  // A mask keeping every neuron.
  Mask full_mask() const;
  // Throws util::InternalError when shapes do not chain.
  void check() const;
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Layer>;
using Vertex = Graph::vertex_descriptor;

class Network {
 public:
  Network() = default;

  // Builds the DAG; the first vertex added must be the Input layer.
  Vertex add_layer(Layer layer);
  void connect(Vertex from, Vertex to);
  const Graph& graph() const { return graph_; }
  Graph& graph() { return graph_; }
  size_t num_layers() const { return boost::num_vertices(graph_); }
  // Vertices in a topological order (inputs before their users).
  std::vector<Vertex> topological_order() const;

  const std::vector<int64_t>& input_shape() const;
  std::vector<int64_t> output_shape() const;
  int64_t input_size() const;
  int64_t output_size() const;

  // Exact forward evaluation on the DAG, layer by layer (Conv2D evaluated directly).
  Vector eval(const Vector& x) const;
  // The normalised layered view; consecutive affine layers are composed. Throws
  // util::InputError(source_, node, ...) when the DAG is not a chain of affine and ReLU layers.
  LayeredNetwork layered() const;
  // The name of a scale/shift layer (a folded BatchNorm, an Add) with a nonzero shift between a
  // ReLU and the next affine layer, or empty. layered() folds its shift into the next layer's
  // bias, so a neuron removed by a pruning mask (its ReLU output 0) still passes the shift on.
  std::string shift_after_relu() const;
  // A chain Input -> Dense -> Relu -> ... -> Dense built from a layered view.
  static Network from_layered(const LayeredNetwork& layered, std::vector<int64_t> input_shape = {});

  std::map<std::string, std::string> metadata;  // e.g. training data, loss, seed, accuracy
  std::string source;                           // file it was read from (for messages)
  std::string input_name = "input", output_name = "output";

 private:
  Graph graph_;
};

// The dense matrix of a convolution on the flattened CHW input (for the layered view).
AffineLayer conv_to_dense(const Conv2DParams& conv);
// Direct convolution of a flattened CHW input.
Vector conv_apply(const Conv2DParams& conv, const Vector& x);

}  // namespace net
