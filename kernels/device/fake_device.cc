// Copyright hvdb authors.
#include "kernels/device/fake_device.h"

#include <charconv>
#include <cstring>
#include <string_view>

namespace hvdb::kernels {

Result<FakeDeviceOptions> ParseFakeDeviceOptions(std::string_view text, size_t* devices) {
  FakeDeviceOptions options;
  *devices = 1;
  while (!text.empty()) {
    const size_t comma = std::min(text.find(','), text.size());
    const std::string_view field = text.substr(0, comma);
    text.remove_prefix(std::min(text.size(), comma + 1));
    if (field.empty() || field == "1") continue;  // HVDB_FAKE_GPU=1: the defaults
    const size_t eq = field.find('=');
    const std::string_view name = field.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : field.substr(eq + 1);
    double number = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (eq == std::string_view::npos || ec != std::errc() || end != value.data() + value.size() || number < 0) {
      return Status::InvalidArgument("HVDB_FAKE_GPU: '" + std::string(field) + "' is not NAME=NUMBER");
    }
    if (name == "devices" && number >= 1 && number <= 16) {
      *devices = static_cast<size_t>(number);
    } else if (name == "memory") {
      options.memory_bytes = static_cast<uint64_t>(number);
    } else if (name == "fail_after") {
      options.fail_after = static_cast<uint64_t>(number);
    } else if (name == "pairs_per_s" && number > 0) {
      options.pairs_per_s = number;
    } else {
      return Status::InvalidArgument("HVDB_FAKE_GPU: '" + std::string(field) +
                                     "' (fields: devices=1..16, memory, fail_after, pairs_per_s > 0)");
    }
  }
  return options;
}

FakeDevice::FakeDevice(int index, FakeDeviceOptions options) : index_(index), options_(options) {}

Status FakeDevice::Call() {
  const uint64_t n = ++calls_;
  if (options_.fail_after != 0 && n > options_.fail_after) {
    return Status::Unavailable(name() + ": device lost (HVDB_FAKE_GPU fail_after=" +
                               std::to_string(options_.fail_after) + ")");
  }
  return Status::OK();
}

uint64_t FakeDevice::allocated_bytes() const {
  std::lock_guard lock(mu_);
  return allocated_;
}

size_t FakeDevice::live_buffers() const {
  std::lock_guard lock(mu_);
  return buffers_.size();
}

Result<SearchDevice::Handle> FakeDevice::AllocateHandle(size_t bytes) {
  std::lock_guard lock(mu_);
  const uint64_t held = (uint64_t{bytes} + 7) / 8 * 8;  // what FreeHandle gives back
  if (allocated_ + held > options_.memory_bytes) {
    return Status::ResourceExhausted(name() + ": out of memory allocating " + std::to_string(bytes) + " bytes (" +
                                     std::to_string(options_.memory_bytes - allocated_) + " free)");
  }
  allocated_ += held;
  buffers_[next_].assign(held / 8, 0);
  return next_++;
}

void FakeDevice::FreeHandle(Handle buffer) {
  std::lock_guard lock(mu_);
  auto it = buffers_.find(buffer);
  if (it == buffers_.end()) return;
  allocated_ -= it->second.size() * 8;
  buffers_.erase(it);
}

const std::vector<uint64_t>* FakeDevice::Find(Handle buffer) const {
  std::lock_guard lock(mu_);
  auto it = buffers_.find(buffer);
  return it == buffers_.end() ? nullptr : &it->second;
}

Status FakeDevice::Upload(Handle buffer, size_t offset, const void* host, size_t bytes) {
  HVDB_RETURN_IF_ERROR(Call());
  auto* data = const_cast<std::vector<uint64_t>*>(Find(buffer));
  if (data == nullptr || offset + bytes > data->size() * 8) {
    return Status::InvalidArgument(name() + ": upload outside buffer " + std::to_string(buffer));
  }
  std::memcpy(reinterpret_cast<char*>(data->data()) + offset, host, bytes);
  return Status::OK();
}

Result<ScanInput> FakeDevice::SearchInput(Handle rows, size_t n, size_t words, Handle tombstones,
                                          const uint64_t* queries, size_t nq) {
  HVDB_RETURN_IF_ERROR(Call());
  const auto* data = Find(rows);
  const auto* dead = tombstones ? Find(tombstones) : nullptr;
  if (data == nullptr || data->size() < n * words || (tombstones && dead == nullptr)) {
    return Status::InvalidArgument(name() + ": search over a missing or short buffer");
  }
  return ScanInput{queries, nq, {data->data(), n, words, dead ? dead->data() : nullptr}};
}

Status FakeDevice::TopK(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries, size_t nq,
                        size_t k, Neighbor* out) {
  HVDB_ASSIGN_OR_RETURN(const ScanInput input, SearchInput(rows, n, words, tombstones, queries, nq));
  return kernels::TopK(input, k, out);
}

Status FakeDevice::WithinRadius(Handle rows, size_t n, size_t words, Handle tombstones, const uint64_t* queries,
                                size_t nq, uint32_t radius, std::vector<Neighbor>* out) {
  HVDB_ASSIGN_OR_RETURN(const ScanInput input, SearchInput(rows, n, words, tombstones, queries, nq));
  return kernels::WithinRadius(input, radius, out);
}

Result<DeviceSpeed> FakeDevice::Calibrate() {
  return DeviceSpeed{options_.pairs_per_s, options_.launch_s, options_.upload_bytes_per_s};
}

}  // namespace hvdb::kernels
