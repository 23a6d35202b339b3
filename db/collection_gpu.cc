// Copyright hvdb authors. A collection's searches on the search devices: the
// flat scan over the GPU mirror's shards, or an index that scans on a device
// (docs/gpu.md). The planner decided; a failure here is answered on the CPU
// by the caller.
#include <cstdio>

#include "db/collection_impl.h"

namespace hvdb::db {

Status CollectionImpl::RunOnDevices(const SearchPlan& plan, const index::SearchRequest& request,
                                    index::SearchResult* result) const {
  const index::RowsView rows = View();
  Status s;
  if (plan.index->kind() != IndexKind::kFlat) {
    index::SearchRequest on_device = request;
    on_device.device = plan.devices.front();
    s = plan.index->Search(rows, on_device, result);
  } else {
    GpuMirror* mirror = nullptr;
    {
      MutexLock lock(gpu_mu_);
      if (gpu_ == nullptr) gpu_ = std::make_unique<GpuMirror>(plan.devices, words_, gpu_memory_bytes_);
      mirror = gpu_.get();
    }
    GpuSearchInfo info;
    result->rows_scanned = uint64_t{request.nq} * rows.n;
    if (request.k == 0) {
      result->hits.assign(request.nq, {});
      s = mirror->WithinRadius(rows, request.queries, request.nq, *request.max_distance, result->hits.data(), &info);
    } else if (rows.n == 0) {
      result->hits.assign(request.nq, {});
    } else {
      const size_t k = std::min(request.k, rows.n);
      std::vector<kernels::Neighbor> slots(request.nq * k);
      s = mirror->TopK(rows, request.queries, request.nq, k, slots.data(), &info);
      if (s.ok()) result->hits = kernels::UnpackTopK(slots.data(), request.nq, k, request.max_distance);
    }
  }
  if (!s.ok() && !gpu_warned_.exchange(true)) {
    std::fprintf(stderr, "hvdb: collection '%s': GPU search failed (%s); answering on the CPU\n",
                 descriptor_.name.c_str(), s.ToString().c_str());
  }
  return s;
}

}  // namespace hvdb::db
