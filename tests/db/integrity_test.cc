// Copyright hvdb authors. Damaged files are reported, never served: flipped
// bits in table files, logs and hnsw graph files; read-only opens that write
// nothing; hvdb::CheckDatabase and hvdb::SalvageDatabase (docs/reliability.md).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "storage/wal_reader.h"
#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

namespace fs = std::filesystem;
constexpr size_t kDim = 512;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}
void WriteFile(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::vector<std::string> FilesEndingWith(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What a database should hold: key -> vector.
using Contents = std::map<std::string, Hypervector>;

// Whether `db`'s collection c holds exactly `want`.
bool Holds(DB* db, const Contents& want) {
  Collection* c = nullptr;
  if (!db->GetCollection("c", &c).ok() || c->Count() != want.size()) return false;
  for (const auto& [key, v] : want) {
    auto got = c->Get(key);
    if (!got.ok() || !(*got == v)) return false;
  }
  return true;
}

// Outcomes of opening a damaged database in a child process (so that an
// abort inside librocksdb is seen, not suffered). The child is forked from a
// process that ran RocksDB: it only opens read-only, which schedules no work
// on RocksDB's thread pools (they do not exist in a forked child).
enum Outcome { kExact = 0, kCorruptionNamed = 10, kOtherError = 11, kWrongData = 12, kCrashed = 13 };

Outcome OpenInChild(const std::string& path, const Contents& want, const std::string& must_name) {
  const pid_t pid = fork();
  if (pid == 0) {
    alarm(60);
    std::unique_ptr<DB> db;
    const Status s = DB::Open({.read_only = true}, path, &db);
    if (!s.ok() && !(s.IsCorruption() && s.message().find(must_name) != std::string::npos)) std::fprintf(stderr, "child: %s\n", s.ToString().c_str());
    if (!s.ok()) _exit(s.IsCorruption() && s.message().find(must_name) != std::string::npos ? kCorruptionNamed
                                                                                           : kOtherError);
    _exit(Holds(db.get(), want) ? kExact : kWrongData);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? static_cast<Outcome>(WEXITSTATUS(status)) : kCrashed;
}

class IntegrityTest : public ::testing::Test {
 protected:
  void SetUp() override { rng_.seed(DbTestSeed() + 29); }
  Hypervector Rand() { return Hypervector::Random(kDim, rng_()).value(); }

  // A database whose rows sit in table files (bulk loaded), plus `puts`
  // rows in the log (sync puts, not flushed).
  void Build(size_t loaded, size_t puts) {
    std::unique_ptr<DB> db = OpenOrDie(path_);
    ASSERT_TRUE(db->CreateCollection("c", {.dim = kDim}).ok());
    Collection* c = GetOrDie(db.get(), "c");
    std::vector<Hypervector> rows;
    for (size_t i = 0; i < loaded; ++i) {
      rows.push_back(Rand());
      want_[std::to_string(i)] = rows.back();
    }
    if (loaded > 0) {
      WriteNpy(dir_ / "rows.npy", rows, kDim);
      ASSERT_TRUE(c->BulkLoad(dir_ / "rows.npy").ok());
    }
    for (size_t i = 0; i < puts; ++i) {
      const std::string key = "k" + std::to_string(i);
      want_[key] = Rand();
      ASSERT_TRUE(c->Put(key, want_[key]).ok());
    }
  }

  // Flips one bit of `file` at `at`, opens the database in a child, puts
  // the file back; the open must fail with Corruption naming the file, or
  // hold exactly the right rows. Counts the outcome in *seen.
  void FlipAndOpen(const std::string& file, size_t at, std::map<Outcome, int>* seen) {
    const std::string original = ReadFile(file);
    std::string damaged = original;
    damaged[at] = static_cast<char>(damaged[at] ^ (1 << (rng_() % 8)));
    WriteFile(file, damaged);
    const Outcome outcome = OpenInChild(path_, want_, fs::path(file).filename().string());
    WriteFile(file, original);
    EXPECT_TRUE(outcome == kExact || outcome == kCorruptionNamed)
        << "bit flipped at byte " << at << " of " << file << ": outcome " << outcome;
    ++(*seen)[outcome];
  }

  TempDir dir_;
  const std::string path_ = dir_ / "db";
  std::mt19937_64 rng_;
  Contents want_;
};

// One flipped bit anywhere in a table file: the open fails with Corruption
// naming the file, or (a bit nothing reads) the database is exactly right.
// Before checksums were verified on every scan, flips served wrong vectors
// or aborted inside librocksdb.
TEST_F(IntegrityTest, FlippedBitsInTableFilesAreReportedNeverServed) {
  Build(3000, 0);
  const std::vector<std::string> tables = FilesEndingWith(path_, ".sst");
  ASSERT_FALSE(tables.empty());
  std::map<Outcome, int> seen;
  for (int trial = 0; trial < 48; ++trial) {
    const std::string& file = tables[rng_() % tables.size()];
    const size_t size = fs::file_size(file);
    // Half the flips land in the last 4 KiB: index, properties and footer.
    FlipAndOpen(file, trial % 2 ? size - 1 - rng_() % std::min<size_t>(4096, size) : rng_() % size, &seen);
  }
  EXPECT_GT(seen[kCorruptionNamed], 24);
  std::cerr << "[ info ] 48 flips: " << seen[kCorruptionNamed] << " reported as Corruption naming the file, "
            << seen[kExact] << " in bytes nothing reads\n";
  // And the database is whole again.
  EXPECT_EQ(OpenInChild(path_, want_, ""), kExact);
}

// The same for the files that describe the database: the MANIFEST (which
// table files and logs make it up), CURRENT (which MANIFEST is current) and
// the log: Corruption naming the file, or exactly the right contents.
TEST_F(IntegrityTest, FlippedBitsInTheManifestCurrentAndLogAreReported) {
  Build(1000, 20);
  std::vector<std::string> files = FilesEndingWith(path_, ".log");
  for (const std::string& f : FilesEndingWith(path_, "")) {
    const std::string name = fs::path(f).filename().string();
    if (name.rfind("MANIFEST", 0) == 0 || name == "CURRENT") files.push_back(f);
  }
  ASSERT_GE(files.size(), 3u);
  std::map<Outcome, int> seen;
  for (int trial = 0; trial < 36; ++trial) {
    const std::string& file = files[trial % files.size()];
    FlipAndOpen(file, rng_() % fs::file_size(file), &seen);
  }
  std::cerr << "[ info ] 36 flips: " << seen[kCorruptionNamed] << " reported as Corruption naming the file, "
            << seen[kExact] << " harmless\n";
  EXPECT_EQ(OpenInChild(path_, want_, ""), kExact);
}

// The log: damage in the middle fails the open (RocksDB's default recovery
// dropped every acknowledged write after it with a warning in its LOG);
// a torn last record (a crash while writing it) is forgiven.
TEST_F(IntegrityTest, DamagedLogFailsTheOpenAndSalvageSaysWhatItDrops) {
  Build(0, 200);
  const std::vector<std::string> logs = FilesEndingWith(path_, ".log");
  ASSERT_EQ(logs.size(), 1u);
  const std::string original = ReadFile(logs[0]);
  std::string damaged = original;
  const size_t at = original.size() / 3;
  damaged[at] = static_cast<char>(damaged[at] ^ 0x04);
  WriteFile(logs[0], damaged);

  std::unique_ptr<DB> db;
  Status s = DB::Open({}, path_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  for (const std::string& part : {std::string("write-ahead log"), fs::path(logs[0]).filename().string(),
                                  std::string("is damaged at byte"), std::string("hvdb salvage")}) {
    EXPECT_NE(s.message().find(part), std::string::npos) << part << " not in " << s.ToString();
  }
  EXPECT_EQ(ReadFile(logs[0]), damaged) << "a failed open changed the log";
  CheckReport check;
  ASSERT_TRUE(CheckDatabase(path_, &check).ok());
  ASSERT_EQ(check.problems.size(), 1u);
  EXPECT_NE(check.problems[0].find("write-ahead log"), std::string::npos) << check.problems[0];

  SalvageReport report;
  s = SalvageDatabase(path_, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(report.salvaged);
  EXPECT_EQ(report.damaged_log, logs[0]);
  EXPECT_LE(report.damage_offset, at);
  EXPECT_GT(report.dropped_batches, 0u) << report.damage;
  EXPECT_EQ(ReadFile(report.log_copy_dir + "/" + fs::path(logs[0]).filename().string()), damaged);
  ASSERT_FALSE(report.dropped.empty());
  EXPECT_NE(report.dropped[0].find("collection 'c'"), std::string::npos) << report.dropped[0];
  EXPECT_NE(report.dropped[0].find("rows written"), std::string::npos) << report.dropped[0];

  // What is left: the puts before the damage, each exact; the report names the first lost ones.
  db = OpenOrDie(path_);
  Collection* c = GetOrDie(db.get(), "c");
  const uint64_t kept = c->Count();
  EXPECT_LT(kept, 200u);
  for (uint64_t i = 0; i < 200; ++i) {
    const std::string key = "k" + std::to_string(i);
    auto got = c->Get(key);
    if (i < kept) {
      ASSERT_TRUE(got.ok() && *got == want_[key]) << key;
    } else {
      EXPECT_TRUE(got.status().IsNotFound()) << key;
    }
  }
  // Every put is kept, named among the dropped, or in the damaged bytes: the
  // kept batches are the database's first record, the collection's creation
  // and the puts kept.
  EXPECT_EQ(report.kept_batches, kept + 2);
  EXPECT_GT(report.unreadable_bytes, 0u);
  EXPECT_LE(report.dropped_batches, 200 - kept);
  EXPECT_NE(report.dropped[0].find(std::to_string(report.dropped_batches) + " rows written"), std::string::npos)
      << report.dropped[0];
  EXPECT_TRUE(db->Verify().ok());
  db.reset();

  // Salvage of a healthy database does nothing.
  SalvageReport none;
  ASSERT_TRUE(SalvageDatabase(path_, &none).ok());
  EXPECT_FALSE(none.salvaged);
}

// A zeroed sector in the middle of a log looks like the preallocated end of
// one: RocksDB skips the rest of its 32 KiB block without a word, and only
// notices when a record crossed into the next block. hvdb sees the records
// after the zeros and refuses the open.
TEST_F(IntegrityTest, ZeroedSectorInALogIsDamageNotItsEnd) {
  Build(0, 300);
  const std::vector<std::string> logs = FilesEndingWith(path_, ".log");
  ASSERT_EQ(logs.size(), 1u);
  storage::WalContents contents;
  ASSERT_TRUE(storage::ReadWal(logs[0], &contents).ok());
  ASSERT_GT(contents.batches.size(), 100u);
  const size_t at = contents.batches[contents.batches.size() / 3].offset;  // from a record's start
  std::string bytes = ReadFile(logs[0]);
  std::fill(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(at) + 512, '\0');
  WriteFile(logs[0], bytes);
  std::unique_ptr<DB> db;
  const Status s = DB::Open({.read_only = true}, path_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("zeroed bytes, yet records follow them"), std::string::npos) << s.ToString();
}

TEST_F(IntegrityTest, TornLastLogRecordIsForgiven) {
  Build(0, 50);
  const std::vector<std::string> logs = FilesEndingWith(path_, ".log");
  ASSERT_EQ(logs.size(), 1u);
  const std::string original = ReadFile(logs[0]);
  WriteFile(logs[0], original.substr(0, original.size() - 5));  // a crash in the middle of the last put
  std::unique_ptr<DB> db = OpenOrDie(path_);
  Collection* c = GetOrDie(db.get(), "c");
  EXPECT_EQ(c->Count(), 49u);
  for (int i = 0; i < 49; ++i) EXPECT_TRUE(*c->Get("k" + std::to_string(i)) == want_["k" + std::to_string(i)]);
  EXPECT_TRUE(c->Get("k49").status().IsNotFound());
}

// A bit flipped in the length field of the last record of a log or the
// MANIFEST, so that the record seems to run past the end of the file: that
// is damage (the record is whole, its CRC matches at the true length), not the
// torn end a crash leaves. Found by the random flips (seed 7761750218253691336).
TEST_F(IntegrityTest, ALengthFlippedInTheLastRecordIsDamageNotATornEnd) {
  Build(300, 20);
  std::vector<std::string> files = FilesEndingWith(path_, ".log");
  for (const auto& e : fs::directory_iterator(path_)) {
    if (e.path().filename().string().rfind("MANIFEST-", 0) == 0) files.push_back(e.path().string());
  }
  ASSERT_GE(files.size(), 2u);
  for (const std::string& file : files) {
    const std::string original = ReadFile(file);
    // The last fragment: walk the 32 KiB blocks of "crc (4), length (2), type (1), bytes".
    size_t at = 0, last = std::string::npos;
    while (at + 7 <= original.size()) {
      if (32768 - at % 32768 < 7) {
        at += 32768 - at % 32768;
        continue;
      }
      const size_t length = static_cast<unsigned char>(original[at + 4]) |
                            (size_t{static_cast<unsigned char>(original[at + 5])} << 8);
      if (length == 0 && original[at + 6] == 0) break;
      last = at;
      at += 7 + length;
    }
    ASSERT_NE(last, std::string::npos) << file;
    const size_t length = static_cast<unsigned char>(original[last + 4]) |
                          (size_t{static_cast<unsigned char>(original[last + 5])} << 8);
    const size_t room = 32768 - last % 32768 - 7;  // in its block, past the end of the file
    int bit = 0;
    while (bit < 15 && !((length ^ (size_t{1} << bit)) > original.size() - last - 7 &&
                         (length ^ (size_t{1} << bit)) <= room)) {
      ++bit;
    }
    ASSERT_LT(bit, 15) << file << ": no flip of the last length both past the end and inside its block";
    std::string damaged = original;
    damaged[last + 4 + bit / 8] = static_cast<char>(damaged[last + 4 + bit / 8] ^ (1 << (bit % 8)));
    WriteFile(file, damaged);
    std::unique_ptr<DB> db;
    const Status s = DB::Open({.read_only = true}, path_, &db);
    WriteFile(file, original);
    EXPECT_TRUE(s.IsCorruption()) << file << ": " << s.ToString();
    EXPECT_NE(s.message().find("length field is damaged"), std::string::npos) << s.ToString();
  }
}

// A read-only open changes no file, refuses every write with a clear error,
// and may run beside the process that writes.
TEST_F(IntegrityTest, ReadOnlyOpensWriteNothing) {
  Build(500, 20);
  auto listing = [&] {
    std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> files;
    for (const auto& e : fs::recursive_directory_iterator(path_)) {
      if (e.is_regular_file()) files[e.path().string()] = {e.file_size(), e.last_write_time()};
    }
    return files;
  };
  const auto before = listing();
  {
    std::unique_ptr<DB> db = OpenOrDie(path_, {.read_only = true});
    ASSERT_NE(db, nullptr);
    EXPECT_TRUE(Holds(db.get(), want_));
    Collection* c = GetOrDie(db.get(), "c");
    auto hits = c->Search(want_["k3"], {.k = 1});
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ((*hits)[0].key, "k3");
    const std::vector<Status> refused = {
        c->Put("x", Rand()), c->Delete("k1"), db->CreateCollection("d", {.dim = 64}), db->DropCollection("c"),
        c->BulkLoad(dir_ / "rows.npy").status(), c->SetIndex({.kind = hvdb::IndexKind::kIvf}),
        c->Accumulate("a", std::vector<Hypervector>{Rand()}), db->Checkpoint(dir_ / "cp")};
    for (const Status& s : refused) {
      EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
      EXPECT_NE(s.message().find("read-only"), std::string::npos) << s.ToString();
    }
    EXPECT_TRUE(Holds(db.get(), want_));
  }
  EXPECT_EQ(listing(), before);

  // Beside a writer: it sees what was written before it opened.
  std::unique_ptr<DB> writer = OpenOrDie(path_);
  ASSERT_TRUE(GetOrDie(writer.get(), "c")->Put("late", Rand()).ok());
  std::unique_ptr<DB> reader = OpenOrDie(path_, {.read_only = true});
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(GetOrDie(reader.get(), "c")->Contains("late"));
  std::unique_ptr<DB> none;
  EXPECT_TRUE(DB::Open({.read_only = true}, dir_ / "nothing", &none).IsNotFound());
  EXPECT_FALSE(fs::exists(dir_ / "nothing"));
}

// hvdb check: a healthy database has no problems; one damaged block of a
// table file is named; a damaged hnsw graph file is named, and the next open
// rebuilds the graph from the rows (answers stay exact).
TEST_F(IntegrityTest, CheckNamesDamagedFiles) {
  Build(2000, 30);
  {
    std::unique_ptr<DB> db = OpenOrDie(path_);
    ASSERT_TRUE(GetOrDie(db.get(), "c")->SetIndex({.kind = hvdb::IndexKind::kHnsw}).ok());
  }
  CheckReport report;
  ASSERT_TRUE(CheckDatabase(path_, &report).ok());
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
  EXPECT_GT(report.table_files, 0u);
  EXPECT_EQ(report.collections, 1u);
  EXPECT_EQ(report.rows, 2030u);

  const std::string graph = path_ + "/indexes/1.hnsw";
  ASSERT_TRUE(fs::exists(graph));
  std::string bytes = ReadFile(graph);
  bytes[bytes.size() / 2] ^= 0x01;
  WriteFile(graph, bytes);
  ASSERT_TRUE(CheckDatabase(path_, &report).ok());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find("1.hnsw"), std::string::npos) << report.problems[0];
  EXPECT_NE(report.problems[0].find("CRC-32C"), std::string::npos) << report.problems[0];
  {
    std::unique_ptr<DB> db = OpenOrDie(path_);
    Collection* c = GetOrDie(db.get(), "c");
    for (const char* key : {"k1", "k17", "5", "1999"}) {
      auto hits = c->Search(want_[key], {.k = 1, .ef = 4096});
      ASSERT_TRUE(hits.ok());
      EXPECT_EQ((*hits)[0].key, key);
      EXPECT_EQ((*hits)[0].distance, 0u);
    }
  }
  ASSERT_TRUE(CheckDatabase(path_, &report).ok());
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];

  // A flipped bit in the middle of the largest table file (row data).
  std::string largest;
  for (const std::string& f : FilesEndingWith(path_, ".sst")) {
    if (largest.empty() || fs::file_size(f) > fs::file_size(largest)) largest = f;
  }
  bytes = ReadFile(largest);
  bytes[bytes.size() / 2] ^= 0x20;
  WriteFile(largest, bytes);
  ASSERT_TRUE(CheckDatabase(path_, &report).ok());
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find(fs::path(largest).filename().string()), std::string::npos) << report.problems[0];
  EXPECT_NE(report.problems[0].find("Corruption"), std::string::npos) << report.problems[0];
  std::unique_ptr<DB> db;
  const Status s = DB::Open({}, path_, &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(fs::path(largest).filename().string()), std::string::npos) << s.ToString();
  // Salvage repairs logs, not table files: it says so and changes nothing.
  SalvageReport salvage;
  EXPECT_TRUE(SalvageDatabase(path_, &salvage).IsCorruption());
  EXPECT_FALSE(salvage.salvaged);
  CheckReport missing;
  EXPECT_TRUE(CheckDatabase(dir_ / "nothing", &missing).IsNotFound());
}

}  // namespace
}  // namespace hvdb::testing
