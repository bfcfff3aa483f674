// Network DAG evaluation and its layered view agree; convolution lowering is exact.
#include <gtest/gtest.h>

#include <random>

#include "src/net/network.h"

namespace {

net::Layer dense(int out, int in, std::mt19937& rng) {
  std::normal_distribution<double> N(0, 1);
  net::Layer l;
  l.kind = net::LayerKind::Dense;
  l.W = net::Matrix::NullaryExpr(out, in, [&] { return N(rng); });
  l.b = net::Vector::NullaryExpr(out, [&] { return N(rng); });
  l.out_shape = {out};
  return l;
}

}  // namespace

TEST(Network, LayeredViewAgreesWithDagOnConvScaleAndPermute) {
  std::mt19937 rng(1);
  std::normal_distribution<double> N(0, 1);
  net::Network n;
  net::Layer in;
  in.kind = net::LayerKind::Input;
  in.out_shape = {2, 5, 4};
  auto v = n.add_layer(in);
  net::Layer ss;
  ss.kind = net::LayerKind::ScaleShift;
  ss.scale = net::Vector::NullaryExpr(40, [&] { return N(rng); });
  ss.shift = net::Vector::NullaryExpr(40, [&] { return N(rng); });
  ss.out_shape = in.out_shape;
  auto v1 = n.add_layer(ss);
  n.connect(v, v1);
  net::Layer conv;
  conv.kind = net::LayerKind::Conv2D;
  auto& c = conv.conv;
  c.in_c = 2; c.in_h = 5; c.in_w = 4; c.out_c = 3; c.kh = 3; c.kw = 2;
  c.stride_h = 2; c.pad_top = 1; c.pad_bottom = 1; c.pad_left = 0; c.pad_right = 1;
  c.out_h = (5 + 2 - 3) / 2 + 1;
  c.out_w = (4 + 1 - 2) / 1 + 1;
  c.weight.resize(3 * 2 * 3 * 2);
  for (auto& w : c.weight) w = N(rng);
  c.bias = net::Vector::NullaryExpr(3, [&] { return N(rng); });
  conv.out_shape = {3, c.out_h, c.out_w};
  auto v2 = n.add_layer(conv);
  n.connect(v1, v2);
  net::Layer r;
  r.kind = net::LayerKind::Relu;
  r.out_shape = conv.out_shape;
  auto v3 = n.add_layer(r);
  n.connect(v2, v3);
  const int64_t m = 3 * c.out_h * c.out_w;
  net::Layer perm;
  perm.kind = net::LayerKind::Permute;
  perm.out_shape = {m};
  for (int64_t i = 0; i < m; ++i) perm.perm.push_back((i * 7) % m);  // m = 36 is not a multiple of 7
  auto v4 = n.add_layer(perm);
  n.connect(v3, v4);
  auto v5 = n.add_layer(dense(4, static_cast<int>(m), rng));
  n.connect(v4, v5);

  net::LayeredNetwork l = n.layered();
  ASSERT_EQ(l.num_hidden(), 1);
  EXPECT_EQ(l.hidden_width(0), m);
  for (int t = 0; t < 20; ++t) {
    net::Vector x = net::Vector::NullaryExpr(40, [&] { return N(rng); });
    net::Vector a = n.eval(x), b = l.eval(x);
    ASSERT_EQ(a.size(), 4);
    EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-10);
  }
}

TEST(Network, FromLayeredRoundTripsAndMasksZeroActivations) {
  std::mt19937 rng(2);
  std::normal_distribution<double> N(0, 1);
  net::LayeredNetwork l;
  l.layers.push_back({net::Matrix::NullaryExpr(5, 3, [&] { return N(rng); }), net::Vector::NullaryExpr(5, [&] { return N(rng); })});
  l.layers.push_back({net::Matrix::NullaryExpr(2, 5, [&] { return N(rng); }), net::Vector::NullaryExpr(2, [&] { return N(rng); })});
  net::Network n = net::Network::from_layered(l);
  net::Vector x = net::Vector::NullaryExpr(3, [&] { return N(rng); });
  EXPECT_LT((n.eval(x) - l.eval(x)).norm(), 1e-12);
  net::Mask m = l.full_mask();
  EXPECT_LT((l.eval(x, m) - l.eval(x)).norm(), 1e-12);
  m[0].assign(5, 0);
  EXPECT_LT((l.eval(x, m) - l.layers[1].b).norm(), 1e-12);
}

// A scale/shift layer after a ReLU (a BatchNorm there) has its shift folded into the next layer's
// bias, so a pruned neuron still passes it on: shift_after_relu names it for the CLI's warning.
// A scale alone, or a shift before the ReLU, keeps pruning exact.
TEST(Network, ShiftAfterReluIsNamed) {
  std::mt19937 rng(3);
  auto chain = [&](bool shift_after, double shift) {
    net::Network n;
    net::Layer in;
    in.kind = net::LayerKind::Input;
    in.out_shape = {2};
    auto v = n.add_layer(in);
    auto add = [&](net::Layer l) {
      auto u = n.add_layer(std::move(l));
      n.connect(v, u);
      v = u;
    };
    net::Layer ss;
    ss.kind = net::LayerKind::ScaleShift;
    ss.name = "bn";
    ss.scale = net::Vector::Constant(3, 2.0);
    ss.shift = net::Vector::Constant(3, shift);
    ss.out_shape = {3};
    net::Layer r;
    r.kind = net::LayerKind::Relu;
    r.out_shape = {3};
    add(dense(3, 2, rng));
    if (!shift_after) add(ss);
    add(r);
    if (shift_after) add(ss);
    add(dense(2, 3, rng));
    return n;
  };
  EXPECT_EQ(chain(true, 0.5).shift_after_relu(), "bn");
  EXPECT_EQ(chain(true, 0.0).shift_after_relu(), "");
  EXPECT_EQ(chain(false, 0.5).shift_after_relu(), "");
}
