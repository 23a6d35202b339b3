// Copyright hvdb authors.
#include "benchmarks/faiss_flat.h"

#include <faiss/IndexBinaryFlat.h>
#include <omp.h>

namespace hvdb::bench {

struct FaissFlat::Index {
  explicit Index(int bits) : flat(bits) {}
  faiss::IndexBinaryFlat flat;
};

FaissFlat::FaissFlat(const uint64_t* rows, size_t n, size_t words, unsigned threads)
    : index_(std::make_unique<Index>(static_cast<int>(words * 64))), words_(words) {
  omp_set_num_threads(static_cast<int>(threads));
  index_->flat.add(static_cast<faiss::Index::idx_t>(n), reinterpret_cast<const uint8_t*>(rows));
}

FaissFlat::~FaissFlat() = default;

std::vector<int32_t> FaissFlat::Search(const uint64_t* queries, size_t nq, size_t k) const {
  std::vector<int32_t> distances(nq * k);
  std::vector<faiss::Index::idx_t> labels(nq * k);
  index_->flat.search(static_cast<faiss::Index::idx_t>(nq), reinterpret_cast<const uint8_t*>(queries),
                      static_cast<faiss::Index::idx_t>(k), distances.data(), labels.data());
  return distances;
}

}  // namespace hvdb::bench
