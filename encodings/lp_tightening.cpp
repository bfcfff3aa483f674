// LP bound tightening for the big-M constants (`--encoding-bounds lp`): the bounds of Tjeng et
// al.'s MIPVerify "LP" tightening. Starting from CROWN bounds, for each hidden layer k >= 1 and
// each neuron i, minimise and maximise its pre-activation over the LP relaxation of layers
// 0..k-1 (the input box, affine layers, and each unstable ReLU as its triangle
// h >= 0, h >= z, h <= u (z - l) / (u - l)); stable ReLUs are exact. Layer k's new bounds then
// tighten the triangles of layer k + 1. The LPs share one Clp model per layer whose objective
// changes from neuron to neuron (warm-started primal simplex).
//
// Soundness does not rest on Clp's accuracy: each bound is the Lagrangian value of Clp's dual
// vector (Neumaier & Shcherbina, "Safe bounds in linear and mixed-integer programming", 2004):
// for any y, min c.v >= sum_j min(r_j lo_j, r_j hi_j) + sum_i y_i (rl_i or ru_i), r = c - A^T y,
// every variable boxed, with y's signs clipped to the rows' finite sides; the sum is widened by
// a bound on its rounding error. An LP Clp does not solve keeps the CROWN bound.

#include <algorithm>
#include <chrono>
#include <cfloat>
#include <cmath>
#include <limits>

#include "encodings/clp_handle.h"
#include "encodings/internal.h"
#include "src/util/errors.h"

namespace encodings {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double coin(double v) { return std::isinf(v) ? (v > 0 ? DBL_MAX : -DBL_MAX) : v; }

// The LP relaxation of layers 0..k-1 in rows: columns are the input x, then h_0, ..., h_{k-1}.
struct Relaxation {
  int cols = 0;
  std::vector<double> lo, hi;                         // column bounds (all finite)
  std::vector<std::vector<std::pair<int, double>>> rows;
  std::vector<double> rl, ru;                         // row bounds (one side may be infinite)
  int first_of_last = 0;                              // column of h_{k-1}[0]

  int add_row(std::vector<std::pair<int, double>> terms, double l, double u) {
    rows.push_back(std::move(terms));
    rl.push_back(l);
    ru.push_back(u);
    return static_cast<int>(rows.size()) - 1;
  }
};

Relaxation relaxation(const spec::Problem& p, const std::vector<bounds::LayerBounds>& pre, int k) {
  const net::LayeredNetwork& net = *p.net;
  Relaxation r;
  const int n0 = net.input_dim();
  for (int j = 0; j < n0; ++j) {
    r.lo.push_back(p.box.lo[j]);
    r.hi.push_back(p.box.hi[j]);
  }
  int prev = 0, prev_n = n0;  // first column and width of the layer feeding the next
  for (int j = 0; j < k; ++j) {
    const auto& L = net.layers[j];
    const int first = static_cast<int>(r.lo.size());
    for (int i = 0; i < L.W.rows(); ++i) {
      const double l = pre[j].lo[i], u = pre[j].hi[i];
      const int col = first + i;
      // z = W h_prev + b as terms over h_prev: the row  coef_h * h - s * W h_prev  in [.., ..].
      auto terms = [&](double coef_h, double s) {
        std::vector<std::pair<int, double>> t{{col, coef_h}};
        for (int c = 0; c < prev_n; ++c)
          if (L.W(i, c) != 0.0) t.push_back({prev + c, -s * L.W(i, c)});
        return t;
      };
      if (u <= 0) {  // inactive: h = 0
        r.lo.push_back(0.0);
        r.hi.push_back(0.0);
      } else if (l >= 0) {  // active: h = z
        r.lo.push_back(l);
        r.hi.push_back(u);
        r.add_row(terms(1.0, 1.0), L.b[i], L.b[i]);
      } else {  // triangle
        r.lo.push_back(0.0);
        r.hi.push_back(u);
        r.add_row(terms(1.0, 1.0), L.b[i], kInf);  // h - z >= 0 (coefficients exact)
        if (!std::isfinite(u - l)) continue;       // no upper line: h <= u (the column bound)
        // h <= s (z - l), valid for every s >= u / (u - l): s rounded up, and the right-hand side
        // raised by the rounding of s W and s (b - l) (4 ulps of each term's magnitude).
        const double s = std::nextafter(u / (u - l), kInf);
        double slack = s * (std::abs(L.b[i]) + std::abs(l));
        for (int c = 0; c < prev_n; ++c)
          slack += std::abs(s * L.W(i, c)) * std::max(std::abs(r.lo[prev + c]), std::abs(r.hi[prev + c]));
        r.add_row(terms(1.0, s), -kInf, s * (L.b[i] - l) + 4.0 * DBL_EPSILON * slack);
      }
    }
    prev = first;
    prev_n = static_cast<int>(L.W.rows());
  }
  r.cols = static_cast<int>(r.lo.size());
  r.first_of_last = prev;
  return r;
}

// A sound lower bound of min c.v over the relaxation from a dual vector y (see the header).
double lagrangian_bound(const Relaxation& r, const std::vector<double>& c, const double* y) {
  std::vector<double> red(c), red_magnitude(c.size(), 0.0);  // and the magnitude of its terms
  for (size_t j = 0; j < c.size(); ++j) red_magnitude[j] = std::abs(c[j]);
  double value = 0.0, magnitude = 0.0;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    double yi = y[i];
    if (yi > 0 && !std::isfinite(r.rl[i])) yi = 0;
    if (yi < 0 && !std::isfinite(r.ru[i])) yi = 0;
    if (yi == 0) continue;
    const double side = yi > 0 ? r.rl[i] : r.ru[i];
    value += yi * side;
    magnitude += std::abs(yi * side);
    for (const auto& [col, a] : r.rows[i]) {
      red[col] -= yi * a;
      red_magnitude[col] += std::abs(yi * a);
    }
  }
  for (int j = 0; j < r.cols; ++j) {
    const double t = red[j] >= 0 ? red[j] * r.lo[j] : red[j] * r.hi[j];
    value += t;
    // The error of red[j] scales with the terms summed into it, not with red[j] (large duals
    // of opposite signs cancel): their magnitude times the column's.
    magnitude += std::abs(t) + red_magnitude[j] * std::max(std::abs(r.lo[j]), std::abs(r.hi[j]));
  }
  // Rounding: each of the (rows + cols) products and sums errs by at most a few ulps of the
  // magnitudes involved (the reduced costs' included).
  const double n = static_cast<double>(r.rows.size() + r.cols + 2);
  return value - 4.0 * n * DBL_EPSILON * (magnitude + 1.0) - 1e-12;
}

}  // namespace

void tighten_with_lp(const spec::Problem& p, std::vector<bounds::LayerBounds>& pre, double time_limit_s,
                     LpTighteningStats* stats) {
  if (p.budget) throw util::InputError("--encoding-bounds", "", "lp tightening does not handle pruning budgets yet: use crown or alpha");
  const net::LayeredNetwork& net = *p.net;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  for (int k = 1; k < net.num_hidden(); ++k) {  // layer 0 is affine in the box: exact already
    const Relaxation r = relaxation(p, pre, k);
    // Column-wise matrix for Clp.
    std::vector<std::vector<std::pair<int, double>>> cols(r.cols);
    for (size_t i = 0; i < r.rows.size(); ++i)
      for (const auto& [col, a] : r.rows[i]) cols[col].push_back({static_cast<int>(i), a});
    std::vector<CoinBigIndex> startc{0};
    std::vector<int> index;
    std::vector<double> value, lo(r.cols), hi(r.cols), rl(r.rows.size()), ru(r.rows.size());
    for (int j = 0; j < r.cols; ++j) {
      for (const auto& [i, a] : cols[j]) {
        index.push_back(i);
        value.push_back(a);
      }
      startc.push_back(static_cast<CoinBigIndex>(index.size()));
      lo[j] = r.lo[j];
      hi[j] = r.hi[j];
    }
    for (size_t i = 0; i < r.rows.size(); ++i) {
      rl[i] = coin(r.rl[i]);
      ru[i] = coin(r.ru[i]);
    }
    ClpHandle h;
    Clp_setLogLevel(h.m, 0);
    std::vector<double> obj(r.cols, 0.0);
    Clp_loadProblem(h.m, r.cols, static_cast<int>(r.rows.size()), startc.data(), index.data(), value.data(),
                    lo.data(), hi.data(), obj.data(), rl.data(), ru.data());
    const auto& L = net.layers[k];
    const int width_prev = static_cast<int>(L.W.cols());
    for (int i = 0; i < L.W.rows(); ++i) {
      if (elapsed() > time_limit_s) {
        if (stats) stats->stopped_by_time = true;
        return;
      }
      if (pre[k].lo[i] >= 0 || pre[k].hi[i] <= 0) continue;  // stable already: nothing to gain
      for (const double sense : {1.0, -1.0}) {  // min z, then min -z (= -max z)
        std::fill(obj.begin(), obj.end(), 0.0);
        for (int c = 0; c < width_prev; ++c) obj[r.first_of_last + c] = sense * L.W(i, c);
        Clp_chgObjCoefficients(h.m, obj.data());
        Clp_setMaximumSeconds(h.m, std::max(time_limit_s - elapsed(), 1e-3));  // one LP cannot overrun
        Clp_primal(h.m, 0);
        if (stats) ++stats->lps;
        if (Clp_status(h.m) != 0) {
          if (stats) ++stats->failed;
          continue;
        }
        // The bias added after lagrangian_bound's allowance: one more rounding, one ulp down.
        const double b = std::nextafter(lagrangian_bound(r, obj, Clp_dualRowSolution(h.m)) + sense * L.b[i],
                                        -std::numeric_limits<double>::infinity());
        if (sense > 0) pre[k].lo[i] = std::max(pre[k].lo[i], b);
        else pre[k].hi[i] = std::min(pre[k].hi[i], -b);
      }
      if (pre[k].lo[i] > pre[k].hi[i]) {  // only when the box itself is empty: keep it sound
        throw util::InternalError("lp tightening: empty interval at layer " + std::to_string(k));
      }
    }
  }
  if (stats) stats->time_s = elapsed();
}

}  // namespace encodings
