// Copyright hvdb authors. The host cache's key map (db/key_table.h): open
// addressing with linear probing and backward-shift deletion, checked against
// std::unordered_map on random work with growth, colliding keys (one home
// slot, and the last slot, so probe runs wrap), erases and reinsertions.
#include "db/key_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tests/test_seed.h"

namespace hvdb::db {
namespace {

// Keys whose hashes agree in their low `bits` bits with `low`: they share one
// home slot in every table of at most 2^bits slots.
std::vector<std::string> KeysWithLowHashBits(uint64_t low, int bits, size_t count, const std::string& prefix) {
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  std::vector<std::string> out;
  for (uint64_t i = 0; out.size() < count; ++i) {
    std::string key = prefix + std::to_string(i);
    if ((HashKey(key) & mask) == low) out.push_back(std::move(key));
  }
  return out;
}

// A key of random length (0 to a few hundred bytes, so varint lengths take
// one and two bytes) and random bytes, NUL included.
std::string RandomKey(std::mt19937_64& rng) {
  const size_t len = rng() % 4 == 0 ? rng() % 300 : rng() % 24;
  std::string key(len, '\0');
  for (char& c : key) c = static_cast<char>(rng() % 7 == 0 ? 0 : rng());
  return key;
}

// RowIndex over rows whose keys a vector holds, against std::unordered_map.
class RowIndexModel {
 public:
  explicit RowIndexModel(uint64_t seed) : rng_(seed) {}

  uint32_t AddRow(const std::string& key) {
    rows_.push_back(key);
    return static_cast<uint32_t>(rows_.size() - 1);
  }
  bool Present(const std::string& key) const { return model_.count(key) != 0; }

  void Insert(const std::string& key) {
    ASSERT_FALSE(Present(key));
    const uint32_t row = AddRow(key);
    index_.Insert(row, KeyOf());
    model_[key] = row;
    seen_.push_back(key);
  }
  // The same row back into the index (its key was erased).
  void Reindex(uint32_t row) {
    ASSERT_FALSE(Present(rows_[row]));
    index_.Insert(row, KeyOf());
    model_[rows_[row]] = row;
  }
  void Erase(const std::string& key) {
    auto it = model_.find(key);
    ASSERT_NE(it, model_.end());
    index_.Erase(it->second, KeyOf());
    erased_rows_.push_back(it->second);
    model_.erase(it);
  }
  // An erase of a key not present changes nothing: both say absent.
  void EraseAbsent(const std::string& key) {
    ASSERT_FALSE(Present(key));
    EXPECT_EQ(index_.Find(key, KeyOf()), kNoRow32);
  }

  // Every key ever used, present or not, and a few never used.
  void CheckAll(const char* phase) {
    ASSERT_EQ(index_.size(), model_.size()) << phase;
    for (const std::string& key : seen_) {
      auto it = model_.find(key);
      const uint32_t expected = it == model_.end() ? kNoRow32 : it->second;
      ASSERT_EQ(index_.Find(key, KeyOf()), expected) << phase << ": key of " << key.size() << " bytes";
    }
    for (int i = 0; i < 20; ++i) {
      const std::string absent = "never-" + std::to_string(rng_());
      ASSERT_EQ(index_.Find(absent, KeyOf()), kNoRow32) << phase;
    }
  }

  std::mt19937_64& rng() { return rng_; }
  RowIndex& index() { return index_; }
  const std::unordered_map<std::string, uint32_t>& model() const { return model_; }
  std::vector<uint32_t>& erased_rows() { return erased_rows_; }
  const std::string& key_of_row(uint32_t row) const { return rows_[row]; }
  // REQUIRES: some key present.
  std::string RandomPresentKey() {
    for (int tries = 0; tries < 1000; ++tries) {
      const std::string& key = seen_[rng_() % seen_.size()];
      if (Present(key)) return key;
    }
    return model_.begin()->first;
  }

 private:
  struct KeyOfRows {
    const std::vector<std::string>* rows;
    std::string_view operator()(uint32_t row) const { return (*rows)[row]; }
  };
  KeyOfRows KeyOf() const { return {&rows_}; }

  std::mt19937_64 rng_;
  std::vector<std::string> rows_;  // every row ever added, by row number
  std::vector<std::string> seen_;  // every key ever inserted
  std::unordered_map<std::string, uint32_t> model_;
  std::vector<uint32_t> erased_rows_;
  RowIndex index_;
};

TEST(RowIndexTest, EmptyIndexFindsNothing) {
  RowIndex index;
  const std::vector<std::string> rows = {"a"};
  auto key_of = [&](uint32_t r) { return std::string_view(rows[r]); };
  EXPECT_EQ(index.Find("a", key_of), kNoRow32);
  EXPECT_EQ(index.size(), 0u);
  index.Insert(0, key_of);
  EXPECT_EQ(index.Find("a", key_of), 0u);
  EXPECT_EQ(index.Find("", key_of), kNoRow32);
  index.Erase(0, key_of);
  EXPECT_EQ(index.Find("a", key_of), kNoRow32);
  EXPECT_EQ(index.size(), 0u);
}

TEST(RowIndexTest, AgreesWithUnorderedMapUnderRandomWork) {
  const uint64_t seed = testing::ProcessSeed();
  RowIndexModel m(seed);
  // Colliding keys: one group homes at slot 0, one at the last slot of every
  // table up to 2^16 slots (runs wrap around the end), one at slot 1.
  std::vector<std::string> colliding;
  for (auto [low, name] : {std::pair<uint64_t, const char*>{0, "zero-"}, {0xffff, "last-"}, {1, "one-"}}) {
    for (std::string& k : KeysWithLowHashBits(low, 16, 24, name)) colliding.push_back(std::move(k));
  }
  std::shuffle(colliding.begin(), colliding.end(), m.rng());
  size_t next_colliding = 0;

  for (int phase = 0; phase < 12; ++phase) {
    // Grow: many inserts (the first phases force several rehashes), some of
    // them colliding keys.
    const int inserts = phase < 6 ? 1500 : 300;
    for (int i = 0; i < inserts; ++i) {
      std::string key;
      if (m.rng()() % 16 == 0 && next_colliding < colliding.size()) {
        key = colliding[next_colliding++];
      } else {
        key = RandomKey(m.rng());
      }
      if (m.Present(key)) continue;
      ASSERT_NO_FATAL_FAILURE(m.Insert(key));
    }
    ASSERT_NO_FATAL_FAILURE(m.CheckAll("after inserts"));
    // Interleaved erases, finds, absent erases and reinsertions.
    for (int i = 0; i < 2000; ++i) {
      const uint64_t op = m.rng()() % 10;
      if (op < 4 && !m.model().empty()) {
        ASSERT_NO_FATAL_FAILURE(m.Erase(m.RandomPresentKey()));
      } else if (op < 6 && !m.erased_rows().empty()) {
        // Reinsert an erased key: as the same row, or as a new row.
        auto& erased = m.erased_rows();
        const size_t at = m.rng()() % erased.size();
        const uint32_t row = erased[at];
        erased.erase(erased.begin() + static_cast<long>(at));
        const std::string key = m.key_of_row(row);
        if (m.Present(key)) continue;
        if (m.rng()() % 2) {
          ASSERT_NO_FATAL_FAILURE(m.Reindex(row));
        } else {
          ASSERT_NO_FATAL_FAILURE(m.Insert(key));
        }
      } else if (op < 7) {
        ASSERT_NO_FATAL_FAILURE(m.EraseAbsent("absent-" + std::to_string(m.rng()())));
      } else if (op < 8 && next_colliding < colliding.size()) {
        const std::string key = colliding[next_colliding++];
        if (!m.Present(key)) {
          ASSERT_NO_FATAL_FAILURE(m.Insert(key));
        }
      } else if (!m.model().empty()) {
        const std::string key = m.RandomPresentKey();
        ASSERT_EQ(m.index().Find(key, [&](uint32_t r) { return std::string_view(m.key_of_row(r)); }),
                  m.model().at(key));
      }
    }
    ASSERT_NO_FATAL_FAILURE(m.CheckAll("after mixed work"));
    // Shrink hard now and then: most keys erased, the colliding ones first.
    if (phase % 4 == 3) {
      while (m.model().size() > 50) ASSERT_NO_FATAL_FAILURE(m.Erase(m.RandomPresentKey()));
      ASSERT_NO_FATAL_FAILURE(m.CheckAll("after mass erase"));
    }
  }
}

// Every erase order of a run of keys that share one home slot, where the run
// wraps around the end of the table: backward shift must never strand a key
// behind a hole.
TEST(RowIndexTest, BackwardShiftAcrossTheEndOfTheTable) {
  const std::vector<std::string> last = KeysWithLowHashBits(0xffff, 16, 5, "last-");
  const std::vector<std::string> zero = KeysWithLowHashBits(0, 16, 3, "zero-");
  std::vector<std::string> rows;
  for (int i = 0; i < 4; ++i) rows.push_back(last[i]);
  for (int i = 0; i < 3; ++i) rows.push_back(zero[i]);
  rows.push_back(last[4]);
  auto key_of = [&](uint32_t r) { return std::string_view(rows[r]); };
  std::vector<uint32_t> order(rows.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(testing::ProcessSeed());
  for (int trial = 0; trial < 200; ++trial) {
    RowIndex index;  // 16 slots: 8 keys stay under 3/4
    index.Reset(8);
    std::shuffle(order.begin(), order.end(), rng);
    for (uint32_t r : order) index.Insert(r, key_of);
    std::vector<bool> present(rows.size(), true);
    std::shuffle(order.begin(), order.end(), rng);
    for (uint32_t r : order) {
      index.Erase(r, key_of);
      present[r] = false;
      for (uint32_t q = 0; q < rows.size(); ++q) {
        ASSERT_EQ(index.Find(rows[q], key_of), present[q] ? q : kNoRow32) << "trial " << trial;
      }
    }
    EXPECT_EQ(index.size(), 0u);
  }
}

TEST(RowIndexTest, ReserveAndResetKeepEntriesFindable) {
  std::vector<std::string> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back("k" + std::to_string(i));
  auto key_of = [&](uint32_t r) { return std::string_view(rows[r]); };
  RowIndex index;
  for (uint32_t r = 0; r < 100; ++r) index.Insert(r, key_of);
  const size_t before = index.memory_bytes();
  index.Reserve(1000, key_of);  // grows once, keeping the 100
  EXPECT_GT(index.memory_bytes(), before);
  const size_t reserved = index.memory_bytes();
  for (uint32_t r = 0; r < 100; ++r) ASSERT_EQ(index.Find(rows[r], key_of), r);
  for (uint32_t r = 100; r < 1000; ++r) index.Insert(r, key_of);
  EXPECT_EQ(index.memory_bytes(), reserved) << "Reserve(1000) left room for 1000";
  EXPECT_EQ(index.size(), 1000u);
  for (uint32_t r = 0; r < 1000; ++r) ASSERT_EQ(index.Find(rows[r], key_of), r);
  index.Reset(10);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.Find(rows[5], key_of), kNoRow32);
}

// KeyTable: keys stored once in a blob, an index over the rows marked.
class KeyTableTest : public ::testing::Test {
 protected:
  void Add(KeyTable& t, const std::string& key, bool index = true) {
    ASSERT_TRUE(t.Append(key).ok());
    if (index) t.Index(static_cast<uint32_t>(t.size() - 1));
  }
};

TEST_F(KeyTableTest, KeysRoundTripWhateverTheirLength) {
  KeyTable t;
  const std::vector<std::string> keys = {"", "a", std::string(127, 'x'), std::string(128, 'y'),
                                         std::string(16383, 'z'), std::string(16384, 'w'), std::string("n\0l", 3),
                                         std::string(70000, 'q')};
  for (const std::string& k : keys) ASSERT_NO_FATAL_FAILURE(Add(t, k));
  ASSERT_EQ(t.size(), keys.size());
  for (size_t r = 0; r < keys.size(); ++r) {
    EXPECT_EQ(t.key(r), keys[r]) << "row " << r;
    EXPECT_EQ(t.Find(keys[r]), r) << "row " << r;
  }
  EXPECT_EQ(t.Find(std::string("n\0m", 3)), kNoRow32);
  EXPECT_EQ(t.Find(std::string(127, 'y')), kNoRow32);
  uint64_t bytes = 0;
  for (const std::string& k : keys) bytes += k.size();
  EXPECT_GE(t.blob_bytes(), bytes + keys.size());  // a length byte at least for each
  EXPECT_LE(t.blob_bytes(), bytes + 3 * keys.size());
}

TEST_F(KeyTableTest, UnindexedRowsAreStoredButNotFound) {
  KeyTable t;
  ASSERT_NO_FATAL_FAILURE(Add(t, "a"));
  ASSERT_NO_FATAL_FAILURE(Add(t, "b", /*index=*/false));
  EXPECT_EQ(t.key(1), "b");
  EXPECT_EQ(t.Find("b"), kNoRow32);
  t.Index(1);
  EXPECT_EQ(t.Find("b"), 1u);
  t.Unindex(0);
  EXPECT_EQ(t.Find("a"), kNoRow32);
  EXPECT_EQ(t.key(0), "a");
  // The same key again, as a new row.
  ASSERT_NO_FATAL_FAILURE(Add(t, "a"));
  EXPECT_EQ(t.Find("a"), 2u);
}

TEST_F(KeyTableTest, TruncateDropsTheTailAndItsBytes) {
  KeyTable t;
  ASSERT_NO_FATAL_FAILURE(Add(t, "first"));
  const uint64_t one = t.blob_bytes();
  ASSERT_NO_FATAL_FAILURE(Add(t, "second", false));
  ASSERT_NO_FATAL_FAILURE(Add(t, "third", false));
  t.Truncate(1);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.blob_bytes(), one);
  EXPECT_EQ(t.Find("first"), 0u);
  t.Truncate(5);  // beyond the end: nothing
  EXPECT_EQ(t.size(), 1u);
  ASSERT_NO_FATAL_FAILURE(Add(t, "fourth"));
  EXPECT_EQ(t.key(1), "fourth");
  EXPECT_EQ(t.Find("fourth"), 1u);
}

TEST_F(KeyTableTest, CompactRenumbersKeptRowsInOrder) {
  const uint64_t seed = testing::ProcessSeed();
  std::mt19937_64 rng(seed);
  KeyTable t;
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) {
    std::string k = std::to_string(i) + "/" + RandomKey(rng);
    keys.push_back(k);
    ASSERT_NO_FATAL_FAILURE(Add(t, k));
  }
  std::vector<uint32_t> keep;
  for (uint32_t r = 0; r < keys.size(); ++r) {
    if (rng() % 3 != 0) {
      keep.push_back(r);
    } else {
      t.Unindex(r);
    }
  }
  ASSERT_TRUE(t.Compact(keep).ok());
  ASSERT_EQ(t.size(), keep.size());
  uint64_t bytes = 0;
  for (size_t i = 0; i < keep.size(); ++i) {
    ASSERT_EQ(t.key(i), keys[keep[i]]) << "row " << i;
    ASSERT_EQ(t.Find(keys[keep[i]]), i) << "row " << i;
    bytes += keys[keep[i]].size();
  }
  EXPECT_LE(t.blob_bytes(), bytes + 2 * keep.size());
  for (uint32_t r = 0, k = 0; r < keys.size(); ++r) {
    if (k < keep.size() && keep[k] == r) {
      ++k;
      continue;
    }
    ASSERT_EQ(t.Find(keys[r]), kNoRow32) << "dropped row " << r;
  }
  // Appends after a compaction go on from its end.
  ASSERT_NO_FATAL_FAILURE(Add(t, "after"));
  EXPECT_EQ(t.Find("after"), keep.size());
}

TEST_F(KeyTableTest, AppendDistinctIndexesEveryRowOnceFlushed) {
  for (size_t n : {0, 1, 15, 16, 17, 1000}) {
    KeyTable t;
    ASSERT_NO_FATAL_FAILURE(Add(t, "before"));
    t.ReserveIndex(n + 1);
    for (size_t i = 0; i < n; ++i) ASSERT_TRUE(t.AppendDistinct("d" + std::to_string(i)).ok());
    t.Flush();
    ASSERT_EQ(t.size(), n + 1);
    EXPECT_EQ(t.Find("before"), 0u);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(t.Find("d" + std::to_string(i)), i + 1) << n << " keys";
    EXPECT_EQ(t.Find("d" + std::to_string(n)), kNoRow32);
    // A second window after the first flush.
    ASSERT_TRUE(t.AppendDistinct("later").ok());
    t.Flush();
    EXPECT_EQ(t.Find("later"), n + 1);
  }
}

TEST_F(KeyTableTest, ReserveMeansNoGrowthForWhatWasReserved) {
  KeyTable t;
  EXPECT_TRUE(t.NeedsGrowth(1));
  ASSERT_TRUE(t.Reserve(100, 100 * 20).ok());
  for (int i = 0; i < 100; ++i) {
    const std::string k = "key-" + std::to_string(i);
    ASSERT_FALSE(t.NeedsGrowth(k.size())) << i;
    ASSERT_NO_FATAL_FAILURE(Add(t, k));
  }
  for (int i = 0; i < 100; ++i) ASSERT_EQ(t.Find("key-" + std::to_string(i)), static_cast<uint32_t>(i));
}

// The table's own map against std::unordered_map, through KeyTable's calls
// as the host cache makes them: append + index, unindex on delete, the same
// key appended again later.
TEST_F(KeyTableTest, AgreesWithUnorderedMapUnderRandomWork) {
  std::mt19937_64 rng(testing::ProcessSeed() + 1);
  KeyTable t;
  std::unordered_map<std::string, uint32_t> model;
  std::vector<std::string> seen;
  const std::vector<std::string> colliding = KeysWithLowHashBits(0xffff, 16, 40, "c");
  for (int phase = 0; phase < 6; ++phase) {
    for (int i = 0; i < 3000; ++i) {
      const uint64_t op = rng() % 8;
      if (op < 4) {
        std::string k = rng() % 10 == 0 ? colliding[rng() % colliding.size()] : RandomKey(rng);
        if (model.count(k)) continue;
        ASSERT_NO_FATAL_FAILURE(Add(t, k));
        model[k] = static_cast<uint32_t>(t.size() - 1);
        seen.push_back(std::move(k));
      } else if (op < 7 && !model.empty()) {
        auto it = model.begin();
        std::advance(it, static_cast<long>(rng() % std::min<size_t>(model.size(), 64)));
        t.Unindex(it->second);
        model.erase(it);
      } else if (!seen.empty()) {
        const std::string& k = seen[rng() % seen.size()];
        auto it = model.find(k);
        ASSERT_EQ(t.Find(k), it == model.end() ? kNoRow32 : it->second);
      }
    }
    for (const std::string& k : seen) {
      auto it = model.find(k);
      ASSERT_EQ(t.Find(k), it == model.end() ? kNoRow32 : it->second) << "phase " << phase;
    }
  }
}

}  // namespace
}  // namespace hvdb::db
