// The CUDA BoundEngine: the public header of cuda/ (no CUDA types; STYLE.md "Heavy back ends
// behind a small header"). It computes the same IBP and CROWN bounds as the CPU engine
// (src/bounds/cpu_engine.cpp), in double, for a whole batch of subdomains per call: cuBLAS
// GEMMs for the affine layers and the back-substitution, elementwise kernels for phases,
// relaxations and masks, the network's weights uploaded once per engine and network.
// alpha-CROWN (BoundOptions::method alpha, or intermediate alpha) is delegated to the CPU
// engine. ReLU-splitting BaB runs alpha-CROWN in its loop by default (BabOptions::relu_alpha,
// without a certificate), so with `--device cuda` its batches are bounded on the CPU; input
// splitting, `--certificate` runs, pruning budgets and `--no-relu-alpha` use the GPU.
// Select engines with bounds::make_engine (src/bounds/engine_select.cpp), not directly.
#pragma once
#include <memory>
#include <string>

#include "src/bounds/bound_engine.h"

namespace gpu {

// CUDA devices the runtime sees; 0 when there is none or no driver (never throws).
int device_count();

struct DeviceInfo {
  std::string name;
  int major = 0, minor = 0;   // compute capability
  int sm_count = 0;
  double clock_ghz = 0;       // peak SM clock
  // Peak double-precision rates in GFLOP/s from SMs x clock x FP64 FMAs per SM and cycle (2 FLOPs
  // each), for the compute capabilities whose FP64 units we know (8.0 A100, 9.0 H100/H200); 0 otherwise.
  double peak_fp64_gflops = 0;         // CUDA cores
  double peak_fp64_tensor_gflops = 0;  // FP64 tensor cores (DMMA, used by cuBLAS DGEMM)
};
DeviceInfo device_info(int device);

class CudaEngine final : public bounds::BoundEngine {
 public:
  // Throws util::InternalError when the device cannot be used.
  explicit CudaEngine(int device = 0);
  ~CudaEngine() override;
  const char* name() const override { return "cuda"; }
  std::vector<bounds::SubdomainBounds> bound(const spec::Problem& problem, const std::vector<bounds::Subdomain>& batch,
                                             const bounds::BoundOptions& options, util::Stats* stats = nullptr) override;
  // Double-precision FLOPs issued as cuBLAS GEMMs since construction (2 m n k each): the work
  // counted for the benchmark's fraction of peak (the elementwise kernels are not counted).
  double gemm_flops() const;
  // Wall-clock seconds since construction in the three phases of a call: packing and uploading
  // the batch (host), computing the bounds (device, up to a synchronisation), downloading the
  // results and building the host-side SubdomainBounds.
  struct PhaseTimes {
    double pack_s = 0, compute_s = 0, results_s = 0;
  };
  PhaseTimes phase_times() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpu
