// Copyright hvdb authors. A growable, 64-byte aligned, contiguous host buffer.
//
// Ordinary buffers are anonymous mappings: capacity is reserved as address
// space and pages become resident only when written, so a buffer costs what it
// holds, and growing it moves page tables (mremap), never bytes. Pinned buffers
// (kernels::AllocatePinned, for fast device copies) are allocated whole and
// copied when they grow by 1.5x.
//
// Growing may move data(): REQUIRES that no other thread uses the buffer
// during Reserve or Shrink.
#ifndef HVDB_DB_HOST_BUFFER_H_
#define HVDB_DB_HOST_BUFFER_H_

#include <cstddef>

#include "hvdb/status.h"

namespace hvdb::db {

class HostBuffer {
 public:
  // pinned: page-locked when a CUDA device is present. huge_pages: ask for
  // transparent huge pages (for buffers scanned end to end).
  explicit HostBuffer(bool pinned = false, bool huge_pages = false)
      : want_pinned_(pinned), huge_pages_(huge_pages) {}
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  ~HostBuffer();

  // Makes capacity() >= bytes; contents kept. ResourceExhausted when the
  // memory cannot be had.
  Status Reserve(size_t bytes);
  // Returns the pages beyond the first `bytes` to the system (contents there
  // are lost; capacity stays).
  void Shrink(size_t bytes);

  // Makes the first `bytes` resident now (a hint: ignored where the kernel
  // cannot, and for pinned memory, which is resident anyway).
  void Populate(size_t bytes);

  char* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  // Whether the memory is page-locked (a CUDA device was present).
  bool pinned() const { return pinned_; }

 private:
  bool want_pinned_;
  bool huge_pages_;
  bool pinned_ = false;
  char* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace hvdb::db

#endif  // HVDB_DB_HOST_BUFFER_H_
