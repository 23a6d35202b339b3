// Copyright hvdb authors.
#include "db/host_cache.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace hvdb::db {

HostCache::HostCache(size_t words, bool pinned) : words_(words), arena_(pinned, /*huge_pages=*/true) {}

uint64_t HostCache::memory_bytes() const {
  const uint64_t rows = keys_.size();
  return rows * words_ * 8 + rows * 8 + (rows + 63) / 64 * 8 + keys_.memory_bytes();
}

Status HostCache::Grow(size_t extra_rows, size_t extra_key_bytes) {
  HVDB_RETURN_IF_ERROR(GrowRows(keys_.size() + extra_rows));
  return keys_.Reserve(extra_rows, extra_key_bytes);
}

Status HostCache::GrowRows(size_t rows) {
  if (rows > kMaxCacheRows) {
    return Status::ResourceExhausted("a collection holds at most " + std::to_string(kMaxCacheRows) + " rows");
  }
  HVDB_RETURN_IF_ERROR(arena_.Reserve(rows * words_ * 8));
  HVDB_RETURN_IF_ERROR(ids_.Reserve(rows * 8));
  return tombstones_.Reserve((rows + 63) / 64 * 8);
}

void HostCache::ZeroTombstoneWordFor(size_t row) {
  if (row % 64 == 0) reinterpret_cast<uint64_t*>(tombstones_.data())[row / 64] = 0;
}

Status HostCache::Insert(uint64_t id, std::string_view key, const char* bits) {
  if (staged() != 0) return Status::Unavailable("a bulk load is in progress");
  const size_t row = rows_;
  if (!HasRoomForRow(row)) {
    HVDB_RETURN_IF_ERROR(Grow(1 + row / 8, 0));
  }
  HVDB_RETURN_IF_ERROR(keys_.Append(key));
  std::memcpy(arena_.data() + row * words_ * 8, bits, words_ * 8);
  reinterpret_cast<uint64_t*>(ids_.data())[row] = id;
  ZeroTombstoneWordFor(row);
  keys_.Index(static_cast<uint32_t>(row));
  rows_ = row + 1;
  return Status::OK();
}

void HostCache::Overwrite(uint32_t row, const char* bits) {
  std::memcpy(arena_.data() + size_t{row} * words_ * 8, bits, words_ * 8);
}

void HostCache::Delete(uint32_t row) {
  keys_.Unindex(row);
  reinterpret_cast<uint64_t*>(tombstones_.data())[row / 64] |= uint64_t{1} << (row % 64);
  ++deleted_;
}

Status HostCache::Compact() {
  std::vector<uint32_t> keep;
  keep.reserve(live());
  for (size_t r = 0; r < rows_; ++r) {
    if (!is_deleted(r)) keep.push_back(static_cast<uint32_t>(r));
  }
  char* arena = arena_.data();
  uint64_t* ids = reinterpret_cast<uint64_t*>(ids_.data());
  const size_t row_bytes = words_ * 8;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i] == i) continue;
    std::memcpy(arena + i * row_bytes, arena + size_t{keep[i]} * row_bytes, row_bytes);
    ids[i] = ids[keep[i]];
  }
  HVDB_RETURN_IF_ERROR(keys_.Compact(keep));
  rows_ = keep.size();
  deleted_ = 0;
  std::memset(tombstones_.data(), 0, (rows_ + 63) / 64 * 8);
  arena_.Shrink(rows_ * row_bytes);
  ids_.Shrink(rows_ * 8);
  tombstones_.Shrink((rows_ + 63) / 64 * 8);
  return Status::OK();
}

bool HostCache::NeedsGrowth(size_t key_bytes) const {
  const size_t row = keys_.size();
  return keys_.NeedsGrowth(key_bytes) || !HasRoomForRow(row);
}

bool HostCache::HasRoomForRow(size_t row) const {
  return arena_.capacity() >= (row + 1) * words_ * 8 && ids_.capacity() >= (row + 1) * 8 &&
         tombstones_.capacity() >= (row / 64 + 1) * 8;
}

void HostCache::StageKey(uint64_t id, std::string_view key) {
  const size_t row = keys_.size();
  reinterpret_cast<uint64_t*>(ids_.data())[row] = id;
  ZeroTombstoneWordFor(row);
  (void)keys_.Append(key);
}

void HostCache::DiscardStaged() { keys_.Truncate(rows_); }

void HostCache::PublishStaged(const std::vector<uint32_t>& replaced) {
  for (uint32_t old : replaced) Delete(old);
  const size_t end = keys_.size();
  keys_.ReserveIndex(end);
  for (size_t r = rows_; r < end; ++r) keys_.Index(static_cast<uint32_t>(r));
  rows_ = end;
}

Status HostCache::AppendBitsForOpen(uint64_t id, const char* bits) {
  const size_t row = bits_rows_;
  if (!HasRoomForRow(row)) {
    HVDB_RETURN_IF_ERROR(GrowRows(2 * row + 1));  // not the keys: another thread fills them
  }
  std::memcpy(arena_.data() + row * words_ * 8, bits, words_ * 8);
  reinterpret_cast<uint64_t*>(ids_.data())[row] = id;
  ZeroTombstoneWordFor(row);
  bits_rows_ = row + 1;
  return Status::OK();
}

Status HostCache::AppendKeyForOpen(std::string_view key) {
  // Keys are unique by construction (the write path looks each one up);
  // DB::Verify checks it. Not comparing keys here keeps open at memory speed.
  return keys_.AppendDistinct(key);
}

Status HostCache::PrepareOpen(size_t rows, size_t key_bytes) {
  HVDB_RETURN_IF_ERROR(GrowRows(rows));
  HVDB_RETURN_IF_ERROR(keys_.Reserve(rows, key_bytes));
  keys_.ReserveIndex(rows);
  return Status::OK();
}

void HostCache::PopulateStaged(size_t rows) {
  // Populate works from the start of the buffer; pages already resident cost
  // a page-table walk only.
  arena_.Populate((keys_.size() + rows) * words_ * 8);
}

void HostCache::PopulateForOpen(size_t rows) {
  arena_.Populate(rows * words_ * 8);
  ids_.Populate(rows * 8);
}

Status HostCache::FinishOpen() {
  keys_.Flush();
  if (bits_rows_ != keys_.size()) {
    return Status::Corruption("the vectors family holds " + std::to_string(bits_rows_) +
                              " rows and the keys family " + std::to_string(keys_.size()));
  }
  rows_ = keys_.size();
  return Status::OK();
}

}  // namespace hvdb::db
