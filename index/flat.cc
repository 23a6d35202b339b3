// Copyright hvdb authors.
#include "index/flat.h"

namespace hvdb::index {
namespace {

Status Validate(const IndexOptions&, size_t) { return Status::OK(); }

Result<std::unique_ptr<Index>> Build(const IndexOptions&, const RowsView&, const kernels::ScanOptions&,
                                     const BuildProgress&) {
  return std::unique_ptr<Index>(new FlatIndex());
}

}  // namespace

const IndexType FlatIndex::kType{IndexKind::kFlat, StateHome::kNone, Validate, Build, nullptr};

Status FlatIndex::Search(const RowsView& rows, const SearchRequest& request, SearchResult* result) const {
  const kernels::ScanInput input{request.queries, request.nq, rows};
  result->rows_scanned = uint64_t{request.nq} * rows.n;
  if (request.k == 0) {
    result->hits.assign(request.nq, {});
    return kernels::WithinRadius(input, *request.max_distance, result->hits.data(), request.scan);
  }
  const size_t k = std::min(request.k, rows.n);
  if (k == 0) {
    result->hits.assign(request.nq, {});
    return Status::OK();
  }
  std::vector<kernels::Neighbor> slots(request.nq * k);
  HVDB_RETURN_IF_ERROR(kernels::TopK(input, k, slots.data(), request.scan));
  result->hits = kernels::UnpackTopK(slots.data(), request.nq, k, request.max_distance);
  return Status::OK();
}

const Index& FlatScan() {
  static const FlatIndex flat;
  return flat;
}

}  // namespace hvdb::index
