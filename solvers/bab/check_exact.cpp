// Exact re-proof of one certificate leaf in rational arithmetic (GMP mpq_class), sharing no code
// with src/bounds: interval bounds and CROWN (Zhang et al. 2018) back-substitution written again
// here with every product and sum exact. Three roundings keep the numbers short, each one sound:
//  - intermediate bounds are rounded outward to double (down for lower, up for upper);
//  - the upper relaxation of an unstable ReLU uses a slope s rounded to double and the exact
//    intercept t = max(-s l, u - s u), so the line s z + t lies above the ReLU at both ends of
//    [l, u] and hence on all of it (the ReLU is convex);
//  - back-substitution coefficients are rounded to double after each layer; the rounding error
//    e (exact) is charged to the bound as -|e| max(|l|, |u|), since e z >= -|e| max(|l|,|u|).
// The lower relaxation slope is CROWN's adaptive one (1 when u >= -l, else 0): any slope in
// [0, 1] is sound. Linear-region leaves: the network is affine on the leaf (phases fixed or
// stable under the bounds above), so the recorded Lagrangian / Farkas multipliers give a bound
// computed by exact back-propagation through the fixed pattern.
// Pruning queries (seed 003): a leaf's mask decisions prune (output 0) or keep neurons, and every
// admissible mask prunes at most budget_left further undecided neurons per layer. The bounds are
// those of src/bounds written again: a pruned neuron's output is 0; where a layer may still
// prune, a linear form over its outputs is concretised by the exact top-s rule (every kept or
// undecided term at its minimum over the interval, then the s largest positive terms of
// undecided neurons removed), in interval propagation and in back-substitution, which stops at
// the deepest such layer.
#include <algorithm>
#include <cmath>
#include <limits>

#include "solvers/bab/check_exact.h"
#include "src/util/errors.h"

namespace bab::exact {

namespace {

using Q = mpq_class;
constexpr double kInf = std::numeric_limits<double>::infinity();

double round_down(const Q& q) {
  double d = q.get_d();  // truncates towards zero
  if (std::isinf(d)) return d > 0 ? std::numeric_limits<double>::max() : -kInf;
  if (Q(d) > q) d = std::nextafter(d, -kInf);
  return d;
}
double round_up(const Q& q) {
  double d = q.get_d();
  if (std::isinf(d)) return d < 0 ? -std::numeric_limits<double>::max() : kInf;
  if (Q(d) < q) d = std::nextafter(d, kInf);
  return d;
}

// Dyadic helpers: a double is m * 2^e with an integer m of at most 53 bits.
constexpr long kNoBits = std::numeric_limits<long>::max();
long lowest_bit(double d) {  // exponent of d's lowest set bit (kNoBits for 0)
  if (d == 0) return kNoBits;
  // frexp(inf) and the cast of 2^53 inf are undefined: +inf became a negative integer.
  if (!std::isfinite(d)) throw util::InternalError("exact check: a non-finite number in an exact sum");
  int e = 0;
  const double f = std::frexp(d, &e);
  const int64_t m = static_cast<int64_t>(std::ldexp(f, 53));
  return static_cast<long>(e) - 53 + __builtin_ctzll(static_cast<uint64_t>(m < 0 ? -m : m));
}
long common_exponent(const double* v, size_t n) {
  long e = kNoBits;
  for (size_t i = 0; i < n; ++i) e = std::min(e, lowest_bit(v[i]));
  return e == kNoBits ? 0 : e;
}
// d / 2^E as an integer (exact: E is at most d's lowest bit).
void to_integer(double d, long E, mpz_class& out) {
  if (d == 0) {
    out = 0;
    return;
  }
  if (!std::isfinite(d)) throw util::InternalError("exact check: a non-finite number in an exact sum");
  int e = 0;
  const double f = std::frexp(d, &e);
  const int64_t m = static_cast<int64_t>(std::ldexp(f, 53));
  out = static_cast<long>(m);
  const long shift = static_cast<long>(e) - 53 - E;
  if (shift > 0) mpz_mul_2exp(out.get_mpz_t(), out.get_mpz_t(), static_cast<mp_bitcnt_t>(shift));
  else if (shift < 0) mpz_tdiv_q_2exp(out.get_mpz_t(), out.get_mpz_t(), static_cast<mp_bitcnt_t>(-shift));
}
// m * 2^E as a rational.
Q dyadic(const mpz_class& m, long E) {
  Q q(m);
  if (E > 0) mpq_mul_2exp(q.get_mpq_t(), q.get_mpq_t(), static_cast<mp_bitcnt_t>(E));
  else if (E < 0) mpq_div_2exp(q.get_mpq_t(), q.get_mpq_t(), static_cast<mp_bitcnt_t>(-E));
  return q;
}

// A double as m * 2^e.
void split_double(double d, mpz_class& m, long& e) {
  e = d == 0 ? 0 : lowest_bit(d);
  to_integer(d, e, m);
}
// A rational whose denominator is a power of two, as m * 2^e.
void split_dyadic(const Q& q, mpz_class& m, long& e) {
  const mpz_class& den = q.get_den();
  const long k = static_cast<long>(mpz_scan1(den.get_mpz_t(), 0));
  if (mpz_sizeinbase(den.get_mpz_t(), 2) != static_cast<size_t>(k) + 1)
    throw util::InternalError("check: a relaxation intercept is not dyadic");
  m = q.get_num();
  e = -k;
}

// Exact sum of terms m * 2^e (integers shifted into a common exponent, no gcds).
class DyadicSum {
 public:
  void add(const mpz_class& m, long e) {
    if (sgn(m) == 0) return;
    if (empty_) {
      m_ = m;
      e_ = e;
      empty_ = false;
    } else if (e >= e_) {
      mpz_mul_2exp(tmp_.get_mpz_t(), m.get_mpz_t(), static_cast<mp_bitcnt_t>(e - e_));
      m_ += tmp_;
    } else {
      mpz_mul_2exp(m_.get_mpz_t(), m_.get_mpz_t(), static_cast<mp_bitcnt_t>(e_ - e));
      m_ += m;
      e_ = e;
    }
  }
  Q value() const { return empty_ ? Q(0) : dyadic(m_, e_); }

 private:
  mpz_class m_, tmp_;
  long e_ = 0;
  bool empty_ = true;
};

// The ReLU relaxation of one hidden layer on a leaf.
struct Relax {
  enum Kind : uint8_t { zero, pass, unstable };
  std::vector<Kind> kind;
  std::vector<uint8_t> alpha;  // lower slope, 0 or 1
  std::vector<double> s;       // upper slope
  std::vector<Q> t;            // upper intercept
  // The same as integers times powers of two, and the magnitude bound max(|l|, |u|).
  std::vector<mpz_class> s_m, t_m, mag_m;
  std::vector<long> s_e, t_e, mag_e;
};

Relax relax_layer(const std::vector<double>& l, const std::vector<double>& u) {
  Relax r;
  const size_t d = l.size();
  r.kind.resize(d);
  r.alpha.assign(d, 0);
  r.s.assign(d, 0);
  r.t.resize(d);
  for (size_t i = 0; i < d; ++i) {
    if (l[i] >= 0) {
      r.kind[i] = Relax::pass;
    } else if (u[i] <= 0) {
      r.kind[i] = Relax::zero;
    } else {
      r.kind[i] = Relax::unstable;
      r.alpha[i] = u[i] >= -l[i] ? 1 : 0;
      const double s = std::clamp(u[i] / (u[i] - l[i]), 0.0, 1.0);
      r.s[i] = s;
      const Q qs(s), ql(l[i]), qu(u[i]);
      const Q at_l = -qs * ql, at_u = qu - qs * qu;
      r.t[i] = at_l > at_u ? at_l : at_u;
    }
  }
  r.s_m.resize(d);
  r.t_m.resize(d);
  r.mag_m.resize(d);
  r.s_e.assign(d, 0);
  r.t_e.assign(d, 0);
  r.mag_e.assign(d, 0);
  for (size_t i = 0; i < d; ++i) {
    split_double(std::max(std::abs(l[i]), std::abs(u[i])), r.mag_m[i], r.mag_e[i]);
    if (r.kind[i] != Relax::unstable) continue;
    split_double(r.s[i], r.s_m[i], r.s_e[i]);
    split_dyadic(r.t[i], r.t_m[i], r.t_e[i]);
  }
  return r;
}

class LeafProver {
 public:
  LeafProver(const ExactNet& net, const spec::Problem& problem) : net_(net), problem_(problem) {}

  LeafOutcome run(const std::vector<Decision>& decisions, const LeafClaim& claim) {
    LeafOutcome out;
    const int K = net_.num_hidden(), n = net_.input_dim;
    lo_.assign(problem_.box.lo.data(), problem_.box.lo.data() + n);
    hi_.assign(problem_.box.hi.data(), problem_.box.hi.data() + n);
    phase_.assign(K, {});
    for (int k = 0; k < K; ++k) phase_[k].assign(net_.layers[k].rows, 0);
    // Mask bits: -1 undecided, 0 pruned, 1 kept; without a pruning budget every neuron is kept.
    const bool pruning = problem_.budget && problem_.budget->any();
    if (pruning && static_cast<int>(problem_.budget->s.size()) != K)
      return fail("the pruning budget has " + std::to_string(problem_.budget->s.size()) + " entries for " +
                  std::to_string(K) + " hidden layers");
    mask_.assign(K, {});
    budget_.assign(K, 0);
    for (int k = 0; k < K; ++k) {
      mask_[k].assign(net_.layers[k].rows, pruning ? -1 : 1);
      if (pruning) budget_[k] = problem_.budget->s[k];
    }
    for (const Decision& d : decisions) {
      switch (d.kind) {
        case DecisionKind::input_below:
        case DecisionKind::input_above:
          if (d.index < 0 || d.index >= n) return fail("input split on dimension " + std::to_string(d.index) + " of " + std::to_string(n));
          if (!std::isfinite(d.at)) return fail("input split at a non-finite value");
          if (d.kind == DecisionKind::input_below) hi_[d.index] = std::min(hi_[d.index], d.at);
          else lo_[d.index] = std::max(lo_[d.index], d.at);
          break;
        case DecisionKind::relu_active:
        case DecisionKind::relu_inactive:
          if (d.layer < 0 || d.layer >= K || d.index < 0 || d.index >= net_.layers[d.layer].rows)
            return fail("ReLU split on a neuron that does not exist");
          phase_[d.layer][d.index] = d.kind == DecisionKind::relu_active ? 1 : -1;
          break;
        case DecisionKind::neuron_kept:
        case DecisionKind::neuron_pruned:
          if (!pruning) return fail("a mask decision in a query without a pruning budget");
          if (d.layer < 0 || d.layer >= K || d.index < 0 || d.index >= net_.layers[d.layer].rows)
            return fail("mask decision on a neuron that does not exist");
          if (mask_[d.layer][d.index] >= 0) return fail("a mask bit decided twice");
          if (d.kind == DecisionKind::neuron_pruned) {
            // An admissible mask prunes at most s_k neurons of layer k: a branch pruning more
            // covers no mask, and bab never makes one.
            if (budget_[d.layer] <= 0) return fail("a neuron pruned beyond its layer's budget");
            mask_[d.layer][d.index] = 0;
            --budget_[d.layer];
          } else {
            mask_[d.layer][d.index] = 1;
          }
          break;
      }
    }
    for (int i = 0; i < n; ++i) {
      if (!std::isfinite(lo_[i]) || !std::isfinite(hi_[i])) return fail("the input box is unbounded");
      if (lo_[i] > hi_[i]) return empty();
    }
    // Hidden layers: interval bounds, then CROWN for the neurons they leave unstable.
    l_.assign(K, {});
    u_.assign(K, {});
    relax_.clear();
    for (int k = 0; k < K; ++k) {
      interval_layer(k);
      // Bounds beyond the double range (inputs near 1e308, huge weights) cannot be carried on:
      // the leaf is not proved (they used to reach the exact sums as garbage integers).
      for (int i = 0; i < net_.layers[k].rows; ++i)
        if (!std::isfinite(l_[k][i]) || !std::isfinite(u_[k][i]))
          return fail("bounds of hidden layer " + std::to_string(k) + " overflow the double range");
      if (clip_phases(k)) return empty();
      if (k > 0) {
        const int d = net_.layers[k].rows;
        for (int i = 0; i < d; ++i) {
          if (!(l_[k][i] < 0 && u_[k][i] > 0)) continue;
          std::vector<double> e(d, 0.0);
          e[i] = 1.0;
          const double lo = round_down(backsub(k, e, Q(0)));
          e[i] = -1.0;
          const double hi = round_up(-backsub(k, e, Q(0)));
          l_[k][i] = std::max(l_[k][i], lo);
          u_[k][i] = std::min(u_[k][i], hi);
        }
        if (clip_phases(k)) return empty();
      }
      relax_.push_back(relax_layer(l_[k], u_[k]));
    }
    // The property: per disjunct, the best row's lower bound (CROWN, interval as the floor).
    const auto& disjuncts = problem_.property.disjuncts;
    std::vector<Q> disjunct_lower(disjuncts.size());
    for (size_t dj = 0; dj < disjuncts.size(); ++dj) {
      bool first = true;
      for (const spec::Row& row : disjuncts[dj].rows) {
        std::vector<double> c(row.c.data(), row.c.data() + row.c.size());
        Q v = backsub(K, c, Q(-row.d));
        const Q iv = interval_row(c, Q(-row.d));
        if (iv > v) v = iv;
        if (first || v > disjunct_lower[dj]) disjunct_lower[dj] = v;
        first = false;
      }
      if (first) return fail("a disjunct of the property has no rows");
    }
    if (claim.proof == LeafProof::linear_region) {
      std::string why;
      const bool ok = linear_region_bounds(claim, disjunct_lower, &out, &why);
      if (ok && out.infeasible) {
        out.proven = true;
        return out;
      }
      if (!ok && !bound_proves(disjunct_lower)) return fail(why);
    }
    Q margin = disjunct_lower.empty() ? Q(0) : disjunct_lower[0];
    for (const Q& v : disjunct_lower)
      if (v < margin) margin = v;
    out.margin_lower = round_down(margin);
    if (disjuncts.empty() || !(margin > 0)) {
      out.reason = "the exact bound of the margin is " + std::to_string(margin.get_d()) + ", not > 0";
      return out;
    }
    out.proven = true;
    return out;
  }

 private:
  LeafOutcome fail(const std::string& why) const {
    LeafOutcome o;
    o.reason = why;
    return o;
  }
  LeafOutcome empty() const {
    LeafOutcome o;
    o.proven = o.infeasible = true;
    o.margin_lower = kInf;
    return o;
  }

  bool bound_proves(const std::vector<Q>& disjunct_lower) const {
    for (const Q& v : disjunct_lower)
      if (!(v > 0)) return false;
    return !disjunct_lower.empty();
  }

  // Post-activation interval of neuron i of hidden layer j (phases already clip l, u); a pruned
  // neuron outputs 0. An undecided one gets its kept interval: the top-s rule removes it.
  void post(int j, int i, double* hl, double* hh) const {
    const bool pruned = mask_[j][i] == 0;
    *hl = pruned ? 0.0 : std::max(l_[j][i], 0.0);
    *hh = pruned ? 0.0 : std::max(u_[j][i], 0.0);
  }

  // Layer j may still prune: it has undecided neurons and budget left.
  bool maskable(int j) const {
    if (budget_[j] <= 0) return false;
    for (int8_t v : mask_[j])
      if (v < 0) return true;
    return false;
  }

  // The sum of the s largest of the (positive) gains: what pruning s undecided neurons removes
  // from a minimum at most (the top-s rule). Exact for integers and for rationals.
  template <class T>
  static T top_gains(std::vector<T>& gains, int s) {
    const size_t take = std::min(gains.size(), static_cast<size_t>(std::max(s, 0)));
    std::partial_sort(gains.begin(), gains.begin() + static_cast<std::ptrdiff_t>(take), gains.end(),
                      [](const T& a, const T& b) { return a > b; });
    T total = 0;
    for (size_t t = 0; t < take; ++t) total += gains[t];
    return total;
  }

  // Interval bounds of hidden layer k's pre-activations, exact sums rounded outward.
  void interval_layer(int k) {
    const ExactNet::Layer& L = net_.layers[k];
    std::vector<double> in_lo(L.cols), in_hi(L.cols);
    for (int j = 0; j < L.cols; ++j) {
      if (k == 0) {
        in_lo[j] = lo_[j];
        in_hi[j] = hi_[j];
      } else {
        post(k - 1, j, &in_lo[j], &in_hi[j]);
      }
    }
    l_[k].resize(L.rows);
    u_[k].resize(L.rows);
    std::vector<double> both(in_lo);
    both.insert(both.end(), in_hi.begin(), in_hi.end());
    const long Ex = common_exponent(both.data(), both.size());
    std::vector<mpz_class> xl(L.cols), xh(L.cols);
    for (int j = 0; j < L.cols; ++j) {
      to_integer(in_lo[j], Ex, xl[j]);
      to_integer(in_hi[j], Ex, xh[j]);
    }
    // Where layer k-1 may still prune: the top-s rule for the lower end (the largest positive
    // terms of undecided neurons removed) and for the upper end (the most negative ones).
    const bool topk = k > 0 && maskable(k - 1);
    mpz_class lo, hi, t;
    std::vector<mpz_class> gain_lo, gain_hi;
    for (int i = 0; i < L.rows; ++i) {
      lo = 0;
      hi = 0;
      gain_lo.clear();
      gain_hi.clear();
      const size_t base = static_cast<size_t>(i) * L.cols;
      for (int j = 0; j < L.cols; ++j) {
        const double w = L.Wd[base + j];
        if (w == 0) continue;
        mpz_srcptr wi = L.Wi[base + j].get_mpz_t();
        if (!topk) {
          mpz_addmul(lo.get_mpz_t(), wi, (w > 0 ? xl[j] : xh[j]).get_mpz_t());
          mpz_addmul(hi.get_mpz_t(), wi, (w > 0 ? xh[j] : xl[j]).get_mpz_t());
          continue;
        }
        const bool undecided = mask_[k - 1][j] < 0;
        mpz_mul(t.get_mpz_t(), wi, (w > 0 ? xl[j] : xh[j]).get_mpz_t());
        lo += t;
        if (undecided && sgn(t) > 0) gain_lo.push_back(t);
        mpz_mul(t.get_mpz_t(), wi, (w > 0 ? xh[j] : xl[j]).get_mpz_t());
        hi += t;
        if (undecided && sgn(t) < 0) gain_hi.push_back(-t);
      }
      if (topk) {
        lo -= top_gains(gain_lo, budget_[k - 1]);
        hi += top_gains(gain_hi, budget_[k - 1]);
      }
      const Q b = dyadic(L.bi[i], L.be);
      l_[k][i] = round_down(dyadic(lo, Ex + L.We) + b);
      u_[k][i] = round_up(dyadic(hi, Ex + L.We) + b);
    }
  }

  // Phase decisions clip the bounds; true when some neuron's interval becomes empty.
  bool clip_phases(int k) {
    for (size_t i = 0; i < l_[k].size(); ++i) {
      if (phase_[k][i] > 0) l_[k][i] = std::max(l_[k][i], 0.0);
      if (phase_[k][i] < 0) u_[k][i] = std::min(u_[k][i], 0.0);
      if (l_[k][i] > u_[k][i]) return true;
    }
    return false;
  }

  // Exact lower bound of lam . z_k + c0 over the leaf (k = num_hidden(): the outputs), by CROWN
  // back-substitution through the relaxations of layers k-1 .. 0, then over the box.
  Q backsub(int k, std::vector<double> lam, Q c0) const {
    std::vector<mpz_class> li, A;
    mpz_class cb, xm, vm, err, prod;
    DyadicSum sum;
    for (int j = k - 1; j >= -1; --j) {
      const ExactNet::Layer& L = net_.layers[j + 1];  // z_{j+1} = W h_j + b (h_{-1} = x)
      // a = W^T lam and lam . b, as exact integer sums scaled by powers of two.
      const long El = common_exponent(lam.data(), lam.size());
      li.resize(L.rows);
      for (int m = 0; m < L.rows; ++m) to_integer(lam[m], El, li[m]);
      A.assign(L.cols, mpz_class(0));
      cb = 0;
      for (int m = 0; m < L.rows; ++m) {
        if (lam[m] == 0) continue;
        mpz_srcptr lm = li[m].get_mpz_t();
        mpz_addmul(cb.get_mpz_t(), lm, L.bi[m].get_mpz_t());
        const size_t base = static_cast<size_t>(m) * L.cols;
        for (int i = 0; i < L.cols; ++i)
          if (L.Wd[base + i] != 0) mpz_addmul(A[i].get_mpz_t(), lm, L.Wi[base + i].get_mpz_t());
      }
      sum.add(cb, El + L.be);
      const long Ea = El + L.We;
      if (j < 0) {  // over the input box
        for (int i = 0; i < L.cols; ++i) {
          const int sg = sgn(A[i]);
          if (sg == 0) continue;
          long xe;
          split_double(sg > 0 ? lo_[i] : hi_[i], xm, xe);
          prod = A[i] * xm;
          sum.add(prod, Ea + xe);
        }
        return c0 + sum.value();
      }
      if (maskable(j)) {  // concretised over layer j's outputs by the top-s rule
        std::vector<double> hb(2 * static_cast<size_t>(L.cols));
        for (int i = 0; i < L.cols; ++i) post(j, i, &hb[i], &hb[L.cols + i]);
        const long Eh = common_exponent(hb.data(), hb.size());
        mpz_class total = 0;
        std::vector<mpz_class> gains;
        for (int i = 0; i < L.cols; ++i) {
          const int sg = sgn(A[i]);
          if (sg == 0 || mask_[j][i] == 0) continue;
          to_integer(sg > 0 ? hb[i] : hb[L.cols + i], Eh, xm);
          prod = A[i] * xm;
          total += prod;
          if (mask_[j][i] < 0 && sgn(prod) > 0) gains.push_back(prod);
        }
        total -= top_gains(gains, budget_[j]);
        sum.add(total, Ea + Eh);
        return c0 + sum.value();
      }
      const Relax& r = relax_[j];
      std::vector<double> next(L.cols, 0.0);
      for (int i = 0; i < L.cols; ++i) {
        const int sg = sgn(A[i]);
        if (sg == 0 || r.kind[i] == Relax::zero || mask_[j][i] == 0) continue;
        // v = vm * 2^ve: the coefficient on z_j,i after the relaxation.
        long ve = Ea;
        if (r.kind[i] == Relax::pass) {
          vm = A[i];
        } else if (sg > 0) {
          if (!r.alpha[i]) continue;
          vm = A[i];
        } else {
          vm = A[i] * r.s_m[i];
          ve = Ea + r.s_e[i];
          prod = A[i] * r.t_m[i];
          sum.add(prod, Ea + r.t_e[i]);
        }
        // Rounded to a double rd (truncation: rd / 2^ve stays an integer); the error e = v - rd
        // is charged as -|e| max(|l|, |u|).
        long ex = 0;
        const double f = mpz_get_d_2exp(&ex, vm.get_mpz_t());
        double rd = std::ldexp(f, static_cast<int>(std::clamp<long>(ex + ve, -4000, 4000)));
        if (!std::isnormal(rd)) rd = 0;
        next[i] = rd;
        to_integer(rd, ve, xm);
        err = vm - xm;
        if (sgn(err) != 0) {
          prod = abs(err) * r.mag_m[i];
          prod = -prod;
          sum.add(prod, ve + r.mag_e[i]);
        }
      }
      lam.swap(next);
    }
    return c0 + sum.value();
  }

  // Interval floor for a property row c.y + c0 through the last affine layer, exact.
  Q interval_row(const std::vector<double>& c, Q c0) const {
    const int K = net_.num_hidden();
    const ExactNet::Layer& L = net_.layers[K];
    std::vector<Q> a(L.cols);
    for (int m = 0; m < L.rows; ++m) {
      if (c[m] == 0) continue;
      const Q cm(c[m]);
      c0 += cm * L.b[m];
      for (int i = 0; i < L.cols; ++i) a[i] += cm * L.W[static_cast<size_t>(m) * L.cols + i];
    }
    const bool topk = K > 0 && maskable(K - 1);
    std::vector<Q> gains;
    for (int i = 0; i < L.cols; ++i) {
      double hl, hh;
      if (K == 0) {
        hl = lo_[i];
        hh = hi_[i];
      } else {
        post(K - 1, i, &hl, &hh);
      }
      const int sgn = sgn_of(a[i]);
      if (sgn == 0) continue;
      const Q term = a[i] * Q(sgn > 0 ? hl : hh);
      c0 += term;
      if (topk && mask_[K - 1][i] < 0 && term > 0) gains.push_back(term);
    }
    if (topk) c0 -= top_gains(gains, budget_[K - 1]);
    return c0;
  }

  // Linear-region leaves: the recorded multipliers re-proved over the exact affine map of the
  // leaf. Raises disjunct_lower where a Lagrangian bound is better; sets out->infeasible when the
  // Farkas multipliers prove the region empty. False (with *why) when the leaf is not a linear
  // region under these bounds or the multipliers do not fit.
  bool linear_region_bounds(const LeafClaim& claim, std::vector<Q>& disjunct_lower, LeafOutcome* out,
                            std::string* why) {
    const int K = net_.num_hidden();
    for (int k = 0; k < K; ++k)
      if (maskable(k)) {
        *why = "linear-region leaf, but hidden layer " + std::to_string(k) + " may still prune";
        return false;
      }
    std::vector<std::vector<int8_t>> act(K);  // 1 identity, 0 zero
    std::vector<std::pair<int, int>> fixed;   // phase-decided kept neurons in (layer, index) order
    for (int k = 0; k < K; ++k) {
      act[k].resize(l_[k].size());
      for (size_t i = 0; i < l_[k].size(); ++i) {
        if (mask_[k][i] == 0) {  // pruned: outputs 0, and its phase is no constraint of the region
          act[k][i] = 0;
        } else if (phase_[k][i] != 0) {
          act[k][i] = phase_[k][i] > 0;
          fixed.push_back({k, static_cast<int>(i)});
        } else if (l_[k][i] >= 0) {
          act[k][i] = 1;
        } else if (u_[k][i] <= 0) {
          act[k][i] = 0;
        } else {
          *why = "linear-region leaf, but neuron " + std::to_string(i) + " of hidden layer " + std::to_string(k) +
                 " is unstable under the exact bounds";
          return false;
        }
      }
    }
    const size_t F = fixed.size();
    // lam_i s_i z_i summed per layer: coefficients over each layer's pre-activations.
    auto fixed_terms = [&](const std::vector<double>& lambda, Q sign) {
      std::vector<std::vector<Q>> per(K);
      for (int k = 0; k < K; ++k) per[k].assign(l_[k].size(), Q(0));
      for (size_t f = 0; f < F; ++f) {
        const double v = lambda[f];
        if (!(v > 0) || !std::isfinite(v)) continue;
        const auto [k, i] = fixed[f];
        per[k][i] = sign * Q(v) * Q(phase_[k][i]);
      }
      return per;
    };
    if (claim.infeasible) {
      if (claim.multipliers.size() != 1 || claim.multipliers[0].size() != F) {
        *why = "Farkas multipliers: expected one list of " + std::to_string(F) + " entries";
        return false;
      }
      // max over the box of sum lam_i s_i z_i < 0 <=> min of the negation > 0.
      const Q v = affine_min(std::vector<Q>(), Q(0), fixed_terms(claim.multipliers[0], Q(-1)), act);
      if (!(v > 0)) {
        *why = "the Farkas multipliers do not prove the leaf empty";
        return false;
      }
      out->infeasible = true;
      out->margin_lower = kInf;
      return true;
    }
    const auto& disjuncts = problem_.property.disjuncts;
    if (claim.multipliers.size() != disjuncts.size()) {
      *why = "linear-region leaf: expected one multiplier list per disjunct";
      return false;
    }
    for (size_t dj = 0; dj < disjuncts.size(); ++dj) {
      const auto& mult = claim.multipliers[dj];
      if (mult.empty()) continue;
      const size_t R = disjuncts[dj].rows.size();
      if (mult.size() != R + F) {
        *why = "linear-region leaf: disjunct " + std::to_string(dj) + " needs " + std::to_string(R + F) + " multipliers";
        return false;
      }
      std::vector<Q> mu(R);
      Q total = 0;
      for (size_t r = 0; r < R; ++r) {
        mu[r] = std::isfinite(mult[r]) && mult[r] > 0 ? Q(mult[r]) : Q(0);
        total += mu[r];
      }
      if (total == 0) {
        mu[0] = total = 1;
      }
      const int dout = net_.layers[K].rows;
      std::vector<Q> top(dout, Q(0));
      Q c0 = 0;
      for (size_t r = 0; r < R; ++r) {
        if (mu[r] == 0) continue;
        const Q w = mu[r] / total;
        const spec::Row& row = disjuncts[dj].rows[r];
        for (int o = 0; o < dout; ++o)
          if (row.c[o] != 0) top[o] += w * Q(row.c[o]);
        c0 -= w * Q(row.d);
      }
      std::vector<double> lambda(mult.begin() + static_cast<std::ptrdiff_t>(R), mult.end());
      const Q v = affine_min(top, c0, fixed_terms(lambda, Q(-1)), act);
      if (v > disjunct_lower[dj]) disjunct_lower[dj] = v;
    }
    return true;
  }

  // Exact minimum over the box of top . z_K + c0 + sum_k extra_k . z_k on the linear region
  // given by act (top empty: zero).
  Q affine_min(const std::vector<Q>& top, Q c0, const std::vector<std::vector<Q>>& extra,
               const std::vector<std::vector<int8_t>>& act) const {
    const int K = net_.num_hidden();
    std::vector<Q> v = top;
    if (v.empty()) v.assign(net_.layers[K].rows, Q(0));
    for (int j = K - 1; j >= -1; --j) {
      const ExactNet::Layer& L = net_.layers[j + 1];
      std::vector<Q> a(L.cols);
      for (int m = 0; m < L.rows; ++m) {
        if (sgn_of(v[m]) == 0) continue;
        c0 += v[m] * L.b[m];
        const size_t base = static_cast<size_t>(m) * L.cols;
        for (int i = 0; i < L.cols; ++i)
          if (L.Wd[base + i] != 0) a[i] += v[m] * L.W[base + i];
      }
      if (j < 0) {
        for (int i = 0; i < L.cols; ++i) {
          const int sgn = sgn_of(a[i]);
          if (sgn > 0) c0 += a[i] * Q(lo_[i]);
          else if (sgn < 0) c0 += a[i] * Q(hi_[i]);
        }
        return c0;
      }
      for (int i = 0; i < L.cols; ++i) {
        if (!act[j][i]) a[i] = 0;
        a[i] += extra[j][i];
      }
      v.swap(a);
    }
    return c0;
  }

  static int sgn_of(const Q& q) { return sgn(q); }

  const ExactNet& net_;
  const spec::Problem& problem_;
  std::vector<double> lo_, hi_;
  std::vector<std::vector<int8_t>> phase_;
  std::vector<std::vector<int8_t>> mask_;  // -1 undecided, 0 pruned, 1 kept
  std::vector<int> budget_;                // prunes still allowed among a layer's undecided neurons
  std::vector<std::vector<double>> l_, u_;
  std::vector<Relax> relax_;
};

}  // namespace

ExactNet make_exact_net(const net::LayeredNetwork& net) {
  ExactNet e;
  e.input_dim = net.input_dim();
  for (const net::AffineLayer& layer : net.layers) {
    ExactNet::Layer L;
    L.rows = static_cast<int>(layer.W.rows());
    L.cols = static_cast<int>(layer.W.cols());
    L.W.resize(static_cast<size_t>(L.rows) * L.cols);
    L.Wd.resize(L.W.size());
    for (int i = 0; i < L.rows; ++i)
      for (int j = 0; j < L.cols; ++j) {
        const double w = layer.W(i, j);
        if (!std::isfinite(w)) throw util::InputError("--net", "", "a weight is not finite: no exact check possible");
        L.Wd[static_cast<size_t>(i) * L.cols + j] = w;
        L.W[static_cast<size_t>(i) * L.cols + j] = Q(w);
      }
    for (int i = 0; i < L.rows; ++i) {
      if (!std::isfinite(layer.b[i])) throw util::InputError("--net", "", "a bias is not finite: no exact check possible");
      L.b.push_back(Q(layer.b[i]));
    }
    L.We = common_exponent(L.Wd.data(), L.Wd.size());
    L.Wi.resize(L.Wd.size());
    for (size_t t = 0; t < L.Wd.size(); ++t) to_integer(L.Wd[t], L.We, L.Wi[t]);
    std::vector<double> bd(layer.b.data(), layer.b.data() + layer.b.size());
    L.be = common_exponent(bd.data(), bd.size());
    L.bi.resize(bd.size());
    for (size_t t = 0; t < bd.size(); ++t) to_integer(bd[t], L.be, L.bi[t]);
    e.layers.push_back(std::move(L));
  }
  return e;
}

LeafOutcome prove_leaf(const ExactNet& net, const spec::Problem& problem, const std::vector<Decision>& decisions,
                       const LeafClaim& claim) {
  LeafProver prover(net, problem);
  return prover.run(decisions, claim);
}

}  // namespace bab::exact
