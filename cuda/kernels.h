// Plain C++ launch functions of the CUDA BoundEngine's kernels (STYLE.md "CUDA"): the engine
// (cuda_engine.cpp) calls these and cuBLAS; the kernels are in relaxation_kernels.cu,
// backsub_kernels.cu and topk_mask_kernels.cu. Internal to cuda/.
// Layout, as in src/bounds/internal.h: every per-neuron quantity of a batch is a column-major
// (d x B) matrix, column b = subdomain b; back-substitution coefficients are (d x M) with
// M = m * nb columns for a chunk of nb subdomains starting at b0, column b * m + r = row r of
// subdomain b0 + b. Phases and masks are int8 (d x B); every launch is checked and asynchronous
// on `stream`.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace gpu {

// ---- relaxation_kernels.cu: elementwise pieces of IBP and the ReLU relaxation ----

// mid = (lo + hi) / 2, rad = (hi - lo) / 2 over n elements; amag = |mid| + rad where d_amag is not null.
void launch_mid_rad(const double* d_lo, const double* d_hi, size_t n, double* d_mid, double* d_rad, double* d_amag,
                    cudaStream_t stream);
// In place: center (d x B) becomes lo = (center + bias) - radius, radius becomes hi = (center + bias) + radius;
// d_mag (|W| amag, may be null) becomes |W| amag + |bias|, IBP's magnitude (ibp.cpp).
void launch_ibp_combine(double* d_center_to_lo, double* d_radius_to_hi, double* d_mag, const double* d_bias, int d,
                        int B, cudaStream_t stream);
// Post-activation bounds: hlo = max(lo, 0), hhi = max(hi, 0), both 0 where d_mask == 0 (d_mask may be null).
void launch_post_activation(const double* d_lo, const double* d_hi, const int8_t* d_mask, size_t n, double* d_hlo,
                            double* d_hhi, cudaStream_t stream);
// Fixed phases clip lo (active: >= 0) or hi (inactive: <= 0); d_infeasible[b] = 1 where lo > hi.
void launch_apply_phases(double* d_lo, double* d_hi, const int8_t* d_phase, int d, int B, int* d_infeasible,
                         cudaStream_t stream);
// Known bounds (d x B layer; tables d x U): where t = d_index[b] >= 0, lo(:, b) = max(lo(:, b),
// klo(:, t)) and hi(:, b) = min(hi(:, b), khi(:, t)).
void launch_intersect_known(double* d_lo, double* d_hi, const double* d_klo, const double* d_khi, const int* d_index,
                            int d, int B, cudaStream_t stream);
// lo -= rel max(mag, |lo|) + abs, hi += rel max(mag, |hi|) + abs, mag the magnitude of the
// bound's terms (widen() of cpu_engine.cpp).
void launch_widen(double* d_lo, double* d_hi, const double* d_mag, size_t n, double rel, double abs,
                  cudaStream_t stream);
// out (rows x B) = |A| mag + |c|, A rows x inner, mag inner x B: the property rows' magnitude.
void launch_abs_product(const double* d_A, const double* d_c, const double* d_mag, int rows, int inner, int B,
                        double* d_out, cudaStream_t stream);
// ReLU relaxation (relax_layer of relu_relaxation.cpp): lower h >= ls z, upper h <= us z + ub.
void launch_relax(const double* d_lo, const double* d_hi, const int8_t* d_phase, const int8_t* d_mask, size_t n,
                  double* d_ls, double* d_us, double* d_ub, cudaStream_t stream);
// lo = max(lo, lower), elementwise (the tighter of IBP and CROWN for the property rows).
void launch_max_into(double* d_lo, const double* d_lower, size_t n, cudaStream_t stream);
// Output layer (d x B) from the rows [I; -I] (lower is 2d x B): lo = max(lo, lower_top), hi = min(hi, -lower_bottom).
void launch_merge_two_sided(double* d_lo, double* d_hi, const double* d_lower, int d, int B, cudaStream_t stream);

// ---- backsub_kernels.cu: CROWN back-substitution, one warp per coefficient column ----

// Per subdomain b (skipped where d_skip[b]): the unstable neurons (lo < 0 < hi) of a d x B
// layer, in increasing order, into d_rows[b * d + t], t < d_count[b].
void launch_list_unstable(const double* d_lo, const double* d_hi, int d, int B, const uint8_t* d_skip, int* d_rows,
                          int* d_count, cudaStream_t stream);
// Rows +e_i and -e_i of the unstable neurons (tighten_unstable of cpu_engine.cpp), m = 2u per
// subdomain, pushed through layer k: lam (in_k x M) column b*m + t = +W_k(i,:)^T for t < u,
// -W_k(i,:)^T for t = u + t', i = d_rows[(b0 + b) * d_k + t']; c0 = +-b_k[i]; zero padding.
// mag0 (M): the magnitude of c0's terms, |b_k[i]| (crown.cpp's mag0).
void launch_init_unit_rows(const double* d_W, const double* d_bias, int d_k, int in_k, const int* d_rows,
                           const int* d_count, int u, int b0, int nb, double* d_lam, double* d_c0, double* d_mag0,
                           cudaStream_t stream);
// The same m rows for every subdomain: lam column b*m + r = d_lam0 column r (in x m), c0 = d_c00[r],
// mag0 = d_mag00[r] (|C| |b_k| + |c| for rows C, c).
void launch_init_shared_rows(const double* d_lam0, const double* d_c00, const double* d_mag00, int in, int m, int nb,
                             double* d_lam, double* d_c0, double* d_mag0, cudaStream_t stream);
// One relaxed layer j of the back-substitution, lam on h_j (d x M):
// G = lam^+ ls + lam^- us (d x M), c0 += sum_i lam^-_i ub_i + bias . G (per column), and
// mag0 += sum_i |lam^-_i ub_i| + |bias_i G_i|.
void launch_backsub_relax(const double* d_lam, const double* d_ls, const double* d_us, const double* d_ub,
                          const double* d_bias, int d, int m, int b0, int M, double* d_G, double* d_c0, double* d_mag0,
                          cudaStream_t stream);
// Concretisation over the input box, widened as widened_lower() of cpu_engine.cpp does:
// v = c0 + (mid . lam - rad . |lam|), M = mag0 + (|mid| + rad) . |lam|, lam n x M,
// lower[b0*m + col] = v - (rel max(M, |v|) + abs).
void launch_concretise_box(const double* d_lam, const double* d_xlo, const double* d_xhi, int n, int m, int b0, int M,
                           const double* d_c0, const double* d_mag0, double rel, double abs, double* d_lower,
                           cudaStream_t stream);
// For every subdomain with d_sel[b] >= 0: out(:, b) = src(:, d_sel[b]) (src d x anything, out d x B).
void launch_gather_columns(const double* d_src, int d, const int64_t* d_sel, int B, double* d_out, cudaStream_t stream);
// Box minimiser of a linear form: x_i = xlo where coef > 0, xhi where coef < 0, the centre where 0.
void launch_box_minimiser(const double* d_coef, const double* d_xlo, const double* d_xhi, int n, int B, double* d_x,
                          cudaStream_t stream);
// Merge of the CROWN bounds of the unstable neurons: lo(i,b) = max(lo, lower(t,b)), hi(i,b) =
// min(hi, -lower(u+t,b)) for i = d_rows[b*d + t], t < d_count[b]; lower is (2u x B).
void launch_tighten_scatter(double* d_lo, double* d_hi, const double* d_lower, const int* d_rows, const int* d_count,
                            int d, int u, int B, cudaStream_t stream);

// ---- topk_mask_kernels.cu: exact worst case over pruning masks (topk_mask.cpp), one block per column ----

// Largest hidden width the top-s kernels handle (shared memory); wider masked layers go to the CPU.
constexpr int kMaxTopkWidth = 4096;
// IBP after a maskable layer: for every output neuron i and maskable subdomain b (d_maskable[b]):
// lo(i,b) = min over h, masks of W(i,:) m h + bias_i, hi(i,b) = -min(-W(i,:) m h) + bias_i.
// Wt is W transposed (in x out); hlo/hhi (in x B) the post-activation bounds; mask (in x B).
void launch_topk_ibp(const double* d_Wt, const double* d_bias, int in, int out, const double* d_hlo,
                     const double* d_hhi, const int8_t* d_mask, const int* d_budget, const uint8_t* d_maskable, int B,
                     double* d_lo, double* d_hi, cudaStream_t stream);
// Back-substitution reaching hidden layer j: the columns of the chunk's subdomains that may still
// prune there (d_maskable[b0+b]) and have not stopped (d_stop[b] < 0) are concretised exactly:
// c0 += min over h, masks of lam . m h, mag0 += max(|hlo|, |hhi|) . |lam|; their lam column is
// zeroed. lam is d x M.
void launch_topk_backsub(double* d_lam, int d, int m, int b0, int M, const double* d_hlo, const double* d_hhi,
                         const int8_t* d_mask, const int* d_budget, const uint8_t* d_maskable, const int* d_stop,
                         double* d_c0, double* d_mag0, cudaStream_t stream);
// d_stop[b] = j for the subdomains concretised by launch_topk_backsub at layer j.
void launch_mark_stop(int* d_stop, const uint8_t* d_maskable, int b0, int nb, int j, cudaStream_t stream);

}  // namespace gpu
