// Copyright hvdb authors.
#include "storage/index_record.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>

namespace hvdb::storage {
namespace {

constexpr std::string_view kMagic = "HVDBIVF1";

}  // namespace

std::string EncodeIvfRecord(const IvfRecord& record) {
  std::ostringstream out;
  out.write(kMagic.data(), kMagic.size());
  {
    cereal::PortableBinaryOutputArchive archive(out);
    archive(kIvfRecordVersion, record.nlist, record.words, record.trained_rows, record.trained_imbalance,
            record.centroids);
  }
  return std::move(out).str();
}

Result<IvfRecord> DecodeIvfRecord(std::string_view bytes) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return Status::Corruption("ivf index record does not start with the magic HVDBIVF1");
  }
  std::istringstream in(std::string(bytes.substr(kMagic.size())));
  IvfRecord record;
  try {
    cereal::PortableBinaryInputArchive archive(in);
    uint32_t version = 0;
    archive(version);
    if (version == 0 || version > kIvfRecordVersion) {
      return Status::Corruption("ivf index record has format version " + std::to_string(version) +
                                "; this build reads version " + std::to_string(kIvfRecordVersion));
    }
    archive(record.nlist, record.words, record.trained_rows, record.trained_imbalance, record.centroids);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("ivf index record is truncated or malformed: ") + e.what());
  }
  if (record.centroids.size() != uint64_t{record.nlist} * record.words) {
    return Status::Corruption("ivf index record holds " + std::to_string(record.centroids.size()) +
                              " centroid words; nlist " + std::to_string(record.nlist) + " x words " +
                              std::to_string(record.words) + " expected");
  }
  return record;
}

}  // namespace hvdb::storage
