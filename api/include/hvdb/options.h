// Copyright hvdb authors. Options for opening a database, creating a
// collection, writing, searching and bulk loading. Each struct has inline
// defaults; Validate() returns OK when the options are usable and otherwise
// InvalidArgument naming the field that is wrong.
#ifndef HVDB_OPTIONS_H_
#define HVDB_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hvdb/result.h"
#include "hvdb/status.h"

namespace hvdb {

// The item memory seed of a database created without Options::item_memory_seed
// (the bytes of "hvdbitem"): the same symbols in every such database.
inline constexpr uint64_t kDefaultItemMemorySeed = 0x68766462'6974656dull;

struct Options {
  // Create the database directory and files when they do not exist. A
  // directory that holds other files is never made a database
  // (InvalidArgument); an empty one is.
  bool create_if_missing = true;
  // Fail Open when the database already exists.
  bool error_if_exists = false;
  // Bytes RocksDB buffers in memory per column family before flushing.
  size_t write_buffer_bytes = size_t{64} << 20;
  // Background flush and compaction threads RocksDB may use.
  int background_jobs = 2;
  // Open without writing anything: no recovery writes, no index files; every
  // write (Put, CreateCollection, BulkLoad, Checkpoint, ...) fails with
  // InvalidArgument. A read-only open takes no lock, so it may run beside the
  // process that writes; it sees the database as it was when it opened.
  // Requires an existing database (create_if_missing is ignored).
  bool read_only = false;
  // Device memory per search device (GPU) the collections' shards may use
  // together; 0: 90% of each device's memory. Rows beyond it are streamed.
  uint64_t gpu_memory_bytes = 0;
  // The database's item memory seed: with it, a symbol depends only on its
  // name and dimension (hdc::Symbol(seed, name, dim)), the same in every
  // collection, in the shell's let and through the API. Stored when the
  // database is created (unset: kDefaultItemMemorySeed); when set for an
  // existing database it must equal the stored one (InvalidArgument).
  // Databases created before the seed was stored have kDefaultItemMemorySeed.
  std::optional<uint64_t> item_memory_seed;

  Status Validate() const;
};

// The kinds of search index. The name (IndexKindName) is what the catalog
// stores and the shell and server take.
enum class IndexKind : uint8_t {
  // "flat": scan every row (exact; the default).
  kFlat = 0,
  // "prefix": scan the first prefix_bits of every row, then rerank the best
  //   prefix_candidates x k rows with their full vectors.
  kPrefix = 1,
  // "ivf": rows grouped in ivf_nlist lists around binary k-means centroids
  //   (majority bundles of their members); a search scans the ivf_nprobe lists
  //   whose centroids are nearest the query.
  kIvf = 2,
  // "hnsw": FAISS's IndexBinaryHNSW graph; rows written after it was built in
  //   bulk are scanned exactly until the index is rebuilt (SetIndex).
  kHnsw = 3,
};
inline constexpr IndexKind kAllIndexKinds[] = {IndexKind::kFlat, IndexKind::kPrefix, IndexKind::kIvf, IndexKind::kHnsw};

// "flat", "prefix", "ivf", "hnsw"; "unknown" for a value outside the enum.
inline const char* IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kFlat: return "flat";
    case IndexKind::kPrefix: return "prefix";
    case IndexKind::kIvf: return "ivf";
    case IndexKind::kHnsw: return "hnsw";
  }
  return "unknown";
}

// The kind named `name`; InvalidArgument naming it and the known names.
inline Result<IndexKind> ParseIndexKind(std::string_view name) {
  std::string known;
  for (IndexKind kind : kAllIndexKinds) {
    if (name == IndexKindName(kind)) return kind;
    known += known.empty() ? "" : ", ";
    known += IndexKindName(kind);
  }
  return Status::InvalidArgument("index '" + std::string(name) + "' is unknown (" + known + ")");
}

// How a collection answers searches. Every index returns exactly the flat
// scan's answer when asked to look at enough (docs/api.md, docs/indexes.md).
struct IndexOptions {
  IndexKind kind = IndexKind::kFlat;
  // prefix: bits kept per row for the first pass; a multiple of 64, below dim.
  size_t prefix_bits = 256;
  // prefix: rows reranked per hit wanted, when a search does not say.
  size_t prefix_candidates = 16;
  // ivf: number of lists (centroids), or 0: chosen from the data at each
  // training, as the count of lists that keeps rows' nearest neighbours in
  // their own list when the data has clusters, else the power of two nearest
  // sqrt(rows) (docs/indexes.md, "Choosing nlist"). Trained once the
  // collection holds 4 x ivf_nlist rows (1024 rows for 0); until then
  // searches scan every row.
  size_t ivf_nlist = 0;
  // ivf: lists probed when a search does not say.
  size_t ivf_nprobe = 8;
  // ivf: Lloyd iterations of training.
  size_t ivf_iterations = 10;
  // ivf: retrain when the lists' imbalance (nlist x sum of squared list sizes
  // / rows^2; 1 is perfectly even) exceeds this multiple of its value right
  // after training, or when the rows have doubled since training.
  double ivf_retrain_imbalance = 2.0;
  // hnsw: graph neighbours per node (FAISS's M).
  size_t hnsw_m = 16;
  // hnsw: candidate list while inserting (FAISS's efConstruction).
  size_t hnsw_ef_construction = 40;
  // hnsw: candidate list while searching, when a search does not say.
  size_t hnsw_ef_search = 64;

  // OK when usable for vectors of `dim` bits, else InvalidArgument naming
  // the field (each kind checks its own fields; the others are ignored).
  Status Validate(size_t dim) const;
};

struct CollectionOptions {
  // Bits per hypervector: a multiple of 64 in [64, 1048576]. Fixed for life.
  size_t dim = 0;
  // Seed of the collection's item memory (the symbols of the HDC algebra);
  // unset: the database's (DB::item_memory_seed()), so that every collection
  // shares one item memory. Set it only for a collection that must have
  // symbols of its own.
  std::optional<uint64_t> item_memory_seed;
  // Fraction of deleted rows in the host cache above which the cache is
  // compacted (live rows slid together, order kept). In (0, 1].
  double compact_threshold = 0.10;
  // The search index; it can be changed later with Collection::SetIndex.
  IndexOptions index;

  Status Validate() const;
};

struct WriteOptions {
  // true: the write is in the RocksDB log and fsync'ed before the call returns,
  // so an acknowledged write survives a power cut. false: the write survives a
  // crash of the process but the last writes may be lost on a power cut or a
  // kernel crash; several times faster for small writes.
  bool sync = true;
};

// Where a search runs (docs/gpu.md).
enum class Device : uint8_t {
  kAuto = 0,  // HVDB_DEVICE if set, else the planner's cost model
  kCpu = 1,   // the CPU SIMD kernels
  kGpu = 2,   // the search devices (CUDA): the exact scan, or an ivf index's
              // lists; Unavailable when there are none; a device failure
              // answers on the CPU, the same
};
// "auto", "cpu", "gpu".
inline const char* DeviceName(Device device) {
  switch (device) {
    case Device::kAuto: return "auto";
    case Device::kCpu: return "cpu";
    case Device::kGpu: return "gpu";
  }
  return "unknown";
}

struct SearchOptions {
  // Hits per query, nearest first. 0: no limit (then max_distance is required).
  size_t k = 10;
  // Only hits with distance <= max_distance; unset: no limit.
  std::optional<uint32_t> max_distance;
  // Where to run.
  Device device = Device::kAuto;
  // CPU threads, the caller's included; 0: one per core.
  unsigned threads = 0;
  // prefix index: rows reranked per hit wanted (c in c x k); 0: the
  // collection's IndexOptions::prefix_candidates.
  size_t candidates = 0;
  // ivf index: lists probed; 0: the collection's IndexOptions::ivf_nprobe.
  // nprobe >= nlist scans every list (exact).
  size_t nprobe = 0;
  // hnsw index: search candidate list; 0: IndexOptions::hnsw_ef_search. An ef
  // of at least the row count visits the whole graph (exact).
  size_t ef = 0;
  // Scan every row exactly, whatever the index.
  bool exact = false;

  Status Validate() const;
};

// The file formats of a bulk load and an export (docs/format.md).
enum class FileFormat : uint8_t {
  kAuto,  // from the file name: .npy, .hvdb, anything else text
  kNpy,   // numpy .npy: packed uint8 rows (or one bit per element, below)
  kHvdb,  // hvdb's own vector file: keys and vectors, with a CRC-32C
  kText,  // lines "key<TAB>hex" (the hex form of Hypervector::FromHex)
};

// How the rows of an .npy file become vectors.
struct NpyReadOptions {
  // uint8 rows hold one bit per element (0 or 1; anything else is an error)
  // instead of 8 packed bits per byte. A bool ('|b1') array is always read
  // this way: what `emb > 0` or an unpacked torchhd BSC tensor gives.
  bool unpacked = false;
  // Rows whose bit count is not a multiple of 64 get zero bits appended up
  // to the next multiple; without it such a file is refused with that advice.
  bool pad = false;
};

struct BulkLoadOptions {
  using Format = FileFormat;
  Format format = Format::kAuto;
  // .npy only: a text file with one key per line, line i naming row i. Empty:
  // the rows are numbered in decimal ("0", "1", ...) from first_row_number.
  std::string keys_path;
  // .npy without keys_path: the key of row 0. Unset: one past the largest
  // decimal key ("0", "17", not "017") already in the collection, 0 when
  // there is none, so that a second keyless file adds its rows after the
  // first file's instead of replacing them. Set it to 0 to replace them.
  std::optional<uint64_t> first_row_number;
  NpyReadOptions npy;
  // Rows between progress callbacks.
  size_t progress_every = 65536;
  // Directory for the temporary SST files; empty: inside the database
  // directory (files are then moved, not copied, into the database).
  std::string temp_dir;
};

struct ExportOptions {
  // kAuto: from the file name, as BulkLoadOptions reads it back.
  FileFormat format = FileFormat::kAuto;
  // .npy only: where the keys go, one per line (what BulkLoadOptions::
  // keys_path reads). Empty: the .npy path with ".keys" in place of ".npy"
  // (or appended). A key holding a line break cannot be written there, nor in
  // a text file (nor a TAB); such an export fails naming the key.
  std::string keys_path;
};

}  // namespace hvdb

#endif  // HVDB_OPTIONS_H_
