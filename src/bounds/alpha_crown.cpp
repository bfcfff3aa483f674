// alpha-CROWN (Xu et al. 2021): the lower slopes a_ji in [0,1] of unstable ReLUs are free
// parameters of a valid bound, one set per specification row; projected gradient ascent (Adam)
// on the bound, keeping the best bound seen per row (every iterate is sound; compared after
// widened_lower, and returned with its magnitude for the caller to widen the same way).
// Gradient: the bound is c0 + sum_j lam_j^+ a_j (W_j v_{j-1} + b_j) + ..., so d/d a_ji equals
// lam_ji * u_ji with u the pre-activations of the relaxed forward pass from the minimiser
// (crown.cpp computes it). Only the output rows are optimised; intermediate layers keep the
// adaptive slopes.
// beta-CROWN (Wang et al. 2021), when the subdomains fix phases (BaB's splits) and
// BoundOptions::beta: the multipliers beta_ji >= 0 of the split constraints s z_ji >= 0 are
// optimised jointly with the slopes (d/d beta_ji = -s u_ji, SplitMultipliers in internal.h),
// projected onto beta >= 0, from beta = 0 (so the first iterate is alpha-CROWN's).
// Warm starts (as alpha,beta-CROWN's BaB): a subdomain given its parent's parameters
// (WarmRows, from SubdomainBounds::slopes) starts each row from the parent's slopes and
// multipliers of the same row, and the batch takes BoundOptions::warm_iters steps when every
// subdomain had some; the parameters of each row's best bound are handed back for its children.
#include <algorithm>
#include <cmath>
#include <utility>

#include "src/bounds/internal.h"

namespace bounds::detail {

namespace {

// One Adam ascent step on x (in place) with gradient g, projected onto [lo, hi].
struct Adam {
  Matrix mom, vel;
  void step(Matrix& x, const Matrix& g, int it, double lr, double lo, double hi) {
    constexpr double beta1 = 0.9, beta2 = 0.999, tiny = 1e-12;
    if (mom.size() == 0) mom = vel = Matrix::Zero(x.rows(), x.cols());
    mom = beta1 * mom + (1 - beta1) * g;
    vel = beta2 * vel + (1 - beta2) * g.cwiseAbs2();
    const double bc1 = 1 - std::pow(beta1, it), bc2 = 1 - std::pow(beta2, it);
    x += (lr * (mom / bc1).array() / ((vel / bc2).array().sqrt() + tiny)).matrix();
    x = x.cwiseMax(lo).cwiseMin(hi);
  }
};

// Per hidden layer j < k: whether some subdomain of the batch fixes a phase there (only those
// layers' split multipliers have a gradient; the others stay 0 and need no Adam steps: from a zero
// gradient, Adam's moments stay 0 and the step is 0).
std::vector<bool> layers_with_splits(const Batch& batch, int k) {
  std::vector<bool> fixed(k);
  for (int j = 0; j < k; ++j) fixed[j] = batch.phase[j].cwiseAbs().sum() > 0;
  return fixed;
}

// The column of `rows` that holds row `id`, or -1.
Eigen::Index find_row(const SlopeRows& rows, int id) {
  const auto it = std::lower_bound(rows.ids.begin(), rows.ids.end(), id);
  return it != rows.ids.end() && *it == id ? it - rows.ids.begin() : -1;
}

// dst = src where src is finite (a slope clipped to [0, 1], a multiplier to [0, inf)); the cold
// value stays elsewhere.
void copy_finite(const Eigen::VectorXf& src, double lo, double hi, Eigen::Ref<Vector> dst) {
  if (src.size() != dst.size()) return;
  for (Eigen::Index i = 0; i < src.size(); ++i)
    if (std::isfinite(src[i])) dst[i] = std::clamp(static_cast<double>(src[i]), lo, hi);
}

// Starts subdomain b's columns of the slopes (and multipliers) from w.in[b] where it holds their
// rows. Returns false when some row of the subdomain (not counting padding) starts cold.
bool warm_start(const WarmRows& w, Eigen::Index b, Eigen::Index m, int k, std::vector<Matrix>& alpha,
                SplitMultipliers* split) {
  const SlopeRows* in = w.in[b];
  bool all = true;
  for (Eigen::Index r = 0; r < m; ++r) {
    const int id = w.ids[b][r];
    if (id < 0) continue;
    const Eigen::Index c = in ? find_row(*in, id) : -1;
    if (c < 0) {
      all = false;
      continue;
    }
    for (int j = 0; j < k && j < static_cast<int>(in->alpha.size()); ++j)
      if (in->alpha[j].size()) copy_finite(in->alpha[j].col(c), 0.0, 1.0, alpha[j].col(b * m + r));
    if (split)
      for (int j = 0; j < k && j < static_cast<int>(in->beta.size()); ++j)
        if (in->beta[j].size()) copy_finite(in->beta[j].col(c), 0.0, HUGE_VAL, split->beta[j].col(b * m + r));
  }
  return all;
}

// The parameters of subdomain b's rows (padding rows left out), in single precision; layers
// flagged false in `keep` are left empty (their parameters have no effect).
SlopeRows kept_rows(const WarmRows& w, Eigen::Index b, Eigen::Index m, const std::vector<Matrix>& alpha,
                    const std::vector<bool>& keep_alpha, const std::vector<Matrix>* beta,
                    const std::vector<bool>& keep_beta) {
  std::vector<std::pair<int, Eigen::Index>> rows;
  for (Eigen::Index r = 0; r < m; ++r)
    if (w.ids[b][r] >= 0) rows.push_back({w.ids[b][r], r});
  std::sort(rows.begin(), rows.end());
  SlopeRows out;
  for (const auto& [id, r] : rows) out.ids.push_back(id);
  const auto gather = [&](const std::vector<Matrix>& from, const std::vector<bool>& keep, std::vector<Eigen::MatrixXf>& to) {
    to.resize(from.size());
    for (size_t j = 0; j < from.size(); ++j) {
      if (!keep[j]) continue;
      to[j].resize(from[j].rows(), static_cast<Eigen::Index>(rows.size()));
      for (size_t c = 0; c < rows.size(); ++c) to[j].col(static_cast<Eigen::Index>(c)) = from[j].col(b * m + rows[c].second).cast<float>();
    }
  };
  gather(alpha, keep_alpha, out.alpha);
  if (beta) gather(*beta, keep_beta, out.beta);
  return out;
}

}  // namespace

BacksubResult alpha_crown_lower(const net::LayeredNetwork& net, int k, const Matrix& Ct, const Matrix& c,
                                const Batch& batch, const LayerBoundsBatch& pre, const std::vector<Relaxation>& relax,
                                const BoundOptions& o, bool want_points, const WarmRows* warm) {
  const Eigen::Index m = c.rows(), B = batch.B;
  std::vector<Matrix> alpha(k), grad;
  std::vector<Adam> alpha_adam(k), beta_adam(k);
  for (int j = 0; j < k; ++j) {
    alpha[j].resize(relax[j].lower_slope.rows(), m * B);
    for (Eigen::Index b = 0; b < B; ++b) alpha[j].middleCols(b * m, m) = relax[j].lower_slope.col(b).replicate(1, m);
  }
  // Layers without an unstable neuron in any subdomain (BaB's leading layers, all fixed or stable)
  // have no free slope: their gradient is 0 and Adam would leave them as they are.
  std::vector<bool> has_unstable(k);
  for (int j = 0; j < k; ++j) has_unstable[j] = relax[j].unstable.sum() > 0;
  SplitMultipliers split;
  const std::vector<bool> split_layer = layers_with_splits(batch, k);
  const bool use_beta =
      o.beta && !batch.has_masks && std::find(split_layer.begin(), split_layer.end(), true) != split_layer.end();
  if (use_beta) {
    split.beta.resize(k);
    for (int j = 0; j < k; ++j) split.beta[j] = Matrix::Zero(net.hidden_width(j), m * B);
  }
  SplitMultipliers* sp = use_beta ? &split : nullptr;
  // Warm starts: subdomains given their parent's parameters start from them, and the batch takes
  // warm_iters steps when every row of every subdomain did (padding rows aside).
  int iters = o.alpha_iters;
  bool keep = false;
  if (warm) {
    bool all_warm = B > 0;
    for (Eigen::Index b = 0; b < B; ++b) {
      all_warm = warm_start(*warm, b, m, k, alpha, sp) && all_warm;
      keep = keep || warm->out[b];
    }
    if (all_warm && o.warm_iters >= 0) iters = o.warm_iters;
  }
  std::vector<Matrix> best_alpha, best_beta;  // the parameters of each row's best bound (kept ones)
  if (keep) {
    best_alpha = alpha;
    if (use_beta) best_beta = split.beta;
  }
  BacksubResult best = backsub_lower(net, k, Ct, c, batch, pre, relax, &alpha, &grad, want_points, sp);
  Matrix best_sound = widened_lower(best, o);  // iterates are compared by their widened bounds
  for (int it = 1; it <= iters && k > 0; ++it) {
    for (int j = 0; j < k; ++j) {
      if (has_unstable[j]) alpha_adam[j].step(alpha[j], grad[j], it, o.alpha_lr, 0.0, 1.0);
      if (use_beta && split_layer[j]) beta_adam[j].step(split.beta[j], split.grad[j], it, o.beta_lr, 0.0, HUGE_VAL);
    }
    BacksubResult cur = backsub_lower(net, k, Ct, c, batch, pre, relax, &alpha, &grad, want_points, sp);
    const Matrix cur_sound = widened_lower(cur, o);
    for (Eigen::Index b = 0; b < B; ++b)
      for (Eigen::Index r = 0; r < m; ++r)
        if (cur_sound(r, b) > best_sound(r, b)) {
          best_sound(r, b) = cur_sound(r, b);
          best.lower(r, b) = cur.lower(r, b);
          best.magnitude(r, b) = cur.magnitude(r, b);
          if (keep) {
            for (int j = 0; j < k; ++j) best_alpha[j].col(b * m + r) = alpha[j].col(b * m + r);
            if (use_beta)
              for (int j = 0; j < k; ++j)
                if (split_layer[j]) best_beta[j].col(b * m + r) = split.beta[j].col(b * m + r);
          }
          if (!want_points) continue;
          best.minimiser.col(b * m + r) = cur.minimiser.col(b * m + r);
          best.input_coef.col(b * m + r) = cur.input_coef.col(b * m + r);
          for (int j = 0; j < k; ++j) best.hidden_coef[j].col(b * m + r) = cur.hidden_coef[j].col(b * m + r);
        }
  }
  if (keep)
    for (Eigen::Index b = 0; b < B; ++b)
      if (warm->out[b]) *warm->out[b] = kept_rows(*warm, b, m, best_alpha, has_unstable, use_beta ? &best_beta : nullptr, split_layer);
  return best;
}

}  // namespace bounds::detail
