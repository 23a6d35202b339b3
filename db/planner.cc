// Copyright hvdb authors.
#include "db/planner.h"

#include <chrono>
#include <cstdlib>
#include <random>

namespace hvdb::db {
namespace {

constexpr double kWords2048 = 32;

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// CPU pairs/s on a batch that fits the caches, as a planner needs it: the
// best of three runs of 64 queries over 16384 random 2048-bit rows.
Result<double> MeasureCpu() {
  constexpr size_t kRows = 16384, kQueries = 64, kWords = 32;
  std::vector<uint64_t> rows(kRows * kWords), queries(kQueries * kWords);
  std::mt19937_64 rng(7);
  for (auto& w : rows) w = rng();
  for (auto& w : queries) w = rng();
  std::vector<kernels::Neighbor> out(kQueries * 10);
  double best = 1e30;
  for (int i = 0; i < 3; ++i) {
    const double start = Now();
    HVDB_RETURN_IF_ERROR(kernels::TopK({queries.data(), kQueries, rows.data(), kRows, kWords, nullptr}, 10, out.data()));
    best = std::min(best, Now() - start);
  }
  return static_cast<double>(kRows * kQueries) / std::max(best, 1e-9);
}

}  // namespace

double CpuSeconds(const SearchCosts& costs, size_t nq, size_t rows, size_t words) {
  const double pairs = static_cast<double>(nq) * static_cast<double>(rows) * (static_cast<double>(words) / kWords2048);
  return pairs / std::max(costs.cpu_pairs_per_s, 1.0);
}

double GpuSeconds(const SearchCosts& costs, size_t nq, size_t rows, size_t words, double resident) {
  const double devices = static_cast<double>(std::max<size_t>(costs.gpu_devices, 1));
  const double pairs = static_cast<double>(nq) * static_cast<double>(rows) * (static_cast<double>(words) / kWords2048);
  const double upload_bytes = (1.0 - resident) * static_cast<double>(rows) * static_cast<double>(words) * 8;
  const double upload = costs.gpu.upload_bytes_per_s > 0 ? upload_bytes / (costs.gpu.upload_bytes_per_s * devices) : 0;
  return costs.gpu.launch_s + upload + pairs / std::max(costs.gpu.pairs_per_s * devices, 1.0);
}

Device ChooseDevice(Device requested, Device env, const SearchCosts& costs, size_t nq, size_t rows, size_t words,
                    double resident, std::string* reason) {
  if (requested != Device::kAuto) {
    *reason = "asked for in SearchOptions";
    return requested;
  }
  if (env != Device::kAuto) {
    *reason = "HVDB_DEVICE";
    return env;
  }
  if (costs.gpu_devices == 0) {
    *reason = "no search device";
    return Device::kCpu;
  }
  const double cpu = CpuSeconds(costs, nq, rows, words);
  const double gpu = GpuSeconds(costs, nq, rows, words, resident);
  *reason = "cost model: cpu " + std::to_string(cpu * 1e3) + " ms, gpu " + std::to_string(gpu * 1e3) + " ms";
  return gpu < cpu ? Device::kGpu : Device::kCpu;
}

Result<SearchCosts> ProcessSearchCosts(const std::vector<kernels::SearchDevice*>& devices, bool measure_again) {
  static std::mutex mu;
  static std::optional<SearchCosts> cached;
  std::lock_guard lock(mu);
  if (cached && cached->gpu_devices == devices.size() && !measure_again) return *cached;
  SearchCosts costs;
  HVDB_ASSIGN_OR_RETURN(costs.cpu_pairs_per_s, MeasureCpu());
  if (!devices.empty()) {
    auto speed = devices[0]->Calibrate();
    if (speed.ok()) {
      costs.gpu = *speed;
      costs.gpu_devices = devices.size();
    }
  }
  cached = costs;
  return costs;
}

}  // namespace hvdb::db
