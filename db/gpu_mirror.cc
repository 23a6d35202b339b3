// Copyright hvdb authors.
#include "db/gpu_mirror.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "kernels/results.h"

namespace hvdb::db {
namespace {

constexpr size_t kRowsAlign = 64;  // shards start on tombstone-word boundaries
constexpr uint64_t kMaxStagingBytes = uint64_t{64} << 20;

size_t RoundUp(size_t v, size_t to) { return (v + to - 1) / to * to; }

}  // namespace

GpuMirror::GpuMirror(std::vector<kernels::SearchDevice*> devices, size_t words, uint64_t budget_bytes)
    : devices_(std::move(devices)), words_(words), budget_bytes_(budget_bytes) {}

GpuMirror::~GpuMirror() {
  MutexLock lock(mu_);
  FreeAll();
}

void GpuMirror::FreeAll() {
  shards_.clear();  // the buffers go with them
  staging_rows_.reset();
  staging_tombstones_.reset();
  staging_capacity_ = 0;
  capacity_ = 0;
}

void GpuMirror::RowsChanged(size_t first, size_t count) {
  if (count == 0) return;
  dirty_.emplace_back(first, first + count);
  if (dirty_.size() > 256) {  // many scattered writes: one range over them
    size_t lo = dirty_[0].first, hi = dirty_[0].second;
    for (const auto& [a, b] : dirty_) {
      lo = std::min(lo, a);
      hi = std::max(hi, b);
    }
    dirty_.assign(1, {lo, hi});
  }
}

void GpuMirror::Renumbered() {
  relayout_ = true;
  dirty_.clear();
  tombstones_dirty_ = true;
}

size_t GpuMirror::BudgetRows(const kernels::SearchDevice* device) const {
  const uint64_t budget = budget_bytes_ ? budget_bytes_ : device->memory_bytes() / 10 * 9;
  const uint64_t staging = std::min(kMaxStagingBytes, budget / 4);
  const uint64_t row_bytes = words_ * 8;
  // Each row also takes 1/64 of a tombstone word.
  const uint64_t rows = (budget - staging) * 64 / (row_bytes * 64 + 8);
  return static_cast<size_t>(rows / kRowsAlign * kRowsAlign);
}

uint64_t GpuMirror::resident_bytes() {
  MutexLock lock(mu_);
  return uint64_t{shards_.size()} * capacity_ * words_ * 8;
}

double GpuMirror::ResidentFraction(size_t n) const {
  if (n == 0 || devices_.empty()) return 1.0;
  size_t resident = 0;
  for (const auto* d : devices_) resident += BudgetRows(d);
  return std::min(1.0, static_cast<double>(resident) / static_cast<double>(n));
}

size_t GpuMirror::MaxCapacity() const {
  size_t rows = BudgetRows(devices_[0]);
  for (const auto* d : devices_) rows = std::min(rows, BudgetRows(d));
  return rows;
}

Status GpuMirror::Layout(size_t n) {
  const size_t max_capacity = MaxCapacity();
  if (max_capacity == 0) {
    return Status::ResourceExhausted("GPU memory budget holds no row of " + std::to_string(words_ * 64) + " bits");
  }
  const size_t nd = devices_.size();
  const size_t wanted = std::max(RoundUp((n + nd - 1) / nd, kRowsAlign), 2 * capacity_);
  FreeAll();
  capacity_ = std::max(kRowsAlign, std::min(max_capacity, wanted));
  for (size_t j = 0; j < nd; ++j) shards_.push_back({devices_[j], j * capacity_, 0, {}, {}});
  // The staging buffer for rows beyond the shards, on the first device.
  const uint64_t budget = budget_bytes_ ? budget_bytes_ : devices_[0]->memory_bytes() / 10 * 9;
  staging_capacity_ = std::max(kRowsAlign, static_cast<size_t>(std::min(kMaxStagingBytes, budget / 4) /
                                                               (words_ * 8) / kRowsAlign * kRowsAlign));
  dirty_.clear();
  tombstones_dirty_ = true;
  relayout_ = false;
  return Status::OK();
}

Status GpuMirror::Run(const kernels::RowsView& host, const Searcher& search, GpuSearchInfo* info) {
  const size_t nd = devices_.size();
  if (relayout_ || capacity_ == 0 || (host.n > nd * capacity_ && capacity_ < MaxCapacity())) {
    HVDB_RETURN_IF_ERROR(Layout(host.n));
  }
  const size_t row_bytes = words_ * 8;
  Status failed;
  auto fail = [&](Status s) {
    relayout_ = true;  // the device state is unknown now: upload everything next time
    return s;
  };
  for (Shard& s : shards_) {
    if (s.first >= host.n) break;
    const size_t end = std::min(host.n, s.first + capacity_);
    const size_t count = end - s.first;
    if (!s.rows) {
      auto rows = s.device->Allocate(capacity_ * row_bytes);
      if (!rows.ok()) return fail(rows.status());
      s.rows = std::move(*rows);
      auto tomb = s.device->Allocate(capacity_ / 64 * 8);
      if (!tomb.ok()) return fail(tomb.status());
      s.tombstones = std::move(*tomb);
    }
    // Changed rows already on the device, then rows new to it.
    for (const auto& [a, b] : dirty_) {
      const size_t lo = std::max(a, s.first), hi = std::min(b, s.first + s.uploaded);
      if (lo >= hi) continue;
      if (Status st = s.device->Upload(s.rows.handle(), (lo - s.first) * row_bytes, host.rows + lo * words_, (hi - lo) * row_bytes);
          !st.ok()) {
        return fail(st);
      }
      info->uploaded_bytes += (hi - lo) * row_bytes;
    }
    if (s.uploaded < count) {
      const size_t lo = s.first + s.uploaded;
      if (Status st = s.device->Upload(s.rows.handle(), s.uploaded * row_bytes, host.rows + lo * words_, (end - lo) * row_bytes);
          !st.ok()) {
        return fail(st);
      }
      info->uploaded_bytes += (end - lo) * row_bytes;
    }
    const bool grew = s.uploaded < count;
    s.uploaded = count;
    if (host.tombstones != nullptr && (tombstones_dirty_ || grew)) {
      const size_t bytes = (count + 63) / 64 * 8;
      if (Status st = s.device->Upload(s.tombstones.handle(), 0, host.tombstones + s.first / 64, bytes); !st.ok()) return fail(st);
      info->uploaded_bytes += bytes;
    }
    if (Status st = search(s.device, s.rows.handle(), count, host.tombstones ? s.tombstones.handle() : 0, s.first);
        !st.ok()) {
      return fail(st);
    }
    ++info->shards;
  }
  // Rows beyond the shards: streamed through the staging buffer (the top-k
  // search streams through the device's own StreamTopK instead).
  for (size_t first = nd * capacity_; stream_ == nullptr && first < host.n; first += staging_capacity_) {
    kernels::SearchDevice* d = devices_[0];
    if (!staging_rows_) {
      auto rows = d->Allocate(staging_capacity_ * row_bytes);
      if (!rows.ok()) return fail(rows.status());
      staging_rows_ = std::move(*rows);
      auto tomb = d->Allocate(staging_capacity_ / 64 * 8);
      if (!tomb.ok()) return fail(tomb.status());
      staging_tombstones_ = std::move(*tomb);
    }
    const size_t count = std::min(staging_capacity_, host.n - first);
    if (Status st = d->Upload(staging_rows_.handle(), 0, host.rows + first * words_, count * row_bytes); !st.ok()) return fail(st);
    if (host.tombstones != nullptr) {
      if (Status st = d->Upload(staging_tombstones_.handle(), 0, host.tombstones + first / 64, (count + 63) / 64 * 8); !st.ok()) {
        return fail(st);
      }
    }
    info->uploaded_bytes += count * row_bytes;
    info->streamed_rows += count;
    if (Status st = search(d, staging_rows_.handle(), count, host.tombstones ? staging_tombstones_.handle() : 0, first);
        !st.ok()) {
      return fail(st);
    }
  }
  // The staging buffer lives for one search: a StreamTopK takes its own.
  staging_rows_.reset();
  staging_tombstones_.reset();
  if (stream_ != nullptr && nd * capacity_ < host.n) {
    const size_t first = nd * capacity_;  // a multiple of 64
    info->streamed_rows += host.n - first;
    if (Status st = (*stream_)(devices_[0], first); !st.ok()) return fail(st);
  }
  dirty_.clear();
  tombstones_dirty_ = false;
  return Status::OK();
}

Status GpuMirror::TopK(const kernels::RowsView& host, const uint64_t* queries, size_t nq, size_t k, kernels::Neighbor* out,
                       GpuSearchInfo* info) {
  MutexLock lock(mu_);
  if (devices_.empty()) return Status::Unavailable("no search device");
  std::vector<std::vector<kernels::Neighbor>> merged(nq);
  std::vector<kernels::Neighbor> found;
  // Rows beyond the shards stream through the device's StreamTopK. Run
  // calls it (through stream_) with mu_ held.
  const Streamer streamer = [&](kernels::SearchDevice* d, size_t first) HVDB_REQUIRES(mu_) {
    std::vector<std::vector<kernels::Neighbor>> streamed(nq);
    HVDB_RETURN_IF_ERROR(d->StreamTopK(host.rows + first * words_, host.n - first, words_,
                                       host.tombstones ? host.tombstones + first / 64 : nullptr, staging_capacity_,
                                       queries, nq, k, &streamed, &info->uploaded_bytes));
    for (size_t q = 0; q < nq; ++q) {
      for (const kernels::Neighbor& hit : streamed[q]) merged[q].push_back({hit.row + first, hit.distance});
    }
    return Status::OK();
  };
  stream_ = &streamer;
  const Status ran = Run(
      host,
      [&](kernels::SearchDevice* d, kernels::SearchDevice::Handle rows, size_t n, kernels::SearchDevice::Handle tomb,
          size_t first) {
        const size_t kk = std::min(k, n);
        found.assign(nq * kk, {});
        HVDB_RETURN_IF_ERROR(d->TopK(rows, n, words_, tomb, queries, nq, kk, found.data()));
        for (size_t q = 0; q < nq; ++q) kernels::AppendTopK(&found[q * kk], kk, std::nullopt, first, &merged[q]);
        if (info->kernel.empty()) info->kernel = d->kernel_for(nq);
        return Status::OK();
      },
      info);
  stream_ = nullptr;
  HVDB_RETURN_IF_ERROR(ran);
  for (size_t q = 0; q < nq; ++q) {
    kernels::MergeHits(&merged[q], k);
    kernels::FillTopK(merged[q], k, out + q * k);
  }
  return Status::OK();
}

Status GpuMirror::WithinRadius(const kernels::RowsView& host, const uint64_t* queries, size_t nq, uint32_t radius,
                               std::vector<kernels::Neighbor>* out, GpuSearchInfo* info) {
  MutexLock lock(mu_);
  if (devices_.empty()) return Status::Unavailable("no search device");
  std::vector<std::vector<kernels::Neighbor>> merged(nq), found(nq);
  const Status ran = Run(
      host,
      [&](kernels::SearchDevice* d, kernels::SearchDevice::Handle rows, size_t n, kernels::SearchDevice::Handle tomb,
          size_t first) {
        HVDB_RETURN_IF_ERROR(d->WithinRadius(rows, n, words_, tomb, queries, nq, radius, found.data()));
        for (size_t q = 0; q < nq; ++q) {
          for (const kernels::Neighbor& hit : found[q]) merged[q].push_back({hit.row + first, hit.distance});
        }
        if (info->kernel.empty()) info->kernel = d->kernel();
        return Status::OK();
      },
      info);
  HVDB_RETURN_IF_ERROR(ran);
  for (size_t q = 0; q < nq; ++q) {
    kernels::MergeHits(&merged[q], 0);
    out[q] = std::move(merged[q]);
  }
  return Status::OK();
}

}  // namespace hvdb::db
