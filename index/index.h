// Copyright hvdb authors. One interface for every search index of a
// collection (flat, prefix, ivf, hnsw), and the table of kinds that builds,
// opens and checks them (index/registry.cc).
//
// An index sees the collection's rows through a RowsView of the host cache,
// addressed by row number; the collection calls its write hooks in the
// cache's order, under the cache's exclusive lock, so that an index always
// describes the rows as they are. A search either answers exactly what the
// index promises (the flat scan's answer when asked to look at enough) or
// says why it declines, and the plan then scans flat (db/planner.h).
//
// Adding a kind: its files here, an IndexKind (hvdb/options.h) with its
// knobs in IndexOptions, and one line in the table in registry.cc.
//
// Thread safety: const methods may run concurrently with each other; the
// hooks need exclusive access (the collection's cache lock).
#ifndef HVDB_INDEX_INDEX_H_
#define HVDB_INDEX_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hvdb/options.h"
#include "hvdb/result.h"
#include "index/rows_view.h"
#include "kernels/device/search_device.h"
#include "kernels/hamming.h"
#include "kernels/results.h"

namespace hvdb::index {

// What a search asks of an index. The knobs are the request's (SearchOptions);
// 0 means the index's own default (IndexOptions).
struct SearchRequest {
  const uint64_t* queries = nullptr;  // nq x rows.words
  size_t nq = 0;
  size_t k = 10;                      // hits per query; 0: every hit within max_distance
  std::optional<uint32_t> max_distance;
  size_t candidates = 0;              // prefix: rows reranked per hit wanted
  size_t nprobe = 0;                  // ivf: lists probed
  size_t ef = 0;                      // hnsw: search candidate list
  kernels::ScanOptions scan;
  // Where an index that SearchesOnDevice() scans; null: the CPU.
  kernels::SearchDevice* device = nullptr;
};

struct SearchResult {
  kernels::HitLists hits;            // nq lists, nearest first, ties to the smaller row
  uint64_t rows_scanned = 0;         // rows compared, all queries together
  uint64_t candidates_reranked = 0;  // prefix: rows compared in full, all queries
};

// Where a kind keeps what it does not rebuild from the rows at every open.
enum class StateHome : uint8_t {
  kNone,  // nothing (flat, prefix)
  kFile,  // a file in the database's indexes/ directory, written atomically (ivf's lists, hnsw's graph)
};

// Receives an index's saved state in order; an error stops the save.
using ByteSink = std::function<Status(std::string_view bytes)>;

class Index {
 public:
  virtual ~Index() = default;
  virtual IndexKind kind() const = 0;
  const char* name() const { return IndexKindName(kind()); }
  // How a search plan names it: "<name> index", with what it chose itself
  // where that is not in its options (ivf's nlist chosen from the data).
  virtual std::string Summary() const { return std::string(name()) + " index"; }
  // Bytes it holds beyond the collection's rows.
  virtual uint64_t memory_bytes() const = 0;
  // The lists it has trained (ivf); 0 for the other kinds and while untrained.
  virtual uint64_t trained_lists() const { return 0; }

  // Empty when Search answers `request` over `rows`; otherwise why it does
  // not ("ivf not trained yet: 12 live rows of the 4096 it needs"); the
  // plan then scans flat, which is exact.
  virtual std::string Declines(const RowsView& rows, const SearchRequest& request) const = 0;
  // Whether Search scans on SearchRequest::device when one is given.
  virtual bool SearchesOnDevice() const { return false; }
  // REQUIRES: Declines(rows, request) is empty. result->hits: nq lists.
  virtual Status Search(const RowsView& rows, const SearchRequest& request, SearchResult* result) const = 0;

  // Write hooks, exclusive. Reserve runs before a write reaches the store,
  // so that the hooks after it cannot fail for want of memory: room for
  // `rows` rows in all. Appended and Overwritten see `rows` after the change
  // (appended [first, rows.n); `row` got new bits); Removing sees them just
  // before `row` is deleted. Compacting comes once the cache has slid its
  // live rows together (row r becomes the number of live rows before it):
  // `before` keeps the row count and tombstones as they were, but its rows
  // and ids have moved, so only n, tombstones and deleted() may be read.
  virtual Status Reserve(size_t /*rows*/) { return Status::OK(); }
  virtual void Appended(const RowsView& rows, size_t first) = 0;
  virtual void Overwritten(const RowsView& rows, uint32_t row) = 0;
  virtual void Removing(const RowsView& rows, uint32_t row) = 0;
  virtual void Compacting(const RowsView& before) = 0;
  // Whether the collection should build it again from the rows now (ivf:
  // trained once there are enough rows, retrained when its lists drift);
  // asked after each write.
  virtual bool RebuildDue(const RowsView& /*rows*/) const { return false; }

  // Persistence, for the kinds whose StateHome is kFile: the state's bytes
  // (nothing written: no state worth keeping, e.g. an untrained ivf; the
  // file is then removed), whether it changed since it was opened or saved,
  // and that it was saved.
  virtual Status Save(const ByteSink& /*sink*/, const RowsView& /*rows*/) const { return Status::OK(); }
  virtual bool dirty() const { return false; }
  virtual void MarkSaved() const {}
};

// Where a kind's saved state is, for Open.
struct SavedState {
  std::string file;  // the file's path (it may be missing)
};

// One kind of index: the table registry.cc holds.
struct IndexType {
  IndexKind kind;
  StateHome state_home;
  // OK when options' fields of this kind suit vectors of `dim` bits.
  Status (*validate)(const IndexOptions& options, size_t dim);
  // A new index over `rows`; progress (optional) may stop it: Unavailable.
  Result<std::unique_ptr<Index>> (*build)(const IndexOptions& options, const RowsView& rows,
                                          const kernels::ScanOptions& scan, const BuildProgress& progress);
  // The index from its saved state, reconciled with `rows`: NotFound when
  // there is none (or none for these options), Corruption when it is
  // damaged; the caller then builds it. Null for kNone.
  Result<std::unique_ptr<Index>> (*open)(const IndexOptions& options, const SavedState& state, const RowsView& rows,
                                         const kernels::ScanOptions& scan);
};

// The table's entry for `kind`. REQUIRES: kind is one of kAllIndexKinds.
const IndexType& TypeOf(IndexKind kind);

// The flat scan as an Index: what every plan falls back to. Stateless.
const Index& FlatScan();

}  // namespace hvdb::index

#endif  // HVDB_INDEX_INDEX_H_
