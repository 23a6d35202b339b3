// Copyright hvdb authors. Where a search runs: the CPU kernels or the search
// devices (docs/gpu.md). An explicit SearchOptions::device wins, then
// HVDB_DEVICE=cpu|gpu|auto, then a cost model calibrated once per process.
#ifndef HVDB_DB_PLANNER_H_
#define HVDB_DB_PLANNER_H_

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hvdb/options.h"
#include "hvdb/result.h"
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

}  // namespace hvdb::db

#endif  // HVDB_DB_PLANNER_H_
