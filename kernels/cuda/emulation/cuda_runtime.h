// Copyright hvdb authors. The CUDA emulation (test machinery, docs/gpu.md):
// what kernels/cuda/ uses of the CUDA runtime and of the device side, for the
// sources there compiled as host C++ in the -DHVDB_CUDA_EMULATION=ON build.
// This header stands in for the toolkit's <cuda_runtime.h> only in that
// build (its folder is first on the include path); a plain build never sees
// it. Nothing beyond what the project calls is here, so a new use fails to
// compile until it is emulated.
//
// Device memory is its own mappings with guard pages, readable only while a
// copy or a kernel runs, so a host pointer where a device one belongs (and
// the reverse) is an error, and an access past an allocation faults.
// Streams are threads that run their work in order, asynchronously to the
// caller. A kernel runs its blocks one after another; a block's threads are
// real threads meeting at a barrier for __syncthreads, so a missing barrier
// is a real data race (ThreadSanitizer sees it).
#ifndef HVDB_KERNELS_CUDA_EMULATION_CUDA_RUNTIME_H_
#define HVDB_KERNELS_CUDA_EMULATION_CUDA_RUNTIME_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#define HVDB_CUDA_EMULATED 1

// ---- Types and constants of the runtime API.
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
};

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

constexpr unsigned cudaStreamNonBlocking = 1;
constexpr unsigned cudaHostAllocPortable = 1;

struct CUstream_st;
struct CUevent_st;
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major;
  int minor;
  int multiProcessorCount;
};

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct alignas(16) ulonglong2 {
  unsigned long long x, y;
};

// ---- The runtime calls in use (kernels/cuda/emulation/runtime.cc).
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);
cudaError_t cudaMalloc(void** p, size_t bytes);
cudaError_t cudaFree(void* p);
cudaError_t cudaMallocHost(void** p, size_t bytes);
cudaError_t cudaHostAlloc(void** p, size_t bytes, unsigned flags);
cudaError_t cudaFreeHost(void* p);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* p, int value, size_t bytes);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaGetLastError();
const char* cudaGetErrorString(cudaError_t err);

// ---- The device side.
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __align__(n) __attribute__((aligned(n)))
// Blocks run one at a time (kernels too), so a block's shared memory is
// storage every thread of the running block sees.
#define __shared__ static

// The running thread's coordinates (set by the emulation's block threads).
extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;

namespace hvdb::cuda_emulation {
// Every thread of the running block waits here until all have arrived.
void SyncThreads();
// Dies, saying so, unless [p, p + bytes) is device memory, aligned:
// __ldg reads global memory only (on a GPU, a shared or host address faults).
void CheckGlobalLoad(const void* p, size_t bytes, size_t alignment);
// Dies, saying so, unless p is null or points into (or just past) a device
// allocation: what a kernel is given must be device memory.
void CheckKernelPointer(const char* kernel, const void* p);
// What each thread of every block runs; a launch's configuration.
using KernelBody = std::function<void()>;
// Checks the configuration (cudaGetLastError reports a bad one, as CUDA
// does), then queues the kernel on stream (null: the current device's).
void Launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, KernelBody body);

template <typename... Params>
class Launcher {
 public:
  Launcher(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream)
      : name_(name), kernel_(kernel), grid_(grid), block_(block), shared_bytes_(shared_bytes), stream_(stream) {}
  // The arguments are taken by value, as a launch does; each pointer must be
  // device memory (or null).
  template <typename... Args>
  void operator()(Args&&... args) const {
    static_assert(sizeof...(Args) == sizeof...(Params), "a kernel launch with the wrong number of arguments");
    std::tuple<std::decay_t<Params>...> values(std::forward<Args>(args)...);
    std::apply([&](const auto&... value) { (CheckArgument(value), ...); }, values);
    Launch(name_, grid_, block_, shared_bytes_, stream_,
           [kernel = kernel_, values = std::move(values)] { std::apply(kernel, values); });
  }

 private:
  template <typename T>
  void CheckArgument(const T& value) const {
    if constexpr (std::is_pointer_v<T>) CheckKernelPointer(name_, value);
  }

 public:

 private:
  const char* name_;
  void (*kernel_)(Params...);
  dim3 grid_, block_;
  size_t shared_bytes_;
  cudaStream_t stream_;
};
}  // namespace hvdb::cuda_emulation

// kernels/cuda/launch.h's HVDB_LAUNCH(kernel, grid, block, shared, stream)(args).
#define HVDB_EMULATED_LAUNCH(kernel, grid, block, shared_bytes, stream) \
  ::hvdb::cuda_emulation::Launcher(#kernel, kernel, grid, block, shared_bytes, stream)

inline void __syncthreads() { ::hvdb::cuda_emulation::SyncThreads(); }

template <typename T>
inline T __ldg(const T* p) {
  ::hvdb::cuda_emulation::CheckGlobalLoad(p, sizeof(T), alignof(T));
  return *p;
}
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }

template <typename T>
inline T atomicAdd(T* address, T value) {
  return std::atomic_ref<T>(*address).fetch_add(value);
}
template <typename T>
inline T atomicMin(T* address, T value) {
  std::atomic_ref<T> a(*address);
  T old = a.load();
  while (value < old && !a.compare_exchange_weak(old, value)) {
  }
  return old;
}

// CUDA's min and max for the integer types the kernels mix.
template <typename T>
inline T min(T a, T b) {
  return b < a ? b : a;
}
template <typename T>
inline T max(T a, T b) {
  return a < b ? b : a;
}

#endif  // HVDB_KERNELS_CUDA_EMULATION_CUDA_RUNTIME_H_
