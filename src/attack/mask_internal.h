// Internal to the mask attacks (mask_*.cpp): resolving the query (point, budget), a deadline,
// incremental forward evaluation from a hidden layer on, and the final exact re-check of a
// reported mask. Not part of attack/'s public interface.
#pragma once
#include <chrono>

#include "src/attack/mask_attack.h"

namespace attack::detail {

// The point and budget an attack works on, checked against the network.
struct MaskQuery {
  const net::LayeredNetwork* net = nullptr;
  Eigen::VectorXd x;
  std::vector<int> s;  // budget per hidden layer (all 0 when the problem has none)
};
MaskQuery resolve_query(const spec::Problem& problem, const Eigen::VectorXd& x);

class Deadline {
 public:
  explicit Deadline(double seconds) : seconds_(seconds), t0_(std::chrono::steady_clock::now()) {}
  bool passed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count() > seconds_;
  }
  double left() const {
    return seconds_ - std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  double seconds_;
  std::chrono::steady_clock::time_point t0_;
};

// Post-ReLU activations of hidden layers 0..K-1 at x under mask (pruned entries 0).
std::vector<Eigen::VectorXd> masked_hidden(const net::LayeredNetwork& net, const Eigen::VectorXd& x,
                                           const net::Mask& mask);
// Outputs when the input of layer `layer` (a hidden activation, already masked) is h and the
// layers after it use mask.
Eigen::VectorXd forward_from(const net::LayeredNetwork& net, int layer, const Eigen::VectorXd& h,
                             const net::Mask& mask);
// As forward_from, but starting from the pre-activation z of layer `layer` (before its ReLU and mask).
Eigen::VectorXd forward_from_pre(const net::LayeredNetwork& net, int layer, const Eigen::VectorXd& z,
                                 const net::Mask& mask);

// Records mask as result->best when its exact margin (net.eval(x, mask)) is lower than the
// current best; throws util::InternalError for an inadmissible mask. Returns the exact margin.
double offer_mask(const spec::Problem& problem, const MaskQuery& q, const net::Mask& mask, const char* method,
                  MaskAttackResult* result);
// Sets result->found by spec::confirm_witness on the best mask (and fills best.y).
void confirm_result(const spec::Problem& problem, MaskAttackResult* result);

}  // namespace attack::detail
