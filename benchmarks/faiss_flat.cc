// Copyright hvdb authors.
#include "benchmarks/faiss_flat.h"

#include <faiss/IndexBinaryFlat.h>
#include <omp.h>

#include <algorithm>
#include <chrono>

namespace hvdb::bench {
namespace {
double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

FaissTiming RunFaissFlat(const uint64_t* rows, size_t n, const uint64_t* queries, size_t nq, size_t words, size_t k,
                         unsigned threads, int one_query_reps) {
  omp_set_num_threads(static_cast<int>(threads));
  faiss::IndexBinaryFlat index(static_cast<int>(words * 64));
  index.add(static_cast<faiss::Index::idx_t>(n), reinterpret_cast<const uint8_t*>(rows));
  const auto sk = static_cast<faiss::Index::idx_t>(k);
  std::vector<int32_t> d1(k);
  std::vector<faiss::Index::idx_t> l1(k);
  FaissTiming t;
  std::vector<double> times;
  for (int r = 0; one_query_reps > 0 && r <= one_query_reps; ++r) {
    const uint64_t* q = queries + static_cast<size_t>(r) % nq * words;
    const double start = Now();
    index.search(1, reinterpret_cast<const uint8_t*>(q), sk, d1.data(), l1.data());
    if (r > 0) times.push_back(Now() - start);  // the first run warms up
  }
  std::sort(times.begin(), times.end());
  t.one_query_ms = times.empty() ? 0 : times[times.size() / 2] * 1e3;

  t.batch_distances.resize(nq * k);
  std::vector<faiss::Index::idx_t> labels(nq * k);
  const double start = Now();
  index.search(static_cast<faiss::Index::idx_t>(nq), reinterpret_cast<const uint8_t*>(queries), sk,
               t.batch_distances.data(), labels.data());
  t.batch_seconds = Now() - start;
  return t;
}

}  // namespace hvdb::bench
