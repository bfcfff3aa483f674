// CROWN / DeepPoly back-substitution (Zhang et al. 2018, Singh et al. 2019), batched: the
// coefficients of all specification rows of all subdomains form one (d x m*B) matrix, so each
// layer costs one product W^T * Lambda for the whole batch (chunked to bound memory).
// Departure: at a hidden layer where a subdomain may still prune neurons, its rows are
// concretised there by the exact top-s rule (topk_mask.cpp) instead of relaxing further.
// Also returns d bound / d alpha for alpha-CROWN: Lambda_ji * u_ji where u is the forward pass
// of the chosen linear relaxations started from the minimiser (derivation in alpha_crown.cpp).
#include <algorithm>
#include <stdexcept>

#include "src/bounds/internal.h"

namespace bounds::detail {

namespace {

constexpr Eigen::Index kMaxChunkElements = 1 << 18;  // cache-sized coefficient chunks (bench_batching)

// Columns [b*m, (b+1)*m) of a (d x m*B) matrix scaled rowwise by column b of a (d x B) matrix.
template <class Out>
void scale_blocks(const Matrix& lam, const Matrix& slope, Eigen::Index b0, Eigen::Index m, Out& out, bool positive) {
  const Eigen::Index nb = lam.cols() / m;
  for (Eigen::Index b = 0; b < nb; ++b) {
    auto blk = lam.middleCols(b * m, m);
    if (positive)
      out.middleCols(b * m, m) += (blk.cwiseMax(0.0).array().colwise() * slope.col(b0 + b).array()).matrix();
    else
      out.middleCols(b * m, m) += (blk.cwiseMin(0.0).array().colwise() * slope.col(b0 + b).array()).matrix();
  }
}

// The per-coefficient loops below are written over raw columns so that the compiler turns their
// conditionals into vector blends (Eigen 3.4's select() is evaluated one coefficient at a time:
// half of a deep network's bounding time went there). Each writes n outputs, no aliasing.

// x_i = lo_i where a_i > 0, hi_i where a_i < 0, mid_i where a_i = 0: the box point where the
// linear form a . x is minimal (mid on ties, as the bound's concretisation is indifferent).
void box_minimiser(const double* __restrict a, const double* __restrict lo, const double* __restrict hi,
                   const double* __restrict mid, double* __restrict x, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) {
    const double on_neg = a[i] < 0 ? hi[i] : mid[i];
    x[i] = a[i] > 0 ? lo[i] : on_neg;
  }
}

// out_i = then_i where flag_i > 0, else_i elsewhere.
void select_where(const double* __restrict flag, const double* __restrict then_v, const double* __restrict else_v,
                  double* __restrict out, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) out[i] = flag[i] > 0 ? then_v[i] : else_v[i];
}

// One column of the relaxed forward pass: the lower line slope * u where the back-substituted
// coefficient lam is >= 0 (the bound used the lower relaxation there), the upper line elsewhere.
void relaxed_forward(const double* __restrict lam, const double* __restrict u, const double* __restrict slope,
                     const double* __restrict upper_slope, const double* __restrict upper_bias, double* __restrict out,
                     Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) {
    const double lower = slope[i] * u[i], upper = upper_slope[i] * u[i] + upper_bias[i];
    out[i] = lam[i] >= 0 ? lower : upper;
  }
}

// d bound / d alpha_i = lam_i * u_i where the neuron is unstable and lam_i >= 0, else 0.
void unstable_slope_gradient(const double* __restrict lam, const double* __restrict u,
                             const double* __restrict unstable, double* __restrict out, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) {
    const double g = lam[i] * u[i];
    out[i] = (unstable[i] > 0 && lam[i] >= 0) ? g : 0.0;
  }
}

// d bound / d beta_i = -s_i * u_i where the phase is fixed (s = +1 / -1), else 0.
void split_gradient(const double* __restrict u, const double* __restrict sign, double* __restrict out, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) {
    const double g = -sign[i] * u[i];
    out[i] = sign[i] != 0 ? g : 0.0;
  }
}

}  // namespace

Matrix shared_rows(const Matrix& C, int B) { return C.transpose().replicate(1, B); }
Matrix shared_offsets(const Vector& c, int B) { return c.replicate(1, B); }

BacksubResult backsub_lower(const net::LayeredNetwork& net, int k, const Matrix& Ct, const Matrix& c,
                            const Batch& batch, const LayerBoundsBatch& pre, const std::vector<Relaxation>& relax,
                            const std::vector<Matrix>* alpha, std::vector<Matrix>* grad, bool want_minimiser,
                            SplitMultipliers* split) {
  const Eigen::Index m = c.rows(), B = batch.B, n = net.input_dim();
  if (split && batch.has_masks) throw std::logic_error("backsub_lower: split multipliers with masks");
  BacksubResult res;
  res.lower.resize(m, B);
  res.magnitude.resize(m, B);
  if (split) {
    split->grad.resize(k);
    for (int j = 0; j < k; ++j) split->grad[j] = Matrix::Zero(net.hidden_width(j), m * B);
  }
  const bool forward = grad || split;  // the relaxed forward pass from the minimiser is needed
  if (want_minimiser) {
    res.minimiser.resize(n, m * B);
    res.input_coef.resize(n, m * B);
    res.hidden_coef.resize(k);
    for (int j = 0; j < k; ++j) res.hidden_coef[j].resize(net.hidden_width(j), m * B);
  }
  if (grad) {
    grad->resize(k);
    for (int j = 0; j < k; ++j) (*grad)[j] = Matrix::Zero(net.hidden_width(j), m * B);
  }
  Eigen::Index maxd = n;
  for (int j = 0; j <= k; ++j) maxd = std::max<Eigen::Index>(maxd, net.layers[j].W.rows());
  const Eigen::Index chunk = std::max<Eigen::Index>(1, kMaxChunkElements / std::max<Eigen::Index>(1, m * maxd));


  // Post-activation bounds (mask-aware) of the layers where rows may be concretised.
  std::vector<Matrix> post_lo(k), post_hi(k), post_mag(k);
  if (batch.has_masks)
    for (int j = 0; j < k; ++j) {
      post_activation_bounds(pre.lo[j], pre.hi[j], batch, j, post_lo[j], post_hi[j]);
      post_mag[j] = post_lo[j].cwiseAbs().cwiseMax(post_hi[j].cwiseAbs());
    }

  for (Eigen::Index b0 = 0; b0 < B; b0 += chunk) {
    const Eigen::Index nb = std::min(chunk, B - b0), M = m * nb;
    // Coefficients on h_{k-1} (or on x when k == 0), and the constant terms.
    Matrix lam = net.layers[k].W.transpose() * Ct.middleCols(b0 * m, M);  // d_{k-1} x M
    Eigen::RowVectorXd c0 = net.layers[k].b.transpose() * Ct.middleCols(b0 * m, M);
    // The magnitudes of every term summed into c0 and the final bound (widened_lower's scale).
    Eigen::RowVectorXd mag0 = net.layers[k].b.cwiseAbs().transpose() * Ct.middleCols(b0 * m, M).cwiseAbs();
    for (Eigen::Index b = 0; b < nb; ++b) {
      c0.middleCols(b * m, m) += c.col(b0 + b).transpose();
      mag0.middleCols(b * m, m) += c.col(b0 + b).cwiseAbs().transpose();
    }
    std::vector<int> stop(nb, -1);                  // hidden layer where subdomain's rows were concretised
    std::vector<Matrix> stop_point(nb);             // the minimising h there (d_j x m)
    std::vector<Matrix> lam_at(k);                  // coefficients on h_j, kept for the gradient
    for (int j = k - 1; j >= 0; --j) {
      // Concretise the rows of subdomains that may still prune in layer j.
      if (batch.has_masks) {
        {
          for (Eigen::Index b = 0; b < nb; ++b) {
            if (stop[b] >= 0 || !batch.maskable(j, b0 + b)) continue;
            Matrix at;
            Vector v = topk_masked_min(lam.middleCols(b * m, m), post_lo[j].col(b0 + b), post_hi[j].col(b0 + b), batch.mask[j].col(b0 + b),
                                       batch.budget[j][b0 + b], grad ? &at : nullptr);
            c0.middleCols(b * m, m) += v.transpose();
            mag0.middleCols(b * m, m) += post_mag[j].col(b0 + b).transpose() * lam.middleCols(b * m, m).cwiseAbs();
            lam.middleCols(b * m, m).setZero();
            stop[b] = j;
            if (grad) stop_point[b] = std::move(at);
          }
        }
      }
      if (want_minimiser) res.hidden_coef[j].middleCols(b0 * m, M) = lam;
      if (forward) lam_at[j] = lam;
      const Relaxation& rx = relax[j];
      Matrix G = Matrix::Zero(lam.rows(), M);
      if (alpha) {
        // Lower slopes per column: alpha where unstable, the fixed slope elsewhere.
        const Matrix& al = (*alpha)[j];
        for (Eigen::Index b = 0; b < nb; ++b) {
          auto blk = lam.middleCols(b * m, m);
          const auto uns = rx.unstable.col(b0 + b).array();
          Matrix slope = (al.middleCols((b0 + b) * m, m).array().colwise() * uns).matrix();
          slope.colwise() += ((1.0 - uns) * rx.lower_slope.col(b0 + b).array()).matrix();
          G.middleCols(b * m, m) = blk.cwiseMax(0.0).cwiseProduct(slope);
        }
      } else {
        scale_blocks(lam, rx.lower_slope, b0, m, G, true);
      }
      scale_blocks(lam, rx.upper_slope, b0, m, G, false);
      if (split) {  // coefficient -beta s on z_j for the split constraints s z_j >= 0
        const Matrix& be = split->beta[j];
        for (Eigen::Index b = 0; b < nb; ++b)
          for (Eigen::Index i = 0; i < G.rows(); ++i)
            if (const int s = batch.phase[j](i, b0 + b))
              G.row(i).segment(b * m, m) -= s * be.row(i).segment((b0 + b) * m, m);
      }
      Matrix T = Matrix::Zero(lam.rows(), M);
      scale_blocks(lam, rx.upper_bias, b0, m, T, false);  // lam^- * t
      c0 += T.colwise().sum() + net.layers[j].b.transpose() * G;
      mag0 += T.cwiseAbs().colwise().sum() + net.layers[j].b.cwiseAbs().transpose() * G.cwiseAbs();
      lam = net.layers[j].W.transpose() * G;
    }
    // Concretise over the input box: min of lam . x is attained at lo where lam > 0, hi where lam < 0.
    const bool points = want_minimiser || forward;
    Matrix xs(points ? n : 0, M);
    for (Eigen::Index b = 0; b < nb; ++b) {
      const Vector mid = 0.5 * (batch.xlo.col(b0 + b) + batch.xhi.col(b0 + b));
      const Vector rad = 0.5 * (batch.xhi.col(b0 + b) - batch.xlo.col(b0 + b));
      auto blk = lam.middleCols(b * m, m);
      const Matrix abs_blk = blk.cwiseAbs();
      Eigen::RowVectorXd v = mid.transpose() * blk - rad.transpose() * abs_blk;
      res.lower.col(b0 + b) = (c0.middleCols(b * m, m) + v).transpose();
      res.magnitude.col(b0 + b) = (mag0.middleCols(b * m, m) + (mid.cwiseAbs() + rad).transpose() * abs_blk).transpose();
      if (!points) continue;
      for (Eigen::Index r = 0; r < m; ++r)
        box_minimiser(&lam(0, b * m + r), &batch.xlo(0, b0 + b), &batch.xhi(0, b0 + b), mid.data(), &xs(0, b * m + r), n);
    }
    if (want_minimiser) {
      res.minimiser.middleCols(b0 * m, M) = xs;
      res.input_coef.middleCols(b0 * m, M) = lam;
    }
    if (!forward) continue;
    // Forward pass of the chosen relaxations from the minimiser: u_j = W_j v_{j-1} + b_j and
    // d bound / d alpha_ji = lam_ji * u_ji where lam_ji >= 0 and the neuron is unstable;
    // d bound / d beta_ji = -s_ji * u_ji (the bound is linear in beta at a fixed minimiser).
    Matrix v = std::move(xs);
    for (int j = 0; j < k; ++j) {
      Matrix u = (net.layers[j].W * v).colwise() + net.layers[j].b;
      const Relaxation& rx = relax[j];
      const Eigen::Index d = u.rows();
      Matrix vn(d, M);
      Vector slope(d), sign(d);
      for (Eigen::Index b = 0; b < nb; ++b) {
        if (stop[b] > j) {  // this subdomain's rows did not reach layer j
          vn.middleCols(b * m, m).setZero();
          continue;
        }
        const Eigen::Index bb = b0 + b;
        const bool fixed = split && batch.phase[j].col(bb).cwiseAbs().sum() > 0;
        if (fixed) sign = batch.phase[j].col(bb).cast<double>();
        const double *uns = &rx.unstable(0, bb), *ls = &rx.lower_slope(0, bb), *us = &rx.upper_slope(0, bb),
                     *ub = &rx.upper_bias(0, bb);
        for (Eigen::Index r = 0; r < m; ++r) {
          const Eigen::Index col = b * m + r, gcol = bb * m + r;
          const double* l = &lam_at[j](0, col);
          const double* uc = &u(0, col);
          // Lower slopes: alpha where unstable (when optimised), the relaxation's slope elsewhere.
          const double* sl = ls;
          if (alpha) {
            select_where(uns, &(*alpha)[j](0, gcol), ls, slope.data(), d);
            sl = slope.data();
          }
          relaxed_forward(l, uc, sl, us, ub, &vn(0, col), d);
          if (grad) unstable_slope_gradient(l, uc, uns, &(*grad)[j](0, gcol), d);
          if (fixed) split_gradient(uc, sign.data(), &split->grad[j](0, gcol), d);
        }
      }
      for (Eigen::Index b = 0; b < nb; ++b)
        if (stop[b] == j) vn.middleCols(b * m, m) = stop_point[b];
      v = std::move(vn);
    }
  }
  return res;
}

}  // namespace bounds::detail
