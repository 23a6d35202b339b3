// Copyright hvdb authors. Batch forms of the algebra, rows split across cores.
#include <algorithm>
#include <cstring>
#include <string>

#include "hvdb/hdc.h"
#include <atomic>
#include <cstdio>

#include "kernels/cpu/thread_pool.h"
#include "kernels/device/search_device.h"
#include "kernels/hamming.h"

namespace hvdb::hdc {
namespace {

// Rows per task: large enough to amortize a task, small enough to balance.
constexpr size_t kRowsPerTask = 256;

Status CheckBatch(const void* in, const void* out, size_t n, size_t dim, std::string_view what) {
  HVDB_RETURN_IF_ERROR(ValidateDim(dim).WithContext(what));
  if (n > 0 && (in == nullptr || out == nullptr)) return Status::InvalidArgument(std::string(what) + ": null buffer");
  return Status::OK();
}

// Calls fn(begin, end) over [0, n) in chunks on the shared pool.
void ForRows(size_t n, unsigned threads, size_t rows_per_task, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  const size_t tasks = (n + rows_per_task - 1) / rows_per_task;
  kernels::cpu::ThreadPool::Shared().Run(tasks, threads ? threads : kernels::DefaultThreads(), [&](size_t t) {
    fn(t * rows_per_task, std::min(n, (t + 1) * rows_per_task));
  });
}

// The device a batch runs on, or null for the CPU (see hvdb/hdc.h).
Result<kernels::SearchDevice*> BatchDevice(Device requested, bool device_when_auto, std::string_view what) {
  HVDB_ASSIGN_OR_RETURN(const Device device, kernels::RequestedDevice(requested));
  if (device == Device::kCpu) return nullptr;
  const auto& devices = kernels::SearchDevices();
  if (device == Device::kGpu && devices.empty()) return kernels::NoSearchDevice(what);
  if (device == Device::kGpu) return devices.front();
  if (!device_when_auto) return nullptr;
  for (kernels::SearchDevice* d : devices) {
    if (d->chosen_by_auto()) return d;  // not the CUDA emulation
  }
  return nullptr;
}

// A device failure leaves the work to the CPU: said once per process.
bool DeviceDid(const Status& s, std::string_view what) {
  static std::atomic<bool> warned{false};
  if (!s.ok() && !warned.exchange(true)) {
    std::fprintf(stderr, "hvdb: %.*s on the GPU failed (%s); computing on the CPU\n", static_cast<int>(what.size()),
                 what.data(), s.ToString().c_str());
  }
  return s.ok();
}

constexpr uint64_t kBundleDeviceBytes = uint64_t{256} << 20;

}  // namespace

Status BindBatch(const uint64_t* a, const uint64_t* b, size_t n, size_t dim, uint64_t* out, bool broadcast_b,
                 unsigned threads, Device device) {
  HVDB_RETURN_IF_ERROR(CheckBatch(a, out, n, dim, "bind batch"));
  if (n > 0 && b == nullptr) return Status::InvalidArgument("bind batch: null buffer");
  const size_t words = dim / 64;
  HVDB_ASSIGN_OR_RETURN(kernels::SearchDevice* gpu, BatchDevice(device, false, "bind batch"));
  if (gpu != nullptr && n > 0 && DeviceDid(gpu->Bind(a, b, n, words, broadcast_b, out), "bind batch")) return Status::OK();
  ForRows(n, threads, kRowsPerTask, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint64_t* x = a + i * words;
      const uint64_t* y = broadcast_b ? b : b + i * words;
      uint64_t* o = out + i * words;
      for (size_t w = 0; w < words; ++w) o[w] = x[w] ^ y[w];
    }
  });
  return Status::OK();
}

Status PermuteBatch(const uint64_t* in, size_t n, size_t dim, int64_t shift, uint64_t* out, unsigned threads,
                    Device device) {
  HVDB_RETURN_IF_ERROR(CheckBatch(in, out, n, dim, "permute batch"));
  const size_t words = dim / 64;
  int64_t s = shift % static_cast<int64_t>(dim);
  if (s < 0) s += static_cast<int64_t>(dim);
  HVDB_ASSIGN_OR_RETURN(kernels::SearchDevice* gpu, BatchDevice(device, false, "permute batch"));
  if (gpu != nullptr && n > 0 &&
      DeviceDid(gpu->Rotate(in, n, words, static_cast<size_t>(s), out), "permute batch")) {
    return Status::OK();
  }
  const size_t word_shift = static_cast<size_t>(s) / 64, bit_shift = static_cast<size_t>(s) % 64;
  ForRows(n, threads, kRowsPerTask, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint64_t* v = in + i * words;
      uint64_t* o = out + i * words;
      // Source words of output word w: hi = w - word_shift, lo = hi - 1 (mod
      // words), stepped without a division per word.
      size_t hi = (words - word_shift) % words, lo = (hi + words - 1) % words;
      if (bit_shift == 0) {
        for (size_t w = 0; w < words; ++w, hi = hi + 1 == words ? 0 : hi + 1) o[w] = v[hi];
      } else {
        for (size_t w = 0; w < words; ++w) {
          o[w] = (v[hi] << bit_shift) | (v[lo] >> (64 - bit_shift));
          lo = hi;
          hi = hi + 1 == words ? 0 : hi + 1;
        }
      }
    }
  });
  return Status::OK();
}

Status BundleBatch(const uint64_t* in, size_t groups, size_t members, size_t dim, uint64_t* out, uint64_t tie_seed,
                   unsigned threads, Device device) {
  HVDB_RETURN_IF_ERROR(CheckBatch(in, out, groups, dim, "bundle batch"));
  if (members == 0) return Status::InvalidArgument("bundle batch: groups of no members");
  const size_t words = dim / 64;
  HVDB_ASSIGN_OR_RETURN(kernels::SearchDevice* gpu,
                        BatchDevice(device, uint64_t{groups} * members * words * 8 >= kBundleDeviceBytes, "bundle batch"));
  if (gpu != nullptr && groups > 0) {
    if (DeviceDid(gpu->Majority(in, groups, members, words, tie_seed, out), "bundle batch")) return Status::OK();
  }
  ForRows(groups, threads, std::max<size_t>(1, kRowsPerTask / members), [&](size_t begin, size_t end) {
    BundleAccumulator acc(dim);
    for (size_t g = begin; g < end; ++g) {
      acc.Clear();
      for (size_t m = 0; m < members; ++m) acc.AddWords(in + (g * members + m) * words);
      const Hypervector majority = acc.Majority(tie_seed).value();
      std::memcpy(out + g * words, majority.data(), words * 8);
    }
  });
  return Status::OK();
}

Result<std::vector<Hypervector>> TextBatch(std::span<const std::string_view> texts, size_t n,
                                           uint64_t item_memory_seed, size_t dim, unsigned threads) {
  std::vector<Hypervector> out(texts.size());
  std::vector<Status> errors(texts.size());
  ForRows(texts.size(), threads, 8, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      auto v = Text(texts[i], n, item_memory_seed, dim);
      if (v.ok()) out[i] = std::move(v).value();
      else errors[i] = v.status();
    }
  });
  for (size_t i = 0; i < errors.size(); ++i) {
    if (!errors[i].ok()) return errors[i].WithContext("text " + std::to_string(i));
  }
  return out;
}

}  // namespace hvdb::hdc
