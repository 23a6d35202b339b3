// Copyright hvdb authors. The ivf and hnsw indexes: exact when asked to look
// at everything, consistent with the flat scan through inserts, replaces,
// deletes, compaction, bulk loads (hnsw's exactly-scanned tail) and reopen,
// trained state kept across reopen, stale or broken files reconciled, and bad
// parameters named.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>
#include <omp.h>

#include "kernels/hamming.h"
#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

constexpr size_t kDim = 1024;

IndexOptions Ivf() { return {.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 16, .ivf_nprobe = 3}; }
IndexOptions Hnsw() { return {.kind = hvdb::IndexKind::kHnsw, .hnsw_m = 8, .hnsw_ef_construction = 64, .hnsw_ef_search = 100}; }

class AnnIndexTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // One FAISS (OpenMP) thread: a graph build then does not depend on thread
    // timing, so a failing seed (printed) replays.
    omp_set_num_threads(1);
    rng_.seed(DbTestSeed() + 77);
    db_ = OpenOrDie(dir_ / "db");
    CollectionOptions options{.dim = kDim, .compact_threshold = 0.1};
    options.index = GetParam() == "ivf" ? Ivf() : Hnsw();
    ASSERT_TRUE(db_->CreateCollection("c", options).ok());
    c_ = GetOrDie(db_.get(), "c");
    for (int i = 0; i < 6; ++i) queries_.push_back(Rand());
  }
  Hypervector Rand() { return Hypervector::Random(kDim, rng_()).value(); }
  void Reopen() {
    db_.reset();
    db_ = OpenOrDie(dir_ / "db");
    c_ = GetOrDie(db_.get(), "c");
  }
  // Everything probed: the flat scan's answer, ties included, k and radius.
  SearchOptions Everything(size_t k) const {
    SearchOptions o{.k = k};
    if (GetParam() == "ivf") o.nprobe = 1000;
    if (GetParam() == "hnsw") o.ef = 1000000;
    return o;
  }
  void ExpectExactWhenProbingEverything() {
    for (const auto& q : queries_) {
      for (size_t k : {1, 10, 100}) {
        auto exact = c_->Search(q, {.k = k, .exact = true});
        SearchStats stats;
        auto all = c_->Search(q, Everything(k), &stats);
        ASSERT_TRUE(exact.ok() && all.ok()) << all.status().ToString();
        EXPECT_EQ(*all, *exact) << "k=" << k;
        EXPECT_EQ(IndexKindName(stats.plan.index), GetParam());
      }
      SearchOptions within = Everything(0);
      within.max_distance = kDim / 2 - 20;
      within.k = GetParam() == "hnsw" ? kernels::kMaxK : 0;  // hnsw answers k-nearest only
      auto exact = c_->Search(q, {.k = 0, .max_distance = within.max_distance, .exact = true}).value();
      if (within.k) exact.resize(std::min(exact.size(), within.k));
      EXPECT_EQ(c_->Search(q, within).value(), exact);
    }
  }
  // Probing a little: fewer rows scanned, true distances in order, the planted
  // neighbour first.
  void ExpectPlantedFoundCheaply(const std::string& planted_prefix) {
    size_t found = 0;
    for (size_t i = 0; i < queries_.size(); ++i) {
      SearchStats stats;
      auto hits = c_->Search(queries_[i], {.k = 10}, &stats);
      ASSERT_TRUE(hits.ok());
      EXPECT_EQ(IndexKindName(stats.plan.index), GetParam());
      // ivf: the probed lists; hnsw: the distances the walk computed (on a
      // few thousand rows with many dead nodes, that can pass the row count).
      if (GetParam() == "ivf") {
        EXPECT_LT(stats.rows_scanned, c_->Count());
      }
      EXPECT_GT(stats.rows_scanned, 0u);
      ASSERT_FALSE(hits->empty());
      found += (*hits)[0].key == planted_prefix + std::to_string(i);
      for (size_t j = 0; j < hits->size(); ++j) {
        EXPECT_EQ((*hits)[j].distance, HammingDistance(queries_[i], c_->Get((*hits)[j].key).value()).value());
        if (j > 0) {
          EXPECT_LE((*hits)[j - 1].distance, (*hits)[j].distance);
        }
      }
    }
    // ivf: the planted row's list is the query's nearest, always. hnsw: a
    // walk may miss one (the graph is approximate).
    EXPECT_GE(found, GetParam() == "ivf" ? queries_.size() : queries_.size() - 1) << found << " planted rows found first";
  }

  TempDir dir_;
  std::unique_ptr<DB> db_;
  Collection* c_ = nullptr;
  std::mt19937_64 rng_;
  std::vector<Hypervector> queries_;
};

TEST_P(AnnIndexTest, ExactWhenProbingEverythingThroughWritesAndReopen) {
  WriteBatch batch;
  const Hypervector twin = Rand();
  for (int i = 0; i < 3000; ++i) {
    // Two planted neighbours per query at the same distance (a tie the smaller
    // row wins), exact duplicates of one vector (more ties), clusters.
    Hypervector v = i < 12 ? Near(queries_[i % 6], 10, rng_)
                    : i % 97 == 5 ? twin
                                  : Near(queries_[i % 6], 250 + i % 101, rng_);
    batch.Put("r" + std::to_string(i), v);
  }
  ASSERT_TRUE(c_->Write(batch, {.sync = false}).ok());
  ExpectExactWhenProbingEverything();
  ExpectPlantedFoundCheaply("r");

  // Deletes (compaction), replaces, inserts one by one and a bulk load.
  for (int i = 12; i < 3000; i += 3) ASSERT_TRUE(c_->Delete("r" + std::to_string(i), {.sync = false}).ok());
  for (int i = 7; i < 3000; i += 7) ASSERT_TRUE(c_->Put("r" + std::to_string(i), Rand(), {.sync = false}).ok());
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(c_->Delete("r" + std::to_string(i), {.sync = false}).ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(c_->Put("p" + std::to_string(i), Near(queries_[i], 5, rng_)).ok());
  std::vector<Hypervector> rows;
  for (int i = 0; i < 5000; ++i) rows.push_back(i % 50 == 0 ? twin : Near(queries_[i % 6], 300 + i % 101, rng_));
  WriteNpy(dir_ / "more.npy", rows, kDim);
  ASSERT_TRUE(c_->BulkLoad(dir_ / "more.npy").ok());  // hnsw: more than kMaxSyncAppend rows, the tail
  ExpectExactWhenProbingEverything();
  ExpectPlantedFoundCheaply("p");
  EXPECT_GT(c_->Stats().index_bytes, 0u);

  // The trained state (ivf centroids, the hnsw graph) comes back: answers
  // with partial probing are the same after reopen.
  std::vector<std::vector<SearchHit>> before;
  for (const auto& q : queries_) before.push_back(c_->Search(q, {.k = 10}).value());
  Reopen();
  EXPECT_EQ(IndexKindName(c_->index().kind), GetParam());
  ExpectExactWhenProbingEverything();
  for (size_t i = 0; i < queries_.size(); ++i) EXPECT_EQ(c_->Search(queries_[i], {.k = 10}).value(), before[i]);
  ASSERT_TRUE(static_cast<DB*>(db_.get())->Verify().ok());
}

TEST_P(AnnIndexTest, SwitchingKindsAndExactOption) {
  WriteBatch batch;
  for (int i = 0; i < 800; ++i) batch.Put("r" + std::to_string(i), i < 6 ? Near(queries_[i], 8, rng_) : Rand());
  ASSERT_TRUE(c_->Write(batch, {.sync = false}).ok());
  SearchStats stats;
  auto exact = c_->Search(queries_[0], {.k = 10, .exact = true}, &stats).value();
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kFlat);
  EXPECT_EQ(stats.rows_scanned, 800u);
  ASSERT_TRUE(c_->SetIndex({.kind = hvdb::IndexKind::kFlat}).ok());
  EXPECT_EQ(c_->Stats().index_bytes, 0u);
  Reopen();
  EXPECT_EQ(c_->Search(queries_[0], {.k = 10}, &stats).value(), exact);
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kFlat);
  ASSERT_TRUE(c_->SetIndex(GetParam() == "ivf" ? Ivf() : Hnsw()).ok());
  EXPECT_EQ(c_->Search(queries_[0], Everything(10), &stats).value(), exact);
  EXPECT_EQ(IndexKindName(stats.plan.index), GetParam());
  Reopen();
  EXPECT_EQ(c_->Search(queries_[0], Everything(10), &stats).value(), exact);
  EXPECT_EQ(IndexKindName(stats.plan.index), GetParam());
}

// A build whose progress callback says stop fails with Unavailable and
// leaves the old index (flat here) in place, in memory and after a reopen;
// a build let run afterwards succeeds.
TEST_P(AnnIndexTest, CancelledBuildKeepsTheOldIndex) {
  ASSERT_TRUE(c_->SetIndex({.kind = hvdb::IndexKind::kFlat}).ok());
  WriteBatch batch;
  // Past one hnsw batch (kBuildBatch rows), so the cancel lands mid-build.
  for (int i = 0; i < 9000; ++i) batch.Put("r" + std::to_string(i), Rand());
  ASSERT_TRUE(c_->Write(batch, {.sync = false}).ok());
  const auto exact = c_->Search(queries_[0], {.k = 10, .exact = true}).value();
  int calls = 0;
  const Status s = c_->SetIndex(GetParam() == "ivf" ? Ivf() : Hnsw(), [&](const BulkLoadProgress& p) {
    EXPECT_GT(p.total_rows, 0u);
    return ++calls < 2;  // the second call stops it
  });
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("cancelled"), std::string::npos) << s.ToString();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(c_->index().kind, IndexKind::kFlat);
  SearchStats stats;
  EXPECT_EQ(c_->Search(queries_[0], {.k = 10}, &stats).value(), exact);
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kFlat);
  Reopen();
  EXPECT_EQ(c_->index().kind, IndexKind::kFlat);
  if (GetParam() == "hnsw") return;  // a whole graph of 9,000 rows takes seconds; SwitchingKinds builds one
  ASSERT_TRUE(c_->SetIndex(Ivf(), [](const BulkLoadProgress&) { return true; }).ok());
  EXPECT_EQ(c_->Search(queries_[0], Everything(10), &stats).value(), exact);
  EXPECT_EQ(IndexKindName(stats.plan.index), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, AnnIndexTest, ::testing::Values("ivf", "hnsw"));

class IvfTrainingTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::mt19937_64 rng_{DbTestSeed() + 78};
};

TEST_F(IvfTrainingTest, FlatUntilEnoughRowsThenTrainedAndRetrainedAsItGrows) {
  auto db = OpenOrDie(dir_ / "db");
  CollectionOptions options{.dim = kDim};
  options.index = {.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 8, .ivf_nprobe = 8};
  ASSERT_TRUE(db->CreateCollection("c", options).ok());
  Collection* c = GetOrDie(db.get(), "c");
  const Hypervector q = Hypervector::Random(kDim, rng_()).value();
  SearchStats stats;
  for (int i = 0; i < 31; ++i) ASSERT_TRUE(c->Put("r" + std::to_string(i), Hypervector::Random(kDim, rng_()).value(), {.sync = false}).ok());
  ASSERT_TRUE(c->Search(q, {.k = 5}, &stats).ok());
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kFlat);  // 31 rows < 4 x nlist: not trained yet
  ASSERT_TRUE(c->Put("r31", Hypervector::Random(kDim, rng_()).value()).ok());
  ASSERT_TRUE(c->Search(q, {.k = 5}, &stats).ok());
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kIvf);
  // Grow 40x, all of it crowded around one centre (the lists drift out of
  // balance): retraining keeps the exact answer with every list probed.
  const Hypervector centre = Hypervector::Random(kDim, rng_()).value();
  for (int round = 0; round < 10; ++round) {
    WriteBatch batch;
    for (int i = 0; i < 128; ++i) batch.Put("g" + std::to_string(round * 128 + i), Near(centre, 40 + i, rng_));
    ASSERT_TRUE(c->Write(batch, {.sync = false}).ok());
    EXPECT_EQ(c->Search(centre, {.k = 20}).value(), c->Search(centre, {.k = 20, .exact = true}).value());
  }
  // Fewer probes scan fewer rows than the collection holds.
  ASSERT_TRUE(c->Search(centre, {.k = 20, .nprobe = 1}, &stats).ok());
  EXPECT_LT(stats.rows_scanned, c->Count());
}

// nlist 0, the default: chosen from the data when the collection reaches
// 1024 live rows (index/ivf_nlist.h). Rows in 100 clusters get lists that
// hold them: one probe finds nearly all of a fresh member's ten nearest. The
// plan names the nlist; a reopen keeps the lists from the file.
TEST_F(IvfTrainingTest, NlistChosenFromTheDataByDefault) {
  auto db = OpenOrDie(dir_ / "db");
  CollectionOptions options{.dim = kDim};
  options.index = {.kind = hvdb::IndexKind::kIvf, .ivf_nprobe = 1};
  ASSERT_EQ(options.index.ivf_nlist, 0u);
  ASSERT_TRUE(db->CreateCollection("c", options).ok());
  Collection* c = GetOrDie(db.get(), "c");
  std::vector<Hypervector> centres;
  for (int j = 0; j < 100; ++j) centres.push_back(Hypervector::Random(kDim, rng_()).value());
  auto write = [&](int first, int count) {
    WriteBatch batch;
    for (int i = first; i < first + count; ++i) batch.Put("r" + std::to_string(i), Near(centres[i % 100], 128, rng_));
    ASSERT_TRUE(c->Write(batch, {.sync = false}).ok());
  };
  write(0, 1000);
  SearchStats stats;
  ASSERT_TRUE(c->Search(centres[0], {.k = 10}, &stats).ok());
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kFlat);
  EXPECT_NE(stats.plan.reason.find("it trains at 1024, 16 x the fewest lists it chooses"), std::string::npos)
      << stats.plan.reason;
  write(1000, 2000);
  std::vector<Hypervector> queries;
  for (int q = 0; q < 50; ++q) queries.push_back(Near(centres[rng_() % 100], 128, rng_));
  std::vector<std::vector<SearchHit>> before;
  size_t found = 0;
  for (const Hypervector& q : queries) {
    before.push_back(c->Search(q, {.k = 10}, &stats).value());
    const auto exact = c->Search(q, {.k = 10, .exact = true}).value();
    for (const SearchHit& hit : before.back()) found += hit.distance <= exact.back().distance;
  }
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kIvf);
  const std::string reason = stats.plan.reason;
  EXPECT_NE(reason.find(", chosen from the data)"), std::string::npos) << reason;
  EXPECT_GE(found, 50u * 10 * 9 / 10) << reason;
  EXPECT_EQ(c->index().ivf_nlist, 0u);  // the options stay as asked
  db.reset();
  db = OpenOrDie(dir_ / "db");
  c = GetOrDie(db.get(), "c");
  for (size_t q = 0; q < queries.size(); ++q) EXPECT_EQ(c->Search(queries[q], {.k = 10}, &stats).value(), before[q]);
  EXPECT_EQ(stats.plan.reason, reason);
}

// Rows wider than 2048 bits train on a sketch (index/kmeans.h): the lists
// still hold every row once, a probe of all of them is the exact scan, before
// and after a reopen reads the wide centroids back, and one probe scans less.
TEST_F(IvfTrainingTest, WideRowsTrainOnASketchAndStayExact) {
  constexpr size_t kWide = 8192;
  auto db = OpenOrDie(dir_ / "db");
  CollectionOptions options{.dim = kWide};
  options.index = {.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 8, .ivf_nprobe = 1};
  ASSERT_TRUE(db->CreateCollection("c", options).ok());
  Collection* c = GetOrDie(db.get(), "c");
  std::vector<Hypervector> centres;
  for (int j = 0; j < 8; ++j) centres.push_back(Hypervector::Random(kWide, rng_()).value());
  WriteBatch batch;
  for (int i = 0; i < 320; ++i) batch.Put("r" + std::to_string(i), Near(centres[i % 8], 200 + i, rng_));
  ASSERT_TRUE(c->Write(batch).ok());
  auto expect_exact = [&] {
    for (int j = 0; j < 8; ++j) {
      const Hypervector q = Near(centres[j], 100, rng_);
      SearchStats stats;
      EXPECT_EQ(c->Search(q, {.k = 15, .nprobe = 8}, &stats).value(), c->Search(q, {.k = 15, .exact = true}).value());
      EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kIvf);
      ASSERT_TRUE(c->Search(q, {.k = 15, .nprobe = 1}, &stats).ok());
      EXPECT_LT(stats.rows_scanned, c->Count());
    }
  };
  expect_exact();
  db.reset();
  db = OpenOrDie(dir_ / "db");
  c = GetOrDie(db.get(), "c");
  expect_exact();
}

TEST_F(IvfTrainingTest, BadParametersAreNamedAndChangeNothing) {
  auto db = OpenOrDie(dir_ / "db");
  auto expect_bad = [&](const IndexOptions& index, const std::string& words) {
    CollectionOptions options{.dim = kDim};
    options.index = index;
    const Status s = db->CreateCollection("bad", options);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find(words), std::string::npos) << s.ToString();
  };
  expect_bad({.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 70000}, "nlist 70000 must be in [1, 65536], or 0");
  expect_bad({.kind = hvdb::IndexKind::kIvf, .ivf_nprobe = 0}, "nprobe");
  expect_bad({.kind = hvdb::IndexKind::kIvf, .ivf_iterations = 0}, "iterations 0");
  expect_bad({.kind = hvdb::IndexKind::kIvf, .ivf_retrain_imbalance = 0.5}, "retrain_imbalance");
  expect_bad({.kind = hvdb::IndexKind::kHnsw, .hnsw_m = 1}, "m 1");
  expect_bad({.kind = hvdb::IndexKind::kHnsw, .hnsw_ef_search = 0}, "ef_search");
  expect_bad({.kind = static_cast<IndexKind>(9)}, "IndexOptions::kind 9 is unknown");
  EXPECT_EQ(ParseIndexKind("annoy").status().message(), "index 'annoy' is unknown (flat, prefix, ivf, hnsw)");
  EXPECT_TRUE(db->ListCollections().empty());

  CollectionOptions options{.dim = kDim};
  options.index = Ivf();
  ASSERT_TRUE(db->CreateCollection("c", options).ok());
  Collection* c = GetOrDie(db.get(), "c");
  EXPECT_TRUE(c->SetIndex({.kind = hvdb::IndexKind::kHnsw, .hnsw_m = 0}).IsInvalidArgument());
  EXPECT_EQ(c->index().kind, IndexKind::kIvf);
  EXPECT_EQ(c->index().ivf_nlist, 16u);
  const Hypervector q = Hypervector::Random(kDim, rng_()).value();
  EXPECT_TRUE(c->Search(q, {.k = 5, .ef = size_t{1} << 31}).status().IsInvalidArgument());
}

TEST(AnnConcurrencyTest, IvfSearchesDuringWritesAndRetraining) {
  TempDir dir;
  auto db = OpenOrDie(dir / "db");
  CollectionOptions options{.dim = kDim};
  options.index = {.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 8, .ivf_nprobe = 2};
  ASSERT_TRUE(db->CreateCollection("c", options).ok());
  Collection* c = GetOrDie(db.get(), "c");
  std::mt19937_64 rng(DbTestSeed() + 80);
  std::vector<Hypervector> queries;
  for (int i = 0; i < 4; ++i) queries.push_back(Hypervector::Random(kDim, rng()).value());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::mt19937_64 wrng(DbTestSeed() + 81);
    for (int i = 0; i < 1500; ++i) {  // trains at 32 rows, retrains at 64, 128, ...
      const std::string key = "r" + std::to_string(i % 700);
      if (i % 5 == 4) {
        EXPECT_TRUE(c->Delete(key, {.sync = false}).ok());
      } else {
        EXPECT_TRUE(c->Put(key, Near(queries[i % 4], 50 + i % 300, wrng), {.sync = false}).ok());
      }
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      while (!done) {
        auto hits = c->Search(queries[t], {.k = 10, .nprobe = t == 0 ? 2u : 8u});
        ASSERT_TRUE(hits.ok()) << hits.status().ToString();
        for (size_t j = 1; j < hits->size(); ++j) ASSERT_LE((*hits)[j - 1].distance, (*hits)[j].distance);
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  for (const auto& q : queries) {
    EXPECT_EQ(c->Search(q, {.k = 10, .nprobe = 8}).value(), c->Search(q, {.k = 10, .exact = true}).value());
  }
}

TEST(HnswFileTest, StaleOrDamagedFilesAreReconciled) {
  omp_set_num_threads(1);  // as in AnnIndexTest
  TempDir dir;
  std::mt19937_64 rng(DbTestSeed() + 79);
  auto rand = [&] { return Hypervector::Random(kDim, rng()).value(); };
  std::vector<Hypervector> queries;
  for (int i = 0; i < 4; ++i) queries.push_back(rand());
  auto check = [&](Collection* c) {
    for (const auto& q : queries) {
      const auto exact = c->Search(q, {.k = 10, .exact = true}).value();
      EXPECT_EQ(c->Search(q, {.k = 10, .ef = 1000000}).value(), exact);
      // Walking the reconciled graph: only live rows, with their current
      // distances, and the nearest one found.
      SearchStats stats;
      const auto walked = c->Search(q, {.k = 10, .ef = 64}, &stats).value();
      EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kHnsw);
      EXPECT_GT(stats.rows_scanned, 0u);
      ASSERT_FALSE(walked.empty());
      EXPECT_EQ(walked[0].distance, exact[0].distance);
      for (const auto& hit : walked) {
        auto now = c->Get(hit.key);
        ASSERT_TRUE(now.ok()) << hit.key << " is deleted but was returned";
        EXPECT_EQ(hit.distance, HammingDistance(q, *now).value());
      }
    }
  };
  const std::string file = dir / "db/indexes/1.hnsw";
  {
    auto db = OpenOrDie(dir / "db");
    CollectionOptions options{.dim = kDim};
    options.index = Hnsw();
    ASSERT_TRUE(db->CreateCollection("c", options).ok());
    Collection* c = GetOrDie(db.get(), "c");
    for (int i = 0; i < 1200; ++i) ASSERT_TRUE(c->Put("r" + std::to_string(i), rand(), {.sync = false}).ok());
  }
  ASSERT_TRUE(std::filesystem::exists(file));
  std::filesystem::copy_file(file, dir / "old.hnsw");
  {
    // Writes after the file was saved; then the old file comes back (as after
    // a crash that lost the newer one).
    auto db = OpenOrDie(dir / "db");
    Collection* c = GetOrDie(db.get(), "c");
    for (int i = 0; i < 600; i += 4) ASSERT_TRUE(c->Delete("r" + std::to_string(i), {.sync = false}).ok());
    for (int i = 1; i < 600; i += 5) ASSERT_TRUE(c->Put("r" + std::to_string(i), Near(queries[i % 4], 20, rng), {.sync = false}).ok());
    for (int i = 1200; i < 1300; ++i) ASSERT_TRUE(c->Put("r" + std::to_string(i), rand(), {.sync = false}).ok());
  }
  std::filesystem::copy_file(dir / "old.hnsw", file, std::filesystem::copy_options::overwrite_existing);
  {
    auto db = OpenOrDie(dir / "db");
    check(GetOrDie(db.get(), "c"));
  }
  // A damaged file: rebuilt at open.
  std::filesystem::resize_file(file, 100);
  {
    auto db = OpenOrDie(dir / "db");
    check(GetOrDie(db.get(), "c"));
  }
  // Dropping the collection removes the file.
  {
    auto db = OpenOrDie(dir / "db");
    ASSERT_TRUE(db->DropCollection("c").ok());
    EXPECT_FALSE(std::filesystem::exists(file));
  }
}

// The ivf lists file: none while untrained, written at training and at
// close after writes, copied into checkpoints; an older or damaged file is
// reconciled or replaced at open, never served as it is.
TEST(IvfFileTest, WrittenWhenTrainedAndAtCloseAndReconciledAtOpen) {
  TempDir dir;
  std::mt19937_64 rng(DbTestSeed() + 80);
  auto rand = [&] { return Hypervector::Random(kDim, rng()).value(); };
  std::vector<Hypervector> queries;
  for (int i = 0; i < 4; ++i) queries.push_back(rand());
  auto check = [&](Collection* c) {
    for (const auto& q : queries) {
      SearchStats stats;
      EXPECT_EQ(c->Search(q, {.k = 10, .nprobe = 8}, &stats).value(), c->Search(q, {.k = 10, .exact = true}).value());
      EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kIvf);
    }
  };
  const std::string file = dir / "db/indexes/1.ivf";
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  {
    auto db = OpenOrDie(dir / "db");
    CollectionOptions options{.dim = kDim};
    options.index = {.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 8, .ivf_nprobe = 2};
    ASSERT_TRUE(db->CreateCollection("c", options).ok());
    Collection* c = GetOrDie(db.get(), "c");
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(c->Put("r" + std::to_string(i), rand(), {.sync = false}).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(file)) << "an untrained index keeps no file";
  std::string trained;
  {
    auto db = OpenOrDie(dir / "db");
    Collection* c = GetOrDie(db.get(), "c");
    for (int i = 20; i < 40; ++i) ASSERT_TRUE(c->Put("r" + std::to_string(i), rand(), {.sync = false}).ok());
    ASSERT_TRUE(std::filesystem::exists(file)) << "written when the 32nd row trained it";
    trained = read(file);
    ASSERT_TRUE(db->Checkpoint(dir / "copy").ok());
    for (int i = 40; i < 300; ++i) ASSERT_TRUE(c->Put("r" + std::to_string(i), rand(), {.sync = false}).ok());
    check(c);
  }
  EXPECT_NE(read(file), trained) << "rewritten at close after writes";
  EXPECT_TRUE(std::filesystem::exists(dir / "copy/indexes/1.ivf"));
  {
    auto copy = OpenOrDie(dir / "copy");
    EXPECT_EQ(GetOrDie(copy.get(), "c")->Count(), 40u);
    check(GetOrDie(copy.get(), "c"));
  }
  // The file from before 260 writes and some replacements and deletes (as
  // after a crash that lost the newer one): those rows are assigned again.
  {
    auto db = OpenOrDie(dir / "db");
    Collection* c = GetOrDie(db.get(), "c");
    for (int i = 0; i < 300; i += 7) ASSERT_TRUE(c->Delete("r" + std::to_string(i), {.sync = false}).ok());
    for (int i = 1; i < 300; i += 5) ASSERT_TRUE(c->Put("r" + std::to_string(i), Near(queries[i % 4], 20, rng), {.sync = false}).ok());
  }
  {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << trained;
    auto db = OpenOrDie(dir / "db");
    check(GetOrDie(db.get(), "c"));
  }
  // Damaged: trained again at open.
  std::filesystem::resize_file(file, 100);
  {
    auto db = OpenOrDie(dir / "db");
    check(GetOrDie(db.get(), "c"));
  }
  EXPECT_GT(std::filesystem::file_size(file), 100u) << "written again at close";
}

}  // namespace
}  // namespace hvdb::testing
