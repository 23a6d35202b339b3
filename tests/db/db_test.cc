// Copyright hvdb authors. DB and Collection: round trips, search against a
// scalar model, atomic batches, bad input, checkpoints, locking.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "kernels/cuda/devices.h"
#include "kernels/device/search_device.h"
#include "kernels/hamming.h"
#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

constexpr size_t kDim = 1024;

Hypervector Rand(uint64_t seed, size_t dim = kDim) { return Hypervector::Random(dim, seed).value(); }

void ExpectSameHits(const std::vector<SearchHit>& got, const std::vector<SearchHit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key) << "hit " << i;
    EXPECT_EQ(got[i].distance, want[i].distance) << "hit " << i;
    EXPECT_DOUBLE_EQ(got[i].similarity, want[i].similarity) << "hit " << i;
  }
}

// A batch's keys are copied into its hits on the search's threads, in
// slices of queries: a batch of several slices on two threads gives each
// query what it gets searched alone (keys short and long, ties, deletes).
TEST(DbTest, ABatchOfManyQueriesEqualsEachQuerySearchedAlone) {
  TempDir dir;
  std::mt19937_64 rng(DbTestSeed() + 3);
  auto db = OpenOrDie(dir.path());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = kDim}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  std::vector<Hypervector> queries;
  for (int i = 0; i < 150; ++i) queries.push_back(Rand(rng()));
  for (int i = 0; i < 600; ++i) {
    const std::string key = (i % 3 == 0 ? std::string(40 + i % 50, 'x') : "r") + std::to_string(i);
    const Hypervector v = i < 300 ? queries[i % queries.size()] : Rand(rng());  // each query twice: ties
    ASSERT_TRUE(c->Put(key, v, {.sync = false}).ok());
  }
  for (int i = 0; i < 600; i += 11) ASSERT_TRUE(c->Delete("r" + std::to_string(i)).ok());
  const SearchOptions nearest{.k = 10, .threads = 2}, within{.k = 0, .max_distance = 470, .threads = 2};
  for (const SearchOptions& options : {nearest, within}) {
    auto batch = c->SearchBatch(std::span<const Hypervector>(queries), options);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    ASSERT_EQ(batch->size(), queries.size());
    SearchOptions alone = options;
    alone.threads = 1;
    for (size_t q = 0; q < queries.size(); ++q) {
      auto hits = c->Search(queries[q], alone);
      ASSERT_TRUE(hits.ok()) << hits.status().ToString();
      ASSERT_FALSE(hits->empty()) << "query " << q;
      ExpectSameHits((*batch)[q], *hits);
    }
  }
}

TEST(DbTest, CreatePutGetAcrossReopen) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.path());
    ASSERT_TRUE(db->CreateCollection("words", {.dim = kDim}).ok());
    ASSERT_TRUE(db->CreateCollection("other", {.dim = 64}).ok());
    Collection* c = GetOrDie(db.get(), "words");
    ASSERT_TRUE(c->Put("apple", Rand(1)).ok());
    ASSERT_TRUE(c->Put(std::string("nul\0key", 7), Rand(2)).ok());
    ASSERT_TRUE(c->Put("apple", Rand(3)).ok());  // replace
    EXPECT_EQ(c->Count(), 2u);
    EXPECT_TRUE(c->Contains("apple"));
    EXPECT_FALSE(c->Contains("pear"));
  }
  auto db = OpenOrDie(dir.path());
  EXPECT_EQ(db->ListCollections(), (std::vector<std::string>{"other", "words"}));
  Collection* c = GetOrDie(db.get(), "words");
  EXPECT_EQ(c->dim(), kDim);
  EXPECT_EQ(c->Count(), 2u);
  EXPECT_TRUE(*c->Get("apple") == Rand(3));
  EXPECT_TRUE(*c->Get(std::string("nul\0key", 7)) == Rand(2));
  EXPECT_TRUE(db->Verify().ok());
  EXPECT_EQ(GetOrDie(db.get(), "other")->Count(), 0u);
}

TEST(DbTest, SearchMatchesModelThroughReplacesDeletesAndReopen) {
  TempDir dir;
  std::mt19937_64 rng(DbTestSeed());
  Model model(kDim);
  std::vector<Hypervector> queries;
  for (int i = 0; i < 4; ++i) queries.push_back(Rand(rng()));
  auto check = [&](const Collection& c) {
    for (const auto& q : queries) {
      for (size_t k : {1, 7, 50, 1000}) {
        auto hits = c.Search(q, {.k = k});
        ASSERT_TRUE(hits.ok()) << hits.status().ToString();
        ExpectSameHits(*hits, model.Search(q, k));
      }
      auto radius = c.Search(q, {.k = 0, .max_distance = 470});
      ASSERT_TRUE(radius.ok());
      ExpectSameHits(*radius, model.Search(q, 0, 470));
      auto both = c.Search(q, {.k = 3, .max_distance = 60});
      ASSERT_TRUE(both.ok());
      ExpectSameHits(*both, model.Search(q, 3, 60));
    }
    auto batch = c.SearchBatch(std::span<const Hypervector>(queries), {.k = 5});
    ASSERT_TRUE(batch.ok());
    for (size_t i = 0; i < queries.size(); ++i) ExpectSameHits((*batch)[i], model.Search(queries[i], 5));
    model.ExpectEquals(c);
  };
  {
    auto db = OpenOrDie(dir.path());
    ASSERT_TRUE(db->CreateCollection("c", {.dim = kDim, .compact_threshold = 0.2}).ok());
    Collection* c = GetOrDie(db.get(), "c");
    // Planted: near-duplicates of each query, and exact duplicates (ties).
    for (int i = 0; i < 300; ++i) {
      const std::string key = "k" + std::to_string(i);
      Hypervector v = i % 10 == 0 ? Near(queries[i % 4], i % 37, rng) : Rand(rng());
      if (i % 25 == 1) v = *c->Get("k0");
      ASSERT_TRUE(c->Put(key, v, {.sync = false}).ok());
      model.Put(key, v);
    }
    check(*c);
    for (int i = 0; i < 300; i += 3) {  // deletes, then replaces and re-inserts
      ASSERT_TRUE(c->Delete("k" + std::to_string(i)).ok());
      model.Delete("k" + std::to_string(i));
    }
    ASSERT_TRUE(c->Delete("never-there").ok());
    for (int i = 1; i < 300; i += 7) {
      const Hypervector v = Near(queries[i % 4], 5 + i % 3, rng);
      ASSERT_TRUE(c->Put("k" + std::to_string(i), v).ok());
      model.Put("k" + std::to_string(i), v);
    }
    ASSERT_TRUE(c->Put("k0", queries[0]).ok());  // deleted then inserted: goes last
    model.Put("k0", queries[0]);
    check(*c);
    EXPECT_TRUE(db->Verify().ok());
  }
  auto db = OpenOrDie(dir.path());
  check(*GetOrDie(db.get(), "c"));
  EXPECT_TRUE(db->Verify().ok());
}

TEST(DbTest, CompactionKeepsOrderAndAnswers) {
  TempDir dir;
  std::mt19937_64 rng(DbTestSeed() + 1);
  auto db = OpenOrDie(dir.path());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 256, .compact_threshold = 0.05}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  Model model(256);
  const Hypervector same = Rand(9, 256);
  for (int i = 0; i < 2000; ++i) {
    const Hypervector v = i % 3 == 0 ? same : Rand(rng(), 256);  // many exact ties
    WriteBatch b;
    b.Put("r" + std::to_string(i), v);
    ASSERT_TRUE(c->Write(b, {.sync = false}).ok());
    model.Put("r" + std::to_string(i), v);
  }
  uint64_t compactions_seen = 0;
  for (int i = 0; i < 2000; i += 2) {
    ASSERT_TRUE(c->Delete("r" + std::to_string(i), {.sync = false}).ok());
    model.Delete("r" + std::to_string(i));
    if (c->Stats().deleted_rows == 0) ++compactions_seen;
  }
  EXPECT_GT(compactions_seen, 0u);
  EXPECT_LT(c->Stats().deleted_rows, 0.05 * c->Stats().cache_rows + 1);
  ExpectSameHits(*c->Search(same, {.k = 100}), model.Search(same, 100));
  EXPECT_TRUE(db->Verify().ok());
}

TEST(DbTest, WriteBatchIsAtomic) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = kDim}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  ASSERT_TRUE(c->Put("a", Rand(1)).ok());
  WriteBatch bad;
  bad.Put("b", Rand(2));
  bad.Delete("a");
  bad.Put("c", Rand(3, 2048));  // wrong dim: the whole batch fails
  const Status s = c->Write(bad);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("batch operation 2"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("dim 1024"), std::string::npos) << s.ToString();
  EXPECT_EQ(c->Count(), 1u);
  EXPECT_FALSE(c->Contains("b"));
  WriteBatch empty_key;
  empty_key.Put("x", Rand(4));
  empty_key.Put("", Rand(5));
  EXPECT_TRUE(c->Write(empty_key).IsInvalidArgument());
  EXPECT_FALSE(c->Contains("x"));

  WriteBatch good;  // order within a batch: last operation on a key wins
  good.Put("b", Rand(2));
  good.Delete("a");
  good.Put("d", Rand(6));
  good.Delete("d");
  good.Put("e", Rand(7));
  good.Put("e", Rand(8));
  ASSERT_TRUE(c->Write(good).ok());
  EXPECT_FALSE(c->Contains("a"));
  EXPECT_FALSE(c->Contains("d"));
  EXPECT_TRUE(*c->Get("e") == Rand(8));
  EXPECT_EQ(c->Count(), 2u);
  EXPECT_TRUE(db->Verify().ok());
}

TEST(DbTest, BadInputIsRejectedAndNamed) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  EXPECT_TRUE(db->CreateCollection("c", {.dim = 100}).IsInvalidArgument());
  EXPECT_TRUE(db->CreateCollection("bad name", {.dim = 64}).IsInvalidArgument());
  EXPECT_TRUE(db->CreateCollection("", {.dim = 64}).IsInvalidArgument());
  EXPECT_TRUE(db->CreateCollection("c", {.dim = 64, .compact_threshold = 0}).IsInvalidArgument());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = kDim}).ok());
  const Status again = db->CreateCollection("c", {.dim = kDim});
  EXPECT_TRUE(again.IsAlreadyExists()) << again.ToString();
  EXPECT_NE(again.message().find("already exists"), std::string::npos);
  Collection* c = nullptr;
  const Status missing = db->GetCollection("nope", &c);
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_NE(missing.message().find("'nope'"), std::string::npos);
  EXPECT_NE(missing.message().find("c"), std::string::npos);
  EXPECT_TRUE(db->DropCollection("nope").IsNotFound());

  c = GetOrDie(db.get(), "c");
  const Status wrong_dim = c->Put("k", Rand(1, 2048));
  EXPECT_TRUE(wrong_dim.IsInvalidArgument());
  EXPECT_NE(wrong_dim.message().find("has dim 1024"), std::string::npos) << wrong_dim.ToString();
  EXPECT_NE(wrong_dim.message().find("2048"), std::string::npos);
  EXPECT_TRUE(c->Put("", Rand(1)).IsInvalidArgument());
  EXPECT_TRUE(c->Put(std::string(kMaxKeyBytes + 1, 'x'), Rand(1)).IsInvalidArgument());
  ASSERT_TRUE(c->Put(std::string(kMaxKeyBytes, 'x'), Rand(1)).ok());
  EXPECT_TRUE(c->Get("absent").status().IsNotFound());
  EXPECT_NE(c->Get("absent").status().message().find("'absent'"), std::string::npos);
  EXPECT_TRUE(c->Search(Rand(1, 2048)).status().IsInvalidArgument());
  EXPECT_TRUE(c->Search(Rand(1), {.k = 0}).status().IsInvalidArgument());
  EXPECT_TRUE(c->Search(Rand(1), {.k = kernels::kMaxK + 1}).status().IsInvalidArgument());
  std::vector<kernels::SearchDevice*> none;  // a machine without a search device (the CUDA emulation's build has one)
  kernels::OverrideSearchDevicesForTesting(&none);
  EXPECT_TRUE(c->Search(Rand(1), {.device = Device::kGpu}).status().IsUnavailable());
  kernels::OverrideSearchDevicesForTesting(nullptr);
  EXPECT_EQ(c->Count(), 1u);
  EXPECT_TRUE(db->Verify().ok());
}

TEST(DbTest, DropRemovesEverythingAndOldPointersFailCleanly) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.path());
    ASSERT_TRUE(db->CreateCollection("gone", {.dim = 64}).ok());
    Collection* c = GetOrDie(db.get(), "gone");
    ASSERT_TRUE(c->Put("k", Rand(1, 64)).ok());
    ASSERT_TRUE(db->DropCollection("gone").ok());
    EXPECT_TRUE(c->Put("k", Rand(1, 64)).IsNotFound());
    EXPECT_TRUE(c->Get("k").status().IsNotFound());
    EXPECT_TRUE(c->Search(Rand(1, 64)).status().IsNotFound());
    EXPECT_EQ(c->Count(), 0u);
    ASSERT_TRUE(db->CreateCollection("gone", {.dim = 128}).ok());  // a new collection of the same name
    EXPECT_EQ(GetOrDie(db.get(), "gone")->Count(), 0u);
  }
  auto db = OpenOrDie(dir.path());
  Collection* c = GetOrDie(db.get(), "gone");
  EXPECT_EQ(c->dim(), 128u);
  EXPECT_EQ(c->Count(), 0u);
  auto it = c->NewIterator();
  EXPECT_FALSE(it->Valid());
}

TEST(DbTest, IteratorIsASnapshotInInsertionOrder) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 64}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  for (const char* k : {"z", "a", "m"}) ASSERT_TRUE(c->Put(k, Rand(k[0], 64)).ok());
  ASSERT_TRUE(c->Put("z", Rand(99, 64)).ok());  // replace keeps its place
  auto it = c->NewIterator();
  ASSERT_TRUE(c->Put("late", Rand(5, 64)).ok());
  ASSERT_TRUE(c->Delete("a").ok());
  std::vector<std::string> keys;
  for (; it->Valid(); it->Next()) keys.emplace_back(it->key());
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "a", "m"}));
  it->SeekToFirst();
  EXPECT_TRUE(it->vector() == Rand(99, 64));
}

TEST(DbTest, SecondOpenOfThePathIsRefused) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 64}).ok());
  std::unique_ptr<DB> second;
  const Status s = DB::Open({}, dir.path(), &second);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("in use by another process or another DB object"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("read-only commands"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find("LOCK"), std::string::npos) << "RocksDB's lock text: " << s.ToString();
  EXPECT_EQ(second, nullptr);
#ifdef HVDB_CLI_PATH
  // Another process that writes: the hvdb program reports the lock and
  // exits 1. (hvdb info, search, export and check open read-only and take
  // no lock: they work beside the writer, tests/shell/repair_cli_test.sh.)
  const std::string command = std::string(HVDB_CLI_PATH) + " shell " + dir.path() + " -c collections > " +
                              dir.path() + "/out.txt 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(command.c_str())), 1);
  std::FILE* f = std::fopen((dir.path() + "/out.txt").c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buf[4096] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  EXPECT_NE(std::string(buf, n).find("in use by another process"), std::string::npos) << buf;
#endif
  EXPECT_EQ(GetOrDie(db.get(), "c")->Count(), 0u);
}

TEST(DbTest, OpenOptionsAndNotADatabase) {
  TempDir dir;
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open({.create_if_missing = false}, dir / "none", &db).IsNotFound());
  std::FILE* f = std::fopen((dir / "file").c_str(), "w");
  std::fclose(f);
  EXPECT_TRUE(DB::Open({}, dir / "file", &db).IsInvalidArgument());
  ASSERT_TRUE(DB::Open({}, dir / "db", &db).ok());
  db.reset();
  EXPECT_TRUE(DB::Open({.error_if_exists = true}, dir / "db", &db).IsAlreadyExists());
  EXPECT_TRUE(DB::Open({.background_jobs = 0}, dir / "db", &db).IsInvalidArgument());
}

TEST(DbTest, CheckpointWhileWriting) {
  TempDir dir;
  auto db = OpenOrDie(dir / "db");
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 256}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(c->Put("before" + std::to_string(i), Rand(i, 256), {.sync = false}).ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) ASSERT_TRUE(c->Put("during" + std::to_string(i), Rand(i, 256), {.sync = false}).ok());
  });
  const Status s = db->Checkpoint(dir / "copy");
  stop = true;
  writer.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(db->Checkpoint(dir / "copy").IsAlreadyExists());  // exists
  auto copy = OpenOrDie(dir / "copy");
  Collection* cc = GetOrDie(copy.get(), "c");
  EXPECT_GE(cc->Count(), 500u);
  EXPECT_LE(cc->Count(), c->Count());
  EXPECT_TRUE(*cc->Get("before499") == Rand(499, 256));
  EXPECT_TRUE(copy->Verify().ok());
}

TEST(DbTest, ConcurrentReadersAndWriters) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 512, .compact_threshold = 0.1}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  constexpr int kWriters = 4, kReaders = 4, kOps = 300;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kOps; ++i) {
        // Each writer owns its keys, so its own reads are exact.
        const std::string key = "w" + std::to_string(w) + "-" + std::to_string(i % 50);
        const Hypervector v = Rand(w * 100000 + i, 512);
        Status s;
        if (i % 5 == 4) {
          s = c->Delete(key, {.sync = false});
          if (s.ok() && c->Contains(key)) ++failures;
        } else if (i % 7 == 3) {
          WriteBatch b;
          b.Put(key, v);
          b.Put(key + "-b", v);
          s = c->Write(b, {.sync = false});
        } else {
          s = c->Put(key, v, {.sync = false});
          if (s.ok() && !(c->Get(key).value_or(Hypervector()) == v)) ++failures;
        }
        if (!s.ok()) ++failures;
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      for (int i = 0; i < kOps; ++i) {
        const Hypervector q = Rand(r * 7 + i, 512);
        auto hits = c->Search(q, {.k = 5, .threads = 1});
        if (!hits.ok()) ++failures;
        else
          for (size_t j = 1; j < hits->size(); ++j)
            if ((*hits)[j - 1].distance > (*hits)[j].distance) ++failures;
        (void)c->Stats();
        (void)db->ListCollections();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(db->Verify().ok()) << db->Verify().ToString();
  // The cache after reopen equals the cache before.
  const uint64_t count = c->Count();
  db.reset();
  db = OpenOrDie(dir.path());
  EXPECT_EQ(GetOrDie(db.get(), "c")->Count(), count);
  EXPECT_TRUE(db->Verify().ok());
}

// Random puts, replaces, deletes, batches and bulk loads with reopens in
// between; after each step the collection equals a model searched by brute
// force (ties included: half the vectors come from a small pool).
TEST(DbTest, RandomOperationsMatchTheModel) {
  TempDir dir;
  std::mt19937_64 rng(DbTestSeed() + 99);
  constexpr size_t kBits = 128;
  Model model(kBits);
  std::vector<Hypervector> pool;
  for (int i = 0; i < 8; ++i) pool.push_back(Rand(rng(), kBits));
  auto vector = [&] { return rng() % 2 ? pool[rng() % pool.size()] : Rand(rng(), kBits); };
  auto key = [&] { return "k" + std::to_string(rng() % 120); };
  std::unique_ptr<DB> db = OpenOrDie(dir / "db");
  ASSERT_TRUE(db->CreateCollection("c", {.dim = kBits, .compact_threshold = 0.15}).ok());
  for (int step = 0; step < 600; ++step) {
    Collection* c = GetOrDie(db.get(), "c");
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 45) {
      const std::string k = key();
      const Hypervector v = vector();
      ASSERT_TRUE(c->Put(k, v, {.sync = false}).ok());
      model.Put(k, v);
    } else if (kind < 70) {
      const std::string k = key();
      ASSERT_TRUE(c->Delete(k, {.sync = false}).ok());
      model.Delete(k);
    } else if (kind < 88) {
      WriteBatch batch;
      Model next = model;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 6); i < n; ++i) {
        const std::string k = key();
        if (rng() % 3 == 0) {
          batch.Delete(k);
          next.Delete(k);
        } else {
          const Hypervector v = vector();
          batch.Put(k, v);
          next.Put(k, v);
        }
      }
      ASSERT_TRUE(c->Write(batch, {.sync = false}).ok());
      model = next;
    } else if (kind < 95) {
      std::string text;
      std::vector<std::pair<std::string, Hypervector>> rows;
      std::set<std::string> seen;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 10); i < n; ++i) {
        const std::string k = key();
        if (!seen.insert(k).second) continue;
        rows.emplace_back(k, vector());
        text += k + "\t" + rows.back().second.ToHex() + "\n";
      }
      std::FILE* f = std::fopen((dir / "load.tsv").c_str(), "w");
      std::fputs(text.c_str(), f);
      std::fclose(f);
      ASSERT_TRUE(c->BulkLoad(dir / "load.tsv").ok());
      for (const auto& [k, v] : rows) model.Load(k, v);
    } else {
      db.reset();
      db = OpenOrDie(dir / "db");
      c = GetOrDie(db.get(), "c");
    }
    if (step % 20 == 19) {
      model.ExpectEquals(*c);
      const Hypervector q = vector();
      const auto want = model.Search(q, 15);
      auto got = c->Search(q, {.k = 15});
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(got->size(), want.size()) << "step " << step;
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ((*got)[i].key, want[i].key) << "step " << step << " hit " << i;
        ASSERT_EQ((*got)[i].distance, want[i].distance);
      }
      ASSERT_TRUE(db->Verify().ok()) << db->Verify().ToString();
    }
  }
}

TEST(DbTest, StatsReportMemoryAndDisk) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 2048, .item_memory_seed = 42}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  WriteBatch b;
  for (int i = 0; i < 1000; ++i) b.Put("key" + std::to_string(i), Rand(i, 2048));
  ASSERT_TRUE(c->Write(b).ok());
  const CollectionStats s = c->Stats();
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.dim, 2048u);
  EXPECT_EQ(s.item_memory_seed, 42u);
  const double raw = 1000.0 * 256 + 6890;  // bits and key bytes
  EXPECT_GE(s.memory_bytes, raw);
  EXPECT_LT(s.memory_bytes, raw * 1.15);
  EXPECT_GT(s.disk_bytes, 0u);  // memtable sizes are rough estimates
  // After a reopen the rows are in SST files, whose sizes RocksDB knows.
  db.reset();
  db = OpenOrDie(dir.path());
  const CollectionStats reopened = GetOrDie(db.get(), "c")->Stats();
  EXPECT_EQ(reopened.count, 1000u);
  EXPECT_GT(reopened.disk_bytes, 256000u);
  EXPECT_LT(reopened.disk_bytes, 2 * 256000u);
}

TEST(DbTest, OneItemMemoryPerDatabase) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.path());
    EXPECT_EQ(db->item_memory_seed(), kDefaultItemMemorySeed);
    ASSERT_TRUE(db->CreateCollection("a", {.dim = 1024}).ok());
    ASSERT_TRUE(db->CreateCollection("b", {.dim = 1024}).ok());
    ASSERT_TRUE(db->CreateCollection("own", {.dim = 1024, .item_memory_seed = 7}).ok());
    EXPECT_EQ(GetOrDie(db.get(), "a")->item_memory_seed(), kDefaultItemMemorySeed);
    EXPECT_EQ(GetOrDie(db.get(), "b")->item_memory_seed(), kDefaultItemMemorySeed);
    EXPECT_EQ(GetOrDie(db.get(), "own")->item_memory_seed(), 7u);
  }
  // Chosen at creation, kept, and a different one asked of it is refused.
  const std::string other = dir.path() + "/seeded";
  {
    auto db = OpenOrDie(other, {.item_memory_seed = 99});
    EXPECT_EQ(db->item_memory_seed(), 99u);
    ASSERT_TRUE(db->CreateCollection("c", {.dim = 64}).ok());
  }
  auto db = OpenOrDie(other);
  EXPECT_EQ(db->item_memory_seed(), 99u);
  EXPECT_EQ(GetOrDie(db.get(), "c")->item_memory_seed(), 99u);
  db.reset();
  EXPECT_TRUE(OpenOrDie(other, {.item_memory_seed = 99}) != nullptr);
  std::unique_ptr<DB> refused;
  const Status s = DB::Open({.item_memory_seed = 100}, other, &refused);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("item memory seed 99, not 100"), std::string::npos) << s.ToString();
}

TEST(DbTest, NeverCreatedOverOtherFiles) {
  TempDir dir;
  const std::string notes = dir / "notes";
  std::filesystem::create_directories(notes);
  { std::ofstream(notes + "/todo.txt") << "keep me\n"; }
  std::unique_ptr<DB> db;
  const Status s = DB::Open({}, notes, &db);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("not an hvdb database"), std::string::npos) << s.ToString();
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(notes)) ++entries;
  EXPECT_EQ(entries, 1u);  // nothing written beside the file
  // Names like RocksDB's are not RocksDB's: a user's app.log, a LOGBOOK.
  const std::string logs = dir / "logs";
  std::filesystem::create_directories(logs);
  { std::ofstream(logs + "/app.log"); }
  { std::ofstream(logs + "/LOGBOOK"); }
  EXPECT_TRUE(DB::Open({}, logs, &db).IsInvalidArgument());
  // What a creation that died before CURRENT leaves is tried again.
  const std::string half = dir / "half";
  std::filesystem::create_directories(half);
  { std::ofstream(half + "/LOCK"); }
  { std::ofstream(half + "/LOG"); }
  EXPECT_TRUE(OpenOrDie(half) != nullptr);
}

TEST(DbTest, PinnedArenaWhenADeviceIsPresent) {
  std::vector<kernels::cuda::DeviceProperties> devices;
  if (!kernels::cuda::ListDevices(&devices).ok()) GTEST_SKIP() << "no CUDA device: the arena is ordinary memory";
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 64}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  ASSERT_TRUE(c->Put("k", Rand(1, 64)).ok());
  EXPECT_TRUE(c->Stats().pinned);
}

}  // namespace
}  // namespace hvdb::testing
