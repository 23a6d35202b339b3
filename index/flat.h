// Copyright hvdb authors. The flat index: every row scanned with the CPU
// kernels. Exact; nothing to build, keep in step or save.
#ifndef HVDB_INDEX_FLAT_H_
#define HVDB_INDEX_FLAT_H_

#include "index/index.h"

namespace hvdb::index {

class FlatIndex final : public Index {
 public:
  IndexKind kind() const override { return IndexKind::kFlat; }
  uint64_t memory_bytes() const override { return 0; }
  std::string Declines(const RowsView&, const SearchRequest&) const override { return {}; }
  Status Search(const RowsView& rows, const SearchRequest& request, SearchResult* result) const override;
  void Appended(const RowsView&, size_t) override {}
  void Overwritten(const RowsView&, uint32_t) override {}
  void Removing(const RowsView&, uint32_t) override {}
  void Compacting(const RowsView&) override {}

  static const IndexType kType;
};

}  // namespace hvdb::index

#endif  // HVDB_INDEX_FLAT_H_
