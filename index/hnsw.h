// Copyright hvdb authors. The hnsw index: FAISS's IndexBinaryHNSW over the
// rows, kept in step with writes.
//
// Graph nodes are never removed (FAISS cannot): a deleted row's node is marked
// dead and filtered out, a replaced row gets a new node and its old one dies.
// Rows appended in bulk (more than kMaxSyncAppend at once, or behind rows not
// yet in the graph) are not added to the graph: they form the tail, rows
// [graph_rows(), n), which every search scans exactly and merges in. Building
// the index again (Collection::SetIndex) takes the tail and the dead nodes in.
//
// Persistence: Save writes <file>: "HVDBHNSW", version, words, node count,
// the row id of every node (~0 for dead ones), FAISS's own serialization of
// the graph, then a trailer "HVDBSUM." with the bytes before it and their
// CRC-32C (docs/format.md). Load checks the trailer before FAISS reads a
// byte (a damaged file is Corruption, never a crash or a wrong graph), reads
// the file back and reconciles it with the
// rows: a node whose row is gone or whose bits differ dies, rows the file
// lacks join the graph or the tail. So a file older than the rows (a crash
// after writes) still gives exact answers for what it lacks.
//
// FAISS's graph routines are driven here with hvdb's kernels for the
// distances (index/hnsw.cc, KernelDistance): Debian's libfaiss counts bits
// without POPCNT.
//
// Thread safety: const methods may run concurrently (a search passes its
// depth to FAISS as a parameter and spreads its queries over the kernels'
// shared threads); the others need exclusive access.
#ifndef HVDB_INDEX_HNSW_H_
#define HVDB_INDEX_HNSW_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/result.h"
#include "index/index.h"
#include "kernels/hamming.h"

namespace faiss {
struct IndexBinaryHNSW;
}

namespace hvdb::index {

class HnswIndex final : public Index {
 public:
  // Rows appended by one write that still go straight into the graph.
  static constexpr size_t kMaxSyncAppend = 4096;

  ~HnswIndex() override;
  // A graph over every live row, added in batches of kBuildBatch rows;
  // progress (when set) is asked between batches: false stops the build
  // with Unavailable.
  static constexpr size_t kBuildBatch = 8192;
  // Distances come from the kernel `scan` names, else DefaultSimd()
  // (InvalidArgument when this CPU cannot run it), and the graph is linked on
  // scan.threads threads of its own (0: omp_get_max_threads(), as FAISS
  // would use). On one thread the graph depends on the rows alone.
  static Result<std::unique_ptr<HnswIndex>> Build(const RowsView& rows, size_t m, size_t ef_construction,
                                                  const BuildProgress& progress = nullptr,
                                                  const kernels::ScanOptions& scan = {});
  // Reads `path` (written by Save) and reconciles it with `rows`. NotFound
  // when there is no file; Corruption naming the problem when it is damaged,
  // unreadable, or of version 1 (no checksum): the caller rebuilds it.
  // `scan` as for Build: the kernel of the rows linked while reconciling.
  static Result<std::unique_ptr<HnswIndex>> Load(const std::string& path, const RowsView& rows,
                                                 const kernels::ScanOptions& scan = {});
  // Writes the file's bytes, in order, to `sink` (the caller makes the file
  // atomic and durable: storage::DurableFile); an error from the sink stops it.
  Status Save(const ByteSink& sink, const RowsView& rows) const override;
  // The file written by Save is durable: dirty() turns false.
  void MarkSaved() const override { dirty_ = false; }

  IndexKind kind() const override { return IndexKind::kHnsw; }
  // ef when a search does not say (IndexOptions::hnsw_ef_search).
  void set_ef_search(size_t ef) { ef_search_ = ef; }

  size_t graph_rows() const { return graph_rows_; }
  size_t nodes() const { return node_row_.size(); }
  size_t dead_nodes() const { return dead_; }
  uint64_t memory_bytes() const override;
  // Whether anything changed since the last Save or Load.
  bool dirty() const override { return dirty_; }
  // Whether a write failed to reach the graph (FAISS out of memory): then the
  // graph no longer covers every row and must not answer until rebuilt.
  bool broken() const { return broken_; }

  // Writers (Index's hooks). Rows appended in bulk past kMaxSyncAppend, or
  // behind rows not yet in the graph, stay in the tail.
  void Appended(const RowsView& rows, size_t first) override;
  void Overwritten(const RowsView& rows, uint32_t row) override;
  void Removing(const RowsView& rows, uint32_t row) override;
  void Compacting(const RowsView& before) override;

  // Declines a radius search (k = 0), and everything while broken().
  std::string Declines(const RowsView& rows, const SearchRequest& request) const override;
  // For each query the k nearest live rows, nearest first, ties to the
  // smaller row, within max_distance when set: the graph searched with a
  // candidate list of max(ef, k + dead nodes), the tail scanned exactly. ef
  // at or above the live node count means "visit everything": then every row
  // is scanned exactly instead. Queries are spread over request.scan.threads
  // of the kernels' shared threads (0: one per core).
  Status Search(const RowsView& rows, const SearchRequest& request, SearchResult* result) const override;

  static const IndexType kType;

 private:
  HnswIndex();
  void AddNode(uint32_t row, const uint64_t* bits);
  void KillNode(uint32_t row);

  std::unique_ptr<faiss::IndexBinaryHNSW> graph_;
  size_t words_ = 0;
  std::vector<uint32_t> node_row_;  // per node: its cache row, kNoRow32 when dead
  std::vector<uint32_t> row_node_;  // per cache row: its node, kNoRow32 when none
  size_t graph_rows_ = 0;           // rows below this are in the graph (or deleted)
  size_t dead_ = 0;
  mutable std::atomic<bool> dirty_{true};  // MarkSaved (const, at close or checkpoint) clears it
  bool broken_ = false;
  size_t ef_search_ = 64;
  kernels::Simd simd_ = kernels::Simd::kScalar;  // the graph's distances while writes link nodes
};

}  // namespace hvdb::index

#endif  // HVDB_INDEX_HNSW_H_
