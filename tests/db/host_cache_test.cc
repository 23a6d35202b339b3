// Copyright hvdb authors. One collection's rows in memory (db/host_cache.h):
// inserts, overwrites, deletes and their tombstones, compaction (order and row
// ids kept), staged rows (a bulk load) published or discarded, growth, and the
// open path; checked against a plain model of the rows.
#include "db/host_cache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tests/test_seed.h"

namespace hvdb::db {
namespace {

constexpr size_t kWords = 3;  // 192-bit rows: not a power of two

using Bits = std::vector<uint64_t>;

Bits RandomBits(std::mt19937_64& rng) {
  Bits b(kWords);
  for (uint64_t& w : b) w = rng();
  return b;
}
const char* Raw(const Bits& b) { return reinterpret_cast<const char*>(b.data()); }

// What the cache should hold: every row, in order, deleted or not.
struct ModelRow {
  uint64_t id;
  std::string key;
  Bits bits;
  bool deleted = false;
};

class HostCacheTest : public ::testing::Test {
 protected:
  HostCacheTest() : rng_(testing::ProcessSeed()) {}

  void Insert(const std::string& key) {
    const Bits bits = RandomBits(rng_);
    const uint64_t id = next_id_;
    next_id_ += 1 + rng_() % 3;  // ids increase, with gaps (ids of deleted rows are never reused)
    ASSERT_TRUE(cache_.Insert(id, key, Raw(bits)).ok());
    model_.push_back({id, key, bits});
  }
  void Delete(size_t row) {
    ASSERT_FALSE(model_[row].deleted);
    cache_.Delete(static_cast<uint32_t>(row));
    model_[row].deleted = true;
  }
  void Overwrite(size_t row) {
    const Bits bits = RandomBits(rng_);
    cache_.Overwrite(static_cast<uint32_t>(row), Raw(bits));
    model_[row].bits = bits;
  }
  void Compact() {
    ASSERT_TRUE(cache_.Compact().ok());
    std::vector<ModelRow> kept;
    for (ModelRow& r : model_) {
      if (!r.deleted) kept.push_back(std::move(r));
    }
    model_ = std::move(kept);
  }

  // The cache against the model, row by row.
  void Check(const std::string& when) {
    SCOPED_TRACE(when);
    ASSERT_EQ(cache_.rows(), model_.size());
    uint64_t deleted = 0;
    for (size_t r = 0; r < model_.size(); ++r) {
      const ModelRow& m = model_[r];
      deleted += m.deleted;
      ASSERT_EQ(cache_.id(r), m.id) << "row " << r;
      ASSERT_EQ(cache_.ids()[r], m.id) << "row " << r;
      if (r > 0) {
        ASSERT_LT(cache_.id(r - 1), cache_.id(r)) << "row ids increase";
      }
      ASSERT_EQ(cache_.key(r), m.key) << "row " << r;
      ASSERT_EQ(std::memcmp(cache_.row(r), m.bits.data(), kWords * 8), 0) << "row " << r;
      ASSERT_EQ(cache_.row(r), cache_.arena() + r * kWords);
      ASSERT_EQ(cache_.is_deleted(r), m.deleted) << "row " << r;
      if (cache_.tombstones() != nullptr) {
        ASSERT_EQ((cache_.tombstones()[r / 64] >> (r % 64)) & 1, m.deleted ? 1u : 0u) << "row " << r;
      }
      // A live key finds its row; a deleted one finds nothing, unless a
      // later row holds the key again.
      const uint32_t found = cache_.Find(m.key);
      if (!m.deleted) {
        ASSERT_EQ(found, r) << "row " << r;
      } else {
        ASSERT_NE(found, r) << "deleted row " << r;
        if (found != kNoRow32) {
          ASSERT_GT(found, r);
        }
      }
    }
    ASSERT_EQ(cache_.deleted(), deleted);
    ASSERT_EQ(cache_.live(), model_.size() - deleted);
    ASSERT_EQ(cache_.tombstones() == nullptr, deleted == 0);
    ASSERT_EQ(cache_.arena_bytes(), model_.size() * kWords * 8);
    ASSERT_EQ(cache_.staged(), 0u);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(cache_.arena()) % 64, 0u) << "the arena is 64-byte aligned";
  }

  std::mt19937_64 rng_;
  HostCache cache_{kWords, /*pinned=*/false};
  std::vector<ModelRow> model_;
  uint64_t next_id_ = 1;
};

TEST_F(HostCacheTest, StartsEmpty) {
  EXPECT_EQ(cache_.words(), kWords);
  EXPECT_EQ(cache_.rows(), 0u);
  EXPECT_EQ(cache_.live(), 0u);
  EXPECT_EQ(cache_.deleted(), 0u);
  EXPECT_EQ(cache_.tombstones(), nullptr);
  EXPECT_EQ(cache_.Find("a"), kNoRow32);
  EXPECT_FALSE(cache_.ShouldCompact(0.0));
  EXPECT_FALSE(cache_.pinned());
}

TEST_F(HostCacheTest, InsertOverwriteDeleteFind) {
  for (int i = 0; i < 5; ++i) ASSERT_NO_FATAL_FAILURE(Insert("k" + std::to_string(i)));
  ASSERT_NO_FATAL_FAILURE(Check("inserted"));
  ASSERT_NO_FATAL_FAILURE(Overwrite(2));
  ASSERT_NO_FATAL_FAILURE(Check("row 2 overwritten"));
  ASSERT_NO_FATAL_FAILURE(Delete(1));
  EXPECT_EQ(cache_.Find("k1"), kNoRow32);
  EXPECT_NE(cache_.tombstones(), nullptr);
  EXPECT_EQ(cache_.live(), 4u);
  EXPECT_EQ(cache_.deleted(), 1u);
  ASSERT_NO_FATAL_FAILURE(Check("row 1 deleted"));
  // The key comes back as a new row; the old one stays a tombstone.
  ASSERT_NO_FATAL_FAILURE(Insert("k1"));
  EXPECT_EQ(cache_.Find("k1"), 5u);
  EXPECT_TRUE(cache_.is_deleted(1));
  ASSERT_NO_FATAL_FAILURE(Check("k1 again"));
}

TEST_F(HostCacheTest, ShouldCompactFollowsTheThreshold) {
  for (int i = 0; i < 10; ++i) ASSERT_NO_FATAL_FAILURE(Insert("k" + std::to_string(i)));
  EXPECT_FALSE(cache_.ShouldCompact(0.0)) << "nothing deleted";
  ASSERT_NO_FATAL_FAILURE(Delete(0));
  ASSERT_NO_FATAL_FAILURE(Delete(5));
  EXPECT_TRUE(cache_.ShouldCompact(0.2));
  EXPECT_FALSE(cache_.ShouldCompact(0.21));
}

TEST_F(HostCacheTest, CompactKeepsOrderAndRowIds) {
  for (int i = 0; i < 200; ++i) ASSERT_NO_FATAL_FAILURE(Insert("key-" + std::to_string(i)));
  for (size_t r : {0, 1, 63, 64, 65, 100, 127, 128, 199}) ASSERT_NO_FATAL_FAILURE(Delete(r));
  ASSERT_NO_FATAL_FAILURE(Check("before compaction"));
  std::vector<uint64_t> live_ids;
  for (const ModelRow& m : model_) {
    if (!m.deleted) live_ids.push_back(m.id);
  }
  ASSERT_NO_FATAL_FAILURE(Compact());
  ASSERT_NO_FATAL_FAILURE(Check("after compaction"));
  EXPECT_EQ(cache_.rows(), 191u);
  EXPECT_EQ(cache_.deleted(), 0u);
  EXPECT_EQ(cache_.tombstones(), nullptr);
  EXPECT_EQ(std::vector<uint64_t>(cache_.ids(), cache_.ids() + cache_.rows()), live_ids);
  EXPECT_EQ(cache_.Find("key-0"), kNoRow32);
  EXPECT_EQ(cache_.Find("key-2"), 0u);
  // Writes go on after a compaction, tombstone words included.
  for (int i = 0; i < 70; ++i) ASSERT_NO_FATAL_FAILURE(Insert("more-" + std::to_string(i)));
  ASSERT_NO_FATAL_FAILURE(Delete(190));
  ASSERT_NO_FATAL_FAILURE(Delete(191));
  ASSERT_NO_FATAL_FAILURE(Check("written after compaction"));
}

// A new row in a tombstone word already in use must not clear the word's
// earlier tombstones; the first row of a new word must start it clear.
TEST_F(HostCacheTest, TombstonesSurviveInsertsInTheSameWord) {
  for (int i = 0; i < 64; ++i) ASSERT_NO_FATAL_FAILURE(Insert("a" + std::to_string(i)));
  ASSERT_NO_FATAL_FAILURE(Delete(3));
  ASSERT_NO_FATAL_FAILURE(Delete(63));
  ASSERT_NO_FATAL_FAILURE(Insert("b0"));  // row 64: a new word
  ASSERT_NO_FATAL_FAILURE(Delete(64));
  ASSERT_NO_FATAL_FAILURE(Insert("b1"));  // row 65: the same word as row 64
  ASSERT_NO_FATAL_FAILURE(Check("across a word"));
  EXPECT_TRUE(cache_.is_deleted(64));
  EXPECT_FALSE(cache_.is_deleted(65));
}

TEST_F(HostCacheTest, AgreesWithAModelUnderRandomWork) {
  std::vector<std::string> keys;
  for (int i = 0; i < 400; ++i) keys.push_back("k" + std::to_string(i));
  for (int round = 0; round < 4000; ++round) {
    const uint64_t op = rng_() % 10;
    if (op < 5) {
      const std::string& key = keys[rng_() % keys.size()];
      const uint32_t row = cache_.Find(key);
      if (row == kNoRow32) {
        ASSERT_NO_FATAL_FAILURE(Insert(key));
      } else {
        ASSERT_NO_FATAL_FAILURE(Overwrite(row));
      }
    } else if (op < 8) {
      const std::string& key = keys[rng_() % keys.size()];
      const uint32_t row = cache_.Find(key);
      if (row != kNoRow32) {
        ASSERT_NO_FATAL_FAILURE(Delete(row));
      }
    } else if (op == 8 && cache_.ShouldCompact(0.25)) {
      ASSERT_NO_FATAL_FAILURE(Compact());
    }
    if (round % 500 == 0) {
      ASSERT_NO_FATAL_FAILURE(Check("round " + std::to_string(round)));
    }
  }
  ASSERT_NO_FATAL_FAILURE(Check("the end"));
  ASSERT_NO_FATAL_FAILURE(Compact());
  ASSERT_NO_FATAL_FAILURE(Check("compacted at the end"));
}

// Stages rows as a bulk load does: bits straight into the arena, then the key.
class StagingTest : public HostCacheTest {
 protected:
  void Stage(const std::string& key, std::vector<ModelRow>* staged) {
    if (cache_.NeedsGrowth(key.size())) {
      ASSERT_TRUE(cache_.Grow(64, 64 * key.size()).ok());
    }
    ASSERT_FALSE(cache_.NeedsGrowth(key.size()));
    const Bits bits = RandomBits(rng_);
    std::memcpy(cache_.NextStagedRow(), bits.data(), kWords * 8);
    cache_.StageKey(next_id_, key);
    staged->push_back({next_id_, key, bits});
    ++next_id_;
  }
};

TEST_F(StagingTest, StagedRowsAreInvisibleUntilPublished) {
  for (int i = 0; i < 10; ++i) ASSERT_NO_FATAL_FAILURE(Insert("old" + std::to_string(i)));
  ASSERT_NO_FATAL_FAILURE(Delete(4));
  std::vector<ModelRow> staged;
  for (int i = 0; i < 100; ++i) ASSERT_NO_FATAL_FAILURE(Stage("new" + std::to_string(i), &staged));
  // Two staged rows replace published keys.
  ASSERT_NO_FATAL_FAILURE(Stage("old2", &staged));
  ASSERT_NO_FATAL_FAILURE(Stage("old7", &staged));
  EXPECT_EQ(cache_.staged(), 102u);
  EXPECT_EQ(cache_.rows(), 10u);
  EXPECT_EQ(cache_.live(), 9u);
  EXPECT_EQ(cache_.Find("new0"), kNoRow32);
  EXPECT_EQ(cache_.Find("old2"), 2u);
  // No ordinary write while a load is staged.
  const Bits bits = RandomBits(rng_);
  const Status busy = cache_.Insert(999999, "other", Raw(bits));
  EXPECT_TRUE(busy.IsUnavailable()) << busy.ToString();

  cache_.PublishStaged({2, 7});
  model_[2].deleted = true;
  model_[7].deleted = true;
  for (ModelRow& m : staged) model_.push_back(std::move(m));
  ASSERT_NO_FATAL_FAILURE(Check("published"));
  EXPECT_EQ(cache_.rows(), 112u);
  EXPECT_EQ(cache_.Find("new0"), 10u);
  EXPECT_EQ(cache_.Find("old2"), 110u);
  EXPECT_EQ(cache_.Find("old7"), 111u);
  EXPECT_EQ(cache_.live(), 9u + 100u);
  // Ordinary writes again.
  ASSERT_NO_FATAL_FAILURE(Insert("after"));
  ASSERT_NO_FATAL_FAILURE(Check("written after publishing"));
}

TEST_F(StagingTest, DiscardedRowsLeaveNoTrace) {
  for (int i = 0; i < 70; ++i) ASSERT_NO_FATAL_FAILURE(Insert("old" + std::to_string(i)));
  ASSERT_NO_FATAL_FAILURE(Delete(65));
  std::vector<ModelRow> staged;
  for (int i = 0; i < 50; ++i) ASSERT_NO_FATAL_FAILURE(Stage("gone" + std::to_string(i), &staged));
  cache_.DiscardStaged();
  EXPECT_EQ(cache_.staged(), 0u);
  ASSERT_NO_FATAL_FAILURE(Check("discarded"));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(cache_.Find("gone" + std::to_string(i)), kNoRow32);
  EXPECT_TRUE(cache_.is_deleted(65)) << "a staged row in a published tombstone word must not clear it";
  // A second load after the discard, published.
  staged.clear();
  for (int i = 0; i < 30; ++i) ASSERT_NO_FATAL_FAILURE(Stage("kept" + std::to_string(i), &staged));
  cache_.PublishStaged({});
  for (ModelRow& m : staged) model_.push_back(std::move(m));
  ASSERT_NO_FATAL_FAILURE(Check("second load published"));
  EXPECT_EQ(cache_.Find("kept0"), 70u);
}

TEST_F(HostCacheTest, GrowMakesRoomAndRefusesPastTheLimit) {
  ASSERT_TRUE(cache_.Grow(1000, 1000 * 8 + 10).ok());  // 1 length byte + 7 each, and NeedsGrowth's slack
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(cache_.NeedsGrowth(7)) << "row " << i;
    ASSERT_NO_FATAL_FAILURE(Insert("g" + std::to_string(1000000 + i).substr(1)));
  }
  ASSERT_NO_FATAL_FAILURE(Check("1000 rows after one Grow"));
  const Status too_many = cache_.GrowRows(kMaxCacheRows + 1);
  EXPECT_TRUE(too_many.IsResourceExhausted()) << too_many.ToString();
  EXPECT_NE(too_many.message().find(std::to_string(kMaxCacheRows)), std::string::npos) << too_many.message();
  const Status grow_too_many = cache_.Grow(kMaxCacheRows, 0);
  EXPECT_TRUE(grow_too_many.IsResourceExhausted()) << grow_too_many.ToString();
  ASSERT_NO_FATAL_FAILURE(Check("unchanged by refused growth"));
}

TEST_F(HostCacheTest, OpenPathPublishesWhatWasAppended) {
  ASSERT_TRUE(cache_.PrepareOpen(100, 100 * 6).ok());
  for (int i = 0; i < 300; ++i) {  // more than prepared: bits and keys grow on their own
    const Bits bits = RandomBits(rng_);
    const std::string key = "open" + std::to_string(i);
    ASSERT_TRUE(cache_.AppendBitsForOpen(next_id_, Raw(bits)).ok());
    ASSERT_TRUE(cache_.AppendKeyForOpen(key).ok());
    model_.push_back({next_id_++, key, bits});
  }
  EXPECT_EQ(cache_.key_rows(), 300u);
  ASSERT_TRUE(cache_.FinishOpen().ok());
  ASSERT_NO_FATAL_FAILURE(Check("opened"));
  ASSERT_NO_FATAL_FAILURE(Insert("after open"));
  ASSERT_NO_FATAL_FAILURE(Check("written after open"));
}

TEST(HostCacheOpenTest, KeysAndBitsThatDisagreeAreCorruption) {
  HostCache cache(kWords, /*pinned=*/false);
  const Bits bits(kWords, 7);
  ASSERT_TRUE(cache.AppendBitsForOpen(1, Raw(bits)).ok());
  ASSERT_TRUE(cache.AppendBitsForOpen(2, Raw(bits)).ok());
  ASSERT_TRUE(cache.AppendKeyForOpen("only one").ok());
  const Status s = cache.FinishOpen();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("2 rows"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace hvdb::db
