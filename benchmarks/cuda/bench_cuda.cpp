// Subdomains bounded per second against batch size, CPU engine vs CUDA engine (issue 9), and
// the CUDA engine's achieved fraction of the GPU's peak FP64 rate (cuBLAS GEMM FLOPs / time).
// Subdomains are as BaB makes them: random half-width sub-boxes of the property's box with 20%
// of the ReLU phases fixed to those of a point inside, carrying the root's intermediate bounds
// (so CROWN back-substitutes the property rows only), and, with `full`, without them (CROWN
// for every intermediate layer's unstable neurons too).
// usage: bench_cuda NET SPEC [crown|ibp] [reuse|full] [max-batch] [cpu-max-batch] [cpu-cores] [seconds]
// The process is pinned to the first `cpu-cores` allowed cores (default 2): the CPU engine runs
// on them, and so does the CUDA engine's host side (packing the batch, building the results).
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "benchmarks/subdomain_sampler.h"
#include "src/bounds/bound_engine.h"
#include "src/net/io.h"
#include "src/spec/vnnlib.h"
#ifdef PRUNECERT_WITH_CUDA
#include "cuda/cuda_engine.h"
#endif

namespace {

using Clock = std::chrono::steady_clock;

struct Timing {
  double per_call_s = 0;
  int calls = 0;
};

// Repeats the call until `seconds` have passed (at least once, at most 50 times).
Timing time_calls(bounds::BoundEngine& e, const spec::Problem& p, const std::vector<bounds::Subdomain>& subs,
                  const bounds::BoundOptions& o, double seconds) {
  Timing t;
  const auto t0 = Clock::now();
  double elapsed = 0;
  do {
    e.bound(p, subs, o);
    ++t.calls;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < seconds && t.calls < 50);
  t.per_call_s = elapsed / t.calls;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string shared = PRUNECERT_SHARED_DIR;
  auto arg = [&](int i, const std::string& dflt) { return argc > i && *argv[i] ? std::string(argv[i]) : dflt; };
  const std::string net_path = arg(1, shared + "/benchmarks/vnncomp2021/mnistfc/mnist-net_256x2.onnx");
  const std::string spec_path = arg(2, shared + "/benchmarks/vnncomp2021/mnistfc/prop_0_0.03.vnnlib");
  bounds::BoundOptions o;
  o.method = bounds::parse_method(arg(3, "crown"));
  const bool reuse = arg(4, "reuse") == "reuse";
  const int max_batch = std::stoi(arg(5, "16384"));
  const int cpu_max_batch = std::stoi(arg(6, "4096"));
  const int cpu_cores = std::stoi(arg(7, "2"));
  const double seconds = std::stod(arg(8, "1.0"));

  auto net = std::make_shared<const net::LayeredNetwork>(net::read_network(net_path).layered());
  spec::Spec s = spec::read_vnnlib(spec_path);
  spec::Problem p;
  p.net = net;
  p.box = s.cases[0].box;
  p.property = s.cases[0].property;
  const std::vector<bounds::Subdomain> all = bench_util::sample_subdomains(p, max_batch, reuse, 1);

  std::printf("network   %s\nproperty  %s\nmethod    %s, %s\n", net_path.c_str(), spec_path.c_str(),
              bounds::to_string(o.method), reuse ? "intermediate bounds reused from the root (as in BaB)" : "full");
  cpu_set_t allowed, pinned;
  sched_getaffinity(0, sizeof(allowed), &allowed);
  CPU_ZERO(&pinned);
  int taken = 0;
  for (int c = 0; c < CPU_SETSIZE && taken < cpu_cores; ++c)
    if (CPU_ISSET(c, &allowed)) {
      CPU_SET(c, &pinned);
      ++taken;
    }
  // Both engines run on the same cores: the CUDA engine's host side (packing, results) too.
  sched_setaffinity(0, sizeof(pinned), &pinned);
  std::printf("cpu       pinned to %d of %d allowed cores (the CPU engine, and the CUDA engine's host side)\n", taken,
              CPU_COUNT(&allowed));

  std::unique_ptr<bounds::BoundEngine> gpu;
  double peak_vec = 0, peak_tc = 0;
#ifdef PRUNECERT_WITH_CUDA
  if (gpu::device_count() > 0) {
    const gpu::DeviceInfo info = gpu::device_info(0);
    peak_vec = info.peak_fp64_gflops;
    peak_tc = info.peak_fp64_tensor_gflops;
    std::printf("gpu       %s (sm_%d%d, %d SMs, %.3f GHz): peak FP64 %.0f GFLOP/s, FP64 tensor %.0f GFLOP/s%s\n",
                info.name.c_str(), info.major, info.minor, info.sm_count, info.clock_ghz, peak_vec, peak_tc,
                peak_vec > 0 ? "" : " (unknown architecture)");
    gpu = std::make_unique<gpu::CudaEngine>(0);
  } else {
    std::printf("gpu       none: no CUDA device present, CPU only\n");
  }
#else
  std::printf("gpu       none: this build has no CUDA, CPU only\n");
#endif
  std::printf("\n%8s %14s %14s %8s %12s %10s %10s %9s %9s %9s\n", "batch", "cpu subdom/s", "cuda subdom/s", "ratio",
              "cuda GFLOP/s", "of FP64", "of FP64 TC", "pack ms", "bound ms", "result ms");
  auto cpu = bounds::make_cpu_engine();
  for (int B = 1; B <= max_batch; B *= 4) {
    const std::vector<bounds::Subdomain> subs(all.begin(), all.begin() + B);
    double cpu_rate = 0, gpu_rate = 0, gflops = 0;
    double phase_ms[3] = {0, 0, 0};  // CUDA call: pack+upload, compute, download+results
    if (B <= cpu_max_batch) {
      cpu->bound(p, subs, o);  // warm-up
      cpu_rate = B / time_calls(*cpu, p, subs, o, seconds).per_call_s;
    }
#ifdef PRUNECERT_WITH_CUDA
    if (gpu) {
      auto& g = static_cast<gpu::CudaEngine&>(*gpu);
      g.bound(p, subs, o);  // warm-up: weights, memory pool
      const double f0 = g.gemm_flops();
      const gpu::CudaEngine::PhaseTimes p0 = g.phase_times();
      const Timing t = time_calls(g, p, subs, o, seconds);
      gpu_rate = B / t.per_call_s;
      gflops = (g.gemm_flops() - f0) / t.calls / t.per_call_s * 1e-9;
      const gpu::CudaEngine::PhaseTimes p1 = g.phase_times();
      phase_ms[0] = (p1.pack_s - p0.pack_s) / t.calls * 1e3;
      phase_ms[1] = (p1.compute_s - p0.compute_s) / t.calls * 1e3;
      phase_ms[2] = (p1.results_s - p0.results_s) / t.calls * 1e3;
    }
#endif
    auto show = [](double v, const char* fmt) {
      static char buf[12][32];  // nine per printed line
      static int i = 0;
      i = (i + 1) % 12;
      if (v > 0) std::snprintf(buf[i], sizeof(buf[i]), fmt, v);
      else std::snprintf(buf[i], sizeof(buf[i]), "-");
      return buf[i];
    };
    std::printf("%8d %14s %14s %8s %12s %10s %10s %9s %9s %9s\n", B, show(cpu_rate, "%.1f"), show(gpu_rate, "%.1f"),
                show(cpu_rate > 0 && gpu_rate > 0 ? gpu_rate / cpu_rate : 0, "%.2fx"), show(gflops, "%.1f"),
                show(peak_vec > 0 ? gflops / peak_vec : 0, "%.4f"), show(peak_tc > 0 ? gflops / peak_tc : 0, "%.4f"),
                show(phase_ms[0], "%.2f"), show(phase_ms[1], "%.2f"), show(phase_ms[2], "%.2f"));
    std::fflush(stdout);
  }
  return 0;
}
