// Copyright hvdb authors.
#include "db/key_table.h"

#include <cstring>

#include "hdc/splitmix.h"

namespace hvdb::db {
namespace {

}  // namespace

uint64_t HashKey(std::string_view key) {
  uint64_t h = hdc::kGoldenGamma ^ key.size();
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, key.data() + i, 8);
    h = hdc::SplitMixFinalize(h ^ v) + hdc::kGoldenGamma;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, key.data() + i, key.size() - i);
  return hdc::SplitMixFinalize(h ^ tail);
}

Status KeyTable::Append(std::string_view key) {
  HVDB_RETURN_IF_ERROR(offsets_.Reserve((rows_ + 1) * sizeof(uint64_t)));
  HVDB_RETURN_IF_ERROR(blob_.Reserve(blob_used_ + key.size() + 10));
  reinterpret_cast<uint64_t*>(offsets_.data())[rows_] = blob_used_;
  unsigned char* p = reinterpret_cast<unsigned char*>(blob_.data()) + blob_used_;
  size_t len = key.size();
  while (len >= 0x80) {
    *p++ = static_cast<unsigned char>(len | 0x80);
    len >>= 7;
  }
  *p++ = static_cast<unsigned char>(len);
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  blob_used_ = static_cast<size_t>(p - reinterpret_cast<unsigned char*>(blob_.data()));
  ++rows_;
  return Status::OK();
}

Status KeyTable::AppendDistinct(std::string_view key) {
  const uint64_t hash = HashKey(key);
  HVDB_RETURN_IF_ERROR(Append(key));
  index_.Prefetch(hash);
  Waiting& slot = waiting_[waiting_count_++ % kWindow];
  if (waiting_count_ > kWindow) index_.InsertHashed(slot.row, slot.hash, KeyOf());
  slot = {static_cast<uint32_t>(rows_ - 1), hash};
  return Status::OK();
}

void KeyTable::Flush() {
  const size_t pending = std::min(waiting_count_, kWindow);
  for (size_t i = waiting_count_ - pending; i < waiting_count_; ++i) {
    const Waiting& w = waiting_[i % kWindow];
    index_.InsertHashed(w.row, w.hash, KeyOf());
  }
  waiting_count_ = 0;
}

void KeyTable::Truncate(size_t rows) {
  if (rows >= rows_) return;
  blob_used_ = reinterpret_cast<const uint64_t*>(offsets_.data())[rows];
  rows_ = rows;
}

Status KeyTable::Compact(const std::vector<uint32_t>& keep) {
  // Keys only move toward the front, so the blob is rewritten in place.
  uint64_t* offsets = reinterpret_cast<uint64_t*>(offsets_.data());
  char* blob = blob_.data();
  size_t used = 0;
  for (size_t i = 0; i < keep.size(); ++i) {
    const uint64_t from = offsets[keep[i]];
    const std::string_view k = key(keep[i]);
    const size_t bytes = static_cast<size_t>(k.data() + k.size() - (blob + from));
    std::memmove(blob + used, blob + from, bytes);
    offsets[i] = used;
    used += bytes;
  }
  rows_ = keep.size();
  blob_used_ = used;
  offsets_.Shrink(rows_ * sizeof(uint64_t));
  blob_.Shrink(blob_used_);
  index_.Reset(rows_);
  for (size_t i = 0; i < rows_; ++i) index_.Insert(static_cast<uint32_t>(i), KeyOf());
  return Status::OK();
}

}  // namespace hvdb::db
