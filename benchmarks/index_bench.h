// Copyright hvdb authors. `hvdb-bench index`: recall@10 against the exact
// scan and queries/s for each index and a sweep of its knobs.
#ifndef HVDB_BENCHMARKS_INDEX_BENCH_H_
#define HVDB_BENCHMARKS_INDEX_BENCH_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace hvdb::bench {

struct IndexBenchConfig {
  size_t n = 1000000;
  size_t bits = 2048;
  size_t queries = 1000;
  std::vector<size_t> prefix_bits = {256, 512};
  std::vector<size_t> candidates = {1, 2, 4, 8, 16, 32, 64};
  std::vector<size_t> nlist = {1024, 4096};
  std::vector<size_t> nprobe = {1, 2, 4, 8, 16, 32, 64, 128};
  std::vector<size_t> ef = {16, 32, 64, 128, 256, 512};
  // hnsw graphs built (M 16 each), one per construction depth.
  std::vector<size_t> ef_construction = {40};
  // The hnsw graph is built only for datasets of at most this many rows
  // (about 8000 rows/s at 2048 bits on two cores).
  size_t hnsw_max_n = 1000000;
  // Also FAISS's IndexBinaryIVF with the first nlist, for datasets of at most
  // this many rows (0: never). Its training is float k-means through BLAS:
  // with Debian's reference libblas, about 12 minutes at nlist 1024 and 2048
  // bits on two cores, so it is opt-in.
  size_t faiss_ivf_max_n = 0;
  // Which datasets: planted, clustered, text and text-edited (Debian's WordNet
  // glosses and fortunes, letter-trigram encoded; as many sentences as there
  // are, up to n); fashion (Fashion-MNIST as HDC codes, up to 60k rows and
  // 10k queries) only when asked for.
  std::vector<std::string> datasets = {"planted", "clustered", "text", "text-edited"};
  // Also a set read from files (.npy of packed uint8 rows, numpy's bitorder
  // "little", as --save-datasets and index_peers.py --save-codes write
  // them), named by the rows file's stem, measured first; bits come from
  // the files, n and queries are what they hold. Both or neither.
  std::string rows_file, queries_file;
  std::string dir;   // scratch; empty: $TMPDIR or /tmp
  // When set, each dataset's rows and queries are written there as
  // <dataset>-<bits>-rows.npy and -queries.npy (packed uint8 rows, numpy's
  // bitorder "little"), and nothing is measured: other engines run on the
  // same arrays (benchmarks/python/index_peers.py).
  std::string save_datasets;
  unsigned long long seed = 1;
  // Each measurement's timed passes run this long in all (at least 3;
  // unset: 0.5 s and at most 100 passes). A long one lets a profiler
  // attached meanwhile see the search alone.
  std::optional<double> pass_seconds;
};

// Prints JSON lines; returns the exit status.
int RunIndexBench(const IndexBenchConfig& config);

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_INDEX_BENCH_H_
