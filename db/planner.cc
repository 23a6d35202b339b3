// Copyright hvdb authors.
#include "db/planner.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "base/mutex.h"

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
    HVDB_RETURN_IF_ERROR(
        kernels::TopK({queries.data(), kQueries, {rows.data(), kRows, kWords, nullptr}}, 10, out.data()));
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
  char text[96];
  std::snprintf(text, sizeof text, "cost model: cpu %.3g ms, gpu %.3g ms", cpu * 1e3, gpu * 1e3);
  *reason = text;
  return gpu < cpu ? Device::kGpu : Device::kCpu;
}

namespace {

// The largest k every device takes.
size_t DevicesMaxK(const std::vector<kernels::SearchDevice*>& devices) {
  size_t max_k = kernels::kMaxK;
  for (const auto* d : devices) max_k = std::min(max_k, d->max_k());
  return max_k;
}

}  // namespace

Result<SearchPlan> PlanSearch(const PlanInput& input) {
  const index::SearchRequest& request = *input.request;
  SearchPlan plan;
  // The index.
  plan.index = &index::FlatScan();
  std::string why_index;
  if (input.index->kind() == IndexKind::kFlat) {
    why_index = "flat index";
  } else if (input.exact) {
    why_index = "exact asked";
  } else if (std::string declined = input.index->Declines(input.rows, request); !declined.empty()) {
    why_index = declined;
  } else {
    plan.index = input.index;
    why_index = input.index->Summary();
  }
  // The device. The devices are opened (a CUDA context on each) only when a
  // plan may use them: not for device cpu, nor when there is nothing to scan,
  // nor when an index answers on the CPU anyway.
  HVDB_ASSIGN_OR_RETURN(const Device env, kernels::DeviceFromEnvironment());
  const Device requested = input.requested != Device::kAuto ? input.requested : env;
  const std::string asked = input.requested != Device::kAuto ? "device " + std::string(DeviceName(requested)) + " asked"
                                                             : "HVDB_DEVICE=" + std::string(DeviceName(requested));
  std::string why_device;
  const std::vector<kernels::SearchDevice*>* devices = nullptr;
  std::vector<kernels::SearchDevice*> eligible;  // auto's choice: the devices that allow it (not the CUDA emulation)
  if (requested == Device::kCpu) {
    why_device = asked;
  } else if (request.nq == 0 || input.rows.n == 0) {
    why_device = "nothing to scan";
  } else if (requested == Device::kAuto && plan.index != &index::FlatScan()) {
    why_device = "an index answers on the CPU unless device gpu is asked";
  } else {
    if (requested == Device::kAuto) {
      for (kernels::SearchDevice* d : input.devices()) {
        if (d->chosen_by_auto()) eligible.push_back(d);
      }
    }
    devices = requested == Device::kGpu ? &input.devices() : &eligible;
    if (requested == Device::kGpu && devices->empty()) return kernels::NoSearchDevice();
    if (requested == Device::kGpu && plan.index != &index::FlatScan() && !plan.index->SearchesOnDevice()) {
      why_index += " (it has no device search: the exact scan instead)";
      plan.index = &index::FlatScan();
    }
    const size_t max_k = devices->empty()                  ? 0
                         : plan.index->SearchesOnDevice() ? devices->front()->max_k()
                                                          : DevicesMaxK(*devices);
    if (requested == Device::kGpu) {
      if (request.k > max_k) {
        why_device = asked + ", but k " + std::to_string(request.k) + " is above the devices' largest, " +
                     std::to_string(max_k) + ": the CPU";
      } else {
        plan.device = Device::kGpu;
        why_device = asked;
      }
    } else if (devices->empty()) {
      why_device = input.devices().empty() ? "no search device"
                                           : "no device auto may choose (" + input.devices().front()->name() +
                                                 " is test machinery: device gpu only)";
    } else if (request.k > max_k) {
      why_device = "k " + std::to_string(request.k) + " is above the devices' largest, " + std::to_string(max_k);
    } else {
      HVDB_ASSIGN_OR_RETURN(const SearchCosts costs, ProcessSearchCosts(*devices));
      plan.device = ChooseDevice(Device::kAuto, Device::kAuto, costs, request.nq, input.rows.n, input.rows.words,
                                 input.resident, &why_device);
    }
  }
  if (plan.device == Device::kGpu) {
    plan.devices = *devices;
    plan.kernel = request.k > 0 ? devices->front()->kernel_for(request.nq) : devices->front()->kernel();
  } else {
    plan.kernel = kernels::SimdName(input.simd);
  }
  plan.reason = why_index + "; " + why_device;
  return plan;
}

Result<SearchCosts> ProcessSearchCosts(const std::vector<kernels::SearchDevice*>& devices, bool measure_again) {
  static Mutex mu;  // one measurement at a time
  static std::optional<SearchCosts> cached HVDB_GUARDED_BY(mu);
  MutexLock lock(mu);
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
