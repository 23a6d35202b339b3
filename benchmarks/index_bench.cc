// Copyright hvdb authors.
#include "benchmarks/index_bench.h"

#include "benchmarks/bench_util.h"

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>

#include "benchmarks/json_line.h"
#include "hdc/splitmix.h"
#include "hvdb/hvdb.h"

namespace hvdb::bench {
namespace {

struct Rng {
  uint64_t state;
  uint64_t Next() { return hdc::SplitMix64Next(state); }
  // A word whose bits are set with probability 1/8, 1/4, 5/16 or 3/8.
  uint64_t Mask(int level) {
    const uint64_t a = Next(), b = Next();
    switch (level) {
      case 0: return a & b & Next();
      case 1: return a & b;
      case 2: return a & (b | (Next() & Next()));  // 1/2 x (1/2 + 1/8) = 5/16
      default: return a & (b | Next());
    }
  }
};

struct Dataset {
  std::string name;
  std::vector<Hypervector> rows, queries;
};

// (a) uniform random rows; each query has ten planted neighbours at 12.5% to
// 37.5% noise (so its exact top 10 is them). (b) 1000 centres, rows 25% to
// 31% away from theirs; queries are fresh members of random centres.
Dataset Make(const std::string& name, size_t n, size_t nq, size_t dim, uint64_t seed) {
  Dataset d{name, {}, {}};
  Rng rng{seed};
  const size_t words = dim / 64;
  auto random = [&] {
    Hypervector v = Hypervector::Zeros(dim).value();
    for (size_t w = 0; w < words; ++w) v.data()[w] = rng.Next();
    return v;
  };
  auto noisy = [&](const Hypervector& base, int level) {
    Hypervector v = base;
    for (size_t w = 0; w < words; ++w) v.data()[w] ^= rng.Mask(level);
    return v;
  };
  if (name == "planted") {
    for (size_t q = 0; q < nq; ++q) d.queries.push_back(random());
    for (size_t i = 0; i < n; ++i) {
      d.rows.push_back(i < 10 * nq ? noisy(d.queries[i / 10], static_cast<int>(i % 4)) : random());
    }
  } else {
    std::vector<Hypervector> centres;
    for (size_t c = 0; c < 1000; ++c) centres.push_back(random());
    for (size_t i = 0; i < n; ++i) d.rows.push_back(noisy(centres[i % 1000], 1 + static_cast<int>(i % 2)));
    for (size_t q = 0; q < nq; ++q) d.queries.push_back(noisy(centres[rng.Next() % 1000], 1));
  }
  return d;
}

}  // namespace

int RunIndexBench(const IndexBenchConfig& c) {
  const std::string scratch = MakeScratchDir(c.dir, "hvdb-index-bench");
  if (scratch.empty()) return 1;
  for (const char* which : {"planted", "clustered"}) {
    const Dataset d = Make(which, c.n, c.queries, c.bits, c.seed);
    std::unique_ptr<DB> db;
    if (!DB::Open({}, scratch + "/" + which, &db).ok()) return 1;
    if (!db->CreateCollection("c", {.dim = c.bits}).ok()) return 1;
    Collection* coll = nullptr;
    (void)db->GetCollection("c", &coll);
    for (size_t i = 0; i < d.rows.size();) {
      WriteBatch batch;
      for (size_t end = std::min(d.rows.size(), i + 65536); i < end; ++i) batch.Put(std::to_string(i), d.rows[i]);
      if (!coll->Write(batch, {.sync = false}).ok()) return 1;
    }
    const size_t k = 10;
    double start = Now();
    const auto exact = coll->SearchBatch(d.queries, {.k = k, .exact = true}).value();
    const double flat_qps = static_cast<double>(d.queries.size()) / (Now() - start);
    JsonLine()
        .Add("bench", "index").Add("dataset", which).Add("n", c.n).Add("bits", c.bits).Add("index", "flat")
        .Add("recall_at_10", 1.0).Add("qps", flat_qps).Add("speedup_vs_flat", 1.0)
        .Print();
    for (size_t p : c.prefix_bits) {
      if (p >= c.bits || !coll->SetIndex({.kind = "prefix", .prefix_bits = p}).ok()) continue;
      for (size_t cand : c.candidates) {
        SearchStats stats;
        start = Now();
        const auto got = coll->SearchBatch(d.queries, {.k = k, .candidates = cand}, &stats).value();
        const double qps = static_cast<double>(d.queries.size()) / (Now() - start);
        size_t hit = 0, want = 0;
        for (size_t q = 0; q < d.queries.size(); ++q) {
          std::set<std::string> truth;
          for (const auto& h : exact[q]) truth.insert(h.key);
          want += truth.size();
          for (const auto& h : got[q]) hit += truth.count(h.key);
        }
        JsonLine()
            .Add("bench", "index").Add("dataset", which).Add("n", c.n).Add("bits", c.bits).Add("index", "prefix")
            .Add("prefix_bits", p).Add("candidates", cand).Add("answered_by", stats.index)
            .Add("recall_at_10", static_cast<double>(hit) / static_cast<double>(std::max<size_t>(want, 1)))
            .Add("qps", qps).Add("speedup_vs_flat", qps / flat_qps)
            .Print();
      }
    }
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(scratch + "/" + which, ec);
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  return 0;
}

}  // namespace hvdb::bench
