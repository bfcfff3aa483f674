// Internal declarations shared by the files of bounds/ (not part of the public header).
// Batch layout: every per-neuron quantity of a batch is a (d x B) matrix, column b = subdomain b.
// Back-substitution coefficients are kept transposed, (d x M) with M = m * B columns, column
// b * m + r = row r of the specification of subdomain b, so that one product W^T * Lambda per
// layer serves the whole batch.
#pragma once
#include <span>
#include <vector>

#include "src/bounds/bound_engine.h"

namespace bounds::detail {

// The subdomains of one call, laid out column-wise.
struct Batch {
  int B = 0;
  Matrix xlo, xhi;                          // n x B input boxes
  std::vector<Eigen::MatrixXi> phase;       // per hidden layer d_j x B: +1, -1, 0
  std::vector<Eigen::MatrixXi> mask;        // per hidden layer d_j x B: 1 kept, 0 pruned, -1 undecided
  std::vector<Eigen::VectorXi> budget;      // per hidden layer, B entries: prunes still allowed
  bool has_masks = false;
  // True when subdomain b may still prune neurons of hidden layer j (undecided bits and budget left).
  bool maskable(int j, int b) const;
};
Batch make_batch(const net::LayeredNetwork& net, std::span<const Subdomain> subdomains);

// Pre-activation bounds of every layer, per subdomain.
struct LayerBoundsBatch {
  std::vector<Matrix> lo, hi;  // per layer k: d_k x B
  std::vector<uint8_t> infeasible;
};

// ReLU relaxation of one hidden layer for the batch: lower h >= a z, upper h <= s z + t.
// Fixed/stable neurons get exact linear pieces; pruned neurons get 0.
struct Relaxation {
  Matrix lower_slope, upper_slope, upper_bias;  // d x B each
  Matrix unstable;                              // d x B, 1.0 where the lower slope is free in [0,1]
};
Relaxation relax_layer(const Matrix& lo, const Matrix& hi, const Batch& batch, int j);

// Post-activation bounds of hidden layer j as if every neuron were kept (pruned ones are 0).
void post_activation_bounds(const Matrix& lo, const Matrix& hi, const Batch& batch, int j, Matrix& hlo, Matrix& hhi);

// Clips pre-activation bounds of hidden layer j by the fixed phases, flags infeasible subdomains.
void apply_phases(Matrix& lo, Matrix& hi, const Batch& batch, int j, std::vector<uint8_t>& infeasible);

// seed 003 / DESIGN.md "Masks are first-class": exact minimum of sum_i coef_i * m_i * h_i over
// h_i in [hlo_i, hhi_i] and masks with at most s of the undecided neurons pruned (a top-s
// selection of the improvements). coef is d x m (one column per row of the specification).
// Returns the m minima; when argmin is given, it receives the minimising h (d x m).
Vector topk_masked_min(const Matrix& coef, const Vector& hlo, const Vector& hhi, const Eigen::VectorXi& mask,
                       int budget, Matrix* argmin);

// IBP: interval bounds of the next layer's pre-activations from hidden layer j's bounds.
// magnitude (optional, same shape): the sum of the magnitudes of the terms of each bound, for
// widen() (rounding error scales with it, not with the result, when large terms cancel).
void ibp_next_layer(const net::AffineLayer& layer, const Matrix& hlo, const Matrix& hhi, const Batch& batch, int j,
                    Matrix& lo_out, Matrix& hi_out, Matrix* magnitude = nullptr);

// CROWN back-substitution. Lower bounds of C_b z_k + c_b for every subdomain b, with the rows
// given transposed and side by side: Ct is d_k x (m*B) (column b*m + r = row r of C_b), c is
// m x B (rows may differ per subdomain: padding rows of zeros are allowed), through hidden layers k-1..0 using `relax`, down to the input box, or to a hidden
// layer where the subdomain may still prune (concretised there by topk_masked_min).
// alpha (optional): per hidden layer a d_j x (m*B) matrix of lower slopes overriding the
// unstable neurons' slopes. grad (optional, same shapes): d bound / d alpha.
// minimiser (optional): n x (m*B) input points attaining the bound (box centre where the
// back-substitution stopped at a maskable layer).
struct BacksubResult {
  Matrix lower;                     // m x B, as computed: widen_lower() gives the sound bound
  Matrix magnitude;                 // m x B: sum of the magnitudes of the terms summed into lower
  Matrix minimiser;                 // n x (m*B)
  Matrix input_coef;                // n x (m*B), with the minimiser
  std::vector<Matrix> hidden_coef;  // per hidden layer j < k: d_j x (m*B), with the minimiser
};
// beta-CROWN (Wang et al. 2021): Lagrange multipliers beta >= 0 of the split constraints
// s z_ji >= 0 of the fixed phases (s = +1 active, -1 inactive). The back-substitution then bounds
// obj - sum beta s z over the relaxation, which is below obj wherever the constraints hold, so
// every beta >= 0 gives a sound bound of the subdomain. Not with masks (rows concretised early).
struct SplitMultipliers {
  std::vector<Matrix> beta;  // per hidden layer j < k: d_j x (m*B); read only where the phase is fixed
  std::vector<Matrix> grad;  // out: d bound / d beta (-s u_ji, u the relaxed forward pass), same shapes
};
BacksubResult backsub_lower(const net::LayeredNetwork& net, int k, const Matrix& Ct, const Matrix& c,
                            const Batch& batch, const LayerBoundsBatch& pre, const std::vector<Relaxation>& relax,
                            const std::vector<Matrix>* alpha, std::vector<Matrix>* grad, bool want_minimiser,
                            SplitMultipliers* split = nullptr);
// The same rows C (m x d_k) and offsets c (m) for every subdomain, in backsub_lower's layout.
Matrix shared_rows(const Matrix& C, int B);
Matrix shared_offsets(const Vector& c, int B);

// Widening of computed bounds (numerical safety): see widen() in cpu_engine.cpp. magnitude
// (same shape): the magnitudes of the terms summed into each bound.
void widen(Matrix& lo, Matrix& hi, const BoundOptions& o, const Matrix& magnitude);
// r.lower widened by the magnitudes of its terms (r.magnitude), as widen() does.
Matrix widened_lower(const BacksubResult& r, const BoundOptions& o);

}  // namespace bounds::detail

namespace bounds::detail {
// Warm starts (BoundOptions::keep_slopes, warm_iters), per subdomain b of the batch: the row ids
// of its m columns (-1: a padding row), the parameters to start from (null: cold) and where to
// write those of the best bound per row (null: not kept).
struct WarmRows {
  std::vector<std::vector<int>> ids;  // B x m
  std::vector<const SlopeRows*> in;   // B
  std::vector<SlopeRows*> out;        // B
};
// alpha-CROWN on the rows C z_k + c (alpha_crown.cpp); returns the best bound per row, with its
// minimiser and coefficients when want_points (the property rows; intermediate layers need only
// the bounds); warm (optional): the rows' warm starts.
BacksubResult alpha_crown_lower(const net::LayeredNetwork& net, int k, const Matrix& Ct, const Matrix& c,
                                const Batch& batch, const LayerBoundsBatch& pre, const std::vector<Relaxation>& relax,
                                const BoundOptions& o, bool want_points, const WarmRows* warm = nullptr);
}  // namespace bounds::detail
