// Copyright hvdb authors. The kill harness: for each write workload, a child
// (crash_writer) writes with sync=true and is killed with SIGKILL at a random
// moment, HVDB_CRASH_TRIALS times (20 in make test, 200 in make stress).
// After each kill the database reopens with every acknowledged write in
// place, the one write in flight wholly applied or wholly absent, the host
// cache equal to what RocksDB holds, every index answering as the exact scan
// does, and every acknowledged checkpoint opening with the contents it was
// taken with.
//
// Workloads: put; delete (puts and deletes of few keys); batch; load (bulk
// loads replacing keys); accumulate; index (ivf training and retraining,
// switches between flat, prefix, ivf and hnsw, the hnsw graph file);
// checkpoint; compaction (RocksDB flushes and compactions with 64 KiB write
// buffers, host-cache compaction past 5% deleted rows); collections (creates
// and drops).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <sstream>

#include "tests/db/db_test_util.h"

extern char** environ;

namespace hvdb::testing {
namespace {

constexpr size_t kDim = 256;

Hypervector ValueOf(const std::string& key, uint64_t version) {
  uint64_t h = 1469598103934665603ull;
  for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return Hypervector::Random(kDim, h ^ (version * 0x9e3779b97f4a7c15ull)).value();
}

int Trials() {
  const char* env = std::getenv("HVDB_CRASH_TRIALS");
  return env != nullptr ? std::max(1, std::atoi(env)) : 20;
}

// Runs the child for `millis` ms after it opened the database, kills it,
// returns everything it logged.
std::string RunAndKill(const std::string& dir, const std::string& workload, int round, uint64_t seed, int millis) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  const std::string r = std::to_string(round), s = std::to_string(seed);
  char* argv[] = {const_cast<char*>(HVDB_CRASH_WRITER), const_cast<char*>(dir.c_str()),
                  const_cast<char*>(workload.c_str()), const_cast<char*>(r.c_str()), const_cast<char*>(s.c_str()),
                  nullptr};
  pid_t pid;
  EXPECT_EQ(posix_spawn(&pid, HVDB_CRASH_WRITER, &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string log;
  char buf[65536];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool opened = false;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 5) > 0) {
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      log.append(buf, static_cast<size_t>(n));
      if (!opened && log.find("open\n") != std::string::npos) {
        opened = true;  // the clock starts once the child has opened the database
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(millis);
      }
    }
  }
  kill(pid, SIGKILL);
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) log.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the child exited by itself: "
                                   << log.substr(log.size() > 500 ? log.size() - 500 : 0);
  return log;
}

// What the database should hold.
struct State {
  std::map<std::string, std::map<std::string, uint64_t>> rows = {{"c", {}}};  // collection -> key -> version
  std::map<std::string, int64_t> accumulated;                                 // collection -> members
  std::map<std::string, std::string> index;                                   // collection -> kind
};

struct Checkpoint {
  std::string dir;
  std::map<std::string, uint64_t> rows;  // collection c when it was taken
};

// One logged operation and its effect on a state.
struct Op {
  std::vector<std::string> lines;
  void ApplyTo(State* state, std::vector<Checkpoint>* checkpoints) const {
    std::string coll;
    for (const std::string& line : lines) {
      std::istringstream in(line);
      std::string word, kind, key;
      in >> word >> kind;
      if (word == "op") {
        if (kind == "put") {
          uint64_t v;
          in >> key >> v;
          state->rows[coll][key] = v;
        } else {
          in >> key;
          state->rows[coll].erase(key);
        }
        continue;
      }
      if (kind == "checkpoint") {
        std::string dir;
        in >> dir;
        checkpoints->push_back({dir, state->rows["c"]});
        continue;
      }
      in >> coll;
      if (kind == "put") {
        uint64_t v;
        in >> key >> v;
        state->rows[coll][key] = v;
      } else if (kind == "del") {
        in >> key;
        state->rows[coll].erase(key);
      } else if (kind == "load") {
        std::string file, prefix;
        int rows;
        uint64_t v;
        in >> file >> rows >> prefix >> v;
        for (int j = 0; j < rows; ++j) state->rows[coll][prefix + std::to_string(j)] = v;
      } else if (kind == "acc") {
        int64_t w;
        in >> w;
        state->accumulated[coll] += w;
      } else if (kind == "index") {
        in >> state->index[coll];
      } else if (kind == "create") {
        state->rows[coll];
      } else if (kind == "drop") {
        state->rows.erase(coll);
        state->accumulated.erase(coll);
        state->index.erase(coll);
      }
    }
  }
};

// Empty when `db` holds `want` (collection c only when `only_c`); else what differs.
std::string Differences(DB* db, const State& want) {
  std::vector<std::string> names;
  for (const auto& [name, rows] : want.rows) names.push_back(name);
  if (db->ListCollections() != names) return "the collections differ";
  for (const auto& [name, rows] : want.rows) {
    Collection* c = nullptr;
    if (!db->GetCollection(name, &c).ok()) return "no collection " + name;
    if (c->Count() != rows.size()) {
      return name + " holds " + std::to_string(c->Count()) + " keys, expected " + std::to_string(rows.size());
    }
    for (const auto& [key, version] : rows) {
      auto got = c->Get(key);
      if (!got.ok() || !(*got == ValueOf(key, version))) return name + ": key " + key + " differs";
    }
    auto it = want.accumulated.find(name);
    const int64_t members = c->AccumulatorMembers("acc").value_or(0);
    if (members != (it == want.accumulated.end() ? 0 : it->second)) {
      return name + ": the accumulator holds " + std::to_string(members) + " members";
    }
    if (auto kind = want.index.find(name); kind != want.index.end() && IndexKindName(c->index().kind) != kind->second) {
      return name + ": index " + IndexKindName(c->index().kind) + ", expected " + kind->second;
    }
  }
  return {};
}

// Every index answers as the exact scan: each probed key's own vector is its
// nearest, at distance 0, with the index asked to look everywhere.
std::string IndexDifferences(DB* db, const State& state, std::mt19937_64& rng) {
  for (const auto& [name, rows] : state.rows) {
    Collection* c = nullptr;
    if (rows.empty() || !db->GetCollection(name, &c).ok()) continue;
    for (int i = 0; i < 5; ++i) {
      auto it = rows.begin();
      std::advance(it, static_cast<long>(rng() % rows.size()));
      SearchStats stats;
      auto hits = c->Search(ValueOf(it->first, it->second),
                            {.k = 1, .candidates = 1024, .nprobe = 1 << 16, .ef = 1 << 20}, &stats);
      if (!hits.ok()) return hits.status().ToString();
      if (hits->empty() || (*hits)[0].distance != 0 || (*hits)[0].key != it->first) {
        return std::string("the ") + IndexKindName(stats.plan.index) + " index of " + name + " does not find " + it->first;
      }
    }
  }
  return {};
}

class CrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CrashTest, AcknowledgedWritesSurviveSigkill) {
  const std::string workload = GetParam();
  TempDir dir;
  std::mt19937_64 rng(DbTestSeed() + std::hash<std::string>()(workload));
  State state;
  std::vector<Checkpoint> checkpoints;
  int in_flight_applied = 0, in_flight_lost = 0, acked_total = 0;
  const int trials = Trials();
  for (int round = 1; round <= trials; ++round) {
    const std::string log = RunAndKill(dir.path(), workload, round, rng(), 40 + static_cast<int>(rng() % 260));
    std::istringstream in(log);
    std::string line;
    std::optional<Op> pending;
    const size_t checkpoints_before = checkpoints.size();
    while (std::getline(in, line)) {
      if (line.rfind("begin", 0) == 0) {
        pending = Op{{line}};
      } else if (line.rfind("op ", 0) == 0 && pending) {
        pending->lines.push_back(line);
      } else if (line == "ack" && pending) {
        pending->ApplyTo(&state, &checkpoints);
        pending.reset();
        ++acked_total;
      }
    }
    std::unique_ptr<DB> db = OpenOrDie(dir.path() + "/db");
    ASSERT_NE(db, nullptr) << "round " << round;
    const Status verify = db->Verify();
    ASSERT_TRUE(verify.ok()) << "round " << round << ": " << verify.ToString();
    // The write in flight at the kill (if any): all of it or none of it.
    std::string differences = Differences(db.get(), state);
    if (pending && !differences.empty()) {
      State applied = state;
      std::vector<Checkpoint> more = checkpoints;
      pending->ApplyTo(&applied, &more);
      if (Differences(db.get(), applied).empty()) {
        state = applied;
        checkpoints = more;
        differences.clear();
        ++in_flight_applied;
      } else {
        ++in_flight_lost;
      }
    } else if (pending) {
      ++in_flight_lost;
      // An interrupted checkpoint leaves no directory, or a whole one.
      if (pending->lines[0].rfind("begin checkpoint", 0) == 0) {
        std::vector<Checkpoint> more;
        State ignored = state;
        pending->ApplyTo(&ignored, &more);
        if (std::filesystem::exists(more.back().dir)) checkpoints.push_back(more.back());
      }
    }
    ASSERT_TRUE(differences.empty()) << "round " << round << ": " << differences;
    const std::string index = IndexDifferences(db.get(), state, rng);
    ASSERT_TRUE(index.empty()) << "round " << round << ": " << index;
    // The checkpoints taken this round open with what they were taken with.
    for (size_t i = checkpoints_before; i < checkpoints.size(); ++i) {
      std::unique_ptr<DB> copy = OpenOrDie(checkpoints[i].dir, {.read_only = true});
      ASSERT_NE(copy, nullptr) << checkpoints[i].dir;
      ASSERT_TRUE(copy->Verify().ok()) << checkpoints[i].dir;
      State taken;
      taken.rows["c"] = checkpoints[i].rows;
      Collection* c = GetOrDie(copy.get(), "c");
      ASSERT_EQ(c->Count(), taken.rows["c"].size()) << checkpoints[i].dir;
      for (const auto& [key, version] : taken.rows["c"]) ASSERT_TRUE(*c->Get(key) == ValueOf(key, version));
    }
  }
  std::cerr << "[ info ] " << workload << ": " << trials << " kills, " << acked_total
            << " acknowledged writes all present; the write in flight at a kill was applied " << in_flight_applied
            << " times, absent " << in_flight_lost << " times\n";
  EXPECT_GT(acked_total, 0);
}

INSTANTIATE_TEST_SUITE_P(Workloads, CrashTest,
                         ::testing::Values("put", "delete", "batch", "load", "accumulate", "index", "checkpoint",
                                           "compaction", "collections"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace hvdb::testing
