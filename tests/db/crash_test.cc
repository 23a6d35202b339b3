// Copyright hvdb authors. Crash safety: a child writes with sync=true and is
// killed with SIGKILL at a random moment, 20 times. After each kill the
// database reopens with every acknowledged write in place, the one write in
// flight either wholly applied or wholly absent, and the host cache equal to
// what RocksDB holds.
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

// Runs the child for `millis` ms, kills it, returns everything it logged.
std::string RunAndKill(const std::string& dir, int round, uint64_t seed, int millis) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  const std::string r = std::to_string(round), s = std::to_string(seed);
  char* argv[] = {const_cast<char*>(HVDB_CRASH_WRITER), const_cast<char*>(dir.c_str()), const_cast<char*>(r.c_str()),
                  const_cast<char*>(s.c_str()), nullptr};
  pid_t pid;
  EXPECT_EQ(posix_spawn(&pid, HVDB_CRASH_WRITER, &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string log;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(millis);
  bool opened = false;
  while (true) {
    // The clock starts once the child has opened the database.
    const auto now = std::chrono::steady_clock::now();
    if (opened && now >= deadline) break;
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 5) > 0) {
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      log.append(buf, static_cast<size_t>(n));
      opened = opened || log.find("open\n") != std::string::npos;
    }
  }
  kill(pid, SIGKILL);
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) log.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the child exited by itself: " << log.substr(log.size() > 500 ? log.size() - 500 : 0);
  return log;
}

using State = std::map<std::string, uint64_t>;  // key -> version

// One logged operation and its effect on a state.
struct Op {
  std::vector<std::string> lines;
  void ApplyTo(State* state) const {
    for (const std::string& line : lines) {
      std::istringstream in(line);
      std::string word, kind, key;
      in >> word >> kind;
      if (word == "begin" && kind == "batch") continue;
      if (kind == "put") {
        uint64_t v;
        in >> key >> v;
        (*state)[key] = v;
      } else if (kind == "del") {
        in >> key;
        state->erase(key);
      } else if (kind == "load") {
        std::string file, prefix;
        int rows;
        uint64_t v;
        in >> file >> rows >> prefix >> v;
        for (int j = 0; j < rows; ++j) (*state)[prefix + std::to_string(j)] = v;
      }
    }
  }
};

bool Matches(Collection* c, const State& want) {
  if (c->Count() != want.size()) return false;
  for (const auto& [key, version] : want) {
    auto got = c->Get(key);
    if (!got.ok() || !(*got == ValueOf(key, version))) return false;
  }
  return true;
}

TEST(CrashTest, AcknowledgedWritesSurviveSigkill) {
  TempDir dir;
  std::mt19937_64 rng(DbTestSeed());
  State state;
  int in_flight_applied = 0, in_flight_lost = 0;
  for (int round = 1; round <= 20; ++round) {
    const std::string log = RunAndKill(dir.path(), round, rng(), 40 + static_cast<int>(rng() % 260));
    std::istringstream in(log);
    std::string line;
    std::optional<Op> pending;
    size_t acked = 0;
    while (std::getline(in, line)) {
      if (line.rfind("begin", 0) == 0) pending = Op{{line}};
      else if (line.rfind("op ", 0) == 0 && pending) pending->lines.push_back(line);
      else if (line == "ack" && pending) {
        pending->ApplyTo(&state);
        pending.reset();
        ++acked;
      }
    }
    std::unique_ptr<DB> db = OpenOrDie(dir.path() + "/db");
    ASSERT_NE(db, nullptr);
    Collection* c = GetOrDie(db.get(), "c");
    const Status verify = db->Verify();
    ASSERT_TRUE(verify.ok()) << "round " << round << ": " << verify.ToString();
    // The write in flight at the kill (if any): all of it or none of it.
    if (pending) {
      State applied = state;
      pending->ApplyTo(&applied);
      if (Matches(c, applied)) {
        state = applied;
        ++in_flight_applied;
        continue;
      }
      ++in_flight_lost;
    }
    ASSERT_TRUE(Matches(c, state)) << "round " << round << ": " << acked << " writes acknowledged; the database has "
                                   << c->Count() << " keys, expected " << state.size();
  }
  std::cerr << "[ info ] in-flight write at the kill: applied " << in_flight_applied << ", lost " << in_flight_lost
            << "; keys at the end " << state.size() << "\n";
  EXPECT_GT(state.size(), 0u);
}

}  // namespace
}  // namespace hvdb::testing
