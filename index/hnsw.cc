// Copyright hvdb authors.
#include "index/hnsw.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/Heap.h>
#include <faiss/utils/random.h>
#include <omp.h>  // omp_lock_t: FAISS's HNSW locks a node while linking it
#include <sys/stat.h>

#include "base/mutex.h"
#include "index/checked_file.h"
#include "index/little_endian.h"
#include "kernels/cpu/thread_pool.h"
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

// The graph's distances, from hvdb's kernels. FAISS's own distance computer
// (IndexBinaryHNSW::get_distance_computer) counts bits with libgcc's
// __popcountdi2, a call per 64-bit word, because Debian builds libfaiss for
// baseline x86-64 without POPCNT: builds took 3.6x and searches 1.9x as long
// as with these (docs/perf.md, "hnsw: distances from hvdb's kernels").
// So the graph is added to and searched here (AddToGraph, SearchGraph) with
// FAISS's HNSW routines and this computer; the graph and its file are FAISS's.
class KernelDistance final : public faiss::DistanceComputer {
 public:
  KernelDistance(const faiss::IndexBinaryHNSW& graph, size_t words, kernels::Simd simd)
      : codes_(reinterpret_cast<const uint64_t*>(NodeCode(graph, 0))), words_(words), simd_(simd) {}
  // x: the query's words (FAISS passes codes through its float pointer).
  void set_query(const float* x) override { query_ = reinterpret_cast<const uint64_t*>(x); }
  float operator()(idx_t node) override {
    ++computed_;
    return static_cast<float>(kernels::HammingDistance(query_, codes_ + static_cast<size_t>(node) * words_, words_, simd_));
  }
  float symmetric_dis(idx_t a, idx_t b) override {
    ++computed_;
    return static_cast<float>(kernels::HammingDistance(codes_ + static_cast<size_t>(a) * words_,
                                                       codes_ + static_cast<size_t>(b) * words_, words_, simd_));
  }
  size_t computed() const { return computed_; }

 private:
  const uint64_t* codes_;  // the graph's storage: node i's words at i x words
  size_t words_;
  kernels::Simd simd_;
  const uint64_t* query_ = nullptr;
  size_t computed_ = 0;
};

// Runs body(distance, visited, i) for each i in [0, n) on up to `threads`
// threads of `pool`, each with its own KernelDistance and visited table,
// items handed out in order. The first exception stops the loop and is
// rethrown here.
template <class Body>
void ForEachNode(kernels::cpu::ThreadPool& pool, const faiss::IndexBinaryHNSW& graph, size_t words,
                 kernels::Simd simd, size_t n, unsigned threads, const Body& body) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Mutex error_mu;
  std::exception_ptr error;
  const unsigned used = static_cast<unsigned>(std::min<size_t>(std::max(threads, 1u), std::max<size_t>(n, 1)));
  pool.Run(used, used, [&](size_t) {
    try {
      // Made once this task has an item: a busy pool runs every task inline,
      // and the later ones find none.
      std::optional<faiss::VisitedTable> visited;
      std::optional<KernelDistance> distance;
      for (size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < n;) {
        if (!visited) {
          visited.emplace(static_cast<int>(graph.ntotal));
          distance.emplace(graph, words, simd);
        }
        body(*distance, *visited, i);
      }
    } catch (...) {
      failed = true;
      MutexLock lock(error_mu);
      if (!error) error = std::current_exception();
    }
  });
  if (error) std::rethrow_exception(error);
}

// IndexBinaryHNSW::add with KernelDistance: the rows join the storage, get
// their levels, and are linked from the highest level down, each level's rows
// in a fixed random order and in parallel (FAISS 1.7.3's hnsw_add_vertices).
// The threads are this call's own, not the searches' shared pool, so a build
// in the background leaves the searches their threads (as OpenMP's did).
// Throws as FAISS does (std::bad_alloc, faiss::FaissException) on one thread;
// on several, a failure while linking ends the process, as it did under
// FAISS's OpenMP loop: FAISS may hold a node's lock when it throws, and the
// other threads would wait for that lock forever.
void AddToGraph(faiss::IndexBinaryHNSW& graph, size_t n, const uint64_t* rows, size_t words, kernels::Simd simd,
                unsigned threads) {
  if (graph.ntotal + static_cast<faiss::Index::idx_t>(n) > std::numeric_limits<int>::max()) {
    throw std::length_error("more than 2^31 - 1 nodes (FAISS numbers them with int)");
  }
  const size_t n0 = static_cast<size_t>(graph.ntotal);
  graph.storage->add(static_cast<faiss::Index::idx_t>(n), reinterpret_cast<const uint8_t*>(rows));
  graph.ntotal = graph.storage->ntotal;
  faiss::HNSW& hnsw = graph.hnsw;
  hnsw.prepare_level_tab(n, hnsw.levels.size() == static_cast<size_t>(graph.ntotal));
  std::vector<omp_lock_t> locks(static_cast<size_t>(graph.ntotal));
  for (omp_lock_t& lock : locks) omp_init_lock(&lock);
  struct Destroy {
    std::vector<omp_lock_t>& locks;
    ~Destroy() {
      for (omp_lock_t& lock : locks) omp_destroy_lock(&lock);
    }
  } destroy{locks};
  // Nodes bucketed by level, the highest linked first.
  std::vector<std::vector<int>> by_level;
  for (size_t i = 0; i < n; ++i) {
    const size_t level = static_cast<size_t>(hnsw.levels[n0 + i] - 1);
    if (level >= by_level.size()) by_level.resize(level + 1);
    by_level[level].push_back(static_cast<int>(n0 + i));
  }
  faiss::RandomGenerator shuffle(789);
  std::optional<kernels::cpu::ThreadPool> pool;
  if (threads > 1 && n > 1) pool.emplace(threads - 1);
  kernels::cpu::ThreadPool& run_on = pool ? *pool : kernels::cpu::ThreadPool::Shared();  // Shared: one thread, inline
  for (size_t level = by_level.size(); level-- > 0;) {
    std::vector<int>& nodes = by_level[level];
    for (size_t j = 0; j < nodes.size(); ++j) {  // dataset order would bias the graph (one draw each, as FAISS)
      std::swap(nodes[j], nodes[j + static_cast<size_t>(shuffle.rand_int(static_cast<int>(nodes.size() - j)))]);
    }
    const bool parallel = pool && nodes.size() > 1;
    ForEachNode(run_on, graph, words, simd, nodes.size(), pool ? threads : 1,
                [&](KernelDistance& distance, faiss::VisitedTable& visited, size_t j) {
                  const size_t node = static_cast<size_t>(nodes[j]);
                  distance.set_query(reinterpret_cast<const float*>(rows + (node - n0) * words));
                  try {
                    hnsw.add_with_locks(distance, static_cast<int>(level), nodes[j], locks, visited);
                  } catch (const std::exception& e) {
                    if (!parallel) throw;
                    std::fprintf(stderr, "hvdb: hnsw index: linking a node failed on one of %u threads (%s)\n",
                                 threads, e.what());
                    std::terminate();
                  }
                });
  }
}

// IndexBinaryHNSW::search with KernelDistance, queries in parallel on the
// shared pool: for each query `fetch` (distance, node) pairs, nearest first,
// node -1 past those found, from a walk with candidate list `ef` (at least
// fetch). Returns the distances computed.
//
// The depth goes in as a parameter, not through the graph's efSearch field,
// so searches share the graph without a lock. FAISS 1.7.3 reads the field
// only to size the candidate heap, max(efSearch, k): Build and Load set it
// to 1, so the heap holds `fetch`, every node a walk of depth `ef` over a
// graph of fetch or more nodes can return.
size_t SearchGraph(const faiss::IndexBinaryHNSW& graph, const uint64_t* queries, size_t nq, size_t words,
                   size_t fetch, size_t ef, kernels::Simd simd, unsigned threads, int32_t* distances,
                   faiss::Index::idx_t* nodes) {
  std::vector<float> found(nq * fetch);
  std::atomic<size_t> computed{0};
  faiss::SearchParametersHNSW params;
  params.efSearch = static_cast<int>(std::min<size_t>(ef, std::numeric_limits<int>::max()));
  ForEachNode(kernels::cpu::ThreadPool::Shared(), graph, words, simd, nq, threads,
              [&](KernelDistance& distance, faiss::VisitedTable& visited, size_t q) {
    float* d = found.data() + q * fetch;
    faiss::Index::idx_t* id = nodes + q * fetch;
    const size_t before = distance.computed();
    distance.set_query(reinterpret_cast<const float*>(queries + q * words));
    faiss::maxheap_heapify(fetch, d, id);
    graph.hnsw.search(distance, static_cast<int>(fetch), id, d, visited, &params);
    faiss::maxheap_reorder(fetch, d, id);
    computed.fetch_add(distance.computed() - before, std::memory_order_relaxed);
  });
  for (size_t i = 0; i < nq * fetch; ++i) {
    distances[i] = nodes[i] < 0 ? -1 : static_cast<int32_t>(std::lround(found[i]));  // empty slots hold FLT_MAX
  }
  return computed.load();
}

// Threads for a build: scan.threads, or when 0 as many as OpenMP would give
// FAISS (OMP_NUM_THREADS, omp_set_num_threads; one per core by default), so
// a setting that held FAISS's build to one thread (a replayable graph) still
// does.
unsigned BuildThreads(const kernels::ScanOptions& scan) {
  return scan.threads ? scan.threads : static_cast<unsigned>(std::max(1, omp_get_max_threads()));
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

Result<std::unique_ptr<Index>> BuildFor(const IndexOptions& options, const RowsView& rows,
                                        const kernels::ScanOptions& scan, const BuildProgress& progress) {
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<HnswIndex> built,
                        HnswIndex::Build(rows, options.hnsw_m, options.hnsw_ef_construction, progress, scan));
  built->set_ef_search(options.hnsw_ef_search);
  return std::unique_ptr<Index>(std::move(built));
}

Result<std::unique_ptr<Index>> OpenFor(const IndexOptions& options, const SavedState& state, const RowsView& rows,
                                       const kernels::ScanOptions& scan) {
  HVDB_ASSIGN_OR_RETURN(std::unique_ptr<HnswIndex> loaded, HnswIndex::Load(state.file, rows, scan));
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
                                                    const BuildProgress& progress, const kernels::ScanOptions& scan) {
  if (rows.n > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::InvalidArgument("hnsw index: " + std::to_string(rows.n) +
                                   " rows; FAISS's graph numbers at most 2^31 - 1 nodes");
  }
  std::unique_ptr<HnswIndex> index(new HnswIndex());
  index->words_ = rows.words;
  // The graph's kernel, as a scan resolves it (every kernel gives the same
  // distances, so the graph does not depend on it).
  HVDB_ASSIGN_OR_RETURN(index->simd_, kernels::ResolveSimd(scan));
  const unsigned threads = BuildThreads(scan);
  index->row_node_.assign(rows.n, kNoRow32);
  bool stopped = false;
  HVDB_RETURN_IF_ERROR(Guard("building the graph", [&] {
    index->graph_ = std::make_unique<faiss::IndexBinaryHNSW>(static_cast<int>(rows.words * 64), static_cast<int>(m));
    index->graph_->hnsw.efConstruction = static_cast<int>(ef_construction);
    index->graph_->hnsw.efSearch = 1;  // searches pass their depth (SearchGraph)
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
      AddToGraph(*index->graph_, end - r, rows.row(r), rows.words, index->simd_, threads);
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
    AddToGraph(*graph_, 1, bits, words_, simd_, 1);
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
    HVDB_ASSIGN_OR_RETURN(const kernels::Simd simd, kernels::ResolveSimd(request.scan));
    size_t computed = 0;
    HVDB_RETURN_IF_ERROR(Guard("searching", [&] {
      computed = SearchGraph(*graph_, queries, nq, words_, fetch, depth, simd,
                             kernels::ThreadsFor(request.scan),
                             distances.data(), labels.data());
    }));
    scanned += computed;
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
    const kernels::ScanInput input{
        queries, nq, {rows.row(from), n, rows.words, rows.tombstones ? rows.tombstones + from / 64 : nullptr}};
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

Result<std::unique_ptr<HnswIndex>> HnswIndex::Load(const std::string& path, const RowsView& rows,
                                                   const kernels::ScanOptions& scan) {
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
  HVDB_ASSIGN_OR_RETURN(index->simd_, kernels::ResolveSimd(scan));
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
  // The distances read rows of `words` words from the graph's storage, and
  // SearchGraph's depth parameter reaches FAISS's single-beam walk only.
  const auto* storage = dynamic_cast<const faiss::IndexBinaryFlat*>(index->graph_->storage);
  if (static_cast<uint64_t>(index->graph_->code_size) != words * 8 ||
      static_cast<uint64_t>(index->graph_->d) != words * 64 || storage->ntotal != index->graph_->ntotal ||
      storage->xb.size() != nodes * words * 8) {
    return Status::Corruption(where + ": its graph's storage does not hold " + std::to_string(nodes) + " rows of " +
                              std::to_string(words * 64) + " bits");
  }
  if (index->graph_->hnsw.upper_beam != 1) {
    return Status::Corruption(where + ": its graph has upper_beam " + std::to_string(index->graph_->hnsw.upper_beam) +
                              " (hvdb writes 1)");
  }
  index->graph_->hnsw.efSearch = 1;  // searches pass their depth (SearchGraph)
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
