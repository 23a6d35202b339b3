// Copyright hvdb authors. AVX-512 VPOPCNTDQ kernel. Compiled with
// -mavx512f -mavx512vpopcntdq (and bw/vl/dq for the helpers).
#include "kernels/cpu/isa_avx512.h"
#include "kernels/cpu/kernel_impl.h"

namespace hvdb::kernels::cpu {
const KernelTable& Avx512Kernel() { return TableOf<Avx512Isa>(); }
}  // namespace hvdb::kernels::cpu
