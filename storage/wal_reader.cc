// Copyright hvdb authors.
#include "storage/wal_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>

#include "kernels/crc32c.h"
#include "storage/endian.h"

namespace hvdb::storage {
namespace {

constexpr size_t kBlockBytes = 32768;
constexpr size_t kHeaderBytes = 7;
constexpr size_t kRecyclableHeaderBytes = 11;
enum Type : uint8_t {
  kZero = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4,
  kRecyclableFull = 5, kRecyclableFirst = 6, kRecyclableMiddle = 7, kRecyclableLast = 8,
  kSetCompression = 9,
};
constexpr uint32_t kMaskDelta = 0xa282ead8u;

uint32_t Unmask(uint32_t masked) {
  const uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// A batch's header: sequence (8) and count (4).
constexpr size_t kBatchHeaderBytes = 12;

// A fragment's CRC-32C: its type byte, the log number of a recyclable one
// (header kRecyclableHeaderBytes), then `length` bytes of payload.
uint32_t FragmentCrc(const unsigned char* h, size_t header, const char* payload, size_t length) {
  uint32_t crc = kernels::Crc32c(h + 6, 1);
  if (header == kRecyclableHeaderBytes) crc = kernels::Crc32c(h + 7, 4, crc);
  return kernels::Crc32c(payload, length, crc);
}

// Whether a fragment that starts a record, whole and with a matching CRC,
// begins at `at` (which leaves a header's room in its block).
bool RecordStartsAt(std::string_view data, size_t at) {
  const auto* h = reinterpret_cast<const unsigned char*>(data.data() + at);
  const uint8_t type = h[6];
  if (type != kFull && type != kFirst && type != kRecyclableFull && type != kRecyclableFirst) return false;
  const size_t header = type >= kRecyclableFull ? kRecyclableHeaderBytes : kHeaderBytes;
  const size_t length = h[4] | (size_t{h[5]} << 8);
  if (header + length > kBlockBytes - at % kBlockBytes || at + header + length > data.size()) return false;
  const uint32_t stored = static_cast<uint32_t>(GetLittleEndian(h, 4));
  return FragmentCrc(h, header, data.data() + at + header, length) == Unmask(stored);
}

// For a fragment at `at` whose length runs past the end of the file: a length
// one bit away from the stored one that fits and whose CRC matches the
// bytes (the fragment is whole; a flipped bit hit its length); 0 when none.
size_t LengthOneBitAway(std::string_view data, size_t at, size_t header, size_t block_left, uint32_t stored) {
  const auto* h = reinterpret_cast<const unsigned char*>(data.data() + at);
  const size_t length = h[4] | (size_t{h[5]} << 8);
  for (int bit = 0; bit < 16; ++bit) {
    const size_t candidate = length ^ (size_t{1} << bit);
    if (candidate == 0 || header + candidate > block_left || at + header + candidate > data.size()) continue;
    if (FragmentCrc(h, header, data.data() + at + header, candidate) == Unmask(stored)) return candidate;
  }
  return 0;
}

// Whether a record starts anywhere after `at`: then a fragment at `at` that
// runs past the end of the file, or zeroed bytes, are damage, not the end a
// crash leaves. Runs of zero bytes are skipped at memchr speed.
bool RecordAfter(std::string_view data, size_t at) {
  for (size_t p = at + 1; p + kHeaderBytes <= data.size(); ++p) {
    if (data[p] == 0 && data[p + kHeaderBytes - 1] == 0) {
      // A header starting in a run of zeros has its type byte 6 bytes on:
      // jump to 6 bytes before the next non-zero byte.
      const size_t nonzero = data.find_first_not_of('\0', p + kHeaderBytes - 1);
      if (nonzero == std::string_view::npos) return false;
      p = std::max(p, nonzero - (kHeaderBytes - 1));
    }
    if (kBlockBytes - p % kBlockBytes >= kHeaderBytes && RecordStartsAt(data, p)) return true;
  }
  return false;
}

// Past damage at `at`: the next offset in the same block where a record
// starts (its CRC makes a false find vanishingly unlikely), else the block's end.
size_t Resync(std::string_view data, size_t at) {
  const size_t block_end = std::min(data.size(), (at / kBlockBytes + 1) * kBlockBytes);
  for (size_t p = at + 1; p + kHeaderBytes <= block_end; ++p) {
    if (RecordStartsAt(data, p)) return p;
  }
  return block_end;
}

}  // namespace

Status ReadWal(const std::string& path, WalContents* out, WalKind kind, bool keep_batches) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::string why = "cannot read '" + path + "': " + std::strerror(errno);
    return errno == ENOENT ? Status::NotFound(why) : Status::IOError(why);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError("cannot read '" + path + "': " + std::strerror(errno));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* mapped = size > 0 ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  ::close(fd);
  if (mapped == MAP_FAILED) return Status::IOError("cannot map '" + path + "': " + std::strerror(errno));
  const std::unique_ptr<void, std::function<void(void*)>> unmap(mapped, [size](void* p) {
    if (p != nullptr) ::munmap(p, size);
  });
  const std::string_view data(static_cast<const char*>(mapped), size);

  *out = WalContents();
  auto damage = [&](uint64_t at, const std::string& what) {
    if (!out->damaged) {
      out->damaged = true;
      out->damage_offset = at;
      out->damage = what;
    }
  };
  std::string record;   // fragments of the record being assembled (kept batches only)
  size_t record_bytes = 0;
  uint64_t record_at = 0;
  bool in_record = false;
  size_t at = 0;
  // Damage at `at` whose length cannot be trusted: counted, then read on
  // from the next record that starts in the block (or the next block).
  auto skip_damage = [&](const std::string& what) {
    damage(at, what);
    const size_t next = Resync(data, at);
    out->unreadable_bytes += next - at;
    at = next;
    in_record = false;
  };
  while (at < data.size()) {
    const size_t block_left = kBlockBytes - at % kBlockBytes;
    if (block_left < kHeaderBytes) {  // the block's zero-filled trailer
      at += block_left;
      continue;
    }
    if (data.size() - at < kHeaderBytes) {
      out->torn_end = true;
      break;
    }
    const auto* h = reinterpret_cast<const unsigned char*>(data.data() + at);
    const uint32_t stored = static_cast<uint32_t>(GetLittleEndian(h, 4));
    const size_t length = h[4] | (size_t{h[5]} << 8);
    const uint8_t type = h[6];
    if (type == kZero && length == 0 && stored == 0) {
      // Zeros: preallocated space after what was written, the end; unless
      // records follow (a zeroed sector: RocksDB would skip the rest of the
      // block silently).
      if (!RecordAfter(data, at)) break;
      skip_damage("zeroed bytes, yet records follow them");
      continue;
    }
    const bool recyclable = type >= kRecyclableFull && type <= kRecyclableLast;
    const size_t header = recyclable ? kRecyclableHeaderBytes : kHeaderBytes;
    if (header + length > block_left) {
      skip_damage("a fragment of " + std::to_string(length) + " bytes runs past its 32 KiB block");
      continue;
    }
    if (at + header + length > data.size()) {
      if (!RecordAfter(data, at)) {
        // A crash while writing the last record, unless the fragment is whole
        // and only its length field was hit: its CRC then matches the bytes
        // at a length one bit away (a torn fragment matches with chance 2^-32).
        if (const size_t whole = LengthOneBitAway(data, at, header, block_left, stored); whole != 0) {
          skip_damage("a fragment's length field is damaged (" + std::to_string(length) +
                      "; its CRC-32C matches " + std::to_string(whole) + ")");
          continue;
        }
        out->torn_end = true;
        break;
      }
      skip_damage("a fragment's length runs past the end of the log, yet records follow it");
      continue;
    }
    const char* payload = data.data() + at + header;
    if (FragmentCrc(h, header, payload, length) != Unmask(stored)) {
      skip_damage("a fragment's CRC-32C does not match");
      continue;
    }
    const uint64_t fragment_at = at;
    at += header + length;
    if (type == kSetCompression) continue;  // a setting, not data
    const bool first = type == kFull || type == kFirst || type == kRecyclableFull || type == kRecyclableFirst;
    const bool last = type == kFull || type == kLast || type == kRecyclableFull || type == kRecyclableLast;
    const bool middle = type == kMiddle || type == kLast || type == kRecyclableMiddle || type == kRecyclableLast;
    if (!first && !middle) {
      damage(fragment_at, "a fragment of unknown type " + std::to_string(type));
      out->unreadable_bytes += header + length;
      in_record = false;
      continue;
    }
    if (first) {
      if (in_record) {
        damage(record_at, "a record whose last fragment is missing");
        out->unreadable_bytes += record_bytes;
      }
      record_bytes = length;
      if (keep_batches) record.assign(payload, length);
      record_at = fragment_at;
      in_record = true;
    } else if (!in_record) {
      damage(fragment_at, "a fragment without the start of its record");
      out->unreadable_bytes += header + length;
      continue;
    } else {
      record_bytes += length;
      if (keep_batches) record.append(payload, length);
    }
    if (!last) continue;
    in_record = false;
    if (kind != WalKind::kLog) continue;
    if (record_bytes < kBatchHeaderBytes) {
      damage(record_at, "a record of " + std::to_string(record_bytes) + " bytes is too short for a write batch");
      out->unreadable_bytes += record_bytes;
      continue;
    }
    ++out->batch_count;
    if (!keep_batches) continue;
    WalBatch batch;
    batch.offset = record_at;
    batch.sequence = GetLittleEndian(record.data(), 8);
    batch.count = static_cast<uint32_t>(GetLittleEndian(record.data() + 8, 4));
    batch.rep = std::move(record);
    record.clear();
    out->batches.push_back(std::move(batch));
  }
  if (in_record) out->torn_end = true;
  return Status::OK();
}

}  // namespace hvdb::storage
