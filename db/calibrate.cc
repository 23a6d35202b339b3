// Copyright hvdb authors. hvdb::CalibrateSearch: the planner's measurements.
#include "db/planner.h"
#include "hvdb/system.h"

namespace hvdb {

Result<SearchCalibration> CalibrateSearch() {
  SearchCalibration out;
  const std::vector<kernels::SearchDevice*>& devices = kernels::SearchDevices(&out.devices_status);
  if (out.devices_status.empty()) out.devices_status = "ok";
  HVDB_ASSIGN_OR_RETURN(const db::SearchCosts costs, db::ProcessSearchCosts(devices, /*measure_again=*/true));
  out.cpu_pairs_per_s = costs.cpu_pairs_per_s;
  for (const auto* d : devices) {
    out.devices.push_back({d->name(), costs.gpu.pairs_per_s, costs.gpu.launch_s, costs.gpu.upload_bytes_per_s,
                           costs.gpu.copy_bytes_per_s, costs.gpu.popc_pairs_per_s});
  }
  for (size_t nq = 1; costs.gpu_devices > 0 && nq <= 65536; nq *= 2) {
    std::string reason;
    if (db::ChooseDevice(Device::kAuto, Device::kAuto, costs, nq, 1000000, 32, 1.0, &reason) == Device::kGpu) {
      out.crossover_batch = nq;
      break;
    }
  }
  return out;
}

}  // namespace hvdb
