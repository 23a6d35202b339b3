// Copyright hvdb authors. The table of index kinds: adding a kind adds a line.
#include "index/flat.h"
#include "index/hnsw.h"
#include "index/index.h"
#include "index/ivf.h"
#include "index/prefix.h"

namespace hvdb::index {

const IndexType& TypeOf(IndexKind kind) {
  static const IndexType* const kTypes[] = {&FlatIndex::kType, &PrefixIndex::kType, &IvfIndex::kType, &HnswIndex::kType};
  for (const IndexType* type : kTypes) {
    if (type->kind == kind) return *type;
  }
  return FlatIndex::kType;  // unreachable for the kinds of kAllIndexKinds (registry_test checks each)
}

}  // namespace hvdb::index
