// Copyright hvdb authors. FAISS IndexBinaryFlat on the same data, for comparison.
// FAISS types stay inside faiss_flat.cc.
#ifndef HVDB_BENCHMARKS_FAISS_FLAT_H_
#define HVDB_BENCHMARKS_FAISS_FLAT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hvdb::bench {

struct FaissTiming {
  double one_query_ms = 0;
  double batch_seconds = 0;
  std::vector<int32_t> batch_distances;  // nq x k, to check against hvdb
};

// rows: n x words, queries: nq x words (64-bit words, the same bytes FAISS
// reads as packed uint8 codes). one_query_reps = 0 skips the one-query timing.
FaissTiming RunFaissFlat(const uint64_t* rows, size_t n, const uint64_t* queries, size_t nq, size_t words, size_t k,
                         unsigned threads, int one_query_reps);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_FAISS_FLAT_H_
