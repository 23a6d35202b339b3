// Copyright hvdb authors. Launchers of the HDC batch kernels (hdc_kernels.cu):
// the GPU forms of bind, permute and bundle. Plain types only (nvcc, C++17).
// Launches are asynchronous on the current device's default stream; each
// returns cudaGetLastError().
#ifndef HVDB_KERNELS_CUDA_HDC_KERNELS_H_
#define HVDB_KERNELS_CUDA_HDC_KERNELS_H_

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace hvdb::kernels::cuda {

// out = a XOR b, n x words (b: one row when broadcast_b).
cudaError_t LaunchXorRows(const uint64_t* a, const uint64_t* b, size_t n, size_t words, bool broadcast_b, uint64_t* out);
// out row = row rotated towards higher bits by word_shift x 64 + bit_shift.
cudaError_t LaunchRotateRows(const uint64_t* in, size_t n, size_t words, size_t word_shift, unsigned bit_shift,
                             uint64_t* out);
// out row g = the bitwise majority of the group's members; exact halves are
// ties, broken by MajorityWord(tie_seed, ...) (kernels/tie_word.h).
cudaError_t LaunchMajorityRows(const uint64_t* in, size_t groups, size_t members, size_t words, uint64_t tie_seed,
                               uint64_t* out);

}  // namespace hvdb::kernels::cuda

#endif  // HVDB_KERNELS_CUDA_HDC_KERNELS_H_
