// Copyright hvdb authors. The search planner: which index answers a search,
// on which device, with which kernel, and why (docs/architecture.md). The
// index: the collection's unless exact is asked or it declines the request,
// then the flat scan. The device: an explicit SearchOptions::device wins,
// then HVDB_DEVICE=cpu|gpu|auto, then a cost model calibrated once per
// process (docs/gpu.md); an index answers on the CPU unless it can scan on
// a device and the device was asked for.
#ifndef HVDB_DB_PLANNER_H_
#define HVDB_DB_PLANNER_H_

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hvdb/db.h"
#include "hvdb/options.h"
#include "hvdb/result.h"
#include "index/index.h"
#include "kernels/device/search_device.h"

namespace hvdb::db {

// Measured speeds, normalized to 2048-bit rows.
struct SearchCosts {
  double cpu_pairs_per_s = 0;
  kernels::DeviceSpeed gpu;  // of one device
  size_t gpu_devices = 0;
};

// Predicted seconds of one batch of nq queries over `rows` rows of `words`
// words. resident: fraction of the rows already on the devices.
double CpuSeconds(const SearchCosts& costs, size_t nq, size_t rows, size_t words);
double GpuSeconds(const SearchCosts& costs, size_t nq, size_t rows, size_t words, double resident);

// The device for a search: `requested` unless kAuto, then `env` (HVDB_DEVICE)
// unless kAuto, then the cheaper by the costs. kGpu needs devices (the
// caller checks). *reason says why, for SearchStats and `hvdb calibrate`.
Device ChooseDevice(Device requested, Device env, const SearchCosts& costs, size_t nq, size_t rows, size_t words,
                    double resident, std::string* reason);

// The process's costs: measured at first use (a few milliseconds of CPU
// scans and each device's Calibrate), then cached. Thread-safe.
// measure_again: measure even when cached (hvdb calibrate).
Result<SearchCosts> ProcessSearchCosts(const std::vector<kernels::SearchDevice*>& devices, bool measure_again = false);

// What a search will run.
struct SearchPlan {
  const index::Index* index = nullptr;  // the collection's index, or index::FlatScan()
  Device device = Device::kCpu;         // kCpu or kGpu
  // kGpu: the devices to run on (an index scanning on a device uses the first).
  std::vector<kernels::SearchDevice*> devices;
  std::string kernel;
  std::string reason;

  // The public form (SearchStats::plan, Collection::ExplainSearch).
  hvdb::SearchPlan Describe() const { return {index->kind(), device, kernel, reason}; }
};

// What the planner weighs.
struct PlanInput {
  const index::Index* index = nullptr;         // the collection's (flat: index::FlatScan())
  index::RowsView rows;                         // the rows as they are now
  const index::SearchRequest* request = nullptr;  // nq, k and the index knobs
  bool exact = false;                           // SearchOptions::exact
  Device requested = Device::kAuto;             // SearchOptions::device
  kernels::Simd simd = kernels::Simd::kScalar;  // the CPU kernel
  // Fraction of the rows already on the devices (the cost model's upload).
  double resident = 0;
  // The search devices, asked for only when the plan may use them (opening
  // them makes a CUDA context on each): kernels::SearchDevices, or the
  // tests' own.
  using Devices = std::vector<kernels::SearchDevice*>;
  std::function<const Devices&()> devices = []() -> const Devices& { return kernels::SearchDevices(); };
};

// The plan for `input`. Unavailable when the device gpu is asked for, there
// is something to scan and there is no device; InvalidArgument when
// HVDB_DEVICE is unusable.
Result<SearchPlan> PlanSearch(const PlanInput& input);

}  // namespace hvdb::db

#endif  // HVDB_DB_PLANNER_H_
