// Copyright hvdb authors. The checks behind the public Validate() calls.
#include <cmath>

#include "hvdb/db.h"
#include "kernels/hamming.h"

namespace hvdb {

std::string Options::Validate() const {
  if (write_buffer_bytes < (size_t{1} << 16)) return "Options::write_buffer_bytes must be at least 65536";
  if (background_jobs < 1) return "Options::background_jobs must be at least 1";
  return {};
}

std::string IndexOptions::Validate(size_t dim) const {
  if (kind == "flat") return {};
  if (kind == "prefix") {
    if (prefix_bits == 0 || prefix_bits % 64 != 0 || prefix_bits >= dim) {
      return "prefix index: prefix_bits " + std::to_string(prefix_bits) + " must be a multiple of 64 below dim " +
             std::to_string(dim);
    }
    if (prefix_candidates == 0 || prefix_candidates > kernels::kMaxK) {
      return "prefix index: prefix_candidates must be in [1, " + std::to_string(kernels::kMaxK) + "]";
    }
    return {};
  }
  if (kind == "ivf") {
    if (ivf_nlist == 0 || ivf_nlist > kernels::kMaxK) {
      return "ivf index: nlist " + std::to_string(ivf_nlist) + " must be in [1, " + std::to_string(kernels::kMaxK) + "]";
    }
    if (ivf_nprobe == 0) return "ivf index: nprobe must be at least 1";
    if (ivf_iterations == 0 || ivf_iterations > 1000) {
      return "ivf index: iterations " + std::to_string(ivf_iterations) + " must be in [1, 1000]";
    }
    if (!(ivf_retrain_imbalance >= 1)) return "ivf index: retrain_imbalance must be at least 1";
    return {};
  }
  if (kind == "hnsw") {
    if (hnsw_m < 2 || hnsw_m > 256) return "hnsw index: m " + std::to_string(hnsw_m) + " must be in [2, 256]";
    if (hnsw_ef_construction == 0 || hnsw_ef_construction > 1u << 20) {
      return "hnsw index: ef_construction must be in [1, 1048576]";
    }
    if (hnsw_ef_search == 0 || hnsw_ef_search > 1u << 30) return "hnsw index: ef_search must be in [1, 2^30]";
    return {};
  }
  return "index '" + kind + "' is unknown (flat, prefix, ivf or hnsw)";
}

std::string CollectionOptions::Validate() const {
  if (Status s = ValidateDim(dim); !s.ok()) return "CollectionOptions::dim: " + s.message();
  if (std::string problem = index.Validate(dim); !problem.empty()) return problem;
  if (!(compact_threshold > 0 && compact_threshold <= 1)) {
    return "CollectionOptions::compact_threshold must be in (0, 1], got " + std::to_string(compact_threshold);
  }
  return {};
}

std::string SearchOptions::Validate() const {
  if (k == 0 && !max_distance) return "SearchOptions: k = 0 (no limit) needs max_distance";
  if (k > kernels::kMaxK) {
    return "SearchOptions::k is " + std::to_string(k) + "; at most " + std::to_string(kernels::kMaxK);
  }
  if (candidates > kernels::kMaxK) return "SearchOptions::candidates is above " + std::to_string(kernels::kMaxK);
  if (ef > (size_t{1} << 30)) return "SearchOptions::ef is above 2^30";
  if (device != Device::kAuto && device != Device::kCpu && device != Device::kGpu) return "SearchOptions::device is unknown";
  return {};
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
