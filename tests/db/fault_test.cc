// Copyright hvdb authors. Faults under every write path: ENOSPC and EIO on
// write, sync, create, rename and read, injected by a file system under
// RocksDB and hvdb's own files (storage/fault_file_system.h), and power cuts
// that lose what was not synced. After each: a clear error, reads go on,
// writes stop until DB::Resume, nothing acknowledged is lost, the failed
// write is there whole or not at all, and the database opens
// (docs/reliability.md). And the full disk itself, on a small tmpfs, where
// librocksdb used to abort on the write after the first ENOSPC.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <functional>
#include <thread>

#include "db/open.h"
#include "storage/fault_file_system.h"
#include "tests/db/db_test_util.h"

extern char** environ;

namespace hvdb::testing {
namespace {

namespace fs = std::filesystem;
using Faults = storage::FaultFileSystem;
using Fault = storage::FaultFileSystem::Fault;
constexpr size_t kDim = 512;

// What the collection holds: key -> vector, and the accumulator's members.
struct Contents {
  std::map<std::string, Hypervector> rows;
  int64_t accumulated = 0;
  friend bool operator==(const Contents&, const Contents&) = default;
};

Contents Read(Collection* c, const std::vector<std::string>& keys) {
  Contents out;
  for (const std::string& key : keys) {
    if (auto v = c->Get(key); v.ok()) out.rows[key] = *v;
  }
  out.accumulated = c->AccumulatorMembers("acc").value_or(0);
  return out;
}

// One write path: what it does, and what it does to the contents: `apply`
// the write whole (or, for a run of writes, the acknowledged ones and the
// one that failed), `keep` what must be there even if it failed (nothing,
// or the writes of a run that were acknowledged).
struct WritePath {
  std::string name;
  std::function<Status(DB*, Collection*, const std::string& dir)> run;
  std::function<void(Contents*)> apply;
  std::function<void(Contents*)> keep = [](Contents*) {};
};

// Puts of the flush path acknowledged in the current case.
int flush_puts_acknowledged = 0;
constexpr int kFlushPuts = 3000;

Hypervector Vec(uint64_t seed) { return Hypervector::Random(kDim, seed).value(); }

std::vector<WritePath> WritePaths() {
  return {
      {"put", [](DB*, Collection* c, const std::string&) { return c->Put("new", Vec(1)); },
       [](Contents* x) { x->rows["new"] = Vec(1); }},
      {"batch",
       [](DB*, Collection* c, const std::string&) {
         WriteBatch b;
         b.Put("b1", Vec(2));
         b.Put("b2", Vec(3));
         b.Delete("k3");
         b.Put("k4", Vec(4));
         return c->Write(b);
       },
       [](Contents* x) {
         x->rows["b1"] = Vec(2);
         x->rows["b2"] = Vec(3);
         x->rows.erase("k3");
         x->rows["k4"] = Vec(4);
       }},
      {"delete", [](DB*, Collection* c, const std::string&) { return c->Delete("k5"); },
       [](Contents* x) { x->rows.erase("k5"); }},
      {"bulk load",
       [](DB*, Collection* c, const std::string& dir) {
         std::ofstream out(dir + "/load.tsv");
         for (int i = 0; i < 50; ++i) out << "L" << i << "\t" << Vec(100 + i).ToHex() << "\n";
         out.close();
         return c->BulkLoad(dir + "/load.tsv").status();
       },
       [](Contents* x) {
         for (int i = 0; i < 50; ++i) x->rows["L" + std::to_string(i)] = Vec(100 + i);
       }},
      {"accumulate",
       [](DB*, Collection* c, const std::string&) { return c->Accumulate("acc", std::vector<Hypervector>{Vec(7)}); },
       [](Contents* x) { x->accumulated += 1; }},
      {"index state (ivf file)",
       [](DB*, Collection* c, const std::string&) { return c->SetIndex({.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 4}); },
       [](Contents*) {}},
      {"index state (hnsw file)",
       [](DB*, Collection* c, const std::string&) { return c->SetIndex({.kind = hvdb::IndexKind::kHnsw, .hnsw_m = 8}); },
       [](Contents*) {}},
      {"checkpoint", [](DB* db, Collection*, const std::string& dir) { return db->Checkpoint(dir + "/checkpoint"); },
       [](Contents*) {}},
      {"flush and compaction",
       [](DB*, Collection* c, const std::string&) {
         // 64 KiB write buffers: 3000 rows of about 100 bytes fill each
         // family's several times, so RocksDB flushes (and compacts) in the
         // background while the puts go on; a failed flush stops the writes.
         flush_puts_acknowledged = 0;
         for (int i = 0; i < kFlushPuts; ++i) {
           if (Status s = c->Put("f" + std::to_string(i), Vec(1000 + i), {.sync = false}); !s.ok()) return s;
           flush_puts_acknowledged = i + 1;
         }
         return Status::OK();
       },
       [](Contents* x) {
         for (int i = 0; i < std::min(flush_puts_acknowledged + 1, kFlushPuts); ++i) {
           x->rows["f" + std::to_string(i)] = Vec(1000 + i);
         }
       },
       [](Contents* x) {
         for (int i = 0; i < flush_puts_acknowledged; ++i) x->rows["f" + std::to_string(i)] = Vec(1000 + i);
       }},
  };
}

std::vector<std::pair<std::string, Fault>> FaultKinds() {
  using Op = Faults::Op;
  using Error = Faults::Error;
  return {
      {"ENOSPC mid-write of a log", {.op = Op::kWrite, .error = Error::kNoSpace, .match = ".log", .partial = true}},
      {"ENOSPC mid-write of any file", {.op = Op::kWrite, .error = Error::kNoSpace, .partial = true}},
      {"EIO on write", {.op = Op::kWrite, .error = Error::kIO}},
      {"EIO on sync", {.op = Op::kSync, .error = Error::kIO}},
      {"ENOSPC creating a file", {.op = Op::kCreate, .error = Error::kNoSpace}},
      {"EIO on rename", {.op = Op::kRename, .error = Error::kIO}},
      {"ENOSPC writing a table file", {.op = Op::kWrite, .error = Error::kNoSpace, .match = ".sst", .partial = true}},
      {"EIO writing the MANIFEST", {.op = Op::kWrite, .error = Error::kIO, .match = "MANIFEST"}},
  };
}

class FaultTest : public ::testing::Test {
 protected:
  Status Open(const std::string& path, std::unique_ptr<DB>* db) {
    return db::OpenDatabase({.write_buffer_bytes = 1 << 16}, path, faults_, db);
  }
  // A database with 40 rows, 2 accumulated members, every key it may hold listed.
  void Baseline(const std::string& path, std::unique_ptr<DB>* db, Collection** c, Contents* want) {
    ASSERT_TRUE(Open(path, db).ok());
    ASSERT_TRUE((*db)->CreateCollection("c", {.dim = kDim}).ok());
    *c = GetOrDie(db->get(), "c");
    for (int i = 0; i < 40; ++i) {
      want->rows["k" + std::to_string(i)] = Vec(i + 10);
      ASSERT_TRUE((*c)->Put("k" + std::to_string(i), Vec(i + 10)).ok());
    }
    ASSERT_TRUE((*c)->Accumulate("acc", std::vector<Hypervector>{Vec(8), Vec(9)}).ok());
    want->accumulated = 2;
  }
  std::vector<std::string> Keys() const {
    std::vector<std::string> keys = {"new", "b1", "b2"};
    for (int i = 0; i < 40; ++i) keys.push_back("k" + std::to_string(i));
    for (int i = 0; i < 50; ++i) keys.push_back("L" + std::to_string(i));
    for (int i = 0; i < kFlushPuts; ++i) keys.push_back("f" + std::to_string(i));
    return keys;
  }

  TempDir dir_;
  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
};

// Every write path under every fault.
TEST_F(FaultTest, EveryWritePathUnderEveryFault) {
  int cases = 0, failed_writes = 0, stopped = 0, applied = 0;
  std::map<std::string, int> failures_by_path;
  for (const WritePath& path : WritePaths()) {
    for (const auto& [fault_name, fault] : FaultKinds()) {
      SCOPED_TRACE(path.name + " under " + fault_name);
      const std::string dir = dir_ / ("case" + std::to_string(cases++));
      fs::create_directories(dir);
      std::unique_ptr<DB> db;
      Collection* c = nullptr;
      Contents before;
      Baseline(dir + "/db", &db, &c, &before);
      ASSERT_NE(c, nullptr);

      faults_->Inject(fault);
      const Status s = path.run(db.get(), c, dir);
      faults_->Heal();
      // What may be there: the write absent (what was there, and what was
      // acknowledged of a run), or applied whole.
      Contents absent = before, whole = before;
      path.keep(&absent);
      path.apply(&whole);
      if (!s.ok()) {
        ++failed_writes;
        ++failures_by_path[path.name];
        // A clear error that carries its cause.
        EXPECT_NE(s.message().find("injected fault"), std::string::npos) << s.ToString();
        // Reads go on, from what was acknowledged.
        EXPECT_TRUE(Read(c, Keys()) == absent) << s.ToString();
        // Writes are refused with the first error until Resume.
        const Status next = c->Put("after", Vec(5));
        if (!next.ok()) {
          ++stopped;
          EXPECT_NE(next.message().find("stopped writing after an error"), std::string::npos) << next.ToString();
          EXPECT_NE(next.message().find("injected fault"), std::string::npos) << next.ToString();
          const Status resumed = db->Resume();
          ASSERT_TRUE(resumed.ok()) << resumed.ToString();
          ASSERT_TRUE(c->Put("after", Vec(5)).ok());
        }
        absent.rows["after"] = whole.rows["after"] = Vec(5);
      }
      // All or nothing: the write is wholly there or wholly absent.
      std::vector<std::string> keys = Keys();
      keys.push_back("after");
      const Contents got = Read(c, keys);
      const bool is_applied = got == whole;
      EXPECT_TRUE(is_applied || got == absent) << s.ToString();
      if (s.ok()) {
        EXPECT_TRUE(is_applied);
      }
      applied += !s.ok() && is_applied;
      EXPECT_TRUE(db->Verify().ok()) << db->Verify().ToString();
      // And it opens again holding the same.
      db.reset();
      ASSERT_TRUE(Open(dir + "/db", &db).ok());
      c = GetOrDie(db.get(), "c");
      EXPECT_TRUE(Read(c, keys) == got);
      EXPECT_TRUE(db->Verify().ok());
      if (path.name == "checkpoint" && s.ok()) {
        std::unique_ptr<DB> copy = OpenOrDie(dir + "/checkpoint");
        EXPECT_TRUE(copy->Verify().ok());
      }
    }
  }
  std::cerr << "[ info ] " << cases << " cases (" << WritePaths().size() << " write paths x " << FaultKinds().size()
            << " faults), " << faults_->injected() << " faults injected: " << failed_writes
            << " writes failed with a clear error, " << stopped << " of them stopped writes until Resume, " << applied
            << " failed writes had reached the disk whole\n[ info ] failures per path:";
  for (const auto& [name, n] : failures_by_path) std::cerr << " " << name << " " << n << ";";
  std::cerr << "\n";
  // Every path meets faults that fail it, not only the ones that cannot reach it.
  for (const WritePath& path : WritePaths()) EXPECT_GE(failures_by_path[path.name], 2) << path.name;
  EXPECT_GT(stopped, 0);
}

// A read error while opening is an error naming the file, and the next open works.
TEST_F(FaultTest, ReadErrorsAtOpenAreNamed) {
  std::unique_ptr<DB> db;
  Collection* c = nullptr;
  Contents want;
  Baseline(dir_ / "db", &db, &c, &want);
  std::ofstream out(dir_ / "rows.tsv");
  for (int i = 0; i < 300; ++i) out << "r" << i << "\t" << Vec(i).ToHex() << "\n";
  out.close();
  ASSERT_TRUE(c->BulkLoad(dir_ / "rows.tsv").ok());  // table files to read
  db.reset();
  faults_->Inject({.op = Faults::Op::kRead, .error = Faults::Error::kIO, .match = ".sst"});
  const Status s = Open(dir_ / "db", &db);
  faults_->Heal();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(".sst"), std::string::npos) << s.ToString();
  ASSERT_TRUE(Open(dir_ / "db", &db).ok());
  EXPECT_EQ(GetOrDie(db.get(), "c")->Count(), 340u);
}

// Power cuts at random moments while a writer runs: every write acknowledged
// before the cut survives it; the write in flight is whole or absent; with
// sync off the survivors are a prefix of the writes.
TEST_F(FaultTest, PowerCutsKeepEveryAcknowledgedWrite) {
  std::mt19937_64 rng(DbTestSeed() + 41);
  for (int round = 0; round < 12; ++round) {
    const bool sync = round % 3 != 2;
    SCOPED_TRACE("round " + std::to_string(round) + (sync ? " (sync)" : " (no sync)"));
    const std::string path = dir_ / ("db" + std::to_string(round));
    std::unique_ptr<DB> db;
    ASSERT_TRUE(Open(path, &db).ok());
    ASSERT_TRUE(db->CreateCollection("c", {.dim = kDim}).ok());
    Collection* c = GetOrDie(db.get(), "c");
    std::atomic<bool> power{true};
    std::atomic<int> acknowledged{0}, started{0};
    std::thread writer([&] {
      for (int i = 0; power.load(); ++i) {
        started = i + 1;
        Status s;
        if (i % 7 == 6) {
          WriteBatch b;
          b.Put("w" + std::to_string(i), Vec(i));
          b.Put("x" + std::to_string(i), Vec(i + 1));
          s = c->Write(b, {.sync = sync});
        } else {
          s = c->Put("w" + std::to_string(i), Vec(i), {.sync = sync});
        }
        if (!s.ok() || !power.load()) break;
        acknowledged = i + 1;  // returned while the power was on
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 80));
    faults_->CutPower();
    power = false;
    writer.join();
    db.reset();  // the process dies: nothing more reaches the disk
    ASSERT_TRUE(faults_->RestorePower().ok());

    ASSERT_TRUE(Open(path, &db).ok());
    c = GetOrDie(db.get(), "c");
    EXPECT_TRUE(db->Verify().ok());
    int present = 0;
    for (int i = 0; i < started; ++i) {
      const bool has = c->Contains("w" + std::to_string(i));
      if (has) {
        ASSERT_TRUE(*c->Get("w" + std::to_string(i)) == Vec(i));
        if (i % 7 == 6) {
          EXPECT_TRUE(c->Contains("x" + std::to_string(i))) << "half a batch, write " << i;
        }
        present = i + 1;
      } else if (i % 7 == 6) {
        EXPECT_FALSE(c->Contains("x" + std::to_string(i))) << "half a batch, write " << i;
      }
      if (sync && i < acknowledged) {
        EXPECT_TRUE(has) << "acknowledged write " << i << " lost";
      }
    }
    // No holes: what survived is a prefix of the writes.
    EXPECT_EQ(c->Count(), static_cast<uint64_t>(present + present / 7)) << "survivors are not a prefix";
    if (sync) {
      EXPECT_GE(present, acknowledged.load());
    }
  }
}

// A bulk load and an hnsw graph file acknowledged before a power cut survive it.
TEST_F(FaultTest, PowerCutAfterLoadAndIndexKeepsBoth) {
  std::unique_ptr<DB> db;
  ASSERT_TRUE(Open(dir_ / "db", &db).ok());
  ASSERT_TRUE(db->CreateCollection("c", {.dim = kDim}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  std::ofstream out(dir_ / "rows.tsv");
  for (int i = 0; i < 500; ++i) out << "r" << i << "\t" << Vec(i).ToHex() << "\n";
  out.close();
  ASSERT_TRUE(c->BulkLoad(dir_ / "rows.tsv").ok());
  ASSERT_TRUE(c->SetIndex({.kind = hvdb::IndexKind::kHnsw, .hnsw_m = 8}).ok());
  faults_->CutPower();
  db.reset();
  ASSERT_TRUE(faults_->RestorePower().ok());
  ASSERT_TRUE(fs::exists(dir_ / "db/indexes/1.hnsw"));
  CheckReport report;
  ASSERT_TRUE(CheckDatabase(dir_ / "db", &report).ok());
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
  ASSERT_TRUE(Open(dir_ / "db", &db).ok());
  c = GetOrDie(db.get(), "c");
  EXPECT_EQ(c->Count(), 500u);
  EXPECT_EQ(c->index().kind, IndexKind::kHnsw);
  auto hits = c->Search(Vec(123), {.k = 1});
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ((*hits)[0].key, "r123");
}

// The full disk itself: a 4 MiB tmpfs filled by sync puts. The first
// failure is a clear ResourceExhausted; later writes return it without
// writing (librocksdb asserted on the next write after the first failure,
// in its info log, and killed the process); reads go on; a read-only open
// works on the full disk; Resume fails while it is full and works once it
// has room; a read-write open of a full disk returns an error; nothing
// acknowledged is lost. Needs root for mount(2); skipped otherwise.
//
// The database runs in a child process (this test binary again, told by
// HVDB_FULL_DISK_CHILD), so that an abort inside librocksdb fails the test
// instead of ending it, and the child starts with no RocksDB threads.
int FullDiskChild(const std::string& mnt) {
  auto fail = [](int code, const std::string& why) {
    std::fprintf(stderr, "full disk child: %s\n", why.c_str());
    return code;
  };
  auto remount = [&](const char* size) {
    return ::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT, (std::string("size=") + size).c_str()) == 0;
  };
  std::unique_ptr<DB> db;
  if (!DB::Open({}, mnt + "/db", &db).ok() || !db->CreateCollection("c", {.dim = 8192}).ok()) return fail(2, "setup");
  Collection* c = nullptr;
  (void)db->GetCollection("c", &c);
  int acked = 0;
  Status first;
  for (int i = 0; i < 100000; ++i) {
    first = c->Put("k" + std::to_string(i), Hypervector::Random(8192, i).value());
    if (!first.ok()) break;
    acked = i + 1;
  }
  if (first.ok() || !first.IsResourceExhausted()) return fail(3, "first failure: " + first.ToString());
  for (int i = 0; i < 20; ++i) {
    const Status again = c->Put("more" + std::to_string(i), Hypervector::Random(8192, i).value());
    if (again.ok() || again.message().find("stopped writing") == std::string::npos) return fail(4, again.ToString());
  }
  for (int i = 0; i < acked; i += 7) {
    if (!c->Contains("k" + std::to_string(i))) return fail(5, "read after the failure");
  }
  {
    std::unique_ptr<DB> reader;
    const Status ro = DB::Open({.read_only = true}, mnt + "/db", &reader);
    if (!ro.ok() || reader == nullptr) return fail(6, "read-only open on the full disk: " + ro.ToString());
  }
  if (db->Resume().ok()) return fail(6, "resume on a full disk succeeded");
  if (!c->Contains("k0") || c->Put("x", Hypervector::Random(8192, 1).value()).ok()) return fail(6, "after a failed resume");
  if (!remount("8m")) return fail(7, "remount");
  if (const Status resumed = db->Resume(); !resumed.ok()) return fail(8, "resume: " + resumed.ToString());
  if (!c->Put("after", Hypervector::Random(8192, 1).value()).ok()) return fail(9, "put after resume");
  // Full again, closed, and opened for writing on the full disk: an error
  // or an open database, never an abort.
  for (int i = 0; i < 100000; ++i) {
    if (!c->Put("fill" + std::to_string(i), Hypervector::Random(8192, i).value()).ok()) break;
  }
  db.reset();
  const Status full_open = DB::Open({}, mnt + "/db", &db);
  db.reset();
  if (!remount("64m")) return fail(10, "remount");
  if (!DB::Open({}, mnt + "/db", &db).ok()) return fail(10, "reopen");
  (void)db->GetCollection("c", &c);
  for (int i = 0; i < acked; ++i) {
    auto v = c->Get("k" + std::to_string(i));
    if (!v.ok() || !(*v == Hypervector::Random(8192, i).value())) return fail(11, "acknowledged put lost");
  }
  if (!c->Contains("after") || !db->Verify().ok()) return fail(12, "after");
  std::fprintf(stderr, "[ info ] %d puts acknowledged on the full disk; first failure: %s; a read-write open of "
               "the full disk: %s\n", acked, first.ToString().c_str(), full_open.ToString().c_str());
  return 0;
}

TEST_F(FaultTest, FullDiskOnTmpfs) {
  if (const char* mnt = std::getenv("HVDB_FULL_DISK_CHILD")) _exit(FullDiskChild(mnt));
  const std::string mnt = dir_ / "small";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=4m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno)
                 << "); the injected ENOSPC cases of EveryWritePathUnderEveryFault cover the same paths";
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  const std::string env = "HVDB_FULL_DISK_CHILD=" + mnt;
  const std::string filter = "--gtest_filter=FaultTest.FullDiskOnTmpfs";
  char* argv[] = {const_cast<char*>("/proc/self/exe"), const_cast<char*>(filter.c_str()), nullptr};
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  envp.push_back(const_cast<char*>(env.c_str()));
  envp.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, envp.data()), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace hvdb::testing
