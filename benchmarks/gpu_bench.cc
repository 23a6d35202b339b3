// Copyright hvdb authors.
#include "benchmarks/gpu_bench.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "benchmarks/bench_util.h"
#include "benchmarks/json_line.h"
#include "hdc/splitmix.h"
#include "hvdb/hvdb.h"

namespace hvdb::bench {
namespace {

std::vector<Hypervector> RandomVectors(size_t count, size_t bits, uint64_t& state) {
  std::vector<Hypervector> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Hypervector v = Hypervector::Zeros(bits).value();
    for (size_t w = 0; w < bits / 64; ++w) v.data()[w] = hdc::SplitMix64Next(state);
    out.push_back(std::move(v));
  }
  return out;
}

// Seconds of one SearchBatch (the fastest of `repeats`).
double TimeBatch(Collection* c, const std::vector<Hypervector>& queries, const SearchOptions& options, int repeats,
                 SearchStats* stats) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const double start = Now();
    if (!c->SearchBatch(queries, options, stats).ok()) return -1;
    best = std::min(best, Now() - start);
  }
  return best;
}

// A collection of n random rows in a fresh database under dir.
Status Fill(DB* db, size_t n, size_t bits, uint64_t& state, Collection** c) {
  HVDB_RETURN_IF_ERROR(db->CreateCollection("c", {.dim = bits}));
  HVDB_RETURN_IF_ERROR(db->GetCollection("c", c));
  for (size_t i = 0; i < n;) {
    WriteBatch batch;
    const size_t count = std::min<size_t>(65536, n - i);
    for (const Hypervector& v : RandomVectors(count, bits, state)) batch.Put(std::to_string(i++), v);
    HVDB_RETURN_IF_ERROR((*c)->Write(batch, {.sync = false}));
  }
  return Status::OK();
}

}  // namespace

int RunGpuBench(const GpuBenchConfig& cfg) {
  auto calibration = CalibrateSearch();
  if (!calibration.ok() || calibration->devices.empty()) {
    JsonLine().Add("bench", "gpu").Add("skipped", calibration.ok() ? calibration->devices_status
                                                                     : calibration.status().ToString()).Print();
    return 0;
  }
  const SearchDeviceSpeed& dev = calibration->devices[0];
  JsonLine().Add("bench", "gpu").Add("what", "roofs").Add("device", dev.name)
      .Add("devices", calibration->devices.size()).Add("copy_gbs", dev.copy_bytes_per_s / 1e9)
      .Add("popc_pairs_per_s", dev.popc_pairs_per_s).Add("upload_gbs", dev.upload_bytes_per_s / 1e9)
      .Add("launch_us", dev.launch_s * 1e6).Add("cpu_pairs_per_s", calibration->cpu_pairs_per_s)
      .Add("planner_crossover_batch", calibration->crossover_batch).Print();

  const std::string scratch = MakeScratchDir(cfg.dir, "hvdb-gpu-bench");
  if (scratch.empty()) return 1;
  uint64_t state = cfg.seed;
  const double row_bytes = static_cast<double>(cfg.bits) / 8;
  {
    std::unique_ptr<DB> db;
    Collection* c = nullptr;
    if (!DB::Open({}, scratch + "/resident", &db).ok() || !Fill(db.get(), cfg.n, cfg.bits, state, &c).ok()) return 1;
    const std::vector<Hypervector> warm = RandomVectors(1, cfg.bits, state);
    SearchStats stats;
    (void)c->SearchBatch(warm, {.k = cfg.k, .device = Device::kGpu}, &stats);  // uploads the shards
    // One query: against the time to read the rows at the measured copy bandwidth.
    const double one = TimeBatch(c, warm, {.k = cfg.k, .device = Device::kGpu}, 20, &stats);
    const double read_s = static_cast<double>(cfg.n) * row_bytes / (dev.copy_bytes_per_s / 2 * calibration->devices.size());
    JsonLine().Add("bench", "gpu").Add("what", "one_query").Add("n", cfg.n).Add("bits", cfg.bits).Add("k", cfg.k)
        .Add("device_used", DeviceName(stats.plan.device)).Add("ms", one * 1e3).Add("read_ms_at_copy_bw", read_s * 1e3)
        .Add("x_read_time", one / read_s).Print();
    size_t crossover = 0;
    for (size_t nq : cfg.batches) {
      const std::vector<Hypervector> queries = RandomVectors(nq, cfg.bits, state);
      const double gpu_s = TimeBatch(c, queries, {.k = cfg.k, .device = Device::kGpu}, nq >= 1000 ? 1 : 3, &stats);
      const std::string used = DeviceName(stats.plan.device);
      const std::vector<Hypervector> sample(queries.begin(), queries.begin() + std::min(nq, cfg.cpu_queries));
      const double cpu_s = TimeBatch(c, sample, {.k = cfg.k, .device = Device::kCpu}, 1, &stats) *
                           static_cast<double>(nq) / static_cast<double>(sample.size());
      const double pairs = static_cast<double>(nq) * static_cast<double>(cfg.n);
      if (crossover == 0 && gpu_s > 0 && gpu_s < cpu_s) crossover = nq;
      JsonLine().Add("bench", "gpu").Add("what", "batch").Add("n", cfg.n).Add("bits", cfg.bits).Add("nq", nq)
          .Add("device_used", used).Add("kernel", stats.plan.kernel).Add("qps", static_cast<double>(nq) / gpu_s)
          .Add("pairs_per_s", pairs / gpu_s)
          .Add("fraction_of_popc_roof", pairs / gpu_s / (dev.popc_pairs_per_s * calibration->devices.size()) *
                                            (static_cast<double>(cfg.bits) / 2048))
          .Add("cpu_qps", static_cast<double>(nq) / cpu_s).Add("cpu_queries_timed", sample.size()).Print();
    }
    JsonLine().Add("bench", "gpu").Add("what", "crossover").Add("measured_batch", crossover)
        .Add("planner_batch", calibration->crossover_batch).Print();
  }
  {
    // Streaming: a budget of a quarter of the rows, so three quarters stream.
    const size_t n = std::max<size_t>(cfg.n / 4, 65536);
    Options options;
    options.gpu_memory_bytes = static_cast<uint64_t>(static_cast<double>(n) * row_bytes / 4);
    std::unique_ptr<DB> db;
    Collection* c = nullptr;
    if (!DB::Open(options, scratch + "/streamed", &db).ok() || !Fill(db.get(), n, cfg.bits, state, &c).ok()) return 1;
    const std::vector<Hypervector> queries = RandomVectors(16, cfg.bits, state);
    SearchStats stats;
    (void)c->SearchBatch(queries, {.k = cfg.k, .device = Device::kGpu}, &stats);
    const double s = TimeBatch(c, queries, {.k = cfg.k, .device = Device::kGpu}, 3, &stats);
    const double streamed_bytes = 0.75 * static_cast<double>(n) * row_bytes;
    JsonLine().Add("bench", "gpu").Add("what", "streaming").Add("n", n).Add("budget_bytes", options.gpu_memory_bytes)
        .Add("device_used", DeviceName(stats.plan.device)).Add("streamed_gbs", streamed_bytes / s / 1e9)
        .Add("upload_gbs", dev.upload_bytes_per_s / 1e9)
        .Add("fraction_of_upload", streamed_bytes / s / dev.upload_bytes_per_s).Print();
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  return 0;
}

}  // namespace hvdb::bench
