// Copyright hvdb authors. CRC-32C with SSE4.2's crc32 instruction (built with
// -msse4.2; called only where the CPU has it).
#include <nmmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace hvdb::kernels {

uint32_t Crc32cSse42(const unsigned char* p, size_t n, uint32_t state);

uint32_t Crc32cSse42(const unsigned char* p, size_t n, uint32_t state) {
  uint64_t s = state;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    s = _mm_crc32_u64(s, word);
  }
  auto s32 = static_cast<uint32_t>(s);
  for (; n > 0; ++p, --n) s32 = _mm_crc32_u8(s32, *p);
  return s32;
}

}  // namespace hvdb::kernels
