// Copyright hvdb authors. CRC-32C (Castagnoli), the checksum of every file
// hvdb writes itself (docs/format.md): SSE4.2's crc32 instruction where the
// CPU has it, a table otherwise; both give the same value.
#ifndef HVDB_KERNELS_CRC32C_H_
#define HVDB_KERNELS_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace hvdb::kernels {

// The CRC-32C of `crc`'s data followed by data[0, n): start with crc = 0.
// Crc32c("123456789", 9) == 0xe3069283.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

// The table form alone (tests compare it with the hardware form).
uint32_t Crc32cPortable(const void* data, size_t n, uint32_t crc = 0);

}  // namespace hvdb::kernels

#endif  // HVDB_KERNELS_CRC32C_H_
