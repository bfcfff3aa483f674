// Adam (Kingma and Ba 2015) with L2 weight decay added to the gradient (PyTorch's Adam
// `weight_decay`, which seed 003 A.5 uses with 1e-3). Without biases the bias vectors stay 0.
#include "src/train/internal.h"

namespace train::detail {

Adam::Adam(const Weights& shape, double lr, double weight_decay, bool train_bias)
    : lr(lr), m_(shape.zeros_like()), v_(shape.zeros_like()), weight_decay_(weight_decay), train_bias_(train_bias) {}

namespace {
// One parameter tensor; step = lr / (1 - beta1^t), c2 = 1 - beta2^t (bias corrections).
template <class P, class G, class M>
void update(P& p, const G& g_raw, M& m, M& v, double wd, double step, double c2, double beta1, double beta2,
            double eps) {
  const auto g = (g_raw.array() + wd * p.array()).eval();
  m.array() = beta1 * m.array() + (1 - beta1) * g;
  v.array() = beta2 * v.array() + (1 - beta2) * g.square();
  p.array() -= step * m.array() / ((v.array() / c2).sqrt() + eps);
}
}  // namespace

void Adam::step(Weights& w, const Weights& grad) {
  ++t_;
  const double c1 = 1.0 - std::pow(kBeta1, static_cast<double>(t_));
  const double c2 = 1.0 - std::pow(kBeta2, static_cast<double>(t_));
  const double step = lr / c1;
  for (size_t k = 0; k < w.W.size(); ++k) {
    update(w.W[k], grad.W[k], m_.W[k], v_.W[k], weight_decay_, step, c2, kBeta1, kBeta2, kEps);
    if (train_bias_) update(w.b[k], grad.b[k], m_.b[k], v_.b[k], weight_decay_, step, c2, kBeta1, kBeta2, kEps);
  }
}

}  // namespace train::detail
