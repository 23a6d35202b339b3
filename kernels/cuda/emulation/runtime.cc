// Copyright hvdb authors. The CUDA emulation's devices, memory and copies
// (cuda_runtime.h says what the emulation is).
//
// Each cudaMalloc is its own mapping: a guard page, the allocation's pages,
// a guard page, with the allocation placed at the end of its pages (8-byte
// aligned), so that a read past its end faults. The pages are readable only
// while a copy or a kernel runs (DeviceAccess): host code that touches device
// memory faults. A copy checks that each pointer is of the kind its direction
// names and that the range lies within one allocation.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "kernels/cuda/emulation/emulation.h"

namespace hvdb::cuda_emulation {
namespace {

constexpr int kMaxDevices = 8;
constexpr size_t kDeviceMemory = size_t{1} << 30;  // each emulated device's memory
constexpr int kMultiprocessors = 1;  // few blocks (block threads cost): 8 tiles, of several chunks from 16k rows

// HVDB_CUDA_EMULATION_DEVICES: how many devices (0 to 8; default 1). 0 is a
// machine without one: the tests that expect no search device run so.
int DeviceCount() {
  static const int count = [] {
    const char* text = std::getenv("HVDB_CUDA_EMULATION_DEVICES");
    if (text == nullptr || *text == '\0') return 1;
    char* end = nullptr;
    const long n = std::strtol(text, &end, 10);
    if (*end != '\0' || n < 0 || n > kMaxDevices) {
      std::fprintf(stderr, "hvdb cuda emulation: HVDB_CUDA_EMULATION_DEVICES is '%s'; expected 0 to %d\n", text,
                   kMaxDevices);
      std::abort();
    }
    return static_cast<int>(n);
  }();
  return count;
}

size_t PageSize() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

struct Allocation {
  char* mapping = nullptr;  // guard page, pages, guard page
  size_t pages_bytes = 0;   // the pages between the guards
  char* data = nullptr;
  size_t bytes = 0;
  int device = 0;
};

struct Memory {
  std::mutex mu;
  std::map<uintptr_t, Allocation> device;  // by mapping start
  std::map<uintptr_t, size_t> pinned;      // host allocations, by start
  size_t used[kMaxDevices] = {};
  int access = 0;  // DeviceAccess objects alive
};

Memory& Mem() {
  static Memory* memory = new Memory;  // lives as long as the process: stream threads may use it at exit
  return *memory;
}

void Protect(const Allocation& a, bool accessible) {
  if (::mprotect(a.mapping + PageSize(), a.pages_bytes, accessible ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) {
    std::perror("hvdb cuda emulation: mprotect");
    std::abort();
  }
}

// The device allocation holding [p, p + bytes), or null. REQUIRES: mu held.
const Allocation* FindDevice(Memory& m, const void* p, size_t bytes) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  auto it = m.device.upper_bound(addr);
  if (it == m.device.begin()) return nullptr;
  const Allocation& a = std::prev(it)->second;
  const auto data = reinterpret_cast<uintptr_t>(a.data);
  if (addr < data || addr + bytes > data + a.bytes || addr + bytes < addr) return nullptr;
  return &a;
}

// Whether p lies in a device mapping at all (guard pages included).
bool InDeviceMapping(Memory& m, const void* p) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  auto it = m.device.upper_bound(addr);
  if (it == m.device.begin()) return false;
  const Allocation& a = std::prev(it)->second;
  return addr < reinterpret_cast<uintptr_t>(a.mapping) + a.pages_bytes + 2 * PageSize();
}

// Checks a copy's pointers against its direction.
cudaError_t CheckCopy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  Memory& m = Mem();
  std::lock_guard lock(m.mu);
  bool dst_device = false, src_device = false;
  switch (kind) {
    case cudaMemcpyHostToDevice: dst_device = true; break;
    case cudaMemcpyDeviceToHost: src_device = true; break;
    case cudaMemcpyDeviceToDevice: dst_device = src_device = true; break;
    case cudaMemcpyHostToHost: break;
    default: return cudaErrorInvalidMemcpyDirection;  // cudaMemcpyDefault: kernels/cuda names every direction
  }
  if (InDeviceMapping(m, dst) != dst_device || InDeviceMapping(m, src) != src_device) {
    return cudaErrorInvalidMemcpyDirection;
  }
  if (dst_device && FindDevice(m, dst, bytes) == nullptr) return cudaErrorInvalidValue;
  if (src_device && FindDevice(m, src, bytes) == nullptr) return cudaErrorInvalidValue;
  return cudaSuccess;
}

// The mappings as a fault handler may read them (no lock): start and end,
// 0 when the slot is free.
constexpr size_t kMaxMappings = 4096;
std::atomic<uintptr_t> g_mapping_start[kMaxMappings];
std::atomic<uintptr_t> g_mapping_end[kMaxMappings];

struct sigaction g_previous_action;

void Say(const char* text) {
  const ssize_t ignored = ::write(2, text, std::strlen(text));
  (void)ignored;
}

// A fault in a device mapping: what it means, said before the handler that
// was there before takes the fault.
void OnFault(int signal, siginfo_t* info, void*) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (size_t i = 0; i < kMaxMappings; ++i) {
    const uintptr_t start = g_mapping_start[i].load(std::memory_order_relaxed);
    const uintptr_t end = g_mapping_end[i].load(std::memory_order_relaxed);
    if (start == 0 || addr < start || addr >= end) continue;
    if (addr < start + PageSize() || addr >= end - PageSize()) {
      Say("hvdb cuda emulation: an access outside every device allocation (a guard page: past an allocation's end "
          "or before its start)\n");
    } else {
      Say("hvdb cuda emulation: host code touched device memory (outside a copy or a kernel)\n");
    }
    break;
  }
  // The handler that was there before takes the fault when the access
  // repeats (a sanitizer's report, or the default: the process dies).
  ::sigaction(signal, &g_previous_action, nullptr);
}

void WatchFaults() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_sigaction = OnFault;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGSEGV, &action, &g_previous_action);
    return true;
  }();
  (void)installed;
}

void AddMapping(const Allocation& a) {
  const auto start = reinterpret_cast<uintptr_t>(a.mapping);
  for (size_t i = 0; i < kMaxMappings; ++i) {
    if (g_mapping_start[i].load() == 0) {
      g_mapping_end[i].store(start + a.pages_bytes + 2 * PageSize());
      g_mapping_start[i].store(start);
      return;
    }
  }
}

void RemoveMapping(const Allocation& a) {
  for (size_t i = 0; i < kMaxMappings; ++i) {
    if (g_mapping_start[i].load() == reinterpret_cast<uintptr_t>(a.mapping)) g_mapping_start[i].store(0);
  }
}

thread_local int t_device = 0;
thread_local cudaError_t t_last_error = cudaSuccess;

}  // namespace

int CurrentDevice() { return t_device; }

namespace {
// The device allocation a block thread's last __ldg was checked against
// (cleared at each kernel: ForgetGlobalLoads).
thread_local uintptr_t t_checked_begin = 0, t_checked_end = 0;
}  // namespace

void CheckGlobalLoad(const void* p, size_t bytes, size_t alignment) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  if (addr % alignment != 0) {
    char text[160];
    std::snprintf(text, sizeof text, "hvdb cuda emulation: __ldg of %p, not %zu-byte aligned (a GPU faults)\n", p,
                  alignment);
    Say(text);
    std::abort();
  }
  if (addr >= t_checked_begin && addr + bytes <= t_checked_end) return;
  Memory& m = Mem();
  std::lock_guard lock(m.mu);
  if (const Allocation* a = FindDevice(m, p, bytes)) {
    t_checked_begin = reinterpret_cast<uintptr_t>(a->data);
    t_checked_end = t_checked_begin + a->bytes;
    return;
  }
  char text[200];
  if (InDeviceMapping(m, p)) {
    std::snprintf(text, sizeof text,
                  "hvdb cuda emulation: __ldg of %p, outside every device allocation (past an allocation's end or "
                  "before its start)\n",
                  p);
  } else {
    std::snprintf(text, sizeof text,
                  "hvdb cuda emulation: __ldg of %p, which is not device memory (__ldg reads global memory only: "
                  "shared or host memory faults on a GPU)\n",
                  p);
  }
  Say(text);
  std::abort();
}

void ForgetGlobalLoads() { t_checked_begin = t_checked_end = 0; }

void CheckKernelPointer(const char* kernel, const void* p) {
  if (p == nullptr) return;
  Memory& m = Mem();
  std::lock_guard lock(m.mu);
  if (FindDevice(m, p, 0) != nullptr) return;
  char text[200];
  std::snprintf(text, sizeof text,
                "hvdb cuda emulation: %s launched with %p, which is not device memory (a kernel reads and writes "
                "device memory only)\n",
                kernel, p);
  Say(text);
  std::abort();
}

cudaError_t Fail(cudaError_t err) {
  if (err != cudaSuccess) t_last_error = err;
  return err;
}

DeviceAccess::DeviceAccess() {
  Memory& m = Mem();
  std::lock_guard lock(m.mu);
  if (m.access++ == 0) {
    for (const auto& [start, a] : m.device) Protect(a, true);
  }
}

DeviceAccess::~DeviceAccess() {
  Memory& m = Mem();
  std::lock_guard lock(m.mu);
  if (--m.access == 0) {
    for (const auto& [start, a] : m.device) Protect(a, false);
  }
}

}  // namespace hvdb::cuda_emulation

using hvdb::cuda_emulation::Fail;
using hvdb::cuda_emulation::Mem;

cudaError_t cudaGetDeviceCount(int* count) {
  *count = hvdb::cuda_emulation::DeviceCount();
  return *count == 0 ? Fail(cudaErrorNoDevice) : cudaSuccess;  // as the CUDA runtime does
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device < 0 || device >= hvdb::cuda_emulation::DeviceCount()) return Fail(cudaErrorInvalidDevice);
  *prop = {};
  std::snprintf(prop->name, sizeof prop->name, "cuda-emulated (CPU threads, test machinery)");
  prop->totalGlobalMem = hvdb::cuda_emulation::kDeviceMemory;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = hvdb::cuda_emulation::kMultiprocessors;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= hvdb::cuda_emulation::DeviceCount()) return Fail(cudaErrorInvalidDevice);
  hvdb::cuda_emulation::t_device = device;
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  auto& m = Mem();
  std::lock_guard lock(m.mu);
  *total_bytes = hvdb::cuda_emulation::kDeviceMemory;
  *free_bytes = *total_bytes - m.used[hvdb::cuda_emulation::t_device];
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** p, size_t bytes) {
  using namespace hvdb::cuda_emulation;
  *p = nullptr;
  if (bytes == 0) return cudaSuccess;
  Memory& m = Mem();
  std::lock_guard lock(m.mu);
  const int device = t_device;
  if (bytes > kDeviceMemory - m.used[device]) return Fail(cudaErrorMemoryAllocation);
  Allocation a;
  a.pages_bytes = RoundUp(bytes, PageSize());
  void* mapping = ::mmap(nullptr, a.pages_bytes + 2 * PageSize(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) return Fail(cudaErrorMemoryAllocation);
  a.mapping = static_cast<char*>(mapping);
  a.bytes = bytes;
  a.data = a.mapping + PageSize() + a.pages_bytes - RoundUp(bytes, 8);
  a.device = device;
  if (m.access > 0) Protect(a, true);
  WatchFaults();
  AddMapping(a);  // under mu: slots are taken one at a time
  m.used[device] += bytes;
  m.device.emplace(reinterpret_cast<uintptr_t>(a.mapping), a);
  *p = a.data;
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  using namespace hvdb::cuda_emulation;
  if (p == nullptr) return cudaSuccess;
  int device = -1;
  {
    Memory& m = Mem();
    std::lock_guard lock(m.mu);
    const Allocation* a = FindDevice(m, p, 1);
    if (a == nullptr || a->data != p) return Fail(cudaErrorInvalidDevicePointer);
    device = a->device;
  }
  WaitForDevice(device);  // CUDA's cudaFree waits for the device's work
  Memory& m = Mem();
  std::lock_guard lock(m.mu);
  const Allocation* a = FindDevice(m, p, 1);
  if (a == nullptr || a->data != p) return Fail(cudaErrorInvalidDevicePointer);  // freed meanwhile
  const Allocation gone = *a;
  m.device.erase(reinterpret_cast<uintptr_t>(gone.mapping));
  RemoveMapping(gone);
  m.used[gone.device] -= gone.bytes;
  ::munmap(gone.mapping, gone.pages_bytes + 2 * PageSize());
  return cudaSuccess;
}

cudaError_t cudaHostAlloc(void** p, size_t bytes, unsigned /*flags*/) {
  auto& m = Mem();
  *p = std::aligned_alloc(64, hvdb::cuda_emulation::RoundUp(std::max<size_t>(bytes, 1), 64));
  if (*p == nullptr) return Fail(cudaErrorMemoryAllocation);
  std::lock_guard lock(m.mu);
  m.pinned.emplace(reinterpret_cast<uintptr_t>(*p), bytes);
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** p, size_t bytes) { return cudaHostAlloc(p, bytes, 0); }

cudaError_t cudaFreeHost(void* p) {
  if (p == nullptr) return cudaSuccess;
  for (int d = 0; d < hvdb::cuda_emulation::DeviceCount(); ++d) hvdb::cuda_emulation::WaitForDevice(d);
  auto& m = Mem();
  {
    std::lock_guard lock(m.mu);
    if (m.pinned.erase(reinterpret_cast<uintptr_t>(p)) == 0) return Fail(cudaErrorInvalidValue);
  }
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  if (bytes == 0) return cudaSuccess;
  if (const cudaError_t err = hvdb::cuda_emulation::CheckCopy(dst, src, bytes, kind); err != cudaSuccess) {
    return Fail(err);
  }
  hvdb::cuda_emulation::Enqueue(stream, [dst, src, bytes] {
    hvdb::cuda_emulation::DeviceAccess access;
    std::memcpy(dst, src, bytes);
  });
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  const cudaError_t err = cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
  hvdb::cuda_emulation::Wait(nullptr);  // on the default stream, after its earlier work, and waited for
  return err;
}

cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  {
    auto& m = Mem();
    std::lock_guard lock(m.mu);
    if (hvdb::cuda_emulation::FindDevice(m, p, bytes) == nullptr) return Fail(cudaErrorInvalidValue);
  }
  hvdb::cuda_emulation::Enqueue(nullptr, [p, value, bytes] {
    hvdb::cuda_emulation::DeviceAccess access;
    std::memset(p, value, bytes);
  });
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  const cudaError_t err = hvdb::cuda_emulation::t_last_error;
  hvdb::cuda_emulation::t_last_error = cudaSuccess;
  return err;
}

const char* cudaGetErrorString(cudaError_t err) {
  switch (err) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
  }
  return "unknown error";
}
