// Copyright hvdb authors.
#include "db/host_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "kernels/device/search_device.h"

namespace hvdb::db {
namespace {

size_t PageSize() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

size_t RoundUp(size_t bytes, size_t unit) { return (bytes + unit - 1) / unit * unit; }

}  // namespace

HostBuffer::~HostBuffer() {
  if (data_ == nullptr) return;
  if (pinned_) kernels::FreePinned(data_);
  else ::munmap(data_, capacity_);
}

Status HostBuffer::Reserve(size_t bytes) {
  if (bytes <= capacity_) return Status::OK();
  if (want_pinned_ && (data_ == nullptr || pinned_)) {
    const size_t grown = RoundUp(std::max(bytes, capacity_ + capacity_ / 2), PageSize());
    if (void* p = kernels::AllocatePinned(grown)) {
      if (data_ != nullptr) {
        std::memcpy(p, data_, capacity_);
        kernels::FreePinned(data_);
      }
      data_ = static_cast<char*>(p);
      capacity_ = grown;
      pinned_ = true;
      return Status::OK();
    }
    if (pinned_) return Status::ResourceExhausted("cannot allocate " + std::to_string(grown) + " bytes of pinned memory");
    want_pinned_ = false;  // no device: ordinary memory from now on
  }
  // Address space is cheap: reserve in powers of two so growth is rare.
  size_t grown = std::max<size_t>(capacity_, size_t{1} << 21);
  while (grown < bytes) grown *= 2;
  void* p;
  if (data_ == nullptr) {
    p = ::mmap(nullptr, grown, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  } else {
    p = ::mremap(data_, capacity_, grown, MREMAP_MAYMOVE);
  }
  if (p == MAP_FAILED) {
    return Status::ResourceExhausted("cannot reserve " + std::to_string(grown) + " bytes of memory: " +
                                     std::strerror(errno));
  }
  data_ = static_cast<char*>(p);
  capacity_ = grown;
  // Scans stream the whole arena: with 4 KiB pages every page costs a TLB
  // miss, and a one-query scan of 1M x 2048 bits runs 20-40% slower
  // (docs/perf.md). Transparent huge pages where the kernel offers them.
  if (huge_pages_) (void)::madvise(data_, capacity_, MADV_HUGEPAGE);
  return Status::OK();
}

void HostBuffer::Populate(size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  if (pinned_ || data_ == nullptr) return;
  const size_t length = std::min(RoundUp(bytes, PageSize()), capacity_);
  if (length > 0) (void)::madvise(data_, length, MADV_POPULATE_WRITE);
#else
  (void)bytes;
#endif
}

void HostBuffer::Shrink(size_t bytes) {
  if (pinned_ || data_ == nullptr) return;
  const size_t keep = RoundUp(bytes, PageSize());
  if (keep < capacity_) ::madvise(data_ + keep, capacity_ - keep, MADV_DONTNEED);
}

}  // namespace hvdb::db
