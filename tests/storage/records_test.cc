// Copyright hvdb authors. The records hvdb keeps in RocksDB: collection
// descriptors (with every index field, and older versions read with
// defaults); damaged records are Corruption naming what is wrong.
#include <gtest/gtest.h>

#include "storage/catalog.h"

namespace hvdb::storage {
namespace {

CollectionDescriptor Sample() {
  CollectionDescriptor d;
  d.id = 7;
  d.name = "songs";
  d.dim = 2048;
  d.item_memory_seed = 99;
  d.compact_threshold = 0.25;
  d.index = {.kind = hvdb::IndexKind::kIvf, .prefix_bits = 512, .prefix_candidates = 3, .ivf_nlist = 4096, .ivf_nprobe = 5,
             .ivf_iterations = 12, .ivf_retrain_imbalance = 3.5, .hnsw_m = 24, .hnsw_ef_construction = 80,
             .hnsw_ef_search = 128};
  d.created_unix_seconds = 1700000000;
  return d;
}

void ExpectSameIndex(const IndexOptions& a, const IndexOptions& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.prefix_bits, b.prefix_bits);
  EXPECT_EQ(a.prefix_candidates, b.prefix_candidates);
  EXPECT_EQ(a.ivf_nlist, b.ivf_nlist);
  EXPECT_EQ(a.ivf_nprobe, b.ivf_nprobe);
  EXPECT_EQ(a.ivf_iterations, b.ivf_iterations);
  EXPECT_EQ(a.ivf_retrain_imbalance, b.ivf_retrain_imbalance);
  EXPECT_EQ(a.hnsw_m, b.hnsw_m);
  EXPECT_EQ(a.hnsw_ef_construction, b.hnsw_ef_construction);
  EXPECT_EQ(a.hnsw_ef_search, b.hnsw_ef_search);
}

TEST(DescriptorRecordTest, RoundTripsEveryField) {
  const CollectionDescriptor d = Sample();
  auto back = DecodeDescriptor(EncodeDescriptor(d));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, d.id);
  EXPECT_EQ(back->name, d.name);
  EXPECT_EQ(back->dim, d.dim);
  EXPECT_EQ(back->item_memory_seed, d.item_memory_seed);
  EXPECT_EQ(back->compact_threshold, d.compact_threshold);
  EXPECT_EQ(back->created_unix_seconds, d.created_unix_seconds);
  ExpectSameIndex(back->index, d.index);
}

TEST(DescriptorRecordTest, VersionTwoRecordsReadWithIndexDefaults) {
  // A version 3 record is a version 2 record plus the ivf and hnsw fields at
  // the end (six 8-byte integers and one double): relabel and cut them off.
  std::string bytes = EncodeDescriptor(Sample());
  // After the magic: portable binary's endianness byte, then the version (little-endian uint32).
  ASSERT_EQ(bytes[9], static_cast<char>(kDescriptorVersion));
  bytes[9] = 2;
  bytes.resize(bytes.size() - 7 * 8);
  auto old = DecodeDescriptor(bytes);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->index.kind, hvdb::IndexKind::kIvf);
  EXPECT_EQ(old->index.prefix_bits, 512u);
  IndexOptions defaults;
  defaults.kind = hvdb::IndexKind::kIvf;
  defaults.prefix_bits = 512;
  defaults.prefix_candidates = 3;
  ExpectSameIndex(old->index, defaults);
}

TEST(DescriptorRecordTest, DamagedRecordsAreNamed) {
  const std::string good = EncodeDescriptor(Sample());
  EXPECT_TRUE(DecodeDescriptor("HVDBCOLX" + good.substr(8)).status().IsCorruption());
  auto truncated = DecodeDescriptor(good.substr(0, good.size() - 3));
  EXPECT_TRUE(truncated.status().IsCorruption());
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos) << truncated.status().ToString();
  std::string newer = good;
  newer[9] = static_cast<char>(kDescriptorVersion + 1);
  auto future = DecodeDescriptor(newer);
  EXPECT_TRUE(future.status().IsCorruption());
  EXPECT_NE(future.status().message().find("format version"), std::string::npos);
}

}  // namespace
}  // namespace hvdb::storage
