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

// Page-locked host memory, grown on demand and kept: the engine stages every upload and
// download of a call through it, so copies run at the bus's speed (pageable memory goes
// through the driver's own bounce buffer) and can be issued asynchronously. Carved per call
// by HostStage below; growing it invalidates pointers carved before.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() {
    if (p_) cudaFreeHost(p_);
  }
  // At least `bytes` bytes; the old contents are not kept.
  void reserve(size_t bytes) {
    if (bytes <= n_) return;
    if (p_) check(cudaFreeHost(p_), "cudaFreeHost");
    p_ = nullptr;
    n_ = 0;
    const size_t want = bytes + bytes / 2;
    check(cudaMallocHost(reinterpret_cast<void**>(&p_), want), "cudaMallocHost");
    n_ = want;
  }
  unsigned char* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  unsigned char* p_ = nullptr;
  size_t n_ = 0;
};

// A bump allocator over a PinnedBuffer: first count (need<T>(n) for every array), then
// reserve, then take<T>(n) in any order. Arrays are 64-byte aligned.
class HostStage {
 public:
  template <class T>
  static size_t bytes(size_t n) {
    return (n * sizeof(T) + 63) & ~size_t{63};
  }
  template <class T>
  void need(size_t n) {
    needed_ += bytes<T>(n);
  }
  void reserve(PinnedBuffer& buf) {
    buf.reserve(needed_);
    buf_ = &buf;
    used_ = 0;
  }
  template <class T>
  T* take(size_t n) {
    const size_t b = bytes<T>(n);
    if (!buf_ || used_ + b > needed_) throw util::InternalError("HostStage::take: more than counted");
    T* p = reinterpret_cast<T*>(buf_->data() + used_);
    used_ += b;
    return p;
  }

 private:
  PinnedBuffer* buf_ = nullptr;
  size_t needed_ = 0, used_ = 0;
};

}  // namespace gpu
