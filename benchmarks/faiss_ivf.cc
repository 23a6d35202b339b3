// Copyright hvdb authors.
#include "benchmarks/faiss_ivf.h"

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryIVF.h>

#include "benchmarks/bench_util.h"

namespace hvdb::bench {

struct FaissIvf::Index {
  Index(int bits, size_t nlist) : quantizer(bits), ivf(&quantizer, bits, nlist) {}
  faiss::IndexBinaryFlat quantizer;
  faiss::IndexBinaryIVF ivf;
};

FaissIvf::FaissIvf(const uint64_t* rows, size_t n, size_t words, size_t nlist)
    : index_(std::make_unique<Index>(static_cast<int>(words * 64), nlist)), words_(words) {
  const auto* codes = reinterpret_cast<const uint8_t*>(rows);
  // The same footing as hvdb's training: at most 64 x nlist rows, 10 iterations.
  const size_t sample = std::min(n, 64 * nlist);
  index_->ivf.cp.niter = 10;
  double start = Now();
  index_->ivf.train(static_cast<faiss::IndexBinary::idx_t>(sample), codes);
  train_s = Now() - start;
  start = Now();
  index_->ivf.add(static_cast<faiss::IndexBinary::idx_t>(n), codes);
  add_s = Now() - start;
}

FaissIvf::~FaissIvf() = default;

std::vector<int64_t> FaissIvf::Search(const uint64_t* queries, size_t nq, size_t k, size_t nprobe) const {
  std::vector<int32_t> distances(nq * k);
  std::vector<faiss::IndexBinary::idx_t> labels(nq * k);
  index_->ivf.nprobe = nprobe;
  index_->ivf.search(static_cast<faiss::IndexBinary::idx_t>(nq), reinterpret_cast<const uint8_t*>(queries),
                     static_cast<faiss::IndexBinary::idx_t>(k), distances.data(), labels.data());
  return {labels.begin(), labels.end()};
}

}  // namespace hvdb::bench
