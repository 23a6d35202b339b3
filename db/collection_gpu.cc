// Copyright hvdb authors. A collection's searches on the search devices:
// the plan, the shards, and the fall back to the CPU (docs/gpu.md).
#include <cstdio>

#include "db/collection_impl.h"
#include "db/planner.h"

namespace hvdb::db {

Result<CollectionImpl::GpuOutcome> CollectionImpl::GpuSearch(const uint64_t* queries, size_t nq,
                                                             const SearchOptions& options, Device requested,
                                                             bool index_would_answer,
                                                             std::vector<std::vector<kernels::Neighbor>>* found,
                                                             std::string* kernel) const {
  const bool asked_gpu = requested == Device::kGpu;
  // The planner weighs the flat scan on each side; an index answers on the CPU.
  if (requested == Device::kCpu || (!asked_gpu && index_would_answer)) return GpuOutcome::kCpu;
  const std::vector<kernels::SearchDevice*>& devices = kernels::SearchDevices();
  if (devices.empty()) {
    if (asked_gpu) return kernels::NoSearchDevice();
    return GpuOutcome::kCpu;
  }
  const size_t rows = cache_->rows();
  size_t max_k = kernels::kMaxK;
  for (const auto* d : devices) max_k = std::min(max_k, d->max_k());
  if (options.k > max_k) return asked_gpu ? GpuOutcome::kExactOnCpu : GpuOutcome::kCpu;
  if (!asked_gpu) {
    HVDB_ASSIGN_OR_RETURN(const SearchCosts costs, ProcessSearchCosts(devices));
    double resident = 0;
    {
      std::lock_guard lock(gpu_mu_);
      if (gpu_ != nullptr) resident = gpu_->ResidentFraction(rows);
    }
    std::string reason;
    if (ChooseDevice(Device::kAuto, Device::kAuto, costs, nq, rows, words_, resident, &reason) != Device::kGpu) {
      return GpuOutcome::kCpu;
    }
  }
  GpuMirror* mirror = nullptr;
  {
    std::lock_guard lock(gpu_mu_);
    if (gpu_ == nullptr) gpu_ = std::make_unique<GpuMirror>(devices, words_, gpu_memory_bytes_);
    mirror = gpu_.get();
  }
  const HostRows host{cache_->arena(), rows, cache_->tombstones()};
  GpuSearchInfo info;
  Status s;
  found->assign(nq, {});
  if (options.k == 0) {
    s = mirror->WithinRadius(host, queries, nq, *options.max_distance, found->data(), &info);
  } else {
    const size_t k = std::min(options.k, rows);
    std::vector<kernels::Neighbor> top(nq * k);
    s = mirror->TopK(host, queries, nq, k, top.data(), &info);
    const uint32_t limit = options.max_distance.value_or(kernels::kNoDistance - 1);
    for (size_t q = 0; s.ok() && q < nq; ++q) {
      for (size_t i = 0; i < k; ++i) {
        const kernels::Neighbor& n = top[q * k + i];
        if (n.row == kernels::kNoRow || n.distance > limit) break;
        (*found)[q].push_back(n);
      }
    }
  }
  if (!s.ok()) {
    if (!gpu_warned_.exchange(true)) {
      std::fprintf(stderr, "hvdb: collection '%s': GPU search failed (%s); answering on the CPU\n",
                   descriptor_.name.c_str(), s.ToString().c_str());
    }
    return GpuOutcome::kExactOnCpu;
  }
  *kernel = info.kernel;
  return GpuOutcome::kAnswered;
}

}  // namespace hvdb::db
