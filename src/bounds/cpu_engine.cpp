// The CPU BoundEngine (Eigen): layer by layer for the whole batch, IBP bounds, tightened by
// CROWN back-substitution for every intermediate layer (the tighter of the two is kept, so
// CROWN is never looser than IBP), then the property rows bounded by IBP, CROWN or
// alpha-CROWN. Numerical safety: every bound is widened outward by widen() below.
#include <algorithm>
#include <chrono>
#include <cmath>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <limits>
#include <numeric>

#include "src/bounds/internal.h"
#include "src/util/cores.h"

namespace bounds {

namespace detail {

// Rounding in double moves a computed sum by up to n u times the sum of the magnitudes of its
// terms (u = 2^-53), which can be far above the result when large terms cancel (a review's
// example: -1e16 x1 - x2 + 1e16 at x = (1, -1) is 1, and 0 in double). The rule widens each
// bound v by rel * max(M, |v|) + abs (defaults 1e-9, 1e-12; BoundOptions), M the magnitude of
// its terms (IBP: |W| max(|lo|, |hi|) + |b|; CROWN: backsub_lower's magnitude); rel = 1e-9 is
// n u for n up to 10^7, and leaves room for the rounding of CROWN's coefficients themselves,
// which M does not track. The exact certificate checker (GMP, `prunecert check`) is the final
// word on unsat answers.
namespace {

Matrix allowance(const Matrix& v, const Matrix& magnitude, const BoundOptions& o) {
  return (o.widen_rel * magnitude.array().max(v.array().abs()) + o.widen_abs).matrix();
}

}  // namespace

void widen(Matrix& lo, Matrix& hi, const BoundOptions& o, const Matrix& magnitude) {
  lo -= allowance(lo, magnitude, o);
  hi += allowance(hi, magnitude, o);
}

Matrix widened_lower(const BacksubResult& r, const BoundOptions& o) { return r.lower - allowance(r.lower, r.magnitude, o); }

}  // namespace detail

namespace {

using namespace detail;

// alpha-CROWN's warm starts for the rows of layer `layer` (ids: per subdomain, the row of each
// column, -1 for padding): the subdomains' own warm parameters, and `kept` (one entry per
// subdomain, or empty: nothing kept) to receive the optimised ones. Null when neither applies.
std::unique_ptr<WarmRows> warm_rows(std::span<const Subdomain> subs, int layer, std::vector<std::vector<int>> ids,
                                    std::vector<std::shared_ptr<OptimisedSlopes>>& kept) {
  auto w = std::make_unique<WarmRows>();
  bool any = !kept.empty();
  for (size_t b = 0; b < subs.size(); ++b) {
    const OptimisedSlopes* from = subs[b].warm.get();
    const bool has = from && layer < static_cast<int>(from->layer.size()) && !from->layer[layer].ids.empty();
    w->in.push_back(has ? &from->layer[layer] : nullptr);
    w->out.push_back(kept.empty() ? nullptr : &kept[b]->layer[layer]);
    any = any || has;
  }
  if (!any) return nullptr;
  w->ids = std::move(ids);
  return w;
}

// CROWN bounds of layer k's pre-activations, only for the neurons that IBP leaves unstable
// (the others' relaxations are exact already), selected per subdomain and padded with zero
// rows to the batch's largest count; the tighter of the IBP and CROWN bound is kept.
// Subdomains with known bounds only with BoundOptions::intermediate crown or alpha (alpha:
// alpha-CROWN on these rows, beta-CROWN's multipliers where the batch fixes phases).
void tighten_unstable(const net::LayeredNetwork& net, int k, const Batch& batch, const std::vector<Relaxation>& relax,
                      std::span<const Subdomain> subs, LayerBoundsBatch& pre, const BoundOptions& o,
                      std::vector<std::shared_ptr<OptimisedSlopes>>& kept) {
  using I = BoundOptions::Intermediate;
  const int B = batch.B, d = static_cast<int>(pre.lo[k].rows());
  std::vector<std::vector<int>> rows(B);
  size_t u = 0;
  for (int b = 0; b < B; ++b) {
    if (subs[b].known && (o.intermediate == I::inherit || o.intermediate == I::automatic)) continue;
    for (int i = 0; i < d; ++i)
      if (pre.lo[k](i, b) < 0 && pre.hi[k](i, b) > 0) rows[b].push_back(i);
    u = std::max(u, rows[b].size());
  }
  if (u == 0) return;
  const Eigen::Index m = 2 * static_cast<Eigen::Index>(u);
  Matrix Ct = Matrix::Zero(d, m * B);
  for (int b = 0; b < B; ++b)
    for (size_t r = 0; r < rows[b].size(); ++r) {
      Ct(rows[b][r], b * m + r) = 1.0;
      Ct(rows[b][r], b * m + u + r) = -1.0;
    }
  BacksubResult res;
  if (o.intermediate == I::alpha) {
    // Row ids: i bounds neuron i from below, d + i from above.
    std::vector<std::vector<int>> ids(B, std::vector<int>(m, -1));
    for (int b = 0; b < B; ++b)
      for (size_t r = 0; r < rows[b].size(); ++r) {
        ids[b][r] = rows[b][r];
        ids[b][u + r] = d + rows[b][r];
      }
    const auto warm = warm_rows(subs, k, std::move(ids), kept);
    res = alpha_crown_lower(net, k, Ct, Matrix::Zero(m, B), batch, pre, relax, o, false, warm.get());
  } else {
    res = backsub_lower(net, k, Ct, Matrix::Zero(m, B), batch, pre, relax, nullptr, nullptr, false);
  }
  const Matrix lower = widened_lower(res, o);
  for (int b = 0; b < B; ++b)
    for (size_t r = 0; r < rows[b].size(); ++r) {
      const int i = rows[b][r];
      pre.lo[k](i, b) = std::max(pre.lo[k](i, b), lower(r, b));
      pre.hi[k](i, b) = std::min(pre.hi[k](i, b), -lower(u + r, b));
    }
}

void intersect_known(std::span<const Subdomain> subs, int k, LayerBoundsBatch& pre) {
  for (size_t b = 0; b < subs.size(); ++b) {
    if (!subs[b].known) continue;
    const LayerBounds& kb = (*subs[b].known)[k];
    pre.lo[k].col(b) = pre.lo[k].col(b).cwiseMax(kb.lo);
    pre.hi[k].col(b) = pre.hi[k].col(b).cwiseMin(kb.hi);
  }
}

class CpuEngine final : public BoundEngine {
 public:
  const char* name() const override { return "cpu"; }

  // Large batches are split over the cores (one thread per part); each part is bounded with
  // one product per layer. Eigen's own OpenMP is off (EIGEN_DONT_PARALLELIZE): its spinning
  // threads made small products 50x slower on a loaded 2-core machine.
  std::vector<SubdomainBounds> bound(const spec::Problem& problem, const std::vector<Subdomain>& subs,
                                     const BoundOptions& o, util::Stats* stats) override {
    const auto t0 = std::chrono::steady_clock::now();
    // As many threads as this process may use cores (util::usable_cores: its affinity mask), each
    // bounding a contiguous part of the batch in place (no copy of the subdomains).
    std::vector<SubdomainBounds> out(subs.size());
    util::parallel_pieces(static_cast<int>(subs.size()), util::usable_cores(), min_per_thread(*problem.net, o),
                          [&](int b0, int b1) {
      auto r = bound_part(problem, std::span<const Subdomain>(subs).subspan(b0, b1 - b0), o);
      std::move(r.begin(), r.end(), out.begin() + b0);
    });
    if (stats) {
      stats->bound_calls += 1;
      stats->subdomains_bounded += static_cast<int64_t>(subs.size());
      stats->bound_time_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    return out;
  }

 private:
  // Subdomains per thread, from an estimate of one subdomain's work (multiply-adds: the weights
  // times the rows back-substituted through them, the property's, about one per output, and both
  // bounds of every neuron of the layers re-bounded, times alpha-CROWN's iterations): a part of
  // the batch goes to its own thread once it holds about kPieceWork (a thread start costs tens of
  // microseconds, 3e6 multiply-adds about a millisecond). It was a fixed 16, so on deep networks
  // re-bounded by alpha-CROWN (Marabou's mnist20x20: about 3e8 per subdomain), where BaB's
  // adaptive batch pops one node (2 children) per step, the search ran on one core.
  static constexpr double kPieceWork = 3e6;
  static int min_per_thread(const net::LayeredNetwork& net, const BoundOptions& o) {
    if (o.method == Method::ibp) return kMaxPerThread;
    using I = BoundOptions::Intermediate;
    const double iters = o.method == Method::alpha ? o.alpha_iters + 1.0 : 1.0;
    double weights = 0, work = 0;
    for (int k = 0; k <= net.num_hidden(); ++k) {
      weights += static_cast<double>(net.layers[k].W.size());
      if (k < net.num_hidden() && (o.intermediate == I::crown || o.intermediate == I::alpha))
        work += 2.0 * net.hidden_width(k) * weights * (o.intermediate == I::alpha ? o.alpha_iters + 1.0 : 1.0);
    }
    work += net.output_dim() * weights * iters;
    return static_cast<int>(std::clamp(std::round(kPieceWork / std::max(1.0, work)), 1.0, double{kMaxPerThread}));
  }
  static constexpr int kMaxPerThread = 16;

  std::vector<SubdomainBounds> bound_part(const spec::Problem& problem, std::span<const Subdomain> subs,
                                          const BoundOptions& o) const {
    const net::LayeredNetwork& net = *problem.net;
    const int K = net.num_hidden();
    Batch batch = make_batch(net, subs);
    const int B = batch.B;
    LayerBoundsBatch pre;
    pre.lo.resize(K + 1);
    pre.hi.resize(K + 1);
    pre.infeasible.assign(B, 0);
    std::vector<Relaxation> relax(K);
    // alpha-CROWN's optimised parameters per subdomain (BoundOptions::keep_slopes).
    std::vector<std::shared_ptr<OptimisedSlopes>> kept;
    if (o.keep_slopes && (o.method == Method::alpha || o.intermediate == BoundOptions::Intermediate::alpha))
      for (int b = 0; b < B; ++b) {
        kept.push_back(std::make_shared<OptimisedSlopes>());
        kept.back()->layer.resize(K + 1);
      }

    // Layer 0 is affine in the input: its interval bounds over the box are exact (up to rounding).
    // Every IBP bound is widened before phases are applied, so that rounding cannot make a
    // subdomain look infeasible.
    Matrix mag;
    ibp_next_layer(net.layers[0], batch.xlo, batch.xhi, batch, -1, pre.lo[0], pre.hi[0], &mag);
    widen(pre.lo[0], pre.hi[0], o, mag);
    intersect_known(subs, 0, pre);
    if (K > 0) apply_phases(pre.lo[0], pre.hi[0], batch, 0, pre.infeasible);
    for (int k = 1; k < K; ++k) {
      relax[k - 1] = relax_layer(pre.lo[k - 1], pre.hi[k - 1], batch, k - 1);
      Matrix hlo, hhi;
      post_activation_bounds(pre.lo[k - 1], pre.hi[k - 1], batch, k - 1, hlo, hhi);
      ibp_next_layer(net.layers[k], hlo, hhi, batch, k - 1, pre.lo[k], pre.hi[k], &mag);
      widen(pre.lo[k], pre.hi[k], o, mag);
      intersect_known(subs, k, pre);
      apply_phases(pre.lo[k], pre.hi[k], batch, k, pre.infeasible);
      if (o.method != Method::ibp) tighten_unstable(net, k, batch, relax, subs, pre, o, kept);  // widened there
      apply_phases(pre.lo[k], pre.hi[k], batch, k, pre.infeasible);
    }
    if (K > 0) relax[K - 1] = relax_layer(pre.lo[K - 1], pre.hi[K - 1], batch, K - 1);

    // Property rows: all rows of all disjuncts, c.y - d.
    std::vector<std::pair<int, int>> row_of;  // (disjunct, row)
    const auto& disj = problem.property.disjuncts;
    for (size_t dj = 0; dj < disj.size(); ++dj)
      for (size_t r = 0; r < disj[dj].rows.size(); ++r) row_of.push_back({static_cast<int>(dj), static_cast<int>(r)});
    const int R = static_cast<int>(row_of.size());
    Matrix C(R, net.output_dim());
    Vector c(R);
    for (int r = 0; r < R; ++r) {
      const spec::Row& row = disj[row_of[r].first].rows[row_of[r].second];
      C.row(r) = row.c.transpose();
      c[r] = -row.d;
    }
    // The last hidden layer's outputs (the input box when there is none).
    Matrix hlo = batch.xlo, hhi = batch.xhi;
    if (K > 0) post_activation_bounds(pre.lo[K - 1], pre.hi[K - 1], batch, K - 1, hlo, hhi);
    // IBP of the rows through the last affine layer merged with C (also the floor for CROWN).
    // Their magnitude is |C| times the output layer's (merging C * W rounds too), plus |c|.
    Matrix row_lo, row_hi, row_mag;
    {
      net::AffineLayer merged{C * net.layers[K].W, C * net.layers[K].b + c};
      ibp_next_layer(merged, hlo, hhi, batch, K - 1, row_lo, row_hi);
    }
    // Output-layer bounds themselves (for reports and for encodings' big-M constants).
    {
      ibp_next_layer(net.layers[K], hlo, hhi, batch, K - 1, pre.lo[K], pre.hi[K], &mag);
      row_mag = (C.cwiseAbs() * mag).colwise() + c.cwiseAbs();
      widen(row_lo, row_hi, o, row_mag);
      widen(pre.lo[K], pre.hi[K], o, mag);
      if (o.method != Method::ibp && o.tight_output && K > 0) {
        const int d = net.output_dim();
        Matrix I2(2 * d, d);
        I2 << Matrix::Identity(d, d), -Matrix::Identity(d, d);
        BacksubResult r = backsub_lower(net, K, shared_rows(I2, B), Matrix::Zero(2 * d, B), batch, pre, relax, nullptr,
                                        nullptr, false);
        const Matrix lower = widened_lower(r, o);
        pre.lo[K] = pre.lo[K].cwiseMax(lower.topRows(d));
        pre.hi[K] = pre.hi[K].cwiseMin(-lower.bottomRows(d));
      }
    }
    Matrix minimiser, input_coef;
    std::vector<Matrix> hidden_coef;
    if (o.method != Method::ibp && R > 0) {
      const Matrix Ct = shared_rows(C, B), cs = shared_offsets(c, B);
      BacksubResult r;
      if (o.method == Method::alpha) {
        std::vector<int> ids(R);  // row r of the property
        std::iota(ids.begin(), ids.end(), 0);
        const auto warm = warm_rows(subs, K, std::vector<std::vector<int>>(B, ids), kept);
        r = alpha_crown_lower(net, K, Ct, cs, batch, pre, relax, o, true, warm.get());
      } else {
        r = backsub_lower(net, K, Ct, cs, batch, pre, relax, nullptr, nullptr, true);
      }
      row_lo = row_lo.cwiseMax(widened_lower(r, o));
      minimiser = std::move(r.minimiser);
      input_coef = std::move(r.input_coef);
      hidden_coef = std::move(r.hidden_coef);
    }

    std::vector<SubdomainBounds> out(B);
    for (int b = 0; b < B; ++b) {
      SubdomainBounds& sb = out[b];
      sb.pre.resize(K + 1);
      for (int k = 0; k <= K; ++k) sb.pre[k] = {pre.lo[k].col(b), pre.hi[k].col(b)};
      sb.disjunct_lower = Vector::Constant(static_cast<Eigen::Index>(disj.size()), -std::numeric_limits<double>::infinity());
      std::vector<int> best_row(disj.size(), -1);
      for (int r = 0; r < R; ++r) {
        const int dj = row_of[r].first;
        if (row_lo(r, b) > sb.disjunct_lower[dj]) {
          sb.disjunct_lower[dj] = row_lo(r, b);
          best_row[dj] = r;
        }
      }
      sb.margin_lower = std::numeric_limits<double>::infinity();
      int worst = -1;
      for (size_t dj = 0; dj < disj.size(); ++dj)
        if (sb.disjunct_lower[dj] < sb.margin_lower) {
          sb.margin_lower = sb.disjunct_lower[dj];
          worst = static_cast<int>(dj);
        }
      sb.candidate = 0.5 * (batch.xlo.col(b) + batch.xhi.col(b));
      if (worst >= 0 && best_row[worst] >= 0 && minimiser.size()) {
        const Eigen::Index col = static_cast<Eigen::Index>(b) * R + best_row[worst];
        sb.candidate = minimiser.col(col);
        sb.input_coef = input_coef.col(col);
        for (const auto& h : hidden_coef) sb.hidden_coef.push_back(h.col(col));
      }
      if (!kept.empty()) sb.slopes = std::move(kept[b]);
      if (pre.infeasible[b]) {
        sb.infeasible = true;
        sb.margin_lower = std::numeric_limits<double>::infinity();
      }
    }
    return out;
  }
};

}  // namespace

// glibc serves blocks above a dynamic threshold with mmap and hands freed heap tops back to the
// kernel; the engine allocates and frees multi-megabyte coefficient matrices on every call, so
// each call paid page faults: a third of the CPU time of a BaB run on ACAS Xu went to the kernel
// (1_1 prop_3: user 0.98 s + sys 0.46 s for 1167 nodes, against user 1.42 s + sys 0.00 s for
// 1999 nodes with the thresholds raised, same machine). Raised once, for the whole process.
void keep_freed_memory() {
#ifdef __GLIBC__
  static const bool done = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed value
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
    return true;
  }();
  (void)done;
#endif
}

std::unique_ptr<BoundEngine> make_cpu_engine() {
  keep_freed_memory();
  return std::make_unique<CpuEngine>();
}

}  // namespace bounds
