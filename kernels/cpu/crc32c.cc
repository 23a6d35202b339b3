// Copyright hvdb authors.
#include "kernels/crc32c.h"

#include <array>

namespace hvdb::kernels {

// crc32c_sse42.cc; only called where the CPU has SSE4.2.
uint32_t Crc32cSse42(const unsigned char* p, size_t n, uint32_t state);

namespace {

constexpr uint32_t kPolynomial = 0x82f63b78;  // Castagnoli, reflected

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? kPolynomial : 0);
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kTable = MakeTable();

bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}

}  // namespace

uint32_t Crc32cPortable(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t state = ~crc;
  for (size_t i = 0; i < n; ++i) state = (state >> 8) ^ kTable[(state ^ p[i]) & 0xff];
  return ~state;
}

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) {
#if defined(__x86_64__)
  if (HaveSse42()) return ~Crc32cSse42(static_cast<const unsigned char*>(data), n, ~crc);
#endif
  return Crc32cPortable(data, n, crc);
}

}  // namespace hvdb::kernels
