// Copyright hvdb authors.
#include "benchmarks/db_bench.h"

#include "benchmarks/bench_util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "benchmarks/faiss_flat.h"
#include "benchmarks/json_line.h"
#include "hdc/splitmix.h"
#include "benchmarks/roofs.h"
#include "hvdb/hvdb.h"
#include "kernels/hamming.h"
#include "storage/npy.h"

namespace hvdb::bench {
namespace {

namespace fs = std::filesystem;

// Anonymous resident memory (heap and hvdb's buffers), without the clean
// page-cache pages of RocksDB's mapped files, which the kernel can drop.
double RssAnonMb() {
  double kb = 0;
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "RssAnon: %lf kB", &kb) == 1) break;
    }
    std::fclose(f);
  }
  return kb / 1024.0;
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// Writes n random rows as .npy, streaming (bounded memory).
bool WriteRandomNpy(const std::string& path, size_t n, size_t words, uint64_t seed) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = storage::WriteNpyHeader(f, n, words * 8, path).ok();
  std::vector<uint64_t> chunk(65536 * words);
  uint64_t state = seed;
  for (size_t done = 0; ok && done < n;) {
    const size_t rows = std::min<size_t>(65536, n - done);
    for (size_t i = 0; i < rows * words; ++i) chunk[i] = hdc::SplitMix64Next(state);
    ok = std::fwrite(chunk.data(), 8, rows * words, f) == rows * words;
    done += rows;
  }
  return std::fclose(f) == 0 && ok;
}

// GB/s of reading `path` sequentially with buffered reads (page cache warm).
double FileReadGbs(const std::string& path, int passes) {
  std::vector<char> buf(4 << 20);
  double best = 0;
  for (int pass = 0; pass < passes; ++pass) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return 0;
    const double start = Now();
    size_t total = 0, got;
    while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0) total += got;
    best = std::max(best, static_cast<double>(total) / (Now() - start) / 1e9);
    std::fclose(f);
  }
  return best;
}

// GB/s of writing `bytes` to a new file and fsync'ing it.
double FileWriteGbs(const std::string& path, size_t bytes) {
  std::vector<char> buf(4 << 20, 'x');
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  const double start = Now();
  for (size_t done = 0; done < bytes; done += buf.size()) std::fwrite(buf.data(), 1, std::min(buf.size(), bytes - done), f);
  std::fflush(f);
  fsync(fileno(f));
  const double seconds = Now() - start;
  std::fclose(f);
  fs::remove(path);
  return static_cast<double>(bytes) / seconds / 1e9;
}

// Drops `path` (a file, or every file under a directory) from the page cache,
// so the next read comes from the disk.
void Evict(const std::string& path) {
  auto evict_file = [](const std::string& file) {
    const int fd = ::open(file.c_str(), O_RDONLY);
    if (fd < 0) return;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  };
  if (!fs::is_directory(path)) return evict_file(path);
  for (const auto& e : fs::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) evict_file(e.path().string());
  }
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "hvdb-bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

// n x words words in memory treated like the DB's arena (anonymous mapping,
// transparent huge pages), so that kernel-level and DB-level figures differ
// only by what the DB adds.
class Rows {
 public:
  Rows(size_t n, size_t words) : bytes_(std::max<size_t>(n * words * 8, 1)) {
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    (void)::madvise(p, bytes_, MADV_HUGEPAGE);
    data_ = static_cast<uint64_t*>(p);
  }
  ~Rows() { ::munmap(data_, bytes_); }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  uint64_t* data() const { return data_; }
  size_t size() const { return bytes_ / 8; }

 private:
  size_t bytes_;
  uint64_t* data_;
};

// Rows of a .npy file into memory (n x words); false on a read error.
bool ReadRows(const std::string& path, size_t n, size_t words, Rows* rows) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  auto shape = storage::ReadNpyHeader(f, path);
  const bool ok = shape.ok() && std::fread(rows->data(), 8, n * words, f) == n * words;
  std::fclose(f);
  return ok;
}

template <typename Fn>
double MedianMs(int reps, Fn fn) {
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    const double start = Now();
    fn(r);
    times.push_back((Now() - start) * 1e3);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int RunLoadBench(const DbBenchConfig& c) {
  const size_t words = c.bits / 64;
  if (!ValidateDim(c.bits).ok()) return Fail("--bits", ValidateDim(c.bits));
  const std::string scratch = MakeScratchDir(c.dir, "hvdb-bench");
  if (scratch.empty()) return Fail("scratch directory", Status::IOError("mkdtemp failed"));
  for (size_t n : c.n) {
    const std::string npy = scratch + "/rows.npy", path = scratch + "/db";
    if (!WriteRandomNpy(npy, n, words, c.seed + n)) return Fail("writing " + npy, Status::IOError("short write"));
    const double raw_mb = static_cast<double>(n) * static_cast<double>(words * 8) / 1048576.0;
    Evict(npy);
    const double disk_read_gbs = FileReadGbs(npy, /*passes=*/1);
    const double read_gbs = FileReadGbs(npy, 2);
    const double write_gbs = FileWriteGbs(scratch + "/roof.bin", n * words * 8);
    const double bytes = static_cast<double>(n * words * 8);
    // A load reads the rows once and writes them once (SST files).
    const double roof_vps = static_cast<double>(n) / (bytes / (read_gbs * 1e9) + bytes / (write_gbs * 1e9));

    std::unique_ptr<DB> db;
    if (Status s = DB::Open({}, path, &db); !s.ok()) return Fail("open", s);
    if (Status s = db->CreateCollection("bench", {.dim = c.bits}); !s.ok()) return Fail("create", s);
    Collection* coll = nullptr;
    (void)db->GetCollection("bench", &coll);
    auto loaded = coll->BulkLoad(npy);
    if (!loaded.ok()) return Fail("bulk load", loaded.status());
    const double rss_load = RssAnonMb(), peak_load = PeakRssMb();
    const CollectionStats stats = coll->Stats();
    const double close_start = Now();
    db.reset();
    const double close_seconds = Now() - close_start;
    // Cold: the files come from the disk (as after a reboot).
    Evict(path);
    double reopen_start = Now();
    if (Status s = DB::Open({}, path, &db); !s.ok()) return Fail("reopen", s);
    const double cold_seconds = Now() - reopen_start;
    db.reset();
    // Warm: the files are in the page cache (a restarted process). Median of 3.
    std::vector<double> warm;
    for (int rep = 0; rep < 3; ++rep) {
      db.reset();
      reopen_start = Now();
      if (Status s = DB::Open({}, path, &db); !s.ok()) return Fail("reopen", s);
      warm.push_back(Now() - reopen_start);
    }
    std::sort(warm.begin(), warm.end());
    const double reopen_seconds = warm[1];
    (void)db->GetCollection("bench", &coll);
    const CollectionStats reopened = coll->Stats();
    const double rss_reopen = RssAnonMb();
    const double raw_with_keys = static_cast<double>(n * words * 8 + reopened.key_bytes);
    db.reset();

    JsonLine line;
    line.Add("bench", "load").Add("n", n).Add("bits", c.bits).Add("source", "npy")
        .Add("seconds", loaded->seconds)
        .Add("vectors_per_s", static_cast<double>(n) / loaded->seconds)
        .Add("mb_per_s", raw_mb / loaded->seconds)
        .Add("roof_file_read_gbs", read_gbs)
        .Add("roof_file_write_gbs", write_gbs)
        .Add("roof_vectors_per_s", roof_vps)
        .Add("raw_mb", raw_mb)
        .Add("rss_anon_mb_after_load", rss_load)
        .Add("peak_rss_mb", peak_load)
        .Add("cache_memory_mb", static_cast<double>(stats.memory_bytes) / 1048576.0)
        .Add("cache_overhead_vs_raw_bits_and_keys", static_cast<double>(reopened.memory_bytes) / raw_with_keys - 1)
        .Add("disk_mb", static_cast<double>(stats.disk_bytes) / 1048576.0)
        .Add("close_seconds", close_seconds)
        .Add("reopen_seconds", reopen_seconds)
        .Add("reopen_vectors_per_s", static_cast<double>(n) / reopen_seconds)
        .Add("roof_reopen_vectors_per_s", read_gbs * 1e9 / static_cast<double>(words * 8))
        .Add("roof_disk_read_gbs", disk_read_gbs)
        .Add("reopen_cold_seconds", cold_seconds)
        .Add("reopen_cold_vectors_per_s", static_cast<double>(n) / cold_seconds)
        .Add("roof_reopen_cold_vectors_per_s", disk_read_gbs * 1e9 / static_cast<double>(words * 8))
        .Add("rss_anon_mb_after_reopen", rss_reopen);
    if (c.faiss) {
      // FAISS's flat index persisted with its own writer and read back.
      Rows rows(n, words);
      if (!ReadRows(npy, n, words, &rows)) return Fail("reading " + npy, Status::IOError("short read"));
      FaissFlat faiss(rows.data(), n, words, c.threads ? c.threads : kernels::DefaultThreads());
      const double w = faiss.WriteTo(scratch + "/faiss.index");
      const double r = FaissFlat::TimeReadFrom(scratch + "/faiss.index");
      line.Add("faiss_write_vectors_per_s", static_cast<double>(n) / w)
          .Add("faiss_read_vectors_per_s", static_cast<double>(n) / r);
      fs::remove(scratch + "/faiss.index");
    }
    line.Print();
    std::error_code ec;
    fs::remove_all(path, ec);
    fs::remove(npy, ec);
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return 0;
}

int RunQueryBench(const DbBenchConfig& c) {
  const size_t words = c.bits / 64;
  const size_t n = c.n.front();
  if (!ValidateDim(c.bits).ok()) return Fail("--bits", ValidateDim(c.bits));
  const unsigned threads = c.threads ? c.threads : kernels::DefaultThreads();
  const std::string scratch = MakeScratchDir(c.dir, "hvdb-bench");
  if (scratch.empty()) return Fail("scratch directory", Status::IOError("mkdtemp failed"));
  const std::string npy = scratch + "/rows.npy";
  if (!WriteRandomNpy(npy, n, words, c.seed + n)) return Fail("writing " + npy, Status::IOError("short write"));
  std::unique_ptr<DB> db;
  if (Status s = DB::Open({}, scratch + "/db", &db); !s.ok()) return Fail("open", s);
  if (Status s = db->CreateCollection("bench", {.dim = c.bits}); !s.ok()) return Fail("create", s);
  Collection* coll = nullptr;
  (void)db->GetCollection("bench", &coll);
  if (auto r = coll->BulkLoad(npy); !r.ok()) return Fail("bulk load", r.status());

  // The same rows in a plain array, in the same order, for the kernel-level figure.
  Rows rows(n, words);
  if (!ReadRows(npy, n, words, &rows)) return Fail("reading " + npy, Status::IOError("short read"));
  std::vector<uint64_t> queries(c.queries * words);
  uint64_t state = c.seed * 7919;
  for (auto& w : queries) w = hdc::SplitMix64Next(state);

  const double read_gbs = MeasureReadGbs(rows.data(), rows.size() * 8, threads);
  const PopcountRoof popcount = MeasurePopcountRoof(threads);
  const double popcnt_pairs = popcount.per_second / std::ceil(static_cast<double>(c.bits) /
                                                              static_cast<double>(popcount.bits_per_instruction));
  const double stream_ms = static_cast<double>(rows.size() * 8) / (read_gbs * 1e9) * 1e3;
  JsonLine()
      .Add("bench", "roof").Add("n", n).Add("bits", c.bits).Add("threads", threads)
      .Add("read_gbs", read_gbs).Add("stream_ms", stream_ms).Add("popcnt_pairs_per_s", popcnt_pairs)
      .Print();

  kernels::ScanOptions scan;
  scan.threads = threads;
  const kernels::ScanInput all{queries.data(), c.queries, rows.data(), n, words, nullptr};
  std::vector<kernels::Neighbor> out(c.queries * c.k);
  const SearchOptions options{.k = c.k, .threads = threads};
  SearchStats stats;

  // One query at a time: kernel and DB alternate, so drift in the machine's
  // speed hits both alike; medians of 51, and the median of the 51 ratios.
  std::vector<double> kernel_ms, db_ms, ratios;
  for (int r = 0; r < 51; ++r) {
    const uint64_t* q = queries.data() + (r % c.queries) * words;
    const kernels::ScanInput one{q, 1, rows.data(), n, words, nullptr};
    double start = Now();
    (void)kernels::TopK(one, c.k, out.data(), scan);
    kernel_ms.push_back((Now() - start) * 1e3);
    start = Now();
    (void)coll->SearchBatch(q, 1, options, &stats);
    db_ms.push_back((Now() - start) * 1e3);
    ratios.push_back(db_ms.back() / kernel_ms.back());
  }
  std::sort(kernel_ms.begin(), kernel_ms.end());
  std::sort(db_ms.begin(), db_ms.end());
  std::sort(ratios.begin(), ratios.end());
  const double kernel_one = kernel_ms[25], db_one = db_ms[25];
  // The batch, twice each, alternating; the faster run of each counts.
  double kernel_batch = 1e300, db_batch = 1e300;
  Result<std::vector<std::vector<SearchHit>>> hits = Status::Unavailable("not run");
  for (int r = 0; r < 2; ++r) {
    double start = Now();
    (void)kernels::TopK(all, c.k, out.data(), scan);
    kernel_batch = std::min(kernel_batch, Now() - start);
    start = Now();
    hits = coll->SearchBatch(queries.data(), c.queries, options, &stats);
    db_batch = std::min(db_batch, Now() - start);
    if (!hits.ok()) return Fail("search", hits.status());
  }
  bool same = true;
  for (size_t q = 0; q < c.queries; ++q) {
    for (size_t i = 0; i < c.k; ++i) {
      const auto& h = (*hits)[q][i];
      same = same && h.distance == out[q * c.k + i].distance && h.key == std::to_string(out[q * c.k + i].row);
    }
  }
  const double pairs = static_cast<double>(n) * static_cast<double>(c.queries);
  auto print = [&](const char* level, double one_ms, double batch_s) {
    JsonLine()
        .Add("bench", "query").Add("level", level).Add("n", n).Add("bits", c.bits).Add("nq", c.queries)
        .Add("k", c.k).Add("threads", threads).Add("kernel", stats.plan.kernel)
        .Add("one_query_ms", one_ms).Add("one_query_over_stream", one_ms / stream_ms)
        .Add("batch_qps", static_cast<double>(c.queries) / batch_s).Add("pairs_per_s", pairs / batch_s)
        .Add("fraction_of_popcnt_roof", pairs / batch_s / popcnt_pairs)
        .Print();
  };
  print("kernel", kernel_one, kernel_batch);
  print("db", db_one, db_batch);
  JsonLine()
      .Add("bench", "query").Add("level", "db_over_kernel").Add("n", n).Add("bits", c.bits)
      .Add("one_query_ratio", ratios[25]).Add("batch_ratio", db_batch / kernel_batch)
      .Add("same_results_as_kernel", same)
      .Print();
  if (c.faiss) {
    FaissFlat faiss(rows.data(), n, words, threads);
    const double faiss_one = MedianMs(5, [&](int r) { (void)faiss.Search(queries.data() + r * words, 1, c.k); });
    const size_t nq = std::min<size_t>(c.queries, 50);
    const double start = Now();
    (void)faiss.Search(queries.data(), nq, c.k);
    const double seconds = Now() - start;
    JsonLine()
        .Add("bench", "query").Add("level", "faiss-flat").Add("n", n).Add("bits", c.bits).Add("nq", nq)
        .Add("k", c.k).Add("threads", threads).Add("one_query_ms", faiss_one)
        .Add("batch_qps", static_cast<double>(nq) / seconds)
        .Add("pairs_per_s", static_cast<double>(n) * static_cast<double>(nq) / seconds)
        .Print();
  }
  db.reset();
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return same ? 0 : 1;
}

}  // namespace hvdb::bench
