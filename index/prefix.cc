// Copyright hvdb authors.
#include "index/prefix.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace hvdb::index {
namespace {

Status Validate(const IndexOptions& options, size_t dim) {
  if (options.prefix_bits == 0 || options.prefix_bits % 64 != 0 || options.prefix_bits >= dim) {
    return Status::InvalidArgument("prefix index: prefix_bits " + std::to_string(options.prefix_bits) +
                                   " must be a multiple of 64 below dim " + std::to_string(dim));
  }
  if (options.prefix_candidates == 0 || options.prefix_candidates > kernels::kMaxK) {
    return Status::InvalidArgument("prefix index: prefix_candidates must be in [1, " +
                                   std::to_string(kernels::kMaxK) + "]");
  }
  return Status::OK();
}

Result<std::unique_ptr<Index>> Build(const IndexOptions& options, const RowsView& rows, const kernels::ScanOptions&,
                                     const BuildProgress&) {
  auto index = std::make_unique<PrefixIndex>(options.prefix_bits / 64, options.prefix_candidates);
  HVDB_RETURN_IF_ERROR(index->Reserve(rows.n));
  index->Appended(rows, 0);
  return std::unique_ptr<Index>(std::move(index));
}

}  // namespace

const IndexType PrefixIndex::kType{IndexKind::kPrefix, StateHome::kNone, Validate, Build, nullptr};

PrefixIndex::PrefixIndex(size_t prefix_words, size_t candidates)
    : prefix_words_(prefix_words), candidates_(candidates) {}

size_t PrefixIndex::CandidatesFor(const SearchRequest& request) const {
  return request.k * (request.candidates ? request.candidates : candidates_);
}

std::string PrefixIndex::Declines(const RowsView& rows, const SearchRequest& request) const {
  if (request.k == 0) return "prefix index: a radius search (k = 0) scans every row";
  const size_t candidates = CandidatesFor(request);
  if (candidates > kernels::kMaxK) {
    return "prefix index: " + std::to_string(candidates) + " candidates per query are above " +
           std::to_string(kernels::kMaxK);
  }
  if (candidates >= LiveRows(rows)) {
    return "prefix index: " + std::to_string(candidates) + " candidates per query cover every live row";
  }
  return {};
}

Status PrefixIndex::Search(const RowsView& rows, const SearchRequest& request, SearchResult* result) const {
  const size_t nq = request.nq, words = rows.words, candidates = CandidatesFor(request);
  // Stage 1: the nearest `candidates` rows by their prefixes.
  std::vector<uint64_t> query_prefixes(nq * prefix_words_);
  for (size_t q = 0; q < nq; ++q) {
    std::memcpy(query_prefixes.data() + q * prefix_words_, request.queries + q * words, prefix_words_ * 8);
  }
  const kernels::ScanInput input{query_prefixes.data(), nq, {prefixes_.data(), rows.n, prefix_words_, rows.tombstones}};
  std::vector<kernels::Neighbor> found(nq * candidates);
  HVDB_RETURN_IF_ERROR(kernels::TopK(input, candidates, found.data(), request.scan));
  // Stage 2: rerank them by the full vectors, in the order of every scan.
  const kernels::Simd simd = request.scan.simd.value_or(kernels::BestSupportedSimd());
  result->hits.assign(nq, {});
  for (size_t q = 0; q < nq; ++q) {
    std::vector<kernels::Neighbor>& hits = result->hits[q];
    for (size_t i = 0; i < candidates; ++i) {
      const uint64_t row = found[q * candidates + i].row;
      if (row == kernels::kNoRow) break;
      const uint32_t d = kernels::HammingDistance(request.queries + q * words, rows.row(row), words, simd);
      if (!request.max_distance || d <= *request.max_distance) hits.push_back({row, d});
    }
    kernels::MergeHits(&hits, request.k);
  }
  result->rows_scanned = uint64_t{nq} * rows.n;
  result->candidates_reranked = uint64_t{nq} * candidates;
  return Status::OK();
}

Status PrefixIndex::Reserve(size_t rows) {
  const size_t words = rows * prefix_words_;
  if (words <= prefixes_.capacity()) return Status::OK();
  try {
    // Geometric growth: writers reserve one row at a time.
    prefixes_.reserve(std::max(words, prefixes_.capacity() + prefixes_.capacity() / 2));
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("prefix index: cannot hold the prefixes of " + std::to_string(rows) + " rows");
  }
  return Status::OK();
}

void PrefixIndex::Appended(const RowsView& rows, size_t first) {
  prefixes_.resize(rows.n * prefix_words_);  // within Reserve's room
  for (size_t r = first; r < rows.n; ++r) std::memcpy(&prefixes_[r * prefix_words_], rows.row(r), prefix_words_ * 8);
}

void PrefixIndex::Overwritten(const RowsView& rows, uint32_t row) {
  std::memcpy(&prefixes_[size_t{row} * prefix_words_], rows.row(row), prefix_words_ * 8);
}

void PrefixIndex::Compacting(const RowsView& before) {
  size_t next = 0;
  for (size_t r = 0; r < before.n; ++r) {
    if (before.deleted(r)) continue;
    if (next != r) std::memmove(&prefixes_[next * prefix_words_], &prefixes_[r * prefix_words_], prefix_words_ * 8);
    ++next;
  }
  prefixes_.resize(next * prefix_words_);
}

}  // namespace hvdb::index
