// Copyright hvdb authors. The prefix index: exact when it looks at enough,
// consistent with the flat scan through inserts, replaces, deletes,
// compaction, bulk loads and reopen; high recall on planted neighbours.
#include <gtest/gtest.h>

#include "kernels/hamming.h"
#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

constexpr size_t kDim = 1024;

class PrefixIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rng_.seed(DbTestSeed() + 41);
    db_ = OpenOrDie(dir_ / "db");
    CollectionOptions options{.dim = kDim, .compact_threshold = 0.1};
    options.index = {.kind = hvdb::IndexKind::kPrefix, .prefix_bits = 128, .prefix_candidates = 8};
    ASSERT_TRUE(db_->CreateCollection("c", options).ok());
    c_ = GetOrDie(db_.get(), "c");
  }
  Hypervector Rand() { return Hypervector::Random(kDim, rng_()).value(); }

  // Prefix answers with enough candidates equal the exact scan's, ties included.
  void ExpectExactWhenCovering(const std::vector<Hypervector>& queries) {
    for (const auto& q : queries) {
      auto exact = c_->Search(q, {.k = 10, .exact = true});
      SearchStats stats;
      auto all = c_->Search(q, {.k = 10, .candidates = 6000}, &stats);  // c x k above the row count
      ASSERT_TRUE(exact.ok() && all.ok());
      EXPECT_EQ(*all, *exact);
      // c x k below the row count: the two-stage path; its hits are true
      // distances in order, and the planted neighbour (distance <= 30) is found.
      auto fast = c_->Search(q, {.k = 10, .candidates = 20}, &stats);
      ASSERT_TRUE(fast.ok());
      EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kPrefix);
      EXPECT_EQ(stats.candidates_reranked, 200u);
      ASSERT_FALSE(fast->empty());
      for (size_t i = 0; i < fast->size(); ++i) {
        EXPECT_EQ((*fast)[i].distance, HammingDistance(q, c_->Get((*fast)[i].key).value()).value());
        if (i > 0) {
          EXPECT_LE((*fast)[i - 1].distance, (*fast)[i].distance);
        }
      }
      EXPECT_EQ((*fast)[0], (*exact)[0]);
    }
  }

  TempDir dir_;
  std::unique_ptr<DB> db_;
  Collection* c_ = nullptr;
  std::mt19937_64 rng_;
};

TEST_F(PrefixIndexTest, ExactWhenCoveringAndFindsPlantedNeighbours) {
  std::vector<Hypervector> queries;
  for (int i = 0; i < 5; ++i) queries.push_back(Rand());
  WriteBatch batch;
  for (int i = 0; i < 3000; ++i) {
    // A planted neighbour per query (up to 30 bits away), exact duplicates (ties), noise.
    Hypervector v = i < 5 ? Near(queries[i], 5 + i * 5, rng_) : i % 100 == 7 ? queries[i % 5] : Rand();
    batch.Put("r" + std::to_string(i), v);
  }
  ASSERT_TRUE(c_->Write(batch, {.sync = false}).ok());
  ExpectExactWhenCovering(queries);

  // Replaces, deletes (with compaction), inserts and a bulk load keep it in step.
  for (int i = 0; i < 3000; i += 3) ASSERT_TRUE(c_->Delete("r" + std::to_string(i), {.sync = false}).ok());
  for (int i = 1; i < 3000; i += 7) ASSERT_TRUE(c_->Put("r" + std::to_string(i), Rand(), {.sync = false}).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c_->Put("planted" + std::to_string(i), Near(queries[i], 3, rng_)).ok());
  std::vector<Hypervector> rows;
  for (int i = 0; i < 500; ++i) rows.push_back(Rand());
  WriteNpy(dir_ / "more.npy", rows, kDim);
  ASSERT_TRUE(c_->BulkLoad(dir_ / "more.npy").ok());
  ExpectExactWhenCovering(queries);
  EXPECT_GT(c_->Stats().index_bytes, 0u);

  db_.reset();
  db_ = OpenOrDie(dir_ / "db");
  c_ = GetOrDie(db_.get(), "c");
  EXPECT_EQ(c_->index().kind, IndexKind::kPrefix);
  EXPECT_EQ(c_->index().prefix_bits, 128u);
  ExpectExactWhenCovering(queries);
}

TEST_F(PrefixIndexTest, RecallOnPlantedNeighbours) {
  // 2000 queries' neighbours at 10% noise among 20000 random rows: the prefix
  // pass (128 of 1024 bits) with 16 x 10 candidates keeps nearly all of them.
  std::vector<Hypervector> queries;
  WriteBatch batch;
  for (int i = 0; i < 20000; ++i) {
    if (i < 200) queries.push_back(Rand());
    batch.Put("r" + std::to_string(i), i < 200 ? Near(queries[i], kDim / 10, rng_) : Rand());
  }
  ASSERT_TRUE(c_->Write(batch, {.sync = false}).ok());
  size_t found = 0;
  for (size_t i = 0; i < queries.size(); ++i) {
    auto hits = c_->Search(queries[i], {.k = 10, .candidates = 16});
    ASSERT_TRUE(hits.ok());
    found += !hits->empty() && (*hits)[0].key == "r" + std::to_string(i);
  }
  EXPECT_GE(found, 195u) << found << " of 200";
}

TEST_F(PrefixIndexTest, SwitchingIndexesAndBadParameters) {
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(c_->Put("k" + std::to_string(i), Rand(), {.sync = false}).ok());
  const Hypervector q = Rand();
  const auto exact = c_->Search(q, {.k = 5, .exact = true}).value();
  ASSERT_TRUE(c_->SetIndex({.kind = hvdb::IndexKind::kFlat}).ok());
  SearchStats stats;
  EXPECT_EQ(c_->Search(q, {.k = 5}, &stats).value(), exact);
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kFlat);
  EXPECT_EQ(c_->Stats().index_bytes, 0u);
  ASSERT_TRUE(c_->SetIndex({.kind = hvdb::IndexKind::kPrefix, .prefix_bits = 64, .prefix_candidates = 100}).ok());
  EXPECT_EQ(c_->Search(q, {.k = 5, .candidates = 200}).value(), exact);  // c x k >= n: exact
  EXPECT_TRUE(c_->SetIndex({.kind = static_cast<IndexKind>(7)}).IsInvalidArgument());
  EXPECT_TRUE(ParseIndexKind("ivy").status().IsInvalidArgument());
  EXPECT_TRUE(c_->SetIndex({.kind = hvdb::IndexKind::kPrefix, .prefix_bits = 100}).IsInvalidArgument());
  EXPECT_TRUE(c_->SetIndex({.kind = hvdb::IndexKind::kPrefix, .prefix_bits = kDim}).IsInvalidArgument());
  EXPECT_TRUE(c_->SetIndex({.kind = hvdb::IndexKind::kPrefix, .prefix_bits = 64, .prefix_candidates = 0}).IsInvalidArgument());
  EXPECT_EQ(c_->index().prefix_bits, 64u);  // a failed change leaves it as it was
  CollectionOptions bad{.dim = 128};
  bad.index = {.kind = hvdb::IndexKind::kPrefix, .prefix_bits = 128};
  const Status s = db_->CreateCollection("bad", bad);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("below dim 128"), std::string::npos) << s.ToString();
  EXPECT_TRUE(c_->Search(q, {.k = 5, .candidates = kernels::kMaxK + 1}).status().IsInvalidArgument());
}

}  // namespace
}  // namespace hvdb::testing
