// Copyright hvdb authors.
#include "benchmarks/kernel_bench.h"

#include "benchmarks/bench_util.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "benchmarks/faiss_flat.h"
#include "benchmarks/json_line.h"
#include "hdc/splitmix.h"
#include "benchmarks/roofs.h"
#include "kernels/hamming.h"

namespace hvdb::bench {
namespace {

struct FreeWords {
  void operator()(uint64_t* p) const { std::free(p); }
};
using Words = std::unique_ptr<uint64_t[], FreeWords>;

Words RandomWords(size_t count, uint64_t seed) {
  auto* p = static_cast<uint64_t*>(std::aligned_alloc(64, std::max<size_t>(64, (count * 8 + 63) / 64 * 64)));
  uint64_t state = seed;
  for (size_t i = 0; i < count; ++i) p[i] = hdc::SplitMix64Next(state);
  return Words(p);
}

struct Roofs {
  double read_gbs_scan = 0;  // with the scan's thread count: what one query can stream at
  PopcountRoof popcount;
  double avx2_pairs_per_s = 0;  // the avx2 kernel's own roof (nibble lookups); 0 without AVX2
};

Roofs MeasureRoofs(const uint64_t* rows, size_t bytes, unsigned threads, size_t bits) {
  Roofs r;
  const double gbs_1t = MeasureReadGbs(rows, bytes, 1);
  const double gbs_2t = MeasureReadGbs(rows, bytes, 2);
  r.read_gbs_scan = threads == 1 ? gbs_1t : threads == 2 ? gbs_2t : MeasureReadGbs(rows, bytes, threads);
  r.popcount = MeasurePopcountRoof(threads);
  const double instr_per_pair = static_cast<double>((bits + r.popcount.bits_per_instruction - 1) /
                                                    r.popcount.bits_per_instruction);
  JsonLine line;
  line.Add("bench", "roof")
      .Add("bits", bits)
      .Add("threads", threads)
      .Add("read_bytes", bytes)
      .Add("read_gbs_1t", gbs_1t)
      .Add("read_gbs_2t", gbs_2t);
  if (threads > 2) line.Add("read_gbs_all", r.read_gbs_scan);
  line.Add("popcnt_instruction", r.popcount.instruction)
      .Add("popcnt_instr_per_s", r.popcount.per_second)
      .Add("popcnt_instr_per_pair", instr_per_pair)
      .Add("popcnt_pairs_per_s", r.popcount.per_second / instr_per_pair);
  if (const double vectors = MeasureAvx2LookupRoof(threads); vectors > 0) {
    r.avx2_pairs_per_s = vectors / (static_cast<double>(bits) / 256);  // the batch kernel: words / 4 vectors a pair
    line.Add("avx2_lookup_vectors_per_s", vectors).Add("avx2_lookup_pairs_per_s", r.avx2_pairs_per_s);
    line.Add("avx2_harley_seal_pairs_per_s", MeasureAvx2HarleySealRoof(threads, bits));
  }
  line.Print();
  return r;
}

// Median time in ms of search_one(i), one query each, over `reps` runs after a
// warm-up run; queries cycle through the first nq.
template <typename SearchOne>
double MedianOneQueryMs(size_t nq, int reps, SearchOne search_one) {
  std::vector<double> times;
  for (int r = 0; r <= reps; ++r) {
    const double start = Now();
    search_one(static_cast<size_t>(r) % nq);
    if (r > 0) times.push_back(Now() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2] * 1e3;
}

// The batch to time: all the queries, or fewer when a pilot batch shows that
// all would take longer than max_batch_seconds (slow kernels, FAISS at large D).
template <typename RunPilot>
size_t BatchSizeFor(const KernelBenchConfig& c, RunPilot run_pilot) {
  const size_t pilot = std::min<size_t>(c.queries, 32);
  const double start = Now();
  run_pilot(pilot);
  const double per_query = (Now() - start) / static_cast<double>(pilot);
  const double estimated = per_query * static_cast<double>(c.queries);
  if (estimated <= c.max_batch_seconds) return c.queries;
  return std::clamp<size_t>(static_cast<size_t>(c.max_batch_seconds / per_query), pilot, c.queries);
}

}  // namespace

int RunKernelBench(const KernelBenchConfig& c) {
  const unsigned threads = c.threads == 0 ? kernels::DefaultThreads() : c.threads;
  std::vector<kernels::Simd> simds;
  if (c.kernels.empty()) {
    for (kernels::Simd s : kernels::kAllSimd) {
      if (kernels::SimdSupported(s)) simds.push_back(s);
    }
  } else {
    for (const std::string& name : c.kernels) {
      Result<kernels::Simd> s = kernels::ParseSimd(name);
      if (!s.ok() || !kernels::SimdSupported(*s)) {
        std::fprintf(stderr, "hvdb-bench: %s\n",
                     s.ok() ? ("kernel " + name + " is not supported by this CPU").c_str()
                            : s.status().ToString().c_str());
        return 2;
      }
      simds.push_back(*s);
    }
  }

  for (const size_t bits : c.bits) {
    if (bits == 0 || bits % 64 != 0) {
      std::fprintf(stderr, "hvdb-bench: --bits %zu is not a positive multiple of 64\n", bits);
      return 2;
    }
    const size_t words = bits / 64;
    const Words rows = RandomWords(c.n * words, c.seed);
    const Words queries = RandomWords(c.queries * words, c.seed + 1);
    const size_t bytes = c.n * words * sizeof(uint64_t);
    const Roofs roofs = MeasureRoofs(rows.get(), bytes, threads, bits);
    const double stream_ms = static_cast<double>(bytes) / (roofs.read_gbs_scan * 1e9) * 1e3;
    const double popcnt_pairs = roofs.popcount.per_second / std::ceil(static_cast<double>(bits) /
                                                                      static_cast<double>(roofs.popcount.bits_per_instruction));

    const kernels::ScanInput all{queries.get(), c.queries, rows.get(), c.n, words, nullptr};
    std::vector<int32_t> reference_distances;  // from the first kernel, to check FAISS
    for (const kernels::Simd simd : simds) {
      kernels::ScanOptions options;
      options.simd = simd;
      options.threads = threads;
      std::vector<kernels::Neighbor> one(c.k);
      const double one_ms = MedianOneQueryMs(c.queries, c.one_query_reps, [&](size_t q) {
        kernels::ScanInput in = all;
        in.queries = all.queries + q * words;
        in.nq = 1;
        (void)kernels::TopK(in, c.k, one.data(), options);
      });
      const size_t nq = BatchSizeFor(c, [&](size_t pilot) {
        std::vector<kernels::Neighbor> out(pilot * c.k);
        kernels::ScanInput in = all;
        in.nq = pilot;
        (void)kernels::TopK(in, c.k, out.data(), options);
      });
      kernels::ScanInput batch = all;
      batch.nq = nq;
      std::vector<kernels::Neighbor> out(nq * c.k);
      const double start = Now();
      const Status s = kernels::TopK(batch, c.k, out.data(), options);
      const double seconds = Now() - start;
      if (!s.ok()) {
        std::fprintf(stderr, "hvdb-bench: %s\n", s.ToString().c_str());
        return 1;
      }
      if (reference_distances.empty()) {
        for (const auto& nb : out) reference_distances.push_back(static_cast<int32_t>(nb.distance));
      }
      const double pairs_per_s = static_cast<double>(c.n) * static_cast<double>(nq) / seconds;
      JsonLine line;
      line.Add("bench", "kernels")
          .Add("kernel", kernels::SimdName(simd))
          .Add("n", c.n)
          .Add("bits", bits)
          .Add("nq", nq)
          .Add("k", c.k)
          .Add("threads", threads)
          .Add("one_query_ms", one_ms)
          .Add("batch_qps", static_cast<double>(nq) / seconds)
          .Add("pairs_per_s", pairs_per_s)
          .Add("pct_of_popcnt_roof", 100.0 * pairs_per_s / popcnt_pairs)
          .Add("stream_ms", stream_ms)
          .Add("one_query_vs_stream", one_ms / stream_ms);
      if (simd == kernels::Simd::kAvx2 && roofs.avx2_pairs_per_s > 0) {
        line.Add("pct_of_avx2_roof", 100.0 * pairs_per_s / roofs.avx2_pairs_per_s);
      }
      line.Print();
    }

    if (c.faiss) {
      const FaissFlat faiss(rows.get(), c.n, words, threads);
      const double one_ms = MedianOneQueryMs(c.queries, c.one_query_reps, [&](size_t q) {
        (void)faiss.Search(queries.get() + q * words, 1, c.k);
      });
      const size_t nq = BatchSizeFor(c, [&](size_t pilot) { (void)faiss.Search(queries.get(), pilot, c.k); });
      const double start = Now();
      const std::vector<int32_t> distances = faiss.Search(queries.get(), nq, c.k);
      const double seconds = Now() - start;
      const double pairs_per_s = static_cast<double>(c.n) * static_cast<double>(nq) / seconds;
      JsonLine line;
      line.Add("bench", "kernels")
          .Add("kernel", "faiss-flat")
          .Add("n", c.n)
          .Add("bits", bits)
          .Add("nq", nq)
          .Add("k", c.k)
          .Add("threads", threads)
          .Add("one_query_ms", one_ms)
          .Add("batch_qps", static_cast<double>(nq) / seconds)
          .Add("pairs_per_s", pairs_per_s)
          .Add("pct_of_popcnt_roof", 100.0 * pairs_per_s / popcnt_pairs)
          .Add("stream_ms", stream_ms)
          .Add("one_query_vs_stream", one_ms / stream_ms);
      // Neighbour ids may differ between equal distances; the distances may not.
      const size_t common = std::min(reference_distances.size(), distances.size());
      if (common > 0) {
        line.Add("same_distances_as_hvdb", std::equal(distances.begin(),
                                                      distances.begin() + static_cast<std::ptrdiff_t>(common),
                                                      reference_distances.begin()));
      }
      line.Print();
    }
  }
  return 0;
}

}  // namespace hvdb::bench
