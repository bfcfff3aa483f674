// The CUDA BoundEngine (cuda_engine.h): the host side. It replays the CPU engine's sequence
// (src/bounds/cpu_engine.cpp bound_part) step for step on device buffers: IBP layer by layer,
// widening, known bounds, fixed phases, CROWN tightening (widened) of each intermediate layer's
// unstable neurons, then the property rows (IBP floor, CROWN back-substitution) and the output
// layer.
// Products are cuBLAS DGEMMs; everything else is in the kernels of kernels.h. Departures:
// alpha-CROWN (for the rows or, BoundOptions::intermediate alpha, the intermediate layers) and
// masked layers wider than kMaxTopkWidth go to the CPU engine. Every bound is widened by the
// magnitude of its terms as the CPU engine's widen() does (IBP: |W| max(|lo|, |hi|) + |b|, one
// more product with |W|; CROWN: the magnitudes summed beside c0 in the back-substitution
// kernels), so results differ from the CPU engine's only by the summation order inside products
// and reductions.
#include "cuda/cuda_engine.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>
#include <span>
#include <unordered_map>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "src/util/cores.h"

namespace gpu {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device / no driver" error
    return 0;
  }
  return n;
}

DeviceInfo device_info(int device) {
  DeviceInfo info;
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  info.name = prop.name;
  info.major = prop.major;
  info.minor = prop.minor;
  info.sm_count = prop.multiProcessorCount;
  int khz = 0;
  check(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device), "cudaDeviceGetAttribute(ClockRate)");
  info.clock_ghz = khz * 1e-6;
  // FP64 FMAs per SM per cycle (NVIDIA A100 and H100 whitepapers): 32 on sm_80, 64 on sm_90;
  // the FP64 tensor cores double that. Other architectures: unknown, reported as 0.
  int fma_per_sm = 0;
  if (prop.major == 8 && prop.minor == 0) fma_per_sm = 32;
  if (prop.major == 9 && prop.minor == 0) fma_per_sm = 64;
  info.peak_fp64_gflops = 2.0 * fma_per_sm * info.sm_count * info.clock_ghz;
  info.peak_fp64_tensor_gflops = 2.0 * info.peak_fp64_gflops;
  return info;
}

namespace {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
template <class T>
using Buf = DeviceBuffer<T>;

// Back-substitution coefficient chunks are at most this many doubles (512 MiB) per buffer.
constexpr size_t kMaxChunkElements = size_t{1} << 26;
// Larger batches are bounded in parts of at most this many subdomains, one after the other (fewer
// where the property rows' stored coefficients, R * B * (n + sum d_j) doubles, would not fit in
// half the free device memory: CudaEngine::bound). Parts of 1,024 were tried: no faster at batch
// 4,096 on mnist-net_256x2 (benchmarks/cuda/README.md).
constexpr int kMaxPart = 16384;
// Packing a batch and building its results run on the cores this process may use
// (util::usable_cores), in pieces of at least this many subdomains.
constexpr int kMinPiece = 256;

// One affine layer on the device: W (out x in), |W|, W^T (in x out, for the top-s kernels), b.
struct DeviceLayer {
  int out = 0, in = 0;
  Buf<double> W, absW, Wt, b;
  DeviceLayer() = default;
  DeviceLayer(const Matrix& w, const Vector& bias, cudaStream_t s)
      : out(static_cast<int>(w.rows())), in(static_cast<int>(w.cols())),
        W(w.size(), s), absW(w.size(), s), Wt(w.size(), s), b(bias.size(), s) {
    W.upload(w.data(), w.size());
    const Matrix a = w.cwiseAbs(), t = w.transpose();
    absW.upload(a.data(), a.size());
    Wt.upload(t.data(), t.size());
    b.upload(bias.data(), bias.size());
    // a and t are freed at return: finish the copies from them first.
    check(cudaStreamSynchronize(s), "upload weights");
  }
};

}  // namespace

struct CudaEngine::Impl {
  std::mutex busy;  // one call at a time: the stream, the staging areas and the network cache are shared
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  std::unique_ptr<bounds::BoundEngine> cpu = bounds::make_cpu_engine();
  std::shared_ptr<const net::LayeredNetwork> net;  // the network whose layers are on the device
  std::vector<DeviceLayer> layers;
  double flops = 0;
  PinnedBuffer up, down;  // staging areas of a call's uploads and downloads
  CudaEngine::PhaseTimes phases;

  // ---- per call (one part of a batch) ----
  struct Call {
    int B = 0, n = 0, K = 0;
    std::vector<int> dim;                    // dim[k]: width of layer k (k = K: the output)
    Buf<double> xlo, xhi;                    // n x B
    std::vector<Buf<int8_t>> phase, mask;    // per hidden layer, d_j x B
    std::vector<Buf<int>> budget;            // per hidden layer, B
    std::vector<Buf<uint8_t>> maskable;      // per hidden layer, B: may still prune there
    std::vector<uint8_t> any_maskable;       // per hidden layer
    bool has_masks = false;
    bool any_known = false;
    std::vector<Buf<double>> known_lo, known_hi;  // per layer, d_k x U: the U distinct known tables
    Buf<int> known_index;                         // B: column of the subdomain's table, -1 for none
    Buf<uint8_t> has_known;                       // B
    std::vector<Buf<double>> lo, hi;              // pre-activation bounds per layer, d_k x B
    std::vector<Buf<double>> ls, us, ub;          // relaxation per hidden layer, d_j x B
    Buf<int> infeasible;                          // B
  };

  Impl(int dev) : device(dev) {
    try {
      check(cudaSetDevice(device), "cudaSetDevice");
      check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
      check(cublasCreate(&blas), "cublasCreate");
      check(cublasSetStream(blas, stream), "cublasSetStream");
      // Keep freed blocks in the stream-ordered pool: per-call buffers then cost no cudaMalloc.
      cudaMemPool_t pool;
      check(cudaDeviceGetDefaultMemPool(&pool, device), "cudaDeviceGetDefaultMemPool");
      uint64_t keep = std::numeric_limits<uint64_t>::max();
      check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep), "cudaMemPoolSetAttribute");
      // One kernel now, so that a device this build has no code for (CUDA_ARCHITECTURES in
      // cuda/CMakeLists.txt) fails here, where `--device auto` can still fall back to the CPU.
      {
        Buf<double> probe(4, stream);
        probe.fill_zero();
        launch_mid_rad(probe.get(), probe.get() + 1, 1, probe.get() + 2, probe.get() + 3, nullptr, stream);
        check(cudaStreamSynchronize(stream), "a first kernel on the device");
      }
    } catch (...) {
      release();  // the destructor does not run for a constructor that throws
      throw;
    }
  }
  ~Impl() { release(); }
  void release() {
    layers.clear();
    if (stream) cudaStreamSynchronize(stream);
    if (blas) cublasDestroy(blas);
    if (stream) cudaStreamDestroy(stream);
    blas = nullptr;
    stream = nullptr;
  }

  void upload_network(const std::shared_ptr<const net::LayeredNetwork>& p) {
    if (p == net) return;
    layers.clear();
    for (const auto& L : p->layers) layers.emplace_back(L.W, L.b, stream);
    net = p;
  }

  // C (m x n) = op(A) * B (k x n), op(A) = A or A^T; A is lda-major as stored.
  void gemm(bool transpose_a, int m, int n, int k, const double* A, int lda, const double* Bm, int ldb, double* C,
            int ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
      check(cudaMemsetAsync(C, 0, sizeof(double) * size_t(m) * n, stream), "cudaMemsetAsync");
      return;
    }
    const double one = 1.0, zero = 0.0;
    check(cublasDgemm(blas, transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, A, std::max(1, lda),
                      Bm, std::max(1, ldb), &zero, C, std::max(1, ldc)),
          "cublasDgemm");
    flops += 2.0 * m * n * k;
  }

  // IBP through layer L from post-activation bounds [hlo, hhi] (in x B) of hidden layer j (-1:
  // the input), refined by top-s where a subdomain may still prune in layer j (ibp.cpp). `mag`
  // (out x B, may be null): the magnitude of the bounds' terms, |W| max(|hlo|, |hhi|) + |b|,
  // top-s or not (ibp.cpp).
  void ibp(Call& c, const DeviceLayer& L, const double* hlo, const double* hhi, int j, double* lo, double* hi,
           double* mag) {
    const size_t e = size_t(L.in) * c.B;
    Buf<double> mid(e, stream), rad(e, stream), amag(mag ? e : 0, stream);
    launch_mid_rad(hlo, hhi, e, mid.get(), rad.get(), mag ? amag.get() : nullptr, stream);
    gemm(false, L.out, c.B, L.in, L.W.get(), L.out, mid.get(), L.in, lo, L.out);      // W mid: out x B
    gemm(false, L.out, c.B, L.in, L.absW.get(), L.out, rad.get(), L.in, hi, L.out);   // |W| rad: out x B
    if (mag) gemm(false, L.out, c.B, L.in, L.absW.get(), L.out, amag.get(), L.in, mag, L.out);  // |W| amag
    launch_ibp_combine(lo, hi, mag, L.b.get(), L.out, c.B, stream);
    if (j >= 0 && c.has_masks && c.any_maskable[j])
      launch_topk_ibp(L.Wt.get(), L.b.get(), L.in, L.out, hlo, hhi, c.mask[j].get(), c.budget[j].get(),
                      c.maskable[j].get(), c.B, lo, hi, stream);
  }

  // Post-activation bounds of hidden layer j (pruned neurons 0), d_j x B each.
  std::pair<Buf<double>, Buf<double>> post(Call& c, int j) {
    const size_t e = size_t(c.dim[j]) * c.B;
    Buf<double> hlo(e, stream), hhi(e, stream);
    launch_post_activation(c.lo[j].get(), c.hi[j].get(), c.has_masks ? c.mask[j].get() : nullptr, e, hlo.get(),
                           hhi.get(), stream);
    return {std::move(hlo), std::move(hhi)};
  }

  // The rows of one back-substitution: either the same m rows for every subdomain (lam0 = W_k^T
  // C^T, in_k x m, c00 = C b_k + c and its magnitude mag00 = |C| |b_k| + |c|), or +-e_i of
  // listed neurons (m = 2u).
  struct Rows {
    int m = 0;
    const double* lam0 = nullptr;
    const double* c00 = nullptr;
    const double* mag00 = nullptr;
    const int* list = nullptr;
    const int* count = nullptr;
    int u = 0;
  };

  // backsub_lower of crown.cpp for rows on layer k: lower (m x B), already widened by the
  // magnitude of its terms (widened_lower of cpu_engine.cpp). With `store` (k + 1 buffers:
  // hidden layers 0..k-1, then the input; d_j x (m B) each), the coefficients reaching every
  // layer are kept for the whole batch (the CPU's hidden_coef and input_coef).
  void backsub(Call& c, int k, const Rows& rows, const bounds::BoundOptions& o, double* lower,
               std::vector<Buf<double>>* store) {
    const int m = rows.m, B = c.B, n = c.n;
    const int in_k = layers[k].in;
    size_t maxd = n;
    for (int j = 0; j < k; ++j) maxd = std::max<size_t>(maxd, c.dim[j]);
    const int nb = static_cast<int>(std::max<size_t>(1, std::min<size_t>(B, kMaxChunkElements / (size_t(m) * maxd))));
    std::vector<Buf<double>> post_lo(k), post_hi(k);
    if (c.has_masks)
      for (int j = 0; j < k; ++j)
        if (c.any_maskable[j]) std::tie(post_lo[j], post_hi[j]) = post(c, j);
    const size_t work = maxd * m * nb;
    Buf<double> lamA(store ? 0 : work, stream), G(work, stream), c0(size_t(m) * nb, stream),
        mag0(size_t(m) * nb, stream);
    Buf<int> stop(c.has_masks ? nb : 0, stream);
    auto coef_at = [&](int layer, int b0) -> double* {  // layer -1: the input
      if (!store) return lamA.get();
      const int rows_there = layer < 0 ? n : c.dim[layer];
      return (*store)[layer < 0 ? k : layer].get() + size_t(b0) * m * rows_there;
    };
    for (int b0 = 0; b0 < B; b0 += nb) {
      const int cnb = std::min(nb, B - b0), M = m * cnb;
      double* lam = coef_at(k - 1, b0);  // in_k x M, coefficients on h_{k-1} (on x when k == 0)
      if (rows.list)
        launch_init_unit_rows(layers[k].W.get(), layers[k].b.get(), layers[k].out, in_k, rows.list, rows.count,
                              rows.u, b0, cnb, lam, c0.get(), mag0.get(), stream);
      else
        launch_init_shared_rows(rows.lam0, rows.c00, rows.mag00, in_k, m, cnb, lam, c0.get(), mag0.get(), stream);
      if (c.has_masks) check(cudaMemsetAsync(stop.get(), 0xff, sizeof(int) * cnb, stream), "stop = -1");
      for (int j = k - 1; j >= 0; --j) {
        const int d = c.dim[j];  // lam: d x M on h_j
        if (c.has_masks && c.any_maskable[j]) {
          launch_topk_backsub(lam, d, m, b0, M, post_lo[j].get(), post_hi[j].get(), c.mask[j].get(),
                              c.budget[j].get(), c.maskable[j].get(), stop.get(), c0.get(), mag0.get(), stream);
          launch_mark_stop(stop.get(), c.maskable[j].get(), b0, cnb, j, stream);
        }
        launch_backsub_relax(lam, c.ls[j].get(), c.us[j].get(), c.ub[j].get(), layers[j].b.get(), d, m, b0, M, G.get(),
                             c0.get(), mag0.get(), stream);
        double* next = coef_at(j - 1, b0);  // W_j^T G: in_j x M
        gemm(true, layers[j].in, M, d, layers[j].W.get(), d, G.get(), d, next, layers[j].in);
        lam = next;
      }
      launch_concretise_box(lam, c.xlo.get(), c.xhi.get(), n, m, b0, M, c0.get(), mag0.get(), o.widen_rel, o.widen_abs,
                            lower, stream);
    }
  }

  // CROWN bounds of the unstable neurons of layer k (tighten_unstable of cpu_engine.cpp), widened.
  // Subdomains with known bounds are skipped for BoundOptions::intermediate inherit and auto, as
  // on the CPU (alpha never reaches this engine: CudaEngine::bound).
  void tighten(Call& c, int k, const bounds::BoundOptions& o) {
    const int d = c.dim[k], B = c.B;
    using I = bounds::BoundOptions::Intermediate;
    const bool skip_known = c.any_known && (o.intermediate == I::inherit || o.intermediate == I::automatic);
    Buf<int> list(size_t(d) * B, stream), count(B, stream);
    launch_list_unstable(c.lo[k].get(), c.hi[k].get(), d, B, skip_known ? c.has_known.get() : nullptr, list.get(),
                         count.get(), stream);
    std::vector<int> h_count(B);
    count.download(h_count.data(), B);
    check(cudaStreamSynchronize(stream), "tighten: unstable counts");
    const int u = *std::max_element(h_count.begin(), h_count.end());
    if (u == 0) return;
    Rows rows;
    rows.m = 2 * u;
    rows.list = list.get();
    rows.count = count.get();
    rows.u = u;
    Buf<double> lower(size_t(rows.m) * B, stream);
    backsub(c, k, rows, o, lower.get(), nullptr);
    launch_tighten_scatter(c.lo[k].get(), c.hi[k].get(), lower.get(), list.get(), count.get(), d, u, B, stream);
  }

  void widen(Call& c, int k, const bounds::BoundOptions& o, const Buf<double>& mag) {
    launch_widen(c.lo[k].get(), c.hi[k].get(), mag.get(), size_t(c.dim[k]) * c.B, o.widen_rel, o.widen_abs, stream);
  }
  void intersect_known(Call& c, int k) {
    if (c.any_known)
      launch_intersect_known(c.lo[k].get(), c.hi[k].get(), c.known_lo[k].get(), c.known_hi[k].get(),
                             c.known_index.get(), c.dim[k], c.B, stream);
  }
  void apply_phases(Call& c, int k) {
    launch_apply_phases(c.lo[k].get(), c.hi[k].get(), c.phase[k].get(), c.dim[k], c.B, c.infeasible.get(), stream);
  }
  void relax(Call& c, int j) {
    const size_t e = size_t(c.dim[j]) * c.B;
    c.ls[j] = Buf<double>(e, stream);
    c.us[j] = Buf<double>(e, stream);
    c.ub[j] = Buf<double>(e, stream);
    launch_relax(c.lo[j].get(), c.hi[j].get(), c.phase[j].get(), c.has_masks ? c.mask[j].get() : nullptr, e,
                 c.ls[j].get(), c.us[j].get(), c.ub[j].get(), stream);
  }

  // The batch to the device, staged through pinned memory. Known bounds are uploaded once per
  // distinct table (BaB's two children share their parent's; the benchmark's subdomains all
  // share the root's) and looked up per subdomain by index.
  Call pack(const net::LayeredNetwork& nw, std::span<const bounds::Subdomain> subs) {
    Call c;
    c.B = static_cast<int>(subs.size());
    c.n = nw.input_dim();
    c.K = nw.num_hidden();
    const int B = c.B, n = c.n, K = c.K;
    for (int k = 0; k <= K; ++k) c.dim.push_back(static_cast<int>(nw.layers[k].W.rows()));
    std::vector<const std::vector<bounds::LayerBounds>*> tables;
    std::unordered_map<const std::vector<bounds::LayerBounds>*, int> table_of;
    std::vector<int> kidx(B, -1);
    for (int b = 0; b < B; ++b) {
      const bounds::Subdomain& s = subs[b];
      if (s.box.dim() != n) throw util::InternalError("subdomain box has the wrong dimension");
      if (!s.mask.empty()) c.has_masks = true;
      if (s.known) {
        const auto [it, fresh] = table_of.emplace(s.known.get(), static_cast<int>(tables.size()));
        if (fresh) tables.push_back(s.known.get());
        kidx[b] = it->second;
      }
    }
    const int U = static_cast<int>(tables.size());
    c.any_known = U > 0;
    // Known bounds are intersected into layers 0..K-1 (and layer 0 even when it is the output).
    const int kmax = std::max(K - 1, 0);

    HostStage st;
    st.need<double>(size_t(n) * B);
    st.need<double>(size_t(n) * B);
    for (int j = 0; j < K; ++j) {
      st.need<int8_t>(size_t(c.dim[j]) * B);
      if (c.has_masks) {
        st.need<int8_t>(size_t(c.dim[j]) * B);
        st.need<int>(B);
        st.need<uint8_t>(B);
      }
    }
    if (c.any_known) {
      st.need<int>(B);
      st.need<uint8_t>(B);
      for (int k = 0; k <= kmax; ++k) {
        st.need<double>(size_t(c.dim[k]) * U);
        st.need<double>(size_t(c.dim[k]) * U);
      }
    }
    st.reserve(up);

    double* xlo = st.take<double>(size_t(n) * B);
    double* xhi = st.take<double>(size_t(n) * B);
    std::vector<int8_t*> phase(K), mask(K);
    std::vector<int*> budget(K);
    std::vector<uint8_t*> maskable(K);  // Batch::maskable of relu_relaxation.cpp
    for (int j = 0; j < K; ++j) {
      phase[j] = st.take<int8_t>(size_t(c.dim[j]) * B);
      if (!c.has_masks) continue;
      mask[j] = st.take<int8_t>(size_t(c.dim[j]) * B);
      budget[j] = st.take<int>(B);
      maskable[j] = st.take<uint8_t>(B);
    }
    util::parallel_pieces(B, util::usable_cores(), kMinPiece, [&](int b_begin, int b_end) {
      for (int b = b_begin; b < b_end; ++b) {
        const bounds::Subdomain& s = subs[b];
        std::copy_n(s.box.lo.data(), n, xlo + size_t(b) * n);
        std::copy_n(s.box.hi.data(), n, xhi + size_t(b) * n);
        for (int j = 0; j < K; ++j) {
          const int d = c.dim[j];
          int8_t* ph = phase[j] + size_t(b) * d;
          std::fill_n(ph, d, int8_t{0});
          if (j < static_cast<int>(s.phase.size()))
            std::copy_n(s.phase[j].data(), std::min<size_t>(d, s.phase[j].size()), ph);
          if (!c.has_masks) continue;
          int8_t* col = mask[j] + size_t(b) * d;
          budget[j][b] = 0;
          maskable[j][b] = 0;
          if (s.mask.empty()) {
            std::fill_n(col, d, int8_t{1});
            continue;
          }
          std::copy_n(s.mask[j].data(), d, col);
          budget[j][b] = s.budget_left[j];
          if (budget[j][b] > 0) maskable[j][b] = std::any_of(col, col + d, [](int8_t v) { return v < 0; });
        }
      }
    });
    c.xlo = Buf<double>(size_t(n) * B, stream);
    c.xhi = Buf<double>(size_t(n) * B, stream);
    c.xlo.upload(xlo, size_t(n) * B);
    c.xhi.upload(xhi, size_t(n) * B);
    c.any_maskable.assign(K, 0);
    for (int j = 0; j < K; ++j) {
      const int d = c.dim[j];
      c.phase.emplace_back(size_t(d) * B, stream);
      c.phase[j].upload(phase[j], size_t(d) * B);
      if (!c.has_masks) continue;
      c.any_maskable[j] = std::any_of(maskable[j], maskable[j] + B, [](uint8_t v) { return v != 0; });
      c.mask.emplace_back(size_t(d) * B, stream);
      c.mask[j].upload(mask[j], size_t(d) * B);
      c.budget.emplace_back(B, stream);
      c.budget[j].upload(budget[j], B);
      c.maskable.emplace_back(B, stream);
      c.maskable[j].upload(maskable[j], B);
    }
    if (c.any_known) {
      int* idx = st.take<int>(B);
      uint8_t* has = st.take<uint8_t>(B);
      for (int b = 0; b < B; ++b) {
        idx[b] = kidx[b];
        has[b] = kidx[b] >= 0;
      }
      c.known_index = Buf<int>(B, stream);
      c.known_index.upload(idx, B);
      c.has_known = Buf<uint8_t>(B, stream);
      c.has_known.upload(has, B);
      for (int k = 0; k <= kmax; ++k) {
        const int d = c.dim[k];
        double* klo = st.take<double>(size_t(d) * U);
        double* khi = st.take<double>(size_t(d) * U);
        for (int t = 0; t < U; ++t) {
          const bounds::LayerBounds& kb = (*tables[t])[k];
          std::copy_n(kb.lo.data(), d, klo + size_t(t) * d);
          std::copy_n(kb.hi.data(), d, khi + size_t(t) * d);
        }
        c.known_lo.emplace_back(size_t(d) * U, stream);
        c.known_hi.emplace_back(size_t(d) * U, stream);
        c.known_lo[k].upload(klo, size_t(d) * U);
        c.known_hi[k].upload(khi, size_t(d) * U);
      }
    }
    for (int k = 0; k <= K; ++k) {
      c.lo.emplace_back(size_t(c.dim[k]) * B, stream);
      c.hi.emplace_back(size_t(c.dim[k]) * B, stream);
    }
    c.ls.resize(K);
    c.us.resize(K);
    c.ub.resize(K);
    c.infeasible = Buf<int>(B, stream);
    c.infeasible.fill_zero();
    // The staging area is reused by the next part: finish the copies from it first.
    check(cudaStreamSynchronize(stream), "upload subdomains");
    return c;
  }

  std::vector<bounds::SubdomainBounds> bound_part(const spec::Problem& problem,
                                                  std::span<const bounds::Subdomain> subs,
                                                  const bounds::BoundOptions& o) {
    const net::LayeredNetwork& nw = *problem.net;
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    upload_network(problem.net);
    Call c = pack(nw, subs);
    const auto t1 = Clock::now();
    const int B = c.B, K = c.K, n = c.n;
    const bool crown = o.method != bounds::Method::ibp;

    // The order of cpu_engine.cpp's bound_part. Layer 0 is affine in the input: its interval
    // bounds over the box are exact up to rounding. Every IBP bound is widened before known
    // bounds and phases are applied, so that rounding cannot make a subdomain look infeasible;
    // CROWN's bounds come widened from backsub().
    Buf<double> mag(size_t(c.dim[0]) * B, stream);
    ibp(c, layers[0], c.xlo.get(), c.xhi.get(), -1, c.lo[0].get(), c.hi[0].get(), mag.get());
    widen(c, 0, o, mag);
    intersect_known(c, 0);
    if (K > 0) apply_phases(c, 0);
    for (int k = 1; k < K; ++k) {
      relax(c, k - 1);
      auto [hlo, hhi] = post(c, k - 1);
      mag = Buf<double>(size_t(c.dim[k]) * B, stream);
      ibp(c, layers[k], hlo.get(), hhi.get(), k - 1, c.lo[k].get(), c.hi[k].get(), mag.get());
      widen(c, k, o, mag);
      intersect_known(c, k);
      apply_phases(c, k);
      if (crown) tighten(c, k, o);
      apply_phases(c, k);
    }
    if (K > 0) relax(c, K - 1);

    // Property rows: all rows of all disjuncts, c.y - d.
    std::vector<std::pair<int, int>> row_of;  // (disjunct, row)
    const auto& disj = problem.property.disjuncts;
    for (size_t dj = 0; dj < disj.size(); ++dj)
      for (size_t r = 0; r < disj[dj].rows.size(); ++r) row_of.push_back({static_cast<int>(dj), static_cast<int>(r)});
    const int R = static_cast<int>(row_of.size());
    Matrix C(R, nw.output_dim());
    Vector cr(R);
    for (int r = 0; r < R; ++r) {
      const spec::Row& row = disj[row_of[r].first].rows[row_of[r].second];
      C.row(r) = row.c.transpose();
      cr[r] = -row.d;
    }
    const net::AffineLayer& out_layer = nw.layers[K];
    Buf<double> row_lo(size_t(R) * B, stream), row_hi(size_t(R) * B, stream);
    {
      // IBP of the rows through the last affine layer merged with C (also the floor for CROWN),
      // and the output layer's own bounds. The rows' magnitude is |C| times the output layer's
      // (merging C * W rounds too), plus |c|; both are widened before CROWN tightens them.
      DeviceLayer merged(C * out_layer.W, C * out_layer.b + cr, stream);
      const Matrix absC = C.cwiseAbs();
      const Vector abs_cr = cr.cwiseAbs();
      Buf<double> d_absC(absC.size(), stream), d_abs_cr(abs_cr.size(), stream), row_mag(size_t(R) * B, stream);
      d_absC.upload(absC.data(), absC.size());
      d_abs_cr.upload(abs_cr.data(), abs_cr.size());
      Buf<double> hlo, hhi;
      const double *plo = c.xlo.get(), *phi = c.xhi.get();
      if (K > 0) {
        std::tie(hlo, hhi) = post(c, K - 1);
        plo = hlo.get();
        phi = hhi.get();
      }
      mag = Buf<double>(size_t(c.dim[K]) * B, stream);
      if (R > 0) ibp(c, merged, plo, phi, K - 1, row_lo.get(), row_hi.get(), nullptr);
      ibp(c, layers[K], plo, phi, K - 1, c.lo[K].get(), c.hi[K].get(), mag.get());
      launch_abs_product(d_absC.get(), d_abs_cr.get(), mag.get(), R, c.dim[K], B, row_mag.get(), stream);
      launch_widen(row_lo.get(), row_hi.get(), row_mag.get(), size_t(R) * B, o.widen_rel, o.widen_abs, stream);
      widen(c, K, o, mag);
      // `merged` and the uploads are freed at the end of this block
      check(cudaStreamSynchronize(stream), "row bounds");
    }
    if (crown && o.tight_output && K > 0) {
      const int d = nw.output_dim();
      Matrix I2t(d, 2 * d);  // the rows [I; -I], transposed
      I2t << Matrix::Identity(d, d), -Matrix::Identity(d, d);
      const Matrix lam0 = out_layer.W.transpose() * I2t;
      const Vector c00 = (out_layer.b.transpose() * I2t).transpose();
      const Vector mag00 = (out_layer.b.cwiseAbs().transpose() * I2t.cwiseAbs()).transpose();
      Buf<double> d_lam0(lam0.size(), stream), d_c00(c00.size(), stream), d_mag00(mag00.size(), stream),
          lower(size_t(2) * d * B, stream);
      d_lam0.upload(lam0.data(), lam0.size());
      d_c00.upload(c00.data(), c00.size());
      d_mag00.upload(mag00.data(), mag00.size());
      Rows rows;
      rows.m = 2 * d;
      rows.lam0 = d_lam0.get();
      rows.c00 = d_c00.get();
      rows.mag00 = d_mag00.get();
      backsub(c, K, rows, o, lower.get(), nullptr);
      launch_merge_two_sided(c.lo[K].get(), c.hi[K].get(), lower.get(), d, B, stream);
      check(cudaStreamSynchronize(stream), "tight output bounds");
    }
    std::vector<Buf<double>> store;  // coefficients of the property rows per hidden layer, then the input
    if (crown && R > 0) {
      const Matrix lam0 = out_layer.W.transpose() * C.transpose();
      const Vector c00 = (out_layer.b.transpose() * C.transpose()).transpose() + cr;
      const Vector mag00 = (out_layer.b.cwiseAbs().transpose() * C.transpose().cwiseAbs()).transpose() + cr.cwiseAbs();
      Buf<double> d_lam0(lam0.size(), stream), d_c00(c00.size(), stream), d_mag00(mag00.size(), stream),
          lower(size_t(R) * B, stream);
      d_lam0.upload(lam0.data(), lam0.size());
      d_c00.upload(c00.data(), c00.size());
      d_mag00.upload(mag00.data(), mag00.size());
      for (int j = 0; j < K; ++j) store.emplace_back(size_t(c.dim[j]) * R * B, stream);
      store.emplace_back(size_t(n) * R * B, stream);
      Rows rows;
      rows.m = R;
      rows.lam0 = d_lam0.get();
      rows.c00 = d_c00.get();
      rows.mag00 = d_mag00.get();
      backsub(c, K, rows, o, lower.get(), &store);
      launch_max_into(row_lo.get(), lower.get(), size_t(R) * B, stream);
      check(cudaStreamSynchronize(stream), "property rows");
    }

    check(cudaStreamSynchronize(stream), "bounds computed");
    const auto t2 = Clock::now();
    // Results to the host, staged through pinned memory: the bounds first, then (CROWN) the
    // linear forms of each subdomain's worst disjunct's best row, chosen from those bounds.
    const bool forms = !store.empty();
    HostStage st;
    for (int k = 0; k <= K; ++k) {
      st.need<double>(size_t(c.dim[k]) * B);
      st.need<double>(size_t(c.dim[k]) * B);
    }
    st.need<double>(size_t(R) * B);
    st.need<int>(B);
    if (forms) {
      st.need<int64_t>(B);
      st.need<double>(size_t(n) * B);
      st.need<double>(size_t(n) * B);
      for (int j = 0; j < K; ++j) st.need<double>(size_t(c.dim[j]) * B);
    }
    st.reserve(down);
    std::vector<const double*> h_lo(K + 1), h_hi(K + 1);
    for (int k = 0; k <= K; ++k) {
      double* lo = st.take<double>(size_t(c.dim[k]) * B);
      double* hi = st.take<double>(size_t(c.dim[k]) * B);
      c.lo[k].download(lo, size_t(c.dim[k]) * B);
      c.hi[k].download(hi, size_t(c.dim[k]) * B);
      h_lo[k] = lo;
      h_hi[k] = hi;
    }
    double* h_row = st.take<double>(size_t(R) * B);
    row_lo.download(h_row, size_t(R) * B);
    int* h_infeasible = st.take<int>(B);
    c.infeasible.download(h_infeasible, B);
    check(cudaStreamSynchronize(stream), "download bounds");

    std::vector<bounds::SubdomainBounds> out(B);
    // Column b * R + row of the worst disjunct's best row (64-bit: B * R may pass 2^31).
    int64_t* sel = forms ? st.take<int64_t>(B) : nullptr;
    const int threads = util::usable_cores();
    util::parallel_pieces(B, threads, kMinPiece, [&](int b_begin, int b_end) {
      std::vector<int> best_row(disj.size());
      for (int b = b_begin; b < b_end; ++b) {
        bounds::SubdomainBounds& sb = out[b];
        sb.pre.resize(K + 1);
        for (int k = 0; k <= K; ++k) {
          const int d = c.dim[k];
          sb.pre[k] = {Eigen::Map<const Vector>(h_lo[k] + size_t(b) * d, d),
                       Eigen::Map<const Vector>(h_hi[k] + size_t(b) * d, d)};
        }
        sb.disjunct_lower =
            Vector::Constant(static_cast<Eigen::Index>(disj.size()), -std::numeric_limits<double>::infinity());
        std::fill(best_row.begin(), best_row.end(), -1);
        for (int r = 0; r < R; ++r) {
          const int dj = row_of[r].first;
          const double v = h_row[size_t(b) * R + r];
          if (v > sb.disjunct_lower[dj]) {
            sb.disjunct_lower[dj] = v;
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
        if (sel) sel[b] = worst >= 0 && best_row[worst] >= 0 ? int64_t(b) * R + best_row[worst] : -1;
        if (!sel || sel[b] < 0) sb.candidate = 0.5 * (subs[b].box.lo + subs[b].box.hi);
        if (h_infeasible[b]) {
          sb.infeasible = true;
          sb.margin_lower = std::numeric_limits<double>::infinity();
        }
      }
    });
    if (forms && std::any_of(sel, sel + B, [](int64_t v) { return v >= 0; })) {
      // The selected columns' linear forms: input coefficients, the box minimiser, hidden coefficients.
      Buf<int64_t> d_sel(B, stream);
      d_sel.upload(sel, B);
      Buf<double> coef(size_t(n) * B, stream), x(size_t(n) * B, stream);
      coef.fill_zero();
      launch_gather_columns(store[K].get(), n, d_sel.get(), B, coef.get(), stream);
      launch_box_minimiser(coef.get(), c.xlo.get(), c.xhi.get(), n, B, x.get(), stream);
      double* h_coef = st.take<double>(size_t(n) * B);
      double* h_x = st.take<double>(size_t(n) * B);
      coef.download(h_coef, size_t(n) * B);
      x.download(h_x, size_t(n) * B);
      std::vector<const double*> h_hidden(K);
      std::vector<Buf<double>> hidden;
      for (int j = 0; j < K; ++j) {
        hidden.emplace_back(size_t(c.dim[j]) * B, stream);
        hidden[j].fill_zero();
        launch_gather_columns(store[j].get(), c.dim[j], d_sel.get(), B, hidden[j].get(), stream);
        double* h = st.take<double>(size_t(c.dim[j]) * B);
        hidden[j].download(h, size_t(c.dim[j]) * B);
        h_hidden[j] = h;
      }
      check(cudaStreamSynchronize(stream), "download linear forms");
      util::parallel_pieces(B, threads, kMinPiece, [&](int b_begin, int b_end) {
        for (int b = b_begin; b < b_end; ++b) {
          if (sel[b] < 0) continue;
          bounds::SubdomainBounds& sb = out[b];
          sb.candidate = Eigen::Map<const Vector>(h_x + size_t(b) * n, n);
          sb.input_coef = Eigen::Map<const Vector>(h_coef + size_t(b) * n, n);
          sb.hidden_coef.reserve(K);
          for (int j = 0; j < K; ++j)
            sb.hidden_coef.push_back(Eigen::Map<const Vector>(h_hidden[j] + size_t(b) * c.dim[j], c.dim[j]));
        }
      });
    }
    check(cudaStreamSynchronize(stream), "end of call");
    const auto t3 = Clock::now();
    phases.pack_s += std::chrono::duration<double>(t1 - t0).count();
    phases.compute_s += std::chrono::duration<double>(t2 - t1).count();
    phases.results_s += std::chrono::duration<double>(t3 - t2).count();
    return out;
  }
};

CudaEngine::CudaEngine(int device) : impl_(std::make_unique<Impl>(device)) {}
CudaEngine::~CudaEngine() = default;

double CudaEngine::gemm_flops() const { return impl_->flops; }
CudaEngine::PhaseTimes CudaEngine::phase_times() const { return impl_->phases; }

std::vector<bounds::SubdomainBounds> CudaEngine::bound(const spec::Problem& problem,
                                                       const std::vector<bounds::Subdomain>& subs,
                                                       const bounds::BoundOptions& o, util::Stats* stats) {
  // alpha-CROWN, for the rows or the intermediate layers: the CPU engine. Masked layers wider
  // than the top-s kernels handle: the CPU engine too.
  if (o.method == bounds::Method::alpha ||
      (o.method != bounds::Method::ibp && o.intermediate == bounds::BoundOptions::Intermediate::alpha))
    return impl_->cpu->bound(problem, subs, o, stats);
  const net::LayeredNetwork& nw = *problem.net;
  const bool masks = std::any_of(subs.begin(), subs.end(), [](const bounds::Subdomain& s) { return !s.mask.empty(); });
  if (masks)
    for (int j = 0; j < nw.num_hidden(); ++j)
      if (nw.hidden_width(j) > kMaxTopkWidth) return impl_->cpu->bound(problem, subs, o, stats);
  const std::lock_guard<std::mutex> lock(impl_->busy);
  const auto t0 = std::chrono::steady_clock::now();
  check(cudaSetDevice(impl_->device), "cudaSetDevice");
  // Parts small enough that the stored coefficients of the property rows (R (n + sum d_j)
  // doubles per subdomain) and the per-layer buffers fit in half the free device memory.
  size_t free_bytes = 0, total_bytes = 0;
  check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
  size_t rows = 0, widths = 0;
  for (const auto& dj : problem.property.disjuncts) rows += dj.rows.size();
  for (int j = 0; j < nw.num_hidden(); ++j) widths += size_t(nw.hidden_width(j));
  const size_t per_sub = sizeof(double) * (rows * (size_t(nw.input_dim()) + widths) + 2 * size_t(nw.input_dim()) +
                                           8 * (widths + size_t(nw.output_dim())) + 2 * rows) + 64;
  const size_t part = std::clamp<size_t>(free_bytes / 2 / per_sub, 1, kMaxPart);
  std::vector<bounds::SubdomainBounds> out;
  out.reserve(subs.size());
  for (size_t s0 = 0; s0 < subs.size(); s0 += part) {
    const size_t count = std::min<size_t>(part, subs.size() - s0);
    auto r = impl_->bound_part(problem, std::span<const bounds::Subdomain>(subs.data() + s0, count), o);
    out.insert(out.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
  }
  if (stats) {
    stats->bound_calls += 1;
    stats->subdomains_bounded += static_cast<int64_t>(subs.size());
    stats->bound_time_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return out;
}

}  // namespace gpu
