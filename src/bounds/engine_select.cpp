// Choice of the BoundEngine by device (`--device cpu|cuda|auto`): the CPU engine always, the
// CUDA engine (cuda/) when the build has it (PRUNECERT_WITH_CUDA, set by cuda/CMakeLists.txt)
// and the runtime finds a device.
#include "src/util/errors.h"
#include "src/util/log.h"
#include "src/bounds/bound_engine.h"

#ifdef PRUNECERT_WITH_CUDA
#include "cuda/cuda_engine.h"
#endif

namespace bounds {

const char* to_string(Device d) {
  switch (d) {
    case Device::cpu: return "cpu";
    case Device::cuda: return "cuda";
    case Device::automatic: return "auto";
  }
  return "?";
}

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu;
  if (text == "cuda") return Device::cuda;
  if (text == "auto") return Device::automatic;
  throw util::InputError("--device", "", "'" + text + "' is not a device (cpu, cuda, auto)");
}

bool built_with_cuda() {
#ifdef PRUNECERT_WITH_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef PRUNECERT_WITH_CUDA
  return gpu::device_count();
#else
  return 0;
#endif
}

std::unique_ptr<BoundEngine> make_engine(Device device) {
  if (device == Device::cpu || (device == Device::automatic && cuda_device_count() == 0)) return make_cpu_engine();
#ifdef PRUNECERT_WITH_CUDA
  if (device == Device::automatic) {  // a device that cannot run this build's kernels: the CPU
    try {
      return std::make_unique<gpu::CudaEngine>(0);
    } catch (const util::InternalError& e) {
      util::log(util::LogLevel::normal, "warning: the CUDA device cannot be used (%s); bounding on the CPU\n", e.what());
      return make_cpu_engine();
    }
  }
#endif
  if (!built_with_cuda())
    throw util::InputError("--device", "", "'cuda': this prunecert was built without CUDA (nvcc not found at configure time)");
  if (cuda_device_count() == 0) throw util::InputError("--device", "", "'cuda': no CUDA device is available");
#ifdef PRUNECERT_WITH_CUDA
  return std::make_unique<gpu::CudaEngine>(0);
#else
  return make_cpu_engine();  // unreachable: built_with_cuda() is false
#endif
}

}  // namespace bounds
