// CROWN / DeepPoly back-substitution kernels (Zhang et al. 2018; Singh et al. 2019), the
// non-GEMM parts of backsub_lower (src/bounds/crown.cpp): building the specification rows,
// applying one layer's relaxation to the coefficients (one warp per column, coalesced down the
// column), and concretising over the input box. The products W^T G are cuBLAS calls made by
// cuda_engine.cpp. Columns are (d x M) column-major with M = m * nb (kernels.h).
#include "cuda/device_memory.h"
#include "cuda/kernels.h"

namespace gpu {

namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr unsigned kFull = 0xffffffffu;

unsigned blocks_for(size_t n) {
  const size_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < (1u << 30) ? (b ? b : 1) : (1u << 30));
}
unsigned warp_blocks_for(size_t columns) {
  const size_t b = (columns + kWarps - 1) / kWarps;
  return static_cast<unsigned>(b < (1u << 30) ? (b ? b : 1) : (1u << 30));
}

#define FOR_EACH(i, n) for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)
// One warp per column c < n; every lane of a warp runs the same iterations (shuffles are safe).
#define FOR_EACH_WARP(c, n)                                                                  \
  for (size_t c = (blockIdx.x * size_t(blockDim.x) + threadIdx.x) / 32; c < (n); \
       c += size_t(gridDim.x) * blockDim.x / 32)

__device__ double warp_sum(double v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(kFull, v, off);
  return v;  // lane 0 holds the sum
}

// lo, hi: d x B. rows: d x B (first count[b] entries of column b used).
__global__ void list_unstable_kernel(const double* lo, const double* hi, int d, int B, const uint8_t* skip, int* rows,
                                     int* count) {
  const int lane = threadIdx.x & 31;
  FOR_EACH_WARP(b, size_t(B)) {
    int c = 0;
    if (!(skip && skip[b])) {
      for (int base = 0; base < d; base += 32) {
        const int i = base + lane;
        const bool u = i < d && lo[b * d + i] < 0 && hi[b * d + i] > 0;
        const unsigned ballot = __ballot_sync(kFull, u);
        if (u) rows[b * d + c + __popc(ballot & ((1u << lane) - 1u))] = i;
        c += __popc(ballot);
      }
    }
    if (lane == 0) count[b] = c;
  }
}

// W: d_k x in_k; lam: in_k x M with M = 2u * nb; c0: M.
__global__ void init_unit_rows_kernel(const double* W, const double* bias, int d_k, int in_k, const int* rows,
                                      const int* count, int u, int b0, size_t n, double* lam, double* c0,
                                      double* mag0) {
  const int m = 2 * u;
  FOR_EACH(e, n) {
    const size_t col = e / in_k, row = e % in_k, b = b0 + col / m;
    const int t = static_cast<int>(col % m);
    const int tt = t < u ? t : t - u;
    const double sign = t < u ? 1.0 : -1.0;
    double v = 0, c = 0;
    if (tt < count[b]) {
      const size_t i = rows[b * d_k + tt];
      v = sign * W[i + row * d_k];
      c = sign * bias[i];
    }
    lam[e] = v;
    if (row == 0) {
      c0[col] = c;
      mag0[col] = fabs(c);
    }
  }
}

// lam0: in x m; c00, mag00: m; lam: in x (m * nb); c0, mag0: m * nb.
__global__ void init_shared_rows_kernel(const double* lam0, const double* c00, const double* mag00, int in, int m,
                                        size_t n, double* lam, double* c0, double* mag0) {
  FOR_EACH(e, n) {
    const size_t col = e / in, row = e % in, r = col % m;
    lam[e] = lam0[r * in + row];
    if (row == 0) {
      c0[col] = c00[r];
      mag0[col] = mag00[r];
    }
  }
}

// lam, G: d x M; ls, us, ub: d x B; bias: d; c0: M.
__global__ void backsub_relax_kernel(const double* lam, const double* ls, const double* us, const double* ub,
                                     const double* bias, int d, int m, int b0, size_t M, double* G, double* c0,
                                     double* mag0) {
  const int lane = threadIdx.x & 31;
  FOR_EACH_WARP(col, M) {
    const size_t b = b0 + col / m;
    const double* L = lam + col * d;
    double* g_out = G + col * d;
    const double *a = ls + b * d, *s = us + b * d, *t = ub + b * d;
    double sum_t = 0, sum_bg = 0, sum_mag = 0;
    for (int i = lane; i < d; i += 32) {
      const double l = L[i];
      const double lp = l > 0.0 ? l : 0.0, ln = l < 0.0 ? l : 0.0;
      const double g = lp * a[i] + ln * s[i];
      g_out[i] = g;
      sum_t += ln * t[i];
      sum_bg += bias[i] * g;
      sum_mag += fabs(ln * t[i]) + fabs(bias[i]) * fabs(g);  // crown.cpp: |T| + |b|^T |G|
    }
    sum_t = warp_sum(sum_t);
    sum_bg = warp_sum(sum_bg);
    sum_mag = warp_sum(sum_mag);
    if (lane == 0) {
      c0[col] = c0[col] + (sum_t + sum_bg);
      mag0[col] = mag0[col] + sum_mag;
    }
  }
}

// lam: n x M; xlo, xhi: n x B; c0, mag0: M; lower: m x B (column-major, offset b0 * m).
__global__ void concretise_box_kernel(const double* lam, const double* xlo, const double* xhi, int n, int m, int b0,
                                      size_t M, const double* c0, const double* mag0, double rel, double abs_,
                                      double* lower) {
  const int lane = threadIdx.x & 31;
  FOR_EACH_WARP(col, M) {
    const size_t b = b0 + col / m;
    const double* L = lam + col * n;
    const double *lo = xlo + b * n, *hi = xhi + b * n;
    double s_mid = 0, s_rad = 0, s_mag = 0;
    for (int i = lane; i < n; i += 32) {
      const double a = L[i];
      const double mid = 0.5 * (lo[i] + hi[i]), rad = 0.5 * (hi[i] - lo[i]);
      s_mid += mid * a;
      s_rad += rad * fabs(a);
      s_mag += (fabs(mid) + rad) * fabs(a);
    }
    s_mid = warp_sum(s_mid);
    s_rad = warp_sum(s_rad);
    s_mag = warp_sum(s_mag);
    if (lane == 0) {
      const double v = c0[col] + (s_mid - s_rad), sum = mag0[col] + s_mag;
      const double mag = isnan(sum) ? INFINITY : sum;  // fmax would drop a NaN
      lower[size_t(b0) * m + col] = v - (rel * fmax(mag, fabs(v)) + abs_);
    }
  }
}

// src: d x *, out: d x B.
__global__ void gather_columns_kernel(const double* src, int d, const int64_t* sel, size_t n, double* out) {
  FOR_EACH(e, n) {
    const size_t b = e / d, i = e % d;
    const int64_t s = sel[b];
    if (s >= 0) out[e] = src[size_t(s) * d + i];
  }
}

__global__ void box_minimiser_kernel(const double* coef, const double* xlo, const double* xhi, size_t n, double* x) {
  FOR_EACH(e, n) {
    const double a = coef[e];
    x[e] = a > 0 ? xlo[e] : (a < 0 ? xhi[e] : 0.5 * (xlo[e] + xhi[e]));
  }
}

// lo, hi: d x B; lower: 2u x B; rows: d x B.
__global__ void tighten_scatter_kernel(double* lo, double* hi, const double* lower, const int* rows, const int* count,
                                       int d, int u, size_t n) {
  FOR_EACH(e, n) {
    const size_t b = e / u;
    const int t = static_cast<int>(e % u);
    if (t >= count[b]) continue;
    const size_t at = b * d + rows[b * d + t];
    const double l = lower[b * 2 * u + t], h = -lower[b * 2 * u + u + t];
    lo[at] = lo[at] < l ? l : lo[at];
    hi[at] = h < hi[at] ? h : hi[at];
  }
}

#undef FOR_EACH
#undef FOR_EACH_WARP

void check_launch(const char* what) { check(cudaGetLastError(), what); }

}  // namespace

void launch_list_unstable(const double* d_lo, const double* d_hi, int d, int B, const uint8_t* d_skip, int* d_rows,
                          int* d_count, cudaStream_t stream) {
  if (!B) return;
  list_unstable_kernel<<<warp_blocks_for(B), kThreads, 0, stream>>>(d_lo, d_hi, d, B, d_skip, d_rows, d_count);
  check_launch("list_unstable_kernel");
}

void launch_init_unit_rows(const double* d_W, const double* d_bias, int d_k, int in_k, const int* d_rows,
                           const int* d_count, int u, int b0, int nb, double* d_lam, double* d_c0, double* d_mag0,
                           cudaStream_t stream) {
  const size_t n = size_t(in_k) * 2 * u * nb;
  if (!n) return;
  init_unit_rows_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_W, d_bias, d_k, in_k, d_rows, d_count, u, b0, n,
                                                                d_lam, d_c0, d_mag0);
  check_launch("init_unit_rows_kernel");
}

void launch_init_shared_rows(const double* d_lam0, const double* d_c00, const double* d_mag00, int in, int m, int nb,
                             double* d_lam, double* d_c0, double* d_mag0, cudaStream_t stream) {
  const size_t n = size_t(in) * m * nb;
  if (!n) return;
  init_shared_rows_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lam0, d_c00, d_mag00, in, m, n, d_lam, d_c0,
                                                                  d_mag0);
  check_launch("init_shared_rows_kernel");
}

void launch_backsub_relax(const double* d_lam, const double* d_ls, const double* d_us, const double* d_ub,
                          const double* d_bias, int d, int m, int b0, int M, double* d_G, double* d_c0, double* d_mag0,
                          cudaStream_t stream) {
  if (!M) return;
  backsub_relax_kernel<<<warp_blocks_for(M), kThreads, 0, stream>>>(d_lam, d_ls, d_us, d_ub, d_bias, d, m, b0, M, d_G,
                                                                    d_c0, d_mag0);
  check_launch("backsub_relax_kernel");
}

void launch_concretise_box(const double* d_lam, const double* d_xlo, const double* d_xhi, int n, int m, int b0, int M,
                           const double* d_c0, const double* d_mag0, double rel, double abs, double* d_lower,
                           cudaStream_t stream) {
  if (!M) return;
  concretise_box_kernel<<<warp_blocks_for(M), kThreads, 0, stream>>>(d_lam, d_xlo, d_xhi, n, m, b0, M, d_c0, d_mag0,
                                                                     rel, abs, d_lower);
  check_launch("concretise_box_kernel");
}

void launch_gather_columns(const double* d_src, int d, const int64_t* d_sel, int B, double* d_out, cudaStream_t stream) {
  const size_t n = size_t(d) * B;
  if (!n) return;
  gather_columns_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_src, d, d_sel, n, d_out);
  check_launch("gather_columns_kernel");
}

void launch_box_minimiser(const double* d_coef, const double* d_xlo, const double* d_xhi, int n, int B, double* d_x,
                          cudaStream_t stream) {
  const size_t e = size_t(n) * B;
  if (!e) return;
  box_minimiser_kernel<<<blocks_for(e), kThreads, 0, stream>>>(d_coef, d_xlo, d_xhi, e, d_x);
  check_launch("box_minimiser_kernel");
}

void launch_tighten_scatter(double* d_lo, double* d_hi, const double* d_lower, const int* d_rows, const int* d_count,
                            int d, int u, int B, cudaStream_t stream) {
  const size_t n = size_t(u) * B;
  if (!n) return;
  tighten_scatter_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_hi, d_lower, d_rows, d_count, d, u, n);
  check_launch("tighten_scatter_kernel");
}

}  // namespace gpu
