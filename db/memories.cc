// Copyright hvdb authors. Collection's accumulators and cleanup memory.
#include <cmath>
#include <cstdio>

#include "db/accumulator.h"
#include "db/collection_impl.h"
#include "hvdb/hdc.h"

namespace hvdb::db {

Status CollectionImpl::CheckAccumulatorName(std::string_view name) const {
  if (name.empty() || name.size() > kMaxAccumulatorNameBytes) {
    return Status::InvalidArgument("accumulator name of " + std::to_string(name.size()) +
                                   " bytes (1 to 1024 allowed)");
  }
  return CheckLive();
}

Status CollectionImpl::Accumulate(std::string_view name, std::span<const Hypervector> members, int32_t weight,
                                  const WriteOptions& options) {
  HVDB_RETURN_IF_ERROR(CheckAccumulatorName(name));
  if (weight == 0) return Status::InvalidArgument("accumulate with weight 0 changes nothing; give a non-zero weight");
  if (members.empty()) return Status::InvalidArgument("accumulate of no vectors into '" + std::string(name) + "'");
  for (size_t i = 0; i < members.size(); ++i) {
    HVDB_RETURN_IF_ERROR(CheckVector(members[i], "member " + std::to_string(i)));
  }
  MutexLock write(write_mu_);  // read-modify-write of one record
  HVDB_RETURN_IF_ERROR(CheckLive());
  Counters counters;
  auto stored = store_->GetAccumulator(descriptor_.id, name);
  if (stored.ok()) {
    HVDB_ASSIGN_OR_RETURN(counters, DecodeCounters(*stored, name, descriptor_.dim));
  } else if (stored.status().IsNotFound()) {
    counters.counts.assign(descriptor_.dim, 0);
  } else {
    return stored.status();
  }
  HVDB_RETURN_IF_ERROR(AddToCounters(&counters, members, weight).WithContext("accumulator '" + std::string(name) + "'"));
  storage::StoreBatch batch;
  batch.PutAccumulator(descriptor_.id, name, EncodeCounters(counters));
  return store_->Write(&batch, options.sync);
}

Result<Hypervector> CollectionImpl::ReadAccumulator(std::string_view name) const {
  HVDB_RETURN_IF_ERROR(CheckAccumulatorName(name));
  HVDB_ASSIGN_OR_RETURN(const std::string stored, store_->GetAccumulator(descriptor_.id, name));
  HVDB_ASSIGN_OR_RETURN(const Counters counters, DecodeCounters(stored, name, descriptor_.dim));
  return MajorityOf(counters, hdc::kDefaultTieSeed);
}

Result<int64_t> CollectionImpl::AccumulatorMembers(std::string_view name) const {
  HVDB_RETURN_IF_ERROR(CheckAccumulatorName(name));
  HVDB_ASSIGN_OR_RETURN(const std::string stored, store_->GetAccumulator(descriptor_.id, name));
  HVDB_ASSIGN_OR_RETURN(const Counters counters, DecodeCounters(stored, name, descriptor_.dim));
  return counters.members;
}

Status CollectionImpl::DropAccumulator(std::string_view name, const WriteOptions& options) {
  HVDB_RETURN_IF_ERROR(CheckAccumulatorName(name));
  MutexLock write(write_mu_);
  storage::StoreBatch batch;
  batch.DeleteAccumulator(descriptor_.id, name);
  return store_->Write(&batch, options.sync);
}

std::vector<std::string> CollectionImpl::ListAccumulators() const {
  if (!CheckLive().ok()) return {};
  return store_->ListAccumulators(descriptor_.id);
}

Result<SearchHit> CollectionImpl::Cleanup(const Hypervector& query, double min_sigmas) const {
  if (!std::isfinite(min_sigmas)) return Status::InvalidArgument("cleanup threshold is not finite");
  HVDB_ASSIGN_OR_RETURN(const std::vector<SearchHit> hits, Search(query, SearchOptions{.k = 1}, nullptr));
  if (hits.empty()) return Status::NotFound("cleanup: collection '" + descriptor_.name + "' is empty");
  // The test is on the integer distance, and the message says both
  // distances, so that it never reads "4.0 sigma (needs 4.0)" for a z of 3.98.
  // The largest distance at min_sigmas or more; 1e-9 absorbs the rounding of
  // the square root, so a distance exactly at the threshold passes.
  const double dim = static_cast<double>(descriptor_.dim);
  const double max_distance = std::floor(dim / 2 - min_sigmas * std::sqrt(dim) / 2 + 1e-9);
  if (static_cast<double>(hits[0].distance) > max_distance) {
    char detail[160];
    const double z = hdc::ZScore(hits[0].distance, descriptor_.dim);
    if (max_distance < 0) {
      std::snprintf(detail, sizeof detail, "distance %u (%.2f sigma); no distance reaches %g sigma at dim %zu",
                    hits[0].distance, z, min_sigmas, static_cast<size_t>(descriptor_.dim));
    } else {
      std::snprintf(detail, sizeof detail, "distance %u (%.2f sigma); cleanup needs distance <= %.0f (%g sigma)",
                    hits[0].distance, z, max_distance, min_sigmas);
    }
    return Status::NotFound("cleanup: nothing in '" + descriptor_.name + "' is related to the query; the nearest, " +
                            QuoteKey(hits[0].key) + ", is at " + detail);
  }
  return hits[0];
}

}  // namespace hvdb::db
