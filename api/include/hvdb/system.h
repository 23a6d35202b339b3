// Copyright hvdb authors. What this build and this machine offer hvdb.
#ifndef HVDB_SYSTEM_H_
#define HVDB_SYSTEM_H_

#include <cstddef>
#include <string>
#include <vector>

#include "hvdb/result.h"

namespace hvdb {

// The library version, "MAJOR.MINOR.PATCH".
const char* Version();

// The CPU Hamming kernel that searches use when nothing forces another:
// "scalar", "avx2", "avx512" or "amx". The best one the CPU supports, unless the
// environment variable HVDB_SIMD names one. InvalidArgument when HVDB_SIMD is
// not a known kernel or names one this CPU cannot run. Read once per process.
Result<std::string> CpuKernelInUse();

struct CudaDevice {
  int index = 0;
  std::string name;
  int compute_major = 0;     // compute capability, e.g. 9.0 for H100
  int compute_minor = 0;
  size_t memory_bytes = 0;   // total global memory
  int multiprocessors = 0;
};

struct SystemInfo {
  std::string version;
  std::string cpu_kernel;                // as CpuKernelInUse(), or its error message
  std::vector<std::string> cpu_kernels;  // every kernel this CPU can run, slowest first
  unsigned cpu_threads = 0;              // threads a scan uses by default
  bool cuda_built = false;               // compiled with CUDA support
  std::vector<CudaDevice> cuda_devices;  // devices seen now; empty when none
  std::string cuda_status;               // why there are no devices, or "ok"
  // What `device gpu` searches on: the CUDA devices, or the fake devices of
  // HVDB_FAKE_GPU (tests); empty when there are none, and then why.
  std::vector<std::string> search_devices;
  std::string search_devices_status;     // "ok", or why there are none
};

// Probes the CPU and (when built with CUDA) the CUDA driver. Never fails: what
// could not be probed is explained in the fields. Thread-safe.
SystemInfo GetSystemInfo();

// What the CPU/GPU planner measured (docs/gpu.md), normalized to 2048-bit rows.
struct SearchDeviceSpeed {
  std::string name;
  double pairs_per_s = 0;         // query-row pairs a second, large batches
  double launch_s = 0;            // fixed cost of one search
  double upload_bytes_per_s = 0;  // host to device
  double copy_bytes_per_s = 0;    // roof: device-to-device copy, read + written (0: not measured)
  double popc_pairs_per_s = 0;    // roof: pairs a second doing nothing but popcounts (0: not measured)
};
struct SearchCalibration {
  double cpu_pairs_per_s = 0;
  std::vector<SearchDeviceSpeed> devices;  // empty: none (devices_status says why)
  std::string devices_status;
  // The smallest batch (a power of two up to 65536) the planner sends to the
  // devices for 1M resident 2048-bit rows; 0: none, the CPU wins throughout.
  size_t crossover_batch = 0;
};

// Measures now (a few milliseconds of CPU scans, each device's own short
// measurement) and makes it the planner's calibration for this process.
Result<SearchCalibration> CalibrateSearch();

}  // namespace hvdb

#endif  // HVDB_SYSTEM_H_
