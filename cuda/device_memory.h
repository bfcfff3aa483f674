// Device memory in an RAII holder and checked CUDA / cuBLAS calls (STYLE.md "CUDA"; CUTLASS
// tools/util device_memory.h). Internal to cuda/: CUDA types never leave this folder.
// Buffers are stream-ordered (cudaMallocAsync on the engine's stream, whose pool keeps freed
// blocks), so the per-call buffers of a BaB run cost no cudaMalloc after the first steps.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <vector>

#include "src/util/errors.h"

namespace gpu {

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw util::InternalError(std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}
inline void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw util::InternalError(std::string("cuBLAS: ") + what + ": " + cublasGetStatusString(s));
}

// An array of n T's in device memory, freed on the stream it was allocated on.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(size_t n, cudaStream_t stream) : n_(n), stream_(stream) {
    if (n_) check(cudaMallocAsync(reinterpret_cast<void**>(&d_), n_ * sizeof(T), stream_), "cudaMallocAsync");
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept { swap(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    DeviceBuffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~DeviceBuffer() {
    if (d_) cudaFreeAsync(d_, stream_);  // no throw from a destructor; errors surface at the next check
  }
  T* get() const { return d_; }
  size_t size() const { return n_; }
  void upload(const T* h, size_t n) {
    if (n > n_) throw util::InternalError("DeviceBuffer::upload: too many elements");
    if (n) check(cudaMemcpyAsync(d_, h, n * sizeof(T), cudaMemcpyHostToDevice, stream_), "upload");
  }
  void upload(const std::vector<T>& h) { upload(h.data(), h.size()); }
  void download(T* h, size_t n) const {
    if (n > n_) throw util::InternalError("DeviceBuffer::download: too many elements");
    if (n) check(cudaMemcpyAsync(h, d_, n * sizeof(T), cudaMemcpyDeviceToHost, stream_), "download");
  }
  void fill_zero() {
    if (n_) check(cudaMemsetAsync(d_, 0, n_ * sizeof(T), stream_), "cudaMemsetAsync");
  }

 private:
  void swap(DeviceBuffer& o) noexcept {
    std::swap(d_, o.d_);
    std::swap(n_, o.n_);
    std::swap(stream_, o.stream_);
  }
  T* d_ = nullptr;
  size_t n_ = 0;
  cudaStream_t stream_ = nullptr;
};

}  // namespace gpu
