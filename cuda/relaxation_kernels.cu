// Elementwise kernels of the CUDA BoundEngine: IBP's centre/radius form (Gowal et al. 2018),
// fixed phases, known-bound intersection, outward widening, and the CROWN / DeepPoly ReLU
// relaxation (Zhang et al. 2018; Singh et al. 2019) with the adaptive lower slope. Each kernel
// mirrors, operation for operation, its CPU counterpart in src/bounds (named in kernels.h), so
// that both engines give the same bounds up to the summation order of the matrix products.
#include "cuda/device_memory.h"
#include "cuda/kernels.h"

namespace gpu {

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(size_t n) {
  const size_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < (1u << 30) ? (b ? b : 1) : (1u << 30));
}

// Grid-stride loop over n elements.
#define FOR_EACH(i, n) for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)

// amag (may be null): |mid| + rad = max(|lo|, |hi|), the input of IBP's magnitude (ibp.cpp).
__global__ void mid_rad_kernel(const double* lo, const double* hi, size_t n, double* mid, double* rad, double* amag) {
  FOR_EACH(i, n) {
    const double l = lo[i], h = hi[i];
    const double m = 0.5 * (l + h), r = 0.5 * (h - l);
    mid[i] = m;
    rad[i] = r;
    if (amag) amag[i] = fabs(m) + r;
  }
}

// center, radius, mag (may be null): d x B; bias: d.
__global__ void ibp_combine_kernel(double* center, double* radius, double* mag, const double* bias, int d, size_t n) {
  FOR_EACH(e, n) {
    const double c = center[e] + bias[e % d], r = radius[e];
    center[e] = c - r;
    radius[e] = c + r;
    if (mag) mag[e] = mag[e] + fabs(bias[e % d]);
  }
}

__global__ void post_activation_kernel(const double* lo, const double* hi, const int8_t* mask, size_t n, double* hlo,
                                       double* hhi) {
  FOR_EACH(i, n) {
    const bool pruned = mask && mask[i] == 0;
    const double l = lo[i], h = hi[i];
    hlo[i] = pruned ? 0.0 : (l < 0.0 ? 0.0 : l);
    hhi[i] = pruned ? 0.0 : (h < 0.0 ? 0.0 : h);
  }
}

// lo, hi, phase: d x B; infeasible: B.
__global__ void apply_phases_kernel(double* lo, double* hi, const int8_t* phase, int d, size_t n, int* infeasible) {
  FOR_EACH(e, n) {
    double l = lo[e], h = hi[e];
    const int8_t ph = phase[e];
    if (ph > 0) l = l < 0.0 ? 0.0 : l;
    else if (ph < 0) h = 0.0 < h ? 0.0 : h;
    lo[e] = l;
    hi[e] = h;
    if (l > h) infeasible[e / d] = 1;  // every writer stores the same value
  }
}

// lo, hi: d x B; klo, khi: d x U; index: B.
__global__ void intersect_known_kernel(double* lo, double* hi, const double* klo, const double* khi, const int* index,
                                       int d, size_t n) {
  FOR_EACH(e, n) {
    const int t = index[e / d];
    if (t < 0) continue;
    const size_t at = size_t(t) * d + e % d;
    lo[e] = fmax(lo[e], klo[at]);
    hi[e] = fmin(hi[e], khi[at]);
  }
}

// allowance() of cpu_engine.cpp: rel * max(M, |v|) + abs, M the magnitude of v's terms.
__global__ void widen_kernel(double* lo, double* hi, const double* mag, size_t n, double rel, double abs_) {
  FOR_EACH(i, n) {
    const double l = lo[i], h = hi[i], m = isnan(mag[i]) ? INFINITY : mag[i];  // fmax would drop a NaN
    lo[i] = l - (rel * fmax(m, fabs(l)) + abs_);
    hi[i] = h + (rel * fmax(m, fabs(h)) + abs_);
  }
}

// out = |A| (rows x inner, column-major) times mag (inner x B) plus |c| per row: the magnitude
// of the property rows, |C| mag_K + |c| (cpu_engine.cpp), with A = C. One thread per entry.
__global__ void abs_product_kernel(const double* A, const double* c, const double* mag, int rows, int inner, size_t n,
                                   double* out) {
  FOR_EACH(e, n) {
    const size_t r = e % rows, b = e / rows;
    double s = fabs(c[r]);
    for (int t = 0; t < inner; ++t) s += fabs(A[r + size_t(t) * rows]) * mag[b * inner + t];
    out[e] = s;
  }
}

// relax_layer: pruned / inactive / u <= 0: h = 0; active or l >= 0: h = z; otherwise the
// triangle's upper line through (l, 0), (u, u) and the lower slope 1 if u >= -l else 0.
__global__ void relax_kernel(const double* lo, const double* hi, const int8_t* phase, const int8_t* mask, size_t n,
                             double* ls, double* us, double* ub) {
  FOR_EACH(i, n) {
    const double l = lo[i], u = hi[i];
    const int8_t ph = phase[i];
    double a = 0, s = 0, t = 0;
    if (!((mask && mask[i] == 0) || ph < 0 || u <= 0)) {
      if (ph > 0 || l >= 0) {
        a = s = 1.0;
      } else {
        const double width = u - l;
        if (isfinite(width)) {
          s = u / width;
          t = -s * l;
        } else {  // u - l overflowed: h <= u (relu_relaxation.cpp)
          s = 0.0;
          t = u;
        }
        a = (u >= -l) ? 1.0 : 0.0;
      }
    }
    ls[i] = a;
    us[i] = s;
    ub[i] = t;
  }
}

__global__ void max_into_kernel(double* lo, const double* lower, size_t n) {
  FOR_EACH(i, n) lo[i] = fmax(lo[i], lower[i]);
}

// lo, hi: d x B; lower: 2d x B (rows [I; -I]).
__global__ void merge_two_sided_kernel(double* lo, double* hi, const double* lower, int d, size_t n) {
  FOR_EACH(e, n) {
    const size_t b = e / d, i = e % d;
    lo[e] = fmax(lo[e], lower[b * 2 * d + i]);
    hi[e] = fmin(hi[e], -lower[b * 2 * d + d + i]);
  }
}

#undef FOR_EACH

void check_launch(const char* what) { check(cudaGetLastError(), what); }

}  // namespace

void launch_mid_rad(const double* d_lo, const double* d_hi, size_t n, double* d_mid, double* d_rad, double* d_amag,
                    cudaStream_t stream) {
  if (!n) return;
  mid_rad_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_hi, n, d_mid, d_rad, d_amag);
  check_launch("mid_rad_kernel");
}

void launch_ibp_combine(double* d_center_to_lo, double* d_radius_to_hi, double* d_mag, const double* d_bias, int d,
                        int B, cudaStream_t stream) {
  const size_t n = size_t(d) * B;
  if (!n) return;
  ibp_combine_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_center_to_lo, d_radius_to_hi, d_mag, d_bias, d, n);
  check_launch("ibp_combine_kernel");
}

void launch_post_activation(const double* d_lo, const double* d_hi, const int8_t* d_mask, size_t n, double* d_hlo,
                            double* d_hhi, cudaStream_t stream) {
  if (!n) return;
  post_activation_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_hi, d_mask, n, d_hlo, d_hhi);
  check_launch("post_activation_kernel");
}

void launch_apply_phases(double* d_lo, double* d_hi, const int8_t* d_phase, int d, int B, int* d_infeasible,
                         cudaStream_t stream) {
  const size_t n = size_t(d) * B;
  if (!n) return;
  apply_phases_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_hi, d_phase, d, n, d_infeasible);
  check_launch("apply_phases_kernel");
}

void launch_intersect_known(double* d_lo, double* d_hi, const double* d_klo, const double* d_khi, const int* d_index,
                            int d, int B, cudaStream_t stream) {
  const size_t n = size_t(d) * B;
  if (!n) return;
  intersect_known_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_hi, d_klo, d_khi, d_index, d, n);
  check_launch("intersect_known_kernel");
}

void launch_widen(double* d_lo, double* d_hi, const double* d_mag, size_t n, double rel, double abs,
                  cudaStream_t stream) {
  if (!n) return;
  widen_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_hi, d_mag, n, rel, abs);
  check_launch("widen_kernel");
}

void launch_abs_product(const double* d_A, const double* d_c, const double* d_mag, int rows, int inner, int B,
                        double* d_out, cudaStream_t stream) {
  const size_t n = size_t(rows) * B;
  if (!n) return;
  abs_product_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_A, d_c, d_mag, rows, inner, n, d_out);
  check_launch("abs_product_kernel");
}

void launch_relax(const double* d_lo, const double* d_hi, const int8_t* d_phase, const int8_t* d_mask, size_t n,
                  double* d_ls, double* d_us, double* d_ub, cudaStream_t stream) {
  if (!n) return;
  relax_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_hi, d_phase, d_mask, n, d_ls, d_us, d_ub);
  check_launch("relax_kernel");
}

void launch_max_into(double* d_lo, const double* d_lower, size_t n, cudaStream_t stream) {
  if (!n) return;
  max_into_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_lower, n);
  check_launch("max_into_kernel");
}

void launch_merge_two_sided(double* d_lo, double* d_hi, const double* d_lower, int d, int B, cudaStream_t stream) {
  const size_t n = size_t(d) * B;
  if (!n) return;
  merge_two_sided_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_lo, d_hi, d_lower, d, n);
  check_launch("merge_two_sided_kernel");
}

}  // namespace gpu
