// Copyright hvdb authors.
#include "benchmarks/faiss_flat.h"

#include "benchmarks/bench_util.h"

#include <faiss/IndexBinaryFlat.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <unistd.h>

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

double FaissFlat::WriteTo(const std::string& path) const {
  const double start = Now();
  try {
    faiss::write_index_binary(&index_->flat, path.c_str());
  } catch (const std::exception&) {
    return -1;
  }
  // write_index_binary does not fsync; a durable copy needs it.
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    ::fsync(fileno(f));
    std::fclose(f);
  }
  return Now() - start;
}

double FaissFlat::TimeReadFrom(const std::string& path) {
  const double start = Now();
  try {
    std::unique_ptr<faiss::IndexBinary> index(faiss::read_index_binary(path.c_str()));
    if (!index) return -1;
  } catch (const std::exception&) {
    return -1;
  }
  return Now() - start;
}

}  // namespace hvdb::bench
