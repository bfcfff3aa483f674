// Network DAG, exact forward evaluation, and the lowering to the layered affine/ReLU view.
#include "src/net/network.h"

#include <boost/graph/topological_sort.hpp>
#include <numeric>

#include "src/util/errors.h"

namespace net {

const char* to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::Input: return "Input";
    case LayerKind::Dense: return "Dense";
    case LayerKind::Conv2D: return "Conv2D";
    case LayerKind::ScaleShift: return "ScaleShift";
    case LayerKind::Permute: return "Permute";
    case LayerKind::Relu: return "Relu";
  }
  return "?";
}

int64_t Layer::out_size() const {
  return std::accumulate(out_shape.begin(), out_shape.end(), int64_t{1}, std::multiplies<>());
}

// ---------------------------------------------------------------- layered view

int LayeredNetwork::num_relus() const {
  int n = 0;
  for (int k = 0; k < num_hidden(); ++k) n += hidden_width(k);
  return n;
}

int64_t LayeredNetwork::num_parameters() const {
  int64_t n = 0;
  for (const auto& l : layers) n += l.W.size() + l.b.size();
  return n;
}

Mask LayeredNetwork::full_mask() const {
  Mask m(num_hidden());
  for (int k = 0; k < num_hidden(); ++k) m[k].assign(hidden_width(k), 1);
  return m;
}

void LayeredNetwork::check() const {
  if (layers.empty()) throw util::InternalError("layered network has no layers");
  for (size_t k = 0; k < layers.size(); ++k) {
    if (layers[k].W.rows() != layers[k].b.size())
      throw util::InternalError("layer " + std::to_string(k) + ": bias size does not match W");
    if (k > 0 && layers[k].W.cols() != layers[k - 1].W.rows())
      throw util::InternalError("layer " + std::to_string(k) + ": input size does not chain");
  }
}

std::vector<Vector> LayeredNetwork::pre_activations(const Vector& x, const Mask* mask) const {
  std::vector<Vector> out;
  out.reserve(layers.size());
  Vector h = x;
  for (size_t k = 0; k < layers.size(); ++k) {
    Vector z = layers[k].W * h + layers[k].b;
    out.push_back(z);
    if (k + 1 < layers.size()) {
      h = z.cwiseMax(0.0);
      if (mask)
        for (Eigen::Index i = 0; i < h.size(); ++i)
          if (!(*mask)[k][i]) h[i] = 0.0;
    }
  }
  return out;
}

Vector LayeredNetwork::eval(const Vector& x) const { return pre_activations(x).back(); }
Vector LayeredNetwork::eval(const Vector& x, const Mask& mask) const {
  return pre_activations(x, &mask).back();
}

// ---------------------------------------------------------------- convolution

Vector conv_apply(const Conv2DParams& c, const Vector& x) {
  Vector y(c.out_c * c.out_h * c.out_w);
  const int64_t cin_g = c.in_c / c.group, cout_g = c.out_c / c.group;
  for (int64_t oc = 0; oc < c.out_c; ++oc) {
    const int64_t g = oc / cout_g;
    for (int64_t oh = 0; oh < c.out_h; ++oh)
      for (int64_t ow = 0; ow < c.out_w; ++ow) {
        double s = c.bias.size() ? c.bias[oc] : 0.0;
        for (int64_t icg = 0; icg < cin_g; ++icg) {
          const int64_t ic = g * cin_g + icg;
          for (int64_t i = 0; i < c.kh; ++i) {
            const int64_t ih = oh * c.stride_h - c.pad_top + i * c.dil_h;
            if (ih < 0 || ih >= c.in_h) continue;
            for (int64_t j = 0; j < c.kw; ++j) {
              const int64_t iw = ow * c.stride_w - c.pad_left + j * c.dil_w;
              if (iw < 0 || iw >= c.in_w) continue;
              s += c.weight[((oc * cin_g + icg) * c.kh + i) * c.kw + j] * x[(ic * c.in_h + ih) * c.in_w + iw];
            }
          }
        }
        y[(oc * c.out_h + oh) * c.out_w + ow] = s;
      }
  }
  return y;
}

AffineLayer conv_to_dense(const Conv2DParams& c) {
  const int64_t n_in = c.in_c * c.in_h * c.in_w, n_out = c.out_c * c.out_h * c.out_w;
  AffineLayer a{Matrix::Zero(n_out, n_in), Vector::Zero(n_out)};
  const int64_t cin_g = c.in_c / c.group, cout_g = c.out_c / c.group;
  for (int64_t oc = 0; oc < c.out_c; ++oc) {
    const int64_t g = oc / cout_g;
    for (int64_t oh = 0; oh < c.out_h; ++oh)
      for (int64_t ow = 0; ow < c.out_w; ++ow) {
        const int64_t row = (oc * c.out_h + oh) * c.out_w + ow;
        a.b[row] = c.bias.size() ? c.bias[oc] : 0.0;
        for (int64_t icg = 0; icg < cin_g; ++icg) {
          const int64_t ic = g * cin_g + icg;
          for (int64_t i = 0; i < c.kh; ++i) {
            const int64_t ih = oh * c.stride_h - c.pad_top + i * c.dil_h;
            if (ih < 0 || ih >= c.in_h) continue;
            for (int64_t j = 0; j < c.kw; ++j) {
              const int64_t iw = ow * c.stride_w - c.pad_left + j * c.dil_w;
              if (iw < 0 || iw >= c.in_w) continue;
              a.W(row, (ic * c.in_h + ih) * c.in_w + iw) += c.weight[((oc * cin_g + icg) * c.kh + i) * c.kw + j];
            }
          }
        }
      }
  }
  return a;
}

// ---------------------------------------------------------------- DAG

Vertex Network::add_layer(Layer layer) { return boost::add_vertex(std::move(layer), graph_); }
void Network::connect(Vertex from, Vertex to) { boost::add_edge(from, to, graph_); }

std::vector<Vertex> Network::topological_order() const {
  std::vector<Vertex> rev;
  boost::topological_sort(graph_, std::back_inserter(rev));
  return {rev.rbegin(), rev.rend()};
}

const std::vector<int64_t>& Network::input_shape() const {
  if (num_layers() == 0) throw util::InternalError("empty network");
  return graph_[0].out_shape;
}

static Vertex sink_of(const Graph& g) {
  Vertex sink = 0;
  int sinks = 0;
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (boost::out_degree(v, g) == 0) { sink = v; ++sinks; }
  if (sinks != 1) throw util::InternalError("network must have exactly one output layer");
  return sink;
}

std::vector<int64_t> Network::output_shape() const { return graph_[sink_of(graph_)].out_shape; }
int64_t Network::input_size() const { return graph_[0].out_size(); }
int64_t Network::output_size() const { return graph_[sink_of(graph_)].out_size(); }

static Vector apply_layer(const Layer& l, const Vector& x) {
  switch (l.kind) {
    case LayerKind::Input: return x;
    case LayerKind::Dense: return l.W * x + l.b;
    case LayerKind::Conv2D: return conv_apply(l.conv, x);
    case LayerKind::ScaleShift: return l.scale.cwiseProduct(x) + l.shift;
    case LayerKind::Permute: {
      Vector y(static_cast<Eigen::Index>(l.perm.size()));
      for (size_t i = 0; i < l.perm.size(); ++i) y[i] = x[l.perm[i]];
      return y;
    }
    case LayerKind::Relu: return x.cwiseMax(0.0);
  }
  return x;
}

Vector Network::eval(const Vector& x) const {
  if (x.size() != input_size())
    throw util::InputError(source, "", "input has " + std::to_string(x.size()) + " numbers, the network expects " +
                                           std::to_string(input_size()));
  std::vector<Vector> value(num_layers());
  for (Vertex v : topological_order()) {
    if (boost::in_degree(v, graph_) == 0) {
      value[v] = x;
      continue;
    }
    if (boost::in_degree(v, graph_) != 1)
      throw util::InputError(source, "node '" + graph_[v].name + "'", "layers with several inputs are not supported");
    Vertex u = boost::source(*boost::in_edges(v, graph_).first, graph_);
    value[v] = apply_layer(graph_[v], value[u]);
  }
  return value[sink_of(graph_)];
}

LayeredNetwork Network::layered() const {
  LayeredNetwork out;
  Matrix A;  // current tensor = A * z + c, z = output of the last ReLU (or the input)
  Vector c;
  bool started = false;
  for (Vertex v : topological_order()) {
    const Layer& l = graph_[v];
    if (boost::in_degree(v, graph_) > 1 || boost::out_degree(v, graph_) > 1)
      throw util::InputError(source, "node '" + l.name + "'",
                             "the network is not a chain of affine and ReLU layers (branching graph)");
    if (l.kind == LayerKind::Input) {
      if (started) throw util::InputError(source, "node '" + l.name + "'", "network has several inputs");
      started = true;
      A = Matrix::Identity(l.out_size(), l.out_size());
      c = Vector::Zero(l.out_size());
      continue;
    }
    switch (l.kind) {
      case LayerKind::Dense:
        A = l.W * A;
        c = l.W * c + l.b;
        break;
      case LayerKind::Conv2D: {
        AffineLayer d = conv_to_dense(l.conv);
        A = d.W * A;
        c = d.W * c + d.b;
        break;
      }
      case LayerKind::ScaleShift:
        A = l.scale.asDiagonal() * A;
        c = l.scale.cwiseProduct(c) + l.shift;
        break;
      case LayerKind::Permute: {
        Matrix A2(static_cast<Eigen::Index>(l.perm.size()), A.cols());
        Vector c2(static_cast<Eigen::Index>(l.perm.size()));
        for (size_t i = 0; i < l.perm.size(); ++i) {
          A2.row(i) = A.row(l.perm[i]);
          c2[i] = c[l.perm[i]];
        }
        A = std::move(A2);
        c = std::move(c2);
        break;
      }
      case LayerKind::Relu:
        out.layers.push_back({A, c});
        A = Matrix::Identity(l.out_size(), l.out_size());
        c = Vector::Zero(l.out_size());
        break;
      case LayerKind::Input: break;
    }
  }
  out.layers.push_back({A, c});
  out.check();
  return out;
}

std::string Network::shift_after_relu() const {
  bool after_relu = false;
  for (Vertex v : topological_order()) {
    const Layer& l = graph_[v];
    if (l.kind == LayerKind::Relu) after_relu = true;
    else if (l.kind == LayerKind::Dense || l.kind == LayerKind::Conv2D) after_relu = false;
    else if (l.kind == LayerKind::ScaleShift && after_relu && (l.shift.array() != 0.0).any()) return l.name;
  }
  return "";
}

Network Network::from_layered(const LayeredNetwork& layered, std::vector<int64_t> input_shape) {
  Network n;
  Layer in;
  in.kind = LayerKind::Input;
  in.name = "input";
  in.out_shape = input_shape.empty() ? std::vector<int64_t>{layered.input_dim()} : input_shape;
  Vertex prev = n.add_layer(std::move(in));
  if (n.graph()[prev].out_size() != layered.input_dim())
    throw util::InternalError("from_layered: input shape does not match the first layer");
  if (input_shape.size() > 1) {  // flatten first
    Layer f;
    f.kind = LayerKind::Permute;
    f.name = "flatten";
    f.out_shape = {layered.input_dim()};
    f.perm.resize(layered.input_dim());
    std::iota(f.perm.begin(), f.perm.end(), 0);
    Vertex v = n.add_layer(std::move(f));
    n.connect(prev, v);
    prev = v;
  }
  for (size_t k = 0; k < layered.layers.size(); ++k) {
    Layer d;
    d.kind = LayerKind::Dense;
    d.name = "dense_" + std::to_string(k);
    d.W = layered.layers[k].W;
    d.b = layered.layers[k].b;
    d.out_shape = {static_cast<int64_t>(d.W.rows())};
    Vertex v = n.add_layer(std::move(d));
    n.connect(prev, v);
    prev = v;
    if (k + 1 < layered.layers.size()) {
      Layer r;
      r.kind = LayerKind::Relu;
      r.name = "relu_" + std::to_string(k);
      r.out_shape = {static_cast<int64_t>(layered.layers[k].W.rows())};
      Vertex w = n.add_layer(std::move(r));
      n.connect(prev, w);
      prev = w;
    }
  }
  return n;
}

}  // namespace net
