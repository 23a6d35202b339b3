// Copyright hvdb authors. SearchDevice's default streaming: one chunk at a time.
#include "kernels/device/search_device.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "kernels/tie_word.h"

namespace hvdb::kernels {

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : device_(std::exchange(other.device_, nullptr)),
      handle_(std::exchange(other.handle_, 0)),
      bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    device_ = std::exchange(other.device_, nullptr);
    handle_ = std::exchange(other.handle_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (handle_ != 0) device_->FreeHandle(handle_);
  device_ = nullptr;
  handle_ = 0;
  bytes_ = 0;
}

Result<DeviceBuffer> SearchDevice::Allocate(size_t bytes) {
  HVDB_ASSIGN_OR_RETURN(const Handle handle, AllocateHandle(bytes));
  return DeviceBuffer(this, handle, bytes);
}

Status SearchDevice::StreamTopK(const uint64_t* host_rows, size_t n, size_t words, const uint64_t* host_tombstones,
                                size_t chunk_rows, const uint64_t* queries, size_t nq, size_t k,
                                std::vector<std::vector<Neighbor>>* out, uint64_t* uploaded_bytes) {
  if (chunk_rows == 0 || chunk_rows % 64 != 0) return Status::InvalidArgument("StreamTopK: chunk_rows not a multiple of 64");
  HVDB_ASSIGN_OR_RETURN(const DeviceBuffer rows, Allocate(chunk_rows * words * 8));
  HVDB_ASSIGN_OR_RETURN(const DeviceBuffer tombstones, Allocate(chunk_rows / 64 * 8));
  Status s;
  std::vector<Neighbor> found;
  for (size_t first = 0; s.ok() && first < n; first += chunk_rows) {
    const size_t count = std::min(chunk_rows, n - first);
    s = Upload(rows.handle(), 0, host_rows + first * words, count * words * 8);
    if (s.ok() && host_tombstones != nullptr) s = Upload(tombstones.handle(), 0, host_tombstones + first / 64, (count + 63) / 64 * 8);
    if (!s.ok()) break;
    *uploaded_bytes += count * words * 8;
    const size_t kk = std::min(k, count);
    found.assign(nq * kk, {});
    s = TopK(rows.handle(), count, words, host_tombstones ? tombstones.handle() : 0, queries, nq, kk, found.data());
    for (size_t q = 0; s.ok() && q < nq; ++q) {
      for (size_t i = 0; i < kk; ++i) {
        const Neighbor& hit = found[q * kk + i];
        if (hit.row != kNoRow) (*out)[q].push_back({hit.row + first, hit.distance});
      }
    }
  }
  return s;
}

Status SearchDevice::Bind(const uint64_t* a, const uint64_t* b, size_t n, size_t words, bool broadcast_b,
                          uint64_t* out) {
  for (size_t i = 0; i < n; ++i) {
    const uint64_t* y = broadcast_b ? b : b + i * words;
    for (size_t w = 0; w < words; ++w) out[i * words + w] = a[i * words + w] ^ y[w];
  }
  return Status::OK();
}

Status SearchDevice::Rotate(const uint64_t* in, size_t n, size_t words, size_t shift, uint64_t* out) {
  const size_t word_shift = shift / 64, bit_shift = shift % 64;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t* v = in + i * words;
    for (size_t w = 0; w < words; ++w) {
      const size_t hi = (w + words - word_shift) % words, lo = (hi + words - 1) % words;
      out[i * words + w] = bit_shift == 0 ? v[hi] : (v[hi] << bit_shift) | (v[lo] >> (64 - bit_shift));
    }
  }
  return Status::OK();
}

Status SearchDevice::Majority(const uint64_t* in, size_t groups, size_t members, size_t words, uint64_t tie_seed,
                              uint64_t* out) {
  std::vector<uint32_t> count(words * 64);
  for (size_t g = 0; g < groups; ++g) {
    std::fill(count.begin(), count.end(), 0);
    for (size_t m = 0; m < members; ++m) {
      const uint64_t* v = in + (g * members + m) * words;
      for (size_t bit = 0; bit < words * 64; ++bit) count[bit] += (v[bit / 64] >> (bit % 64)) & 1;
    }
    std::vector<uint64_t> parity(words, 0);
    for (size_t bit = 0; bit < words * 64; ++bit) parity[bit / 64] |= uint64_t{count[bit] & 1} << (bit % 64);
    for (size_t w = 0; w < words; ++w) {
      uint64_t greater = 0, tied = 0;
      for (size_t b = 0; b < 64; ++b) {
        const uint64_t c = count[w * 64 + b];
        greater |= uint64_t{2 * c > members} << b;
        tied |= uint64_t{2 * c == members} << b;
      }
      out[g * words + w] = MajorityWord(tie_seed, w, greater, tied, ShiftedParity(parity.data(), words, w));
    }
  }
  return Status::OK();
}

}  // namespace hvdb::kernels
