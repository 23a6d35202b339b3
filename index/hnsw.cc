// Copyright hvdb authors.
#include "index/hnsw.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <string_view>

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <sys/stat.h>

#include "base/mutex.h"
#include "index/checked_file.h"
#include "index/little_endian.h"
#include "kernels/crc32c.h"

namespace hvdb::index {
namespace {

constexpr std::string_view kMagic = "HVDBHNSW";
constexpr uint32_t kVersion = 2;        // 2 added the checksum trailer
constexpr size_t kHeaderBytes = 24;     // magic, u32 version, u32 words, u64 nodes
constexpr uint64_t kDeadId = ~uint64_t{0};

// FAISS's writer, into a ByteSink (the first error is kept and stops FAISS).
struct SinkWriter : faiss::IOWriter {
  explicit SinkWriter(const ByteSink& to) : sink(to) {}
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    if (!status.ok()) return 0;
    status = sink(std::string_view(static_cast<const char*>(ptr), size * nitems));
    return status.ok() ? nitems : 0;
  }
  const ByteSink& sink;
  Status status;
};

const uint8_t* NodeCode(const faiss::IndexBinaryHNSW& graph, size_t node) {
  const auto* flat = dynamic_cast<const faiss::IndexBinaryFlat*>(graph.storage);
  return flat == nullptr ? nullptr : flat->xb.data() + node * static_cast<size_t>(graph.code_size);
}

// Every FAISS call goes through here: FAISS reports errors by throwing.
template <class Fn>
Status Guard(std::string_view what, Fn&& fn) {
  try {
    fn();
    return Status::OK();
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("hnsw index: out of memory while " + std::string(what));
  } catch (const std::exception& e) {
    return Status::Corruption("hnsw index: " + std::string(what) + ": " + e.what());
  }
}

Status Validate(const IndexOptions& options, size_t) {
  if (options.hnsw_m < 2 || options.hnsw_m > 256) {
    return Status::InvalidArgument("hnsw index: m " + std::to_string(options.hnsw_m) + " must be in [2, 256]");
  }
  if (options.hnsw_ef_construction == 0 || options.hnsw_ef_construction > 1u << 20) {
    return Status::InvalidArgument("hnsw index: ef_construction must be in [1, 1048576]");
  }
  if (options.hnsw_ef_search == 0 || options.hnsw_ef_search > 1u << 30) {
    return Status::InvalidArgument("hnsw index: ef_search must be in [1, 2^30]");
  }
  return Status::OK();
}

Result<std::unique_ptr<Index>> BuildFor(const IndexOptions& options, const RowsView& rows, const kernels::ScanOptions&,
                                        const BuildProgress& progress) {
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<HnswIndex> built,
                        HnswIndex::Build(rows, options.hnsw_m, options.hnsw_ef_construction, progress));
  built->set_ef_search(options.hnsw_ef_search);
  return std::unique_ptr<Index>(std::move(built));
}

Result<std::unique_ptr<Index>> OpenFor(const IndexOptions& options, const SavedState& state, const RowsView& rows,
                                       const kernels::ScanOptions&) {
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<HnswIndex> loaded, HnswIndex::Load(state.file, rows));
  loaded->set_ef_search(options.hnsw_ef_search);
  return std::unique_ptr<Index>(std::move(loaded));
}

}  // namespace

const IndexType HnswIndex::kType{IndexKind::kHnsw, StateHome::kFile, Validate, BuildFor, OpenFor};

HnswIndex::HnswIndex() = default;
HnswIndex::~HnswIndex() = default;

uint64_t HnswIndex::memory_bytes() const {
  uint64_t bytes = (node_row_.capacity() + row_node_.capacity()) * 4;
  if (graph_ != nullptr) {
    bytes += graph_->ntotal * static_cast<uint64_t>(graph_->code_size);
    bytes += graph_->hnsw.neighbors.capacity() * sizeof(graph_->hnsw.neighbors[0]);
    bytes += graph_->hnsw.offsets.capacity() * 8 + graph_->hnsw.levels.capacity() * 4;
  }
  return bytes;
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::Build(const RowsView& rows, size_t m, size_t ef_construction,
                                                    const BuildProgress& progress) {
  std::unique_ptr<HnswIndex> index(new HnswIndex());
  index->words_ = rows.words;
  index->row_node_.assign(rows.n, kNoRow32);
  bool stopped = false;
  HVDB_RETURN_IF_ERROR(Guard("building the graph", [&] {
    index->graph_ = std::make_unique<faiss::IndexBinaryHNSW>(static_cast<int>(rows.words * 64), static_cast<int>(m));
    index->graph_->hnsw.efConstruction = static_cast<int>(ef_construction);
    // Live rows in runs, each added in one call (FAISS adds a batch in
    // parallel), small enough that a cancel is seen within a second or so.
    for (size_t r = 0; r < rows.n;) {
      if (Stopped(progress, r, rows.n)) {
        stopped = true;
        return;
      }
      while (r < rows.n && rows.deleted(r)) ++r;
      size_t end = r;
      while (end < rows.n && !rows.deleted(end) && end - r < kBuildBatch) ++end;
      if (end == r) break;
      for (size_t i = r; i < end; ++i) {
        index->row_node_[i] = static_cast<uint32_t>(index->node_row_.size());
        index->node_row_.push_back(static_cast<uint32_t>(i));
      }
      index->graph_->add(static_cast<faiss::IndexBinary::idx_t>(end - r), reinterpret_cast<const uint8_t*>(rows.row(r)));
      r = end;
    }
  }));
  if (stopped) return Status::Unavailable("building the hnsw graph was cancelled");
  index->graph_rows_ = rows.n;
  return index;
}

void HnswIndex::AddNode(uint32_t row, const uint64_t* bits) {
  if (row >= row_node_.size()) row_node_.resize(std::max<size_t>(row + 1, row_node_.size() * 5 / 4), kNoRow32);
  dirty_ = true;
  try {
    graph_->add(1, reinterpret_cast<const uint8_t*>(bits));
  } catch (const std::exception&) {
    broken_ = true;
    return;
  }
  row_node_[row] = static_cast<uint32_t>(node_row_.size());
  node_row_.push_back(row);
}

void HnswIndex::KillNode(uint32_t row) {
  if (row >= row_node_.size() || row_node_[row] == kNoRow32) return;
  node_row_[row_node_[row]] = kNoRow32;
  row_node_[row] = kNoRow32;
  ++dead_;
  dirty_ = true;
}

void HnswIndex::Appended(const RowsView& rows, size_t first) {
  if (first != graph_rows_ || rows.n - first > kMaxSyncAppend) return;  // the tail
  for (size_t r = first; r < rows.n; ++r) {
    if (!rows.deleted(r)) AddNode(static_cast<uint32_t>(r), rows.row(r));
  }
  graph_rows_ = rows.n;
}

void HnswIndex::Overwritten(const RowsView& rows, uint32_t row) {
  if (row >= graph_rows_) return;  // the tail is scanned as it is
  KillNode(row);
  AddNode(row, rows.row(row));
}

void HnswIndex::Removing(const RowsView&, uint32_t row) { KillNode(row); }

void HnswIndex::Compacting(const RowsView& before) {
  std::vector<uint32_t> map(before.n);
  CompactionMap(before, map.data());
  for (uint32_t& row : node_row_) {
    if (row != kNoRow32) row = map[row];
  }
  size_t graph_rows = 0;
  for (size_t r = 0; r < graph_rows_ && r < before.n; ++r) graph_rows += map[r] != kNoRow32;
  graph_rows_ = graph_rows;
  std::vector<uint32_t> moved(row_node_.size(), kNoRow32);
  for (size_t node = 0; node < node_row_.size(); ++node) {
    if (node_row_[node] != kNoRow32) moved[node_row_[node]] = static_cast<uint32_t>(node);
  }
  row_node_.swap(moved);
}

std::string HnswIndex::Declines(const RowsView&, const SearchRequest& request) const {
  if (request.k == 0) return "hnsw index: a radius search (k = 0) scans every row";
  if (broken_) return "hnsw index: a write did not reach the graph (out of memory); it answers again once rebuilt";
  return {};
}

Status HnswIndex::Search(const RowsView& rows, const SearchRequest& request, SearchResult* result) const {
  const size_t nq = request.nq, k = request.k;
  const size_t ef = request.ef ? request.ef : ef_search_;
  const uint64_t* queries = request.queries;
  const std::optional<uint32_t> max_distance = request.max_distance;
  // Asked to visit every node: a scan does that exactly, which a walk over
  // the graph cannot promise (nodes it cannot reach, ties cut at the k-th).
  if (ef >= nodes() - dead_) return FlatScan().Search(rows, request, result);
  kernels::HitLists& out = result->hits;
  out.assign(nq, {});
  uint64_t scanned = 0;
  // The whole candidate list comes back, so rows tied at the k-th distance
  // are all there to be ordered by row (a graph fully visited is exact).
  const size_t depth = std::max(ef, k + dead_);
  const size_t fetch = std::min(nodes(), depth);
  if (fetch > 0 && nodes() > dead_) {
    std::vector<int32_t> distances(nq * fetch);
    std::vector<faiss::IndexBinary::idx_t> labels(nq * fetch);
    {
      // One graph search at a time in the process: efSearch is a field of the
      // index and the distance count a FAISS global.
      // Neither can carry HVDB_GUARDED_BY (a FAISS struct's field, a FAISS
      // global), so the analysis checks only that the lock is released.
      static Mutex search_mu;
      MutexLock lock(search_mu);
      const size_t before = faiss::hnsw_stats.ndis;
      HVDB_RETURN_IF_ERROR(Guard("searching", [&] {
        graph_->hnsw.efSearch = static_cast<int>(depth);
        graph_->search(static_cast<faiss::IndexBinary::idx_t>(nq), reinterpret_cast<const uint8_t*>(queries),
                       static_cast<faiss::IndexBinary::idx_t>(fetch), distances.data(), labels.data());
      }));
      const size_t computed = faiss::hnsw_stats.ndis - before;
      scanned += computed > 0 ? computed : nq * std::min(depth, nodes());
    }
    for (size_t q = 0; q < nq; ++q) {
      for (size_t i = 0; i < fetch; ++i) {
        const auto label = labels[q * fetch + i];
        if (label < 0 || node_row_[static_cast<size_t>(label)] == kNoRow32) continue;
        out[q].push_back({node_row_[static_cast<size_t>(label)], static_cast<uint32_t>(distances[q * fetch + i])});
      }
    }
  }
  if (graph_rows_ < rows.n) {
    // The tail, from the 64-row boundary below it so the tombstone words line up.
    const size_t from = graph_rows_ / 64 * 64;
    const size_t skip = graph_rows_ - from;
    const size_t n = rows.n - from;
    const size_t want = std::min(n, k + skip);
    std::vector<kernels::Neighbor> found(nq * want);
    const kernels::ScanInput input{queries, nq, rows.row(from), n, rows.words,
                                   rows.tombstones ? rows.tombstones + from / 64 : nullptr};
    HVDB_RETURN_IF_ERROR(kernels::TopK(input, want, found.data(), request.scan));
    for (size_t q = 0; q < nq; ++q) {
      for (size_t i = 0; i < want; ++i) {
        const kernels::Neighbor& hit = found[q * want + i];
        if (hit.row != kernels::kNoRow && hit.row >= skip) out[q].push_back({hit.row + from, hit.distance});
      }
    }
    scanned += nq * (rows.n - graph_rows_);
  }
  for (auto& hits : out) {
    kernels::MergeHits(&hits, k);
    if (max_distance) {
      while (!hits.empty() && hits.back().distance > *max_distance) hits.pop_back();
    }
  }
  result->rows_scanned = scanned;
  return Status::OK();
}

Status HnswIndex::Save(const ByteSink& sink, const RowsView& rows) const {
  ChecksummedSink checked(sink);
  const ByteSink counted = checked.AsSink();
  std::string header(kMagic);
  header += LittleEndian(kVersion, 4) + LittleEndian(words_, 4) + LittleEndian(node_row_.size(), 8);
  HVDB_RETURN_IF_ERROR(counted(header));
  std::string ids;
  ids.reserve(node_row_.size() * 8);
  for (size_t node = 0; node < node_row_.size(); ++node) {
    const uint32_t row = node_row_[node];
    ids += LittleEndian(row == kNoRow32 ? kDeadId : rows.ids[row], 8);
  }
  HVDB_RETURN_IF_ERROR(counted(ids));
  SinkWriter writer(counted);
  const Status written = Guard("writing the graph", [&] { faiss::write_index_binary(graph_.get(), &writer); });
  HVDB_RETURN_IF_ERROR(writer.status);
  HVDB_RETURN_IF_ERROR(written);
  return checked.Finish();
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::Load(const std::string& path, const RowsView& rows) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::NotFound("hnsw index: no file '" + path + "'");
  std::unique_ptr<FILE, int (*)(FILE*)> closer(f, std::fclose);
  const std::string where = "hnsw index file '" + path + "'";
  char magic[8];
  uint64_t version = 0, words = 0, nodes = 0;
  if (std::fread(magic, 1, 8, f) != 8 || std::string_view(magic, 8) != kMagic) {
    return Status::Corruption(where + " does not start with the magic HVDBHNSW");
  }
  if (!ReadLittleEndian(f, 4, &version) || !ReadLittleEndian(f, 4, &words) || !ReadLittleEndian(f, 8, &nodes)) {
    return Status::Corruption(where + " is truncated in its header");
  }
  if (version != kVersion) {
    // Version 1 had no checksum, so nothing says its bytes are whole (a
    // damaged version field could also read as 1): the graph is rebuilt.
    return Status::Corruption(where + " has version " + std::to_string(version) + "; this build reads version " +
                              std::to_string(kVersion) + " (with a checksum)");
  }
  uint64_t content = 0;
  HVDB_RETURN_IF_ERROR(CheckTrailer(f, where, kHeaderBytes, &content));
  std::fseek(f, static_cast<long>(kHeaderBytes), SEEK_SET);
  if (nodes > (content - std::min<uint64_t>(content, kHeaderBytes)) / 8) {
    return Status::Corruption(where + " claims " + std::to_string(nodes) + " nodes, more than its " +
                              std::to_string(content) + " bytes hold");
  }
  if (words != rows.words) {
    return Status::Corruption(where + " holds " + std::to_string(words * 64) + "-bit vectors, the collection " +
                              std::to_string(rows.words * 64));
  }
  std::vector<uint64_t> ids(nodes);
  for (uint64_t& id : ids) {
    if (!ReadLittleEndian(f, 8, &id)) return Status::Corruption(where + " is truncated in its node table");
  }
  std::unique_ptr<HnswIndex> index(new HnswIndex());
  index->words_ = rows.words;
  faiss::IndexBinary* read = nullptr;
  HVDB_RETURN_IF_ERROR(Guard("reading " + where, [&] { read = faiss::read_index_binary(f); }));
  index->graph_.reset(dynamic_cast<faiss::IndexBinaryHNSW*>(read));
  if (index->graph_ == nullptr) {
    delete read;
    return Status::Corruption(where + " does not hold an IndexBinaryHNSW");
  }
  if (static_cast<uint64_t>(index->graph_->ntotal) != nodes || NodeCode(*index->graph_, 0) == nullptr) {
    return Status::Corruption(where + ": its graph holds " + std::to_string(index->graph_->ntotal) +
                              " vectors, its node table " + std::to_string(nodes));
  }
  // Reconcile: a node stays bound to its row only if the row is live and
  // holds the same bits.
  index->row_node_.assign(rows.n, kNoRow32);
  index->node_row_.assign(nodes, kNoRow32);
  size_t last_bound = 0;
  bool changed = false;
  for (size_t node = 0; node < nodes; ++node) {
    const uint64_t* begin = rows.ids, *end = rows.ids + rows.n;
    const uint64_t* at = std::lower_bound(begin, end, ids[node]);
    const size_t row = static_cast<size_t>(at - begin);
    const bool bound = ids[node] != kDeadId && at != end && *at == ids[node] && !rows.deleted(row) &&
                       index->row_node_[row] == kNoRow32 &&
                       std::memcmp(NodeCode(*index->graph_, node), rows.row(row), rows.words * 8) == 0;
    if (bound) {
      index->node_row_[node] = static_cast<uint32_t>(row);
      index->row_node_[row] = static_cast<uint32_t>(node);
      last_bound = std::max(last_bound, row + 1);
    } else {
      ++index->dead_;
      changed |= ids[node] != kDeadId;
    }
  }
  // Rows among the bound ones that the graph lacks join it; the rest is tail.
  index->graph_rows_ = last_bound;
  HVDB_RETURN_IF_ERROR(Guard("adding rows the file lacks", [&] {
    for (size_t r = 0; r < last_bound; ++r) {
      if (!rows.deleted(r) && index->row_node_[r] == kNoRow32) {
        index->AddNode(static_cast<uint32_t>(r), rows.row(r));
        changed = true;
      }
    }
  }));
  if (static_cast<uint64_t>(std::ftell(f)) != content) {
    return Status::Corruption(where + ": the graph ends at byte " + std::to_string(std::ftell(f)) +
                              ", the file's content at " + std::to_string(content));
  }
  index->dirty_ = changed;
  return index;
}

}  // namespace hvdb::index
