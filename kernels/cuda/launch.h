// Copyright hvdb authors. HVDB_LAUNCH(kernel, grid, block, shared_bytes,
// stream)(args...): a kernel launch that nvcc compiles as
// kernel<<<grid, block, shared_bytes, stream>>>(args...) and the CUDA
// emulation (kernels/cuda/emulation/cuda_runtime.h) runs on CPU threads.
// Every launch in kernels/cuda/ is written this way and nothing else there
// differs between the two builds.
#ifndef HVDB_KERNELS_CUDA_LAUNCH_H_
#define HVDB_KERNELS_CUDA_LAUNCH_H_

#include <cuda_runtime.h>

#if defined(HVDB_CUDA_EMULATED)
#define HVDB_LAUNCH(kernel, grid, block, shared_bytes, stream) \
  HVDB_EMULATED_LAUNCH(kernel, grid, block, shared_bytes, stream)
#else
#define HVDB_LAUNCH(kernel, grid, block, shared_bytes, stream) kernel<<<grid, block, shared_bytes, stream>>>
#endif

#endif  // HVDB_KERNELS_CUDA_LAUNCH_H_
