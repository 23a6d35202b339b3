// Copyright hvdb authors. The checks behind the public Validate() calls.
#include <cmath>

#include "hvdb/db.h"
#include "index/index.h"
#include "kernels/hamming.h"

namespace hvdb {

Status Options::Validate() const {
  if (write_buffer_bytes < (size_t{1} << 16)) {
    return Status::InvalidArgument("Options::write_buffer_bytes must be at least 65536");
  }
  if (background_jobs < 1) return Status::InvalidArgument("Options::background_jobs must be at least 1");
  return Status::OK();
}

Status IndexOptions::Validate(size_t dim) const {
  bool known = false;
  for (IndexKind k : kAllIndexKinds) known |= k == kind;
  if (!known) {
    return Status::InvalidArgument("IndexOptions::kind " + std::to_string(static_cast<int>(kind)) + " is unknown");
  }
  return index::TypeOf(kind).validate(*this, dim);
}

Status CollectionOptions::Validate() const {
  if (Status s = ValidateDim(dim); !s.ok()) return Status::InvalidArgument("CollectionOptions::dim: " + s.message());
  HVDB_RETURN_IF_ERROR(index.Validate(dim));
  if (!(compact_threshold > 0 && compact_threshold <= 1)) {
    return Status::InvalidArgument("CollectionOptions::compact_threshold must be in (0, 1], got " +
                                   std::to_string(compact_threshold));
  }
  return Status::OK();
}

Status SearchOptions::Validate() const {
  if (k == 0 && !max_distance) return Status::InvalidArgument("SearchOptions: k = 0 (no limit) needs max_distance");
  if (k > kernels::kMaxK) {
    return Status::InvalidArgument("SearchOptions::k is " + std::to_string(k) + "; at most " +
                                   std::to_string(kernels::kMaxK));
  }
  if (candidates > kernels::kMaxK) {
    return Status::InvalidArgument("SearchOptions::candidates is above " + std::to_string(kernels::kMaxK));
  }
  if (ef > (size_t{1} << 30)) return Status::InvalidArgument("SearchOptions::ef is above 2^30");
  if (device != Device::kAuto && device != Device::kCpu && device != Device::kGpu) {
    return Status::InvalidArgument("SearchOptions::device is unknown");
  }
  return Status::OK();
}

Status ValidateCollectionName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("collection name is empty");
  if (name.size() > kMaxCollectionNameBytes) {
    return Status::InvalidArgument("collection name of " + std::to_string(name.size()) + " bytes; at most " +
                                   std::to_string(kMaxCollectionNameBytes));
  }
  if (name[0] == '.') return Status::InvalidArgument("collection name '" + std::string(name) + "' starts with '.'");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) {
      return Status::InvalidArgument("collection name '" + std::string(name) +
                                     "' has a character outside [A-Za-z0-9_.-]");
    }
  }
  return Status::OK();
}

Status ValidateKey(std::string_view key) {
  if (key.size() < kMinKeyBytes) return Status::InvalidArgument("key is empty (keys are 1 to 65536 bytes)");
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) + " bytes is too long (at most 65536)");
  }
  return Status::OK();
}

Result<std::vector<std::vector<SearchHit>>> Collection::SearchBatch(std::span<const Hypervector> queries,
                                                                    const SearchOptions& options,
                                                                    SearchStats* stats) const {
  std::vector<uint64_t> packed;
  packed.reserve(queries.size() * (dim() / 64));
  for (size_t i = 0; i < queries.size(); ++i) {
    if (queries[i].dim() != dim()) {
      return Status::InvalidArgument("collection '" + name() + "' has dim " + std::to_string(dim()) + ", query " +
                                     std::to_string(i) + " has " + std::to_string(queries[i].dim()));
    }
    packed.insert(packed.end(), queries[i].data(), queries[i].data() + queries[i].words());
  }
  return SearchBatch(packed.data(), queries.size(), options, stats);
}

}  // namespace hvdb
