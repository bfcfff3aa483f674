// A dense two-phase tableau simplex (Dantzig's method with Bland's anti-cycling rule) for the
// small LPs of linear-region leaves: maximise c.v subject to A v <= b, v >= 0. It returns the
// duals of the rows (or a Farkas vector when infeasible). Nothing here needs to be exact: the
// caller only uses the multipliers to build a Lagrangian bound it evaluates soundly itself.
#include <chrono>
#include <cmath>
#include <limits>

#include "solvers/bab/internal.h"

namespace bab::detail {

namespace {

constexpr double kEps = 1e-10;

// Tableau: rows 0..m-1 the constraints, row m the objective, row m+1 the phase-1 objective;
// columns 0..n-1 the nonbasic variables, column n the artificial variable, column n+1 the
// right-hand side. Variable ids: 0..n-1 originals, n..n+m-1 slacks, -1 the artificial.
class Tableau {
 public:
  Tableau(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, const Eigen::VectorXd& c, int max_pivots,
          double time_limit_s)
      : m_(static_cast<int>(b.size())), n_(static_cast<int>(c.size())), max_pivots_(max_pivots),
        deadline_(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(std::min(time_limit_s, 1e9)))),
        basic_(m_), nonbasic_(n_ + 1), D_(Eigen::MatrixXd::Zero(m_ + 2, n_ + 2)) {
    for (int i = 0; i < m_; ++i) {
      D_.row(i).head(n_) = A.row(i);
      basic_[i] = n_ + i;
      D_(i, n_) = -1;
      D_(i, n_ + 1) = b[i];
    }
    for (int j = 0; j < n_; ++j) {
      nonbasic_[j] = j;
      D_(m_, j) = -c[j];
    }
    nonbasic_[n_] = -1;
    D_(m_ + 1, n_) = 1;
  }

  LpSolution solve() {
    LpSolution out;
    int r = 0;
    for (int i = 1; i < m_; ++i)
      if (D_(i, n_ + 1) < D_(r, n_ + 1)) r = i;
    if (m_ > 0 && D_(r, n_ + 1) < -kEps) {  // the origin is infeasible: phase 1
      pivot(r, n_);
      if (!run(1)) {
        out.status = LpSolution::Status::iteration_limit;
        return out;
      }
      if (D_(m_ + 1, n_ + 1) < -kEps) {
        out.status = LpSolution::Status::infeasible;
        out.dual = row_duals(m_ + 1);
        return out;
      }
      for (int i = 0; i < m_; ++i)
        if (basic_[i] == -1) {  // drive the artificial variable out of the basis
          int s = -1;
          for (int j = 0; j <= n_; ++j)
            if (s == -1 || D_(i, j) < D_(i, s) || (D_(i, j) == D_(i, s) && nonbasic_[j] < nonbasic_[s])) s = j;
          pivot(i, s);
        }
    }
    if (!run(2)) {
      out.status = unbounded_ ? LpSolution::Status::unbounded : LpSolution::Status::iteration_limit;
      return out;
    }
    out.status = LpSolution::Status::optimal;
    out.value = D_(m_, n_ + 1);
    out.v = Eigen::VectorXd::Zero(n_);
    for (int i = 0; i < m_; ++i)
      if (basic_[i] >= 0 && basic_[i] < n_) out.v[basic_[i]] = D_(i, n_ + 1);
    out.dual = row_duals(m_);
    return out;
  }

 private:
  // Reduced costs of the nonbasic slacks in objective row `row`: the duals of their constraints.
  Eigen::VectorXd row_duals(int row) const {
    Eigen::VectorXd y = Eigen::VectorXd::Zero(m_);
    for (int j = 0; j <= n_; ++j)
      if (nonbasic_[j] >= n_) y[nonbasic_[j] - n_] = std::max(0.0, D_(row, j));
    return y;
  }

  void pivot(int r, int s) {
    ++pivots_;
    const double inv = 1.0 / D_(r, s);
    for (int i = 0; i < m_ + 2; ++i) {
      if (i == r || D_(i, s) == 0) continue;
      const double f = D_(i, s) * inv;
      for (int j = 0; j < n_ + 2; ++j)
        if (j != s) D_(i, j) -= D_(r, j) * f;
    }
    for (int j = 0; j < n_ + 2; ++j)
      if (j != s) D_(r, j) *= inv;
    for (int i = 0; i < m_ + 2; ++i)
      if (i != r) D_(i, s) *= -inv;
    D_(r, s) = inv;
    std::swap(basic_[r], nonbasic_[s]);
  }

  bool run(int phase) {
    const int x = phase == 1 ? m_ + 1 : m_;
    while (pivots_ < max_pivots_) {
      // A pivot costs (m+2)(n+2) operations: about 1 ms on a 784-input network's leaf, whose LP
      // could run for a minute past BaB's timeout before this check (mnist10x10, 30 s limit).
      if (pivots_ % 16 == 15 && Clock::now() > deadline_) return false;
      int s = -1;
      for (int j = 0; j <= n_; ++j) {
        if (phase == 2 && nonbasic_[j] == -1) continue;
        if (s == -1 || D_(x, j) < D_(x, s) || (D_(x, j) == D_(x, s) && nonbasic_[j] < nonbasic_[s])) s = j;
      }
      if (s == -1 || D_(x, s) > -kEps) return true;
      int r = -1;
      for (int i = 0; i < m_; ++i) {
        if (D_(i, s) < kEps) continue;
        if (r == -1) {
          r = i;
          continue;
        }
        const double a = D_(i, n_ + 1) / D_(i, s), b = D_(r, n_ + 1) / D_(r, s);
        if (a < b || (a == b && basic_[i] < basic_[r])) r = i;
      }
      if (r == -1) {
        unbounded_ = true;
        return false;
      }
      pivot(r, s);
    }
    return false;
  }

  using Clock = std::chrono::steady_clock;
  int m_, n_, max_pivots_, pivots_ = 0;
  Clock::time_point deadline_;
  bool unbounded_ = false;
  std::vector<int> basic_, nonbasic_;
  Eigen::MatrixXd D_;
};

}  // namespace

LpSolution simplex_max(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, const Eigen::VectorXd& c, int max_pivots,
                       double time_limit_s) {
  return Tableau(A, b, c, max_pivots, time_limit_s).solve();
}

}  // namespace bab::detail
