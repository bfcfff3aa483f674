// Spectral norm ||W||_2 by power iteration, for the margin-deviation bound of seed 003
// (Propositions 2-4; Remark 3 suggests r power-iteration steps). Its gradient is u v^T for the
// top singular pair (u, v); the trainer warm-starts v from the previous step, as PyTorch's
// spectral_norm does, so a few iterations per step keep the pair converged.
#include <random>

#include "src/train/internal.h"

namespace train::detail {

SpectralNorm spectral_norm(const Matrix& A, const Vector& v_start, int max_iters, double tol) {
  SpectralNorm s;
  Vector v = v_start;
  const bool warm = v.size() == A.cols() && v.norm() > 0;
  if (!warm) {
    std::mt19937_64 rng(0x5eed);
    v.resize(A.cols());
    for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = static_cast<double>(rng() >> 11) * 0x1.0p-53 - 0.25;
  }
  v.normalize();
  double previous = -1;
  Vector u;
  for (int it = 0; it < std::max(1, max_iters); ++it) {
    u.noalias() = A * v;
    const double un = u.norm();
    if (!(un > 0)) {
      // A v = 0. A warm start can lie in A's null space: after a deactivation (seed 004
      // Algorithm 1) v is zero on the columns of the neurons now active. Start again from the
      // random vector; from it, A v = 0 means A = 0 (almost surely).
      if (warm) return spectral_norm(A, Vector(), max_iters, tol);
      s.u = Vector::Zero(A.rows());
      s.v = v;
      return s;
    }
    u /= un;
    v.noalias() = A.transpose() * u;
    const double sigma = v.norm();
    v /= sigma;
    if (std::abs(sigma - previous) <= tol * sigma) break;
    previous = sigma;
  }
  // Final pair: u = A v / ||A v||, so sigma = u^T A v exactly for the returned vectors.
  u.noalias() = A * v;
  s.sigma = u.norm();
  s.u = s.sigma > 0 ? Vector(u / s.sigma) : Vector::Zero(A.rows());
  s.v = v;
  return s;
}

}  // namespace train::detail
