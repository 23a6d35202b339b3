// Copyright hvdb authors. One collection's vectors in memory: the arena the
// search kernels scan.
//
// Rows are kept in row-id order (insertion order) in one contiguous, 64-byte
// aligned arena of rows x words 64-bit words, pinned when a CUDA device is
// present. Beside it: the row ids (the RocksDB row keys), the keys and the
// key -> row map (KeyTable), and a tombstone bitmap. An insert appends a row,
// a replace overwrites one, a delete sets its tombstone; Compact() slides the
// live rows together, keeping their order, so "smaller row" stays "inserted
// earlier" and ties break the same way before and after.
//
// Rows [0, rows()) are published. Rows staged beyond them (a bulk load in
// progress) are invisible to readers until PublishStaged.
//
// Thread safety: const methods may run concurrently with each other and with
// Stage* (which writes only beyond the published rows). Every other method,
// and a Stage* call that NeedsGrowth, needs exclusive access (REQUIRES:
// exclusive lock held by the caller).
#ifndef HVDB_DB_HOST_CACHE_H_
#define HVDB_DB_HOST_CACHE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "db/host_buffer.h"
#include "db/key_table.h"
#include "hvdb/status.h"

namespace hvdb::db {

class HostCache {
 public:
  HostCache(size_t words, bool pinned);

  size_t words() const { return words_; }
  size_t rows() const { return rows_; }
  uint64_t live() const { return rows_ - deleted_; }
  uint64_t deleted() const { return deleted_; }
  const uint64_t* arena() const { return reinterpret_cast<const uint64_t*>(arena_.data()); }
  const uint64_t* row(size_t r) const { return arena() + r * words_; }
  // The bitmap of deleted rows, or null when no published row is deleted.
  const uint64_t* tombstones() const { return deleted_ ? reinterpret_cast<const uint64_t*>(tombstones_.data()) : nullptr; }
  bool is_deleted(size_t r) const { return (reinterpret_cast<const uint64_t*>(tombstones_.data())[r / 64] >> (r % 64)) & 1; }
  uint64_t id(size_t r) const { return reinterpret_cast<const uint64_t*>(ids_.data())[r]; }
  // rows() row ids, increasing.
  const uint64_t* ids() const { return reinterpret_cast<const uint64_t*>(ids_.data()); }
  std::string_view key(size_t r) const { return keys_.key(r); }
  // Cache hints for key(r), a few lookups ahead: see KeyTable.
  void PrefetchKeyOffset(size_t r) const { keys_.PrefetchOffset(r); }
  void PrefetchKey(size_t r) const { keys_.PrefetchKey(r); }
  // The live row holding `key`, or kNoRow32.
  uint32_t Find(std::string_view key) const { return keys_.Find(key); }
  bool pinned() const { return arena_.pinned(); }
  // Bytes held: arena rows, ids, tombstones, keys and map.
  uint64_t memory_bytes() const;

  uint64_t arena_bytes() const { return uint64_t{rows_} * words_ * 8; }
  uint64_t key_bytes() const { return keys_.blob_bytes(); }

  // Writers (exclusive).
  // Appends and publishes a row. REQUIRES: key not present.
  Status Insert(uint64_t id, std::string_view key, const char* bits);
  void Overwrite(uint32_t row, const char* bits);
  // Tombstones a live row and forgets its key.
  void Delete(uint32_t row);
  bool ShouldCompact(double threshold) const { return deleted_ > 0 && deleted_ >= threshold * rows_; }
  Status Compact();
  // Capacity for `extra_rows` more rows and `extra_key_bytes` of keys.
  Status Grow(size_t extra_rows, size_t extra_key_bytes);
  // Capacity for `rows` rows of bits, ids and tombstones (not keys).
  Status GrowRows(size_t rows);

  // Staging (the single writer; see the class comment).
  size_t staged() const { return keys_.size() - rows_; }
  bool NeedsGrowth(size_t key_bytes) const;
  // The next staged row's bits are written straight into this slot, then the
  // row is committed with StageKey. REQUIRES: !NeedsGrowth(key.size()).
  char* NextStagedRow() { return arena_.data() + (keys_.size() * words_ * 8); }
  void StageKey(uint64_t id, std::string_view key);
  // Exclusive: drops staged rows.
  void DiscardStaged();
  // Exclusive: deletes `replaced` (the rows whose keys staged rows carry),
  // then publishes the staged rows. REQUIRES: staged keys are distinct and,
  // apart from `replaced`, new.
  void PublishStaged(const std::vector<uint32_t>& replaced);

  // Direct appends while nothing else can see the cache (open).
  Status AppendBitsForOpen(uint64_t id, const char* bits);
  // Room for about `rows` rows and `key_bytes` of keys before an open.
  Status PrepareOpen(size_t rows, size_t key_bytes);
  // Faults in the pages of the next `rows` staged rows of bits (see below).
  void PopulateStaged(size_t rows);
  // Faults in the pages `rows` rows of bits will use, in one call (cheaper
  // than a fault per page while copying).
  void PopulateForOpen(size_t rows);
  // Appends and indexes the next row's key.
  Status AppendKeyForOpen(std::string_view key);
  size_t key_rows() const { return keys_.size(); }
  // After open: publishes the rows appended. Corruption when keys and bits
  // disagree in number. Keys and bits may be appended by two threads at once.
  Status FinishOpen();

 private:
  void ZeroTombstoneWordFor(size_t row);
  // Whether row `row` fits the arena, ids and tombstones as they are.
  bool HasRoomForRow(size_t row) const;

  size_t words_;
  HostBuffer arena_;
  HostBuffer ids_;
  HostBuffer tombstones_;
  KeyTable keys_;
  size_t rows_ = 0;
  size_t bits_rows_ = 0;  // rows with bits written (open)
  uint64_t deleted_ = 0;
};

}  // namespace hvdb::db

#endif  // HVDB_DB_HOST_CACHE_H_
