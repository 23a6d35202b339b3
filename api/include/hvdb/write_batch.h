// Copyright hvdb authors. A group of puts and deletes applied atomically.
#ifndef HVDB_WRITE_BATCH_H_
#define HVDB_WRITE_BATCH_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/hypervector.h"

namespace hvdb {

// Puts and deletes for one collection, applied by Collection::Write all
// together or not at all. Operations on the same key apply in the order they
// were added (a put then a delete leaves the key absent). Nothing is checked
// until Write, which rejects the whole batch when any operation is invalid.
//
// Thread safety: a batch is a value; use one batch from one thread at a time.
class WriteBatch {
 public:
  struct Op {
    bool is_delete = false;
    std::string key;
    Hypervector vector;  // empty for a delete
  };

  void Put(std::string_view key, const Hypervector& vector) { ops_.push_back({false, std::string(key), vector}); }
  void Put(std::string_view key, Hypervector&& vector) { ops_.push_back({false, std::string(key), std::move(vector)}); }
  void Delete(std::string_view key) { ops_.push_back({true, std::string(key), Hypervector()}); }
  void Clear() { ops_.clear(); }

  size_t Count() const { return ops_.size(); }
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
};

}  // namespace hvdb

#endif  // HVDB_WRITE_BATCH_H_
