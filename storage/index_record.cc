// Copyright hvdb authors.
#include "storage/index_record.h"

#include <cereal/types/vector.hpp>

#include "storage/cereal_record.h"

namespace hvdb::storage {
namespace {

constexpr std::string_view kMagic = "HVDBIVF1";

}  // namespace

std::string EncodeIvfRecord(const IvfRecord& record) {
  return EncodeCerealRecord(kMagic, kIvfRecordVersion, [&](auto& archive) {
    archive(record.nlist, record.words, record.trained_rows, record.trained_imbalance, record.centroids);
  });
}

Result<IvfRecord> DecodeIvfRecord(std::string_view bytes) {
  IvfRecord record;
  HVDB_RETURN_IF_ERROR(DecodeCerealRecord(bytes, kMagic, kIvfRecordVersion, "ivf index record", [&](auto& archive, uint32_t) {
    archive(record.nlist, record.words, record.trained_rows, record.trained_imbalance, record.centroids);
  }));
  if (record.centroids.size() != uint64_t{record.nlist} * record.words) {
    return Status::Corruption("ivf index record holds " + std::to_string(record.centroids.size()) +
                              " centroid words; nlist " + std::to_string(record.nlist) + " x words " +
                              std::to_string(record.words) + " expected");
  }
  return record;
}

}  // namespace hvdb::storage
