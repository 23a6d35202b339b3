// Copyright hvdb authors. The child of crash_test: writes with sync=true until
// it is killed, logging each operation to stdout before it starts ("begin")
// and after it is acknowledged ("ack"). Usage: crash_writer PATH ROUND SEED
//
// Log lines:  begin put KEY VERSION | begin del KEY | begin batch N (then N
// "op" lines: put KEY VERSION / del KEY) | begin load FILE ROWS PREFIX VERSION
// | ack
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "hvdb/hvdb.h"

namespace {

constexpr size_t kDim = 256;

hvdb::Hypervector ValueOf(const std::string& key, uint64_t version) {
  uint64_t h = 1469598103934665603ull;
  for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return hvdb::Hypervector::Random(kDim, h ^ (version * 0x9e3779b97f4a7c15ull)).value();
}

void Log(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

[[noreturn]] void Die(const hvdb::Status& s) {
  std::fprintf(stderr, "crash_writer: %s\n", s.ToString().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_writer PATH ROUND SEED\n");
    return 2;
  }
  const std::string path = argv[1];
  const uint64_t round = std::stoull(argv[2]);
  std::mt19937_64 rng(std::stoull(argv[3]));
  std::unique_ptr<hvdb::DB> db;
  if (auto s = hvdb::DB::Open({}, path + "/db", &db); !s.ok()) Die(s);
  hvdb::Collection* c = nullptr;
  if (db->GetCollection("c", &c).IsNotFound()) {
    if (auto s = db->CreateCollection("c", {.dim = kDim, .compact_threshold = 0.05}); !s.ok()) Die(s);
  }
  if (auto s = db->GetCollection("c", &c); !s.ok()) Die(s);
  Log("open");
  for (uint64_t i = 0;; ++i) {
    const uint64_t version = round * 1000000 + i;
    const std::string key = "k" + std::to_string(rng() % 300);
    const int kind = static_cast<int>(rng() % 20);
    hvdb::Status s;
    if (kind < 12) {
      Log("begin put " + key + " " + std::to_string(version));
      s = c->Put(key, ValueOf(key, version));
    } else if (kind < 16) {
      Log("begin del " + key);
      s = c->Delete(key);
    } else if (kind < 19) {
      hvdb::WriteBatch batch;
      const int n = 2 + static_cast<int>(rng() % 5);
      Log("begin batch " + std::to_string(n));
      for (int j = 0; j < n; ++j) {
        const std::string k = "k" + std::to_string(rng() % 300);
        if (rng() % 3 == 0) {
          batch.Delete(k);
          Log("op del " + k);
        } else {
          batch.Put(k, ValueOf(k, version * 10 + j));
          Log("op put " + k + " " + std::to_string(version * 10 + j));
        }
      }
      s = c->Write(batch);
    } else {
      // A bulk load of 200 rows, some replacing existing keys.
      const std::string file = path + "/load-" + std::to_string(version) + ".tsv";
      const std::string prefix = "L" + std::to_string(rng() % 4) + "-";
      std::FILE* f = std::fopen(file.c_str(), "w");
      for (int j = 0; j < 200; ++j) {
        const std::string k = prefix + std::to_string(j);
        std::fprintf(f, "%s\t%s\n", k.c_str(), ValueOf(k, version).ToHex().c_str());
      }
      std::fclose(f);
      Log("begin load " + file + " 200 " + prefix + " " + std::to_string(version));
      s = c->BulkLoad(file).status();
    }
    if (!s.ok()) Die(s);
    Log("ack");
  }
}
