// Copyright hvdb authors. The prefix index: the first prefix_bits of every
// row in an array of their own, scanned first; the best candidates x k rows
// by prefix are then reranked with their full vectors.
//
// The array mirrors the cache row for row (deleted rows keep their slot until
// compaction, and the cache's tombstones hide them), so it costs
// prefix_bits / dim of the rows' memory. Not exact: a row whose prefix is far
// but whose whole vector is near can be missed; asking for at least as many
// candidates as live rows (or exact) scans flat instead.
#ifndef HVDB_INDEX_PREFIX_H_
#define HVDB_INDEX_PREFIX_H_

#include <vector>

#include "index/index.h"

namespace hvdb::index {

class PrefixIndex final : public Index {
 public:
  // prefix_words: words kept per row; candidates: rows reranked per hit
  // wanted when a search does not say.
  PrefixIndex(size_t prefix_words, size_t candidates);

  IndexKind kind() const override { return IndexKind::kPrefix; }
  uint64_t memory_bytes() const override { return prefixes_.size() * 8; }
  size_t prefix_words() const { return prefix_words_; }
  std::string Declines(const RowsView& rows, const SearchRequest& request) const override;
  Status Search(const RowsView& rows, const SearchRequest& request, SearchResult* result) const override;
  Status Reserve(size_t rows) override;
  void Appended(const RowsView& rows, size_t first) override;
  void Overwritten(const RowsView& rows, uint32_t row) override;
  void Removing(const RowsView&, uint32_t) override {}
  void Compacting(const RowsView& before) override;

  static const IndexType kType;

 private:
  // Candidates per query for `request`.
  size_t CandidatesFor(const SearchRequest& request) const;

  size_t prefix_words_;
  size_t candidates_;
  std::vector<uint64_t> prefixes_;  // rows x prefix_words_, the cache's rows in order
};

}  // namespace hvdb::index

#endif  // HVDB_INDEX_PREFIX_H_
