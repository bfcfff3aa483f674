// The LPs of linear-region leaves, solved by Clp's dual simplex: the input box is the columns'
// bounds, so the model has one row per output row and per fixed phase (about 200 on a 784-input
// network with 200 ReLUs, where a tableau over the box as rows had about 1,000 and a dense pivot
// cost a millisecond). Nothing here needs to be exact: the caller only uses the multipliers to
// build a Lagrangian bound or a Farkas certificate it evaluates soundly itself
// (linear_region.cpp), so a wrong or inaccurate answer from Clp can only leave a leaf undecided.

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "encodings/clp_handle.h"
#include "solvers/bab/internal.h"

namespace bab::detail {

namespace {

using encodings::ClpHandle;

// Loads  min obj_t * t  over x in box, t in [t_lo, t_hi],  row_lo <= A x + e t <= row_hi  (A dense,
// one extra column t with coefficients e) and runs the dual simplex for at most `limit_s` seconds.
// Returns Clp's status (0 optimal, 1 primal infeasible, 3 stopped, ...).
int solve_dense(ClpHandle& h, const spec::Box& box, const Eigen::MatrixXd& A, const Eigen::VectorXd& e, double t_lo,
                double t_hi, double obj_t, const std::vector<double>& row_lo, const std::vector<double>& row_hi,
                double limit_s) {
  const int n = box.dim(), m = static_cast<int>(A.rows());
  std::vector<CoinBigIndex> start{0};
  std::vector<int> index;
  std::vector<double> value, col_lo(n + 1), col_hi(n + 1), obj(n + 1, 0.0);
  index.reserve(static_cast<size_t>(m) * (n + 1));
  value.reserve(index.capacity());
  for (int j = 0; j <= n; ++j) {
    for (int i = 0; i < m; ++i) {
      const double v = j < n ? A(i, j) : e[i];
      if (v != 0.0) {
        index.push_back(i);
        value.push_back(v);
      }
    }
    start.push_back(static_cast<CoinBigIndex>(index.size()));
    col_lo[j] = j < n ? box.lo[j] : t_lo;
    col_hi[j] = j < n ? box.hi[j] : t_hi;
  }
  obj[n] = obj_t;
  Clp_setLogLevel(h.m, 0);
  Clp_loadProblem(h.m, n + 1, m, start.data(), index.data(), value.data(), col_lo.data(), col_hi.data(), obj.data(),
                  row_lo.data(), row_hi.data());
  // Clp counts this from the call on in the process's CPU time: sooner than the wall clock while
  // other threads of the process run, later only while the machine has no core free for this one.
  Clp_setMaximumSeconds(h.m, std::max(limit_s, 1e-3));
  Clp_dual(h.m, 0);
  return Clp_status(h.m);
}

}  // namespace

LeafLp solve_leaf_lp(const spec::Box& box, const Eigen::MatrixXd& G, const Eigen::VectorXd& g,
                     const Eigen::MatrixXd& P, const Eigen::VectorXd& q, double time_limit_s) {
  const auto t0 = Clock::now();
  const int n = box.dim(), R = static_cast<int>(G.rows()), F = static_cast<int>(P.rows());
  LeafLp out;
  if (!(time_limit_s > 0)) return out;
  // min t  subject to  G_r x - t <= -g_r (r < R),  P_i x >= -q_i (i < F),  x in the box, t free.
  Eigen::MatrixXd A(R + F, n);
  A.topRows(R) = G;
  A.bottomRows(F) = P;
  Eigen::VectorXd e = Eigen::VectorXd::Zero(R + F);
  e.head(R).setConstant(-1.0);
  std::vector<double> row_lo(R + F), row_hi(R + F);
  for (int r = 0; r < R; ++r) {
    row_lo[r] = -DBL_MAX;
    row_hi[r] = -g[r];
  }
  for (int i = 0; i < F; ++i) {
    row_lo[R + i] = -q[i];
    row_hi[R + i] = DBL_MAX;
  }
  {
    ClpHandle h;
    const int status = solve_dense(h, box, A, e, -DBL_MAX, DBL_MAX, 1.0, row_lo, row_hi, time_limit_s);
    if (status == 0) {
      const double* x = Clp_getColSolution(h.m);
      const double* y = Clp_getRowPrice(h.m);
      out.status = LeafLp::Status::optimal;
      out.value = Clp_getObjValue(h.m);
      out.x = Eigen::Map<const Eigen::VectorXd>(x, n).cwiseMax(box.lo).cwiseMin(box.hi);
      out.multipliers.resize(R + F);
      // Minimisation prices: <= 0 on rows at their upper end (the R output rows), >= 0 at their
      // lower end (the F phase rows).
      for (int r = 0; r < R; ++r) out.multipliers[r] = std::max(0.0, -y[r]);
      for (int i = 0; i < F; ++i) out.multipliers[R + i] = std::max(0.0, y[R + i]);
      return out;
    }
    if (status != 1 || F == 0) return out;
  }
  // Infeasible: the multipliers of  max s  subject to  P_i x - s >= -q_i,  x in the box, s <= 1,
  // are a Farkas vector when the optimum s* is negative: sum_i lambda_i (P_i x + q_i) <= s* < 0 on
  // the box (lambda sums to 1).
  const double left = time_limit_s - seconds(t0, Clock::now());
  if (!(left > 0)) return out;
  Eigen::VectorXd es = Eigen::VectorXd::Constant(F, -1.0);
  std::vector<double> lo(row_lo.begin() + R, row_lo.end()), hi(row_hi.begin() + R, row_hi.end());
  ClpHandle h;
  const int status = solve_dense(h, box, P, es, -DBL_MAX, 1.0, -1.0, lo, hi, left);
  if (status != 0 || !(Clp_getObjValue(h.m) > 0)) return out;  // objective -s*: s* < 0
  const double* y = Clp_getRowPrice(h.m);
  out.status = LeafLp::Status::infeasible;
  out.multipliers.resize(F);
  for (int i = 0; i < F; ++i) out.multipliers[i] = std::max(0.0, y[i]);
  return out;
}

}  // namespace bab::detail
