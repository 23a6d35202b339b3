// Copyright hvdb authors. FAISS IndexBinaryFlat on the same data, for comparison.
// FAISS types stay inside faiss_flat.cc.
#ifndef HVDB_BENCHMARKS_FAISS_FLAT_H_
#define HVDB_BENCHMARKS_FAISS_FLAT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hvdb::bench {

// An IndexBinaryFlat holding n rows of `words` 64-bit words (the same bytes
// FAISS reads as packed uint8 codes), built once and searched many times.
class FaissFlat {
 public:
  // rows: n x words, copied into the index. Searches use `threads` OpenMP threads.
  FaissFlat(const uint64_t* rows, size_t n, size_t words, unsigned threads);
  ~FaissFlat();
  FaissFlat(const FaissFlat&) = delete;
  FaissFlat& operator=(const FaissFlat&) = delete;

  // queries: nq x words. Returns the k nearest distances per query (nq x k).
  std::vector<int32_t> Search(const uint64_t* queries, size_t nq, size_t k) const;

  // FAISS's own persistence (write_index_binary / read_index_binary), the
  // baseline for hvdb's bulk load and reopen. Seconds taken; negative on error.
  double WriteTo(const std::string& path) const;
  static double TimeReadFrom(const std::string& path);

 private:
  struct Index;
  std::unique_ptr<Index> index_;
  size_t words_;
};

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_FAISS_FLAT_H_
