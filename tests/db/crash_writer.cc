// Copyright hvdb authors. The child of crash_test: runs one write workload
// with sync=true until it is killed, logging each operation to stdout before
// it starts ("begin ...") and after it is acknowledged ("ack").
// Usage: crash_writer PATH WORKLOAD ROUND SEED
//
// Workloads: put, delete, batch, load, accumulate, index, checkpoint,
// compaction, collections (crash_test.cc lists what each exercises).
//
// Log lines (COLL: a collection name):
//   begin put COLL KEY VERSION | begin del COLL KEY
//   begin batch COLL N, then N lines "op put KEY VERSION" or "op del KEY"
//   begin load COLL FILE ROWS PREFIX VERSION
//   begin acc COLL WEIGHT | begin index COLL KIND | begin checkpoint DIR
//   begin create COLL | begin drop COLL
//   ack
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

class Writer {
 public:
  Writer(hvdb::DB* db, std::string path, uint64_t round, uint64_t seed)
      : db_(db), path_(std::move(path)), round_(round), rng_(seed) {}

  hvdb::Collection* Get(const std::string& name) {
    hvdb::Collection* c = nullptr;
    if (auto s = db_->GetCollection(name, &c); !s.ok()) Die(s);
    return c;
  }
  std::string Key(const std::string& prefix, int range) { return prefix + std::to_string(rng_() % range); }

  hvdb::Status Put(const std::string& coll, const std::string& key, uint64_t version) {
    Log("begin put " + coll + " " + key + " " + std::to_string(version));
    return Get(coll)->Put(key, ValueOf(key, version));
  }
  hvdb::Status Delete(const std::string& coll, const std::string& key) {
    Log("begin del " + coll + " " + key);
    return Get(coll)->Delete(key);
  }
  hvdb::Status Batch(const std::string& coll, uint64_t version) {
    hvdb::WriteBatch batch;
    const int n = 2 + static_cast<int>(rng_() % 5);
    Log("begin batch " + coll + " " + std::to_string(n));
    for (int j = 0; j < n; ++j) {
      const std::string k = Key("k", 300);
      if (rng_() % 3 == 0) {
        batch.Delete(k);
        Log("op del " + k);
      } else {
        batch.Put(k, ValueOf(k, version * 10 + j));
        Log("op put " + k + " " + std::to_string(version * 10 + j));
      }
    }
    return Get(coll)->Write(batch);
  }
  // A bulk load of `rows` rows, some replacing existing keys.
  hvdb::Status Load(const std::string& coll, uint64_t version, int rows) {
    const std::string file = path_ + "/load-" + std::to_string(version) + ".tsv";
    const std::string prefix = "L" + std::to_string(rng_() % 4) + "-";
    std::FILE* f = std::fopen(file.c_str(), "w");
    for (int j = 0; j < rows; ++j) {
      const std::string k = prefix + std::to_string(j);
      std::fprintf(f, "%s\t%s\n", k.c_str(), ValueOf(k, version).ToHex().c_str());
    }
    std::fclose(f);
    Log("begin load " + coll + " " + file + " " + std::to_string(rows) + " " + prefix + " " +
        std::to_string(version));
    return Get(coll)->BulkLoad(file).status();
  }
  hvdb::Status Accumulate(const std::string& coll, uint64_t version) {
    const int weight = static_cast<int>(rng_() % 5) - 2;
    const int w = weight == 0 ? 3 : weight;
    Log("begin acc " + coll + " " + std::to_string(w));
    return Get(coll)->Accumulate("acc", std::vector<hvdb::Hypervector>{ValueOf("acc", version)}, w);
  }
  hvdb::Status Index(const std::string& coll) {
    const hvdb::IndexKind kind = hvdb::kAllIndexKinds[rng_() % std::size(hvdb::kAllIndexKinds)];
    Log("begin index " + coll + " " + hvdb::IndexKindName(kind));
    hvdb::IndexOptions options{.kind = kind, .prefix_bits = 64, .ivf_nlist = 8, .hnsw_m = 8};
    return Get(coll)->SetIndex(options);
  }
  hvdb::Status Checkpoint(uint64_t version) {
    const std::string dir = path_ + "/checkpoint-" + std::to_string(version);
    Log("begin checkpoint " + dir);
    return db_->Checkpoint(dir);
  }

  hvdb::Status Step(const std::string& workload, uint64_t i) {
    const uint64_t version = round_ * 1000000 + i;
    const int roll = static_cast<int>(rng_() % 20);
    if (workload == "put") return Put("c", Key("k", 300), version);
    if (workload == "delete") return roll < 9 ? Put("c", Key("k", 100), version) : Delete("c", Key("k", 100));
    if (workload == "batch") return roll < 4 ? Put("c", Key("k", 300), version) : Batch("c", version);
    if (workload == "load") return roll < 14 ? Put("c", Key("L0-", 200), version) : Load("c", version, 200);
    if (workload == "accumulate") return roll < 6 ? Put("c", Key("k", 50), version) : Accumulate("c", version);
    if (workload == "index") {
      // Writes that keep an ivf index training and retraining, and switches of kind.
      if (roll < 11) return Put("c", Key("k", 400), version);
      if (roll < 17) return Delete("c", Key("k", 400));
      if (roll < 18) return Load("c", version, 100);
      return Index("c");
    }
    if (workload == "checkpoint") return roll < 17 ? Put("c", Key("k", 200), version) : Checkpoint(version);
    if (workload == "compaction") {
      // 64 KiB write buffers (see main) flush and compact often; deletes past
      // the collection's 5% threshold compact its host cache.
      if (roll < 10) return Put("c", Key("k", 600), version);
      if (roll < 18) return Delete("c", Key("k", 600));
      return Batch("c", version);
    }
    if (workload == "collections") {
      const std::string coll = "d" + std::to_string(rng_() % 3);
      hvdb::Collection* c = nullptr;
      const bool exists = db_->GetCollection(coll, &c).ok();
      if (!exists && roll < 15) {
        Log("begin create " + coll);
        return db_->CreateCollection(coll, {.dim = kDim});
      }
      if (exists && roll < 2) {
        Log("begin drop " + coll);
        return db_->DropCollection(coll);
      }
      return exists ? Put(coll, Key("k", 50), version) : Put("c", Key("k", 50), version);
    }
    std::fprintf(stderr, "crash_writer: unknown workload '%s'\n", workload.c_str());
    std::exit(2);
  }

 private:
  hvdb::DB* db_;
  std::string path_;
  uint64_t round_;
  std::mt19937_64 rng_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: crash_writer PATH WORKLOAD ROUND SEED\n");
    return 2;
  }
  const std::string path = argv[1], workload = argv[2];
  const uint64_t round = std::stoull(argv[3]);
  std::unique_ptr<hvdb::DB> db;
  hvdb::Options options;
  if (workload == "compaction") options.write_buffer_bytes = 1 << 16;
  if (auto s = hvdb::DB::Open(options, path + "/db", &db); !s.ok()) Die(s);
  hvdb::Collection* c = nullptr;
  if (db->GetCollection("c", &c).IsNotFound()) {
    if (auto s = db->CreateCollection("c", {.dim = kDim, .compact_threshold = 0.05}); !s.ok()) Die(s);
  }
  Writer writer(db.get(), path, round, std::stoull(argv[4]));
  Log("open");
  for (uint64_t i = 0;; ++i) {
    if (hvdb::Status s = writer.Step(workload, i); !s.ok()) Die(s);
    Log("ack");
  }
}
