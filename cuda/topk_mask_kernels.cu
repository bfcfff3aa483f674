// Exact worst case of a linear form over pruning masks on the GPU (topk_mask.cpp; DESIGN.md
// "Masks are first-class"; seed 003 Problem 1): every kept or undecided neuron at its own
// minimum v_i = min(c_i hlo_i, c_i hhi_i), minus the s largest positive v_i of undecided
// neurons. One thread block per linear form: the v_i are summed by a block reduction and the
// s largest gains are found by a bitonic sort of the (power-of-two padded, zero-filled) gains in
// shared memory. Zero padding is harmless: only positive gains may be removed, and removing a
// zero changes nothing. Widths above kMaxTopkWidth are left to the CPU engine.
#include "cuda/device_memory.h"
#include "cuda/kernels.h"

namespace gpu {

namespace {

constexpr int kThreads = 256;  // power of two (tree reduction)

int padded_width(int d) {
  int p = 1;
  while (p < d) p <<= 1;
  return p;
}

// Sum of `part` over the block; every thread gets it. red: kThreads doubles of shared memory.
__device__ double block_sum(double part, double* red) {
  red[threadIdx.x] = part;
  __syncthreads();
  for (int h = kThreads / 2; h > 0; h >>= 1) {
    if (threadIdx.x < h) red[threadIdx.x] += red[threadIdx.x + h];
    __syncthreads();
  }
  const double total = red[0];
  __syncthreads();  // red may be reused at once
  return total;
}

// min over h in [hlo, hhi] and masks (at most s undecided bits pruned) of sum_i sign c_i m_i h_i.
// Preconditions: blockDim.x == kThreads; d <= P, P a power of two; gains: P doubles of shared
// memory. coef, hlo, hhi, mask: d entries each (one column of their matrices).
__device__ double block_topk_min(const double* coef, double sign, const double* hlo, const double* hhi,
                                 const int8_t* mask, int d, int s, int P, double* gains, double* red) {
  double part = 0;
  for (int i = threadIdx.x; i < P; i += kThreads) {
    double g = 0;
    if (i < d && mask[i] != 0) {
      const double c = sign * coef[i];
      const double vl = c * hlo[i], vh = c * hhi[i];
      const double v = vh < vl ? vh : vl;
      part += v;
      if (mask[i] < 0 && v > 0) g = v;
    }
    gains[i] = g;
  }
  const double total = block_sum(part, red);  // its barriers also publish `gains`
  // Bitonic sort of gains[0, P) ascending.
  for (int k = 2; k <= P; k <<= 1)
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < P; i += kThreads) {
        const int ixj = i ^ j;
        if (ixj > i) {
          const double a = gains[i], b = gains[ixj];
          if ((a > b) == ((i & k) == 0)) {
            gains[i] = b;
            gains[ixj] = a;
          }
        }
      }
      __syncthreads();
    }
  const int top = s < 0 ? 0 : (s < P ? s : P);
  double removed = 0;
  for (int i = P - top + threadIdx.x; i < P; i += kThreads) removed += gains[i];
  return total - block_sum(removed, red);
}

// Blocks over (sign, output neuron i, subdomain b). Wt: in x out; hlo, hhi, mask: in x B; lo, hi: out x B.
__global__ void topk_ibp_kernel(const double* Wt, const double* bias, int in, int out, const double* hlo,
                                const double* hhi, const int8_t* mask, const int* budget, const uint8_t* maskable,
                                size_t blocks, int P, double* lo, double* hi) {
  extern __shared__ double gains[];
  __shared__ double red[kThreads];
  for (size_t blk = blockIdx.x; blk < blocks; blk += gridDim.x) {
    const bool upper = blk % 2;
    const size_t rest = blk / 2, i = rest % out, b = rest / out;
    if (!maskable[b]) continue;  // uniform over the block
    const double v = block_topk_min(Wt + i * in, upper ? -1.0 : 1.0, hlo + b * in, hhi + b * in, mask + b * in, in,
                                    budget[b], P, gains, red);
    if (threadIdx.x == 0) {
      if (upper) hi[b * out + i] = -v + bias[i];
      else lo[b * out + i] = v + bias[i];
    }
  }
}

// Blocks over the chunk's columns. lam: d x M; hlo, hhi, mask: d x B; c0: M; stop: nb.
__global__ void topk_backsub_kernel(double* lam, int d, int m, int b0, size_t M, const double* hlo, const double* hhi,
                                    const int8_t* mask, const int* budget, const uint8_t* maskable, const int* stop,
                                    int P, double* c0, double* mag0) {
  extern __shared__ double gains[];
  __shared__ double red[kThreads];
  for (size_t col = blockIdx.x; col < M; col += gridDim.x) {
    const size_t lb = col / m, b = b0 + lb;
    if (!maskable[b] || stop[lb] >= 0) continue;  // uniform over the block
    double* L = lam + col * d;
    const double v = block_topk_min(L, 1.0, hlo + b * d, hhi + b * d, mask + b * d, d, budget[b], P, gains, red);
    // The magnitude of the terms just summed (crown.cpp: post_mag^T |lam|).
    double part = 0;
    for (int i = threadIdx.x; i < d; i += kThreads) part += fmax(fabs(hlo[b * d + i]), fabs(hhi[b * d + i])) * fabs(L[i]);
    const double mag = block_sum(part, red);
    for (int i = threadIdx.x; i < d; i += kThreads) L[i] = 0.0;  // block_sum's barriers: all reads are done
    if (threadIdx.x == 0) {
      c0[col] = c0[col] + v;
      mag0[col] = mag0[col] + mag;
    }
  }
}

__global__ void mark_stop_kernel(int* stop, const uint8_t* maskable, int b0, int nb, int j) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b < nb && maskable[b0 + b] && stop[b] < 0) stop[b] = j;
}

unsigned grid_for(size_t blocks) { return static_cast<unsigned>(blocks < (1u << 20) ? (blocks ? blocks : 1) : (1u << 20)); }

}  // namespace

void launch_topk_ibp(const double* d_Wt, const double* d_bias, int in, int out, const double* d_hlo,
                     const double* d_hhi, const int8_t* d_mask, const int* d_budget, const uint8_t* d_maskable, int B,
                     double* d_lo, double* d_hi, cudaStream_t stream) {
  if (in > kMaxTopkWidth) throw util::InternalError("launch_topk_ibp: layer wider than kMaxTopkWidth");
  const size_t blocks = size_t(2) * out * B;
  if (!blocks) return;
  const int P = padded_width(in);
  topk_ibp_kernel<<<grid_for(blocks), kThreads, P * sizeof(double), stream>>>(
      d_Wt, d_bias, in, out, d_hlo, d_hhi, d_mask, d_budget, d_maskable, blocks, P, d_lo, d_hi);
  check(cudaGetLastError(), "topk_ibp_kernel");
}

void launch_topk_backsub(double* d_lam, int d, int m, int b0, int M, const double* d_hlo, const double* d_hhi,
                         const int8_t* d_mask, const int* d_budget, const uint8_t* d_maskable, const int* d_stop,
                         double* d_c0, double* d_mag0, cudaStream_t stream) {
  if (d > kMaxTopkWidth) throw util::InternalError("launch_topk_backsub: layer wider than kMaxTopkWidth");
  if (!M) return;
  const int P = padded_width(d);
  topk_backsub_kernel<<<grid_for(M), kThreads, P * sizeof(double), stream>>>(d_lam, d, m, b0, M, d_hlo, d_hhi, d_mask,
                                                                             d_budget, d_maskable, d_stop, P, d_c0, d_mag0);
  check(cudaGetLastError(), "topk_backsub_kernel");
}

void launch_mark_stop(int* d_stop, const uint8_t* d_maskable, int b0, int nb, int j, cudaStream_t stream) {
  if (!nb) return;
  mark_stop_kernel<<<(nb + kThreads - 1) / kThreads, kThreads, 0, stream>>>(d_stop, d_maskable, b0, nb, j);
  check(cudaGetLastError(), "mark_stop_kernel");
}

}  // namespace gpu
