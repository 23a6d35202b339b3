// Copyright hvdb authors. The keys of the host cache's rows and the map from a
// key to its row.
//
// Keys live in one blob (a varint length, then the bytes), reached through one
// 64-bit offset per row. The map is an open-addressing table of 32-bit row
// numbers (linear probing, load <= 3/4, backward-shift deletion) that compares
// candidates against the blob, so a key is stored once. Memory per row: 8
// bytes of offset, 1-3 bytes of length, 5.3-10.7 bytes of table.
//
// Not thread safe: the cache serializes mutation against readers.
#ifndef HVDB_DB_KEY_TABLE_H_
#define HVDB_DB_KEY_TABLE_H_

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "db/host_buffer.h"
#include "hvdb/status.h"

namespace hvdb::db {

inline constexpr uint32_t kNoRow32 = ~uint32_t{0};
// Rows one collection's cache may hold (row numbers are 32-bit in the map).
inline constexpr uint64_t kMaxCacheRows = kNoRow32 - 1;

uint64_t HashKey(std::string_view key);

// Row numbers found by key. The keys themselves are read through key_of(row).
class RowIndex {
 public:
  template <class KeyOf>
  uint32_t Find(std::string_view key, const KeyOf& key_of) const {
    if (slots_.empty()) return kNoRow32;
    for (size_t i = HashKey(key) & mask_;; i = (i + 1) & mask_) {
      const uint32_t row = slots_[i];
      if (row == kNoRow32) return kNoRow32;
      if (key_of(row) == key) return row;
    }
  }

  // REQUIRES: key_of(row) is not in the index.
  template <class KeyOf>
  void Insert(uint32_t row, const KeyOf& key_of) {
    InsertHashed(row, HashKey(key_of(row)), key_of);
  }
  // Insert with the key's hash already known. REQUIRES: as Insert.
  template <class KeyOf>
  void InsertHashed(uint32_t row, uint64_t hash, const KeyOf& key_of) {
    if ((count_ + 1) * 4 > slots_.size() * 3) Grow(key_of);
    size_t i = hash & mask_;
    while (slots_[i] != kNoRow32) i = (i + 1) & mask_;
    slots_[i] = row;
    ++count_;
  }
  // Starts loading the slot a key of this hash probes first.
  void Prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_], 1);
  }

  // REQUIRES: row is in the index.
  template <class KeyOf>
  void Erase(uint32_t row, const KeyOf& key_of) {
    size_t i = HashKey(key_of(row)) & mask_;
    while (slots_[i] != row) i = (i + 1) & mask_;
    // Backward shift: pull later members of the probe run into the hole.
    for (size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      const uint32_t moving = slots_[j];
      if (moving == kNoRow32) break;
      const size_t home = HashKey(key_of(moving)) & mask_;
      // Move when the hole i lies cyclically in [home, j).
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = moving;
        i = j;
      }
    }
    slots_[i] = kNoRow32;
    --count_;
  }

  // Room for `rows` entries in all without growing.
  template <class KeyOf>
  void Reserve(size_t rows, const KeyOf& key_of) {
    if (rows * 4 > slots_.size() * 3) Grow(key_of, rows);
  }

  // Empty, sized for `rows` entries without growing.
  void Reset(size_t rows) {
    size_t size = 16;
    while (size * 3 < rows * 4 + 4) size *= 2;
    slots_.assign(size, kNoRow32);
    slots_.shrink_to_fit();
    mask_ = size - 1;
    count_ = 0;
  }

  size_t size() const { return count_; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(uint32_t); }

 private:
  void Place(uint32_t row, std::string_view key) {
    size_t i = HashKey(key) & mask_;
    while (slots_[i] != kNoRow32) i = (i + 1) & mask_;
    slots_[i] = row;
  }

  template <class KeyOf>
  void Grow(const KeyOf& key_of, size_t rows = 0) {
    std::vector<uint32_t> old;
    old.swap(slots_);
    const size_t count = count_;
    Reset(std::max(count * 2 + 16, rows));
    for (uint32_t row : old) {
      if (row != kNoRow32) Place(row, key_of(row));
    }
    count_ = count;
  }

  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

// The keys of rows 0..size()-1 and an index over those marked indexed.
class KeyTable {
 public:
  // Stores `key` as row size(); not indexed yet.
  Status Append(std::string_view key);
  std::string_view key(size_t row) const {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(blob_.data()) +
                             reinterpret_cast<const uint64_t*>(offsets_.data())[row];
    size_t len = 0;
    int shift = 0;
    while (*p & 0x80) {
      len |= size_t{*p++ & 0x7fu} << shift;
      shift += 7;
    }
    len |= size_t{*p++} << shift;
    return {reinterpret_cast<const char*>(p), len};
  }
  // Hints for a later key(row), whose two loads depend on each other: the
  // row's offset first, its bytes (reading the offset) once that arrived.
  void PrefetchOffset(size_t row) const { __builtin_prefetch(reinterpret_cast<const uint64_t*>(offsets_.data()) + row); }
  void PrefetchKey(size_t row) const {
    __builtin_prefetch(blob_.data() + reinterpret_cast<const uint64_t*>(offsets_.data())[row]);
  }
  size_t size() const { return rows_; }

  // REQUIRES: row < size(), its key not in the index.
  void Index(uint32_t row) { index_.Insert(row, KeyOf()); }
  // Appends and indexes keys known to be distinct (an open), with the map's
  // cache misses overlapped: each row is indexed a few keys later, after its
  // slot was prefetched. Flush() indexes the rows still waiting.
  Status AppendDistinct(std::string_view key);
  void Flush();
  // REQUIRES: row is indexed.
  void Unindex(uint32_t row) { index_.Erase(row, KeyOf()); }
  // The indexed row holding `key`, or kNoRow32.
  uint32_t Find(std::string_view key) const { return index_.Find(key, KeyOf()); }
  // Makes room in the index for `rows` entries in all.
  void ReserveIndex(size_t rows) { index_.Reserve(rows, KeyOf()); }

  // Whether Append(key of key_bytes) would move the buffers (and so needs the
  // exclusive lock).
  bool NeedsGrowth(size_t key_bytes) const {
    return offsets_.capacity() < (rows_ + 1) * sizeof(uint64_t) || blob_.capacity() < blob_used_ + key_bytes + 10;
  }
  Status Reserve(size_t extra_rows, size_t extra_key_bytes) {
    HVDB_RETURN_IF_ERROR(offsets_.Reserve((rows_ + extra_rows) * sizeof(uint64_t)));
    return blob_.Reserve(blob_used_ + extra_key_bytes);
  }

  // Drops rows from `rows` onward. REQUIRES: none of them indexed.
  void Truncate(size_t rows);
  // Keeps the rows listed (increasing), renumbered 0..; rebuilds the blob and
  // an index of all of them.
  Status Compact(const std::vector<uint32_t>& keep);

  uint64_t blob_bytes() const { return blob_used_; }
  uint64_t memory_bytes() const { return rows_ * 8 + blob_used_ + index_.memory_bytes(); }

  // Reads a row's key for RowIndex.
  struct KeyOfRow {
    const KeyTable* table;
    std::string_view operator()(uint32_t row) const { return table->key(row); }
  };
  KeyOfRow KeyOf() const { return KeyOfRow{this}; }

 private:
  static constexpr size_t kWindow = 16;
  struct Waiting {
    uint32_t row;
    uint64_t hash;
  };
  Waiting waiting_[kWindow];
  size_t waiting_count_ = 0;
  HostBuffer offsets_;  // rows_ x uint64
  HostBuffer blob_;
  size_t rows_ = 0;
  size_t blob_used_ = 0;
  RowIndex index_;
};

}  // namespace hvdb::db

#endif  // HVDB_DB_KEY_TABLE_H_
