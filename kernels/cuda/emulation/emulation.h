// Copyright hvdb authors. Inside the CUDA emulation: what its runtime calls
// (runtime.cc: devices, memory, copies) and its execution (execution.cc:
// streams, events, kernels) share.
#ifndef HVDB_KERNELS_CUDA_EMULATION_EMULATION_H_
#define HVDB_KERNELS_CUDA_EMULATION_EMULATION_H_

#include <functional>

#include "kernels/cuda/emulation/cuda_runtime.h"

namespace hvdb::cuda_emulation {

// The calling thread's device (cudaSetDevice), 0 until set.
int CurrentDevice();
// Records err as the calling thread's last error (cudaGetLastError) unless
// it is cudaSuccess; returns it.
cudaError_t Fail(cudaError_t err);

// Runs op after everything queued before it on stream (null: the calling
// thread's device's default stream), on the stream's own thread; returns at
// once.
void Enqueue(cudaStream_t stream, std::function<void()> op);
// Returns once everything queued on stream is done.
void Wait(cudaStream_t stream);
// Waits for every stream of device (cudaFree does, as CUDA's does).
void WaitForDevice(int device);

// A block thread calls it at each kernel's start: CheckGlobalLoad's cache
// of the allocation it last found goes.
void ForgetGlobalLoads();

// While one is alive device memory can be read and written; otherwise any
// access to it faults. Copies and kernels hold one.
class DeviceAccess {
 public:
  DeviceAccess();
  ~DeviceAccess();
  DeviceAccess(const DeviceAccess&) = delete;
  DeviceAccess& operator=(const DeviceAccess&) = delete;
};

}  // namespace hvdb::cuda_emulation

#endif  // HVDB_KERNELS_CUDA_EMULATION_EMULATION_H_
