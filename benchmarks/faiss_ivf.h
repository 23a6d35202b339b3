// Copyright hvdb authors. FAISS IndexBinaryIVF on the same data, beside
// hvdb's ivf index. FAISS types stay inside faiss_ivf.cc.
#ifndef HVDB_BENCHMARKS_FAISS_IVF_H_
#define HVDB_BENCHMARKS_FAISS_IVF_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace hvdb::bench {

class FaissIvf {
 public:
  // Trains nlist centroids (FAISS's own float k-means, 10 iterations on at
  // most 64 x nlist rows, as hvdb trains)
  // and adds the n rows (n x words). train_s / add_s: the seconds each took.
  FaissIvf(const uint64_t* rows, size_t n, size_t words, size_t nlist);
  ~FaissIvf();
  FaissIvf(const FaissIvf&) = delete;
  FaissIvf& operator=(const FaissIvf&) = delete;

  double train_s = 0;
  double add_s = 0;

  // queries: nq x words. Returns the labels (row numbers) of the k nearest
  // found in the nprobe nearest lists, nq x k (-1: fewer found).
  std::vector<int64_t> Search(const uint64_t* queries, size_t nq, size_t k, size_t nprobe) const;

 private:
  struct Index;
  std::unique_ptr<Index> index_;
  size_t words_;
};

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_FAISS_IVF_H_
