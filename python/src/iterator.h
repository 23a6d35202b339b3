// Copyright hvdb authors. Iteration over a collection: for key, vector in
// collection, and collection.keys().
#ifndef HVDB_PYTHON_ITERATOR_H_
#define HVDB_PYTHON_ITERATOR_H_

#include <memory>
#include <string>

#include "python/src/common.h"
#include "python/src/database.h"

namespace hvdb::python {

// A snapshot of the collection as of its creation (hvdb::Iterator). It ends
// when the database closes: next() then raises Unavailable.
class ItemIterator {
 public:
  ItemIterator(std::shared_ptr<State> state, const Collection* collection, KeyType keys, bool with_vectors);
  ~ItemIterator();
  ItemIterator(const ItemIterator&) = delete;
  ItemIterator& operator=(const ItemIterator&) = delete;

  // (key, vector), or the key alone; raises StopIteration at the end.
  nb::object Next();
  // Called by State::Close with state_->mu held exclusively (the analysis
  // cannot see that Close's `mu` is this iterator's state_->mu).
  void End() HVDB_NO_THREAD_SAFETY_ANALYSIS { it_.reset(); }

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Iterator> it_ HVDB_GUARDED_BY(state_->mu);
  KeyType keys_;
  bool with_vectors_;
  size_t dim_;
};

void DefineIterator(nb::module_& m);

}  // namespace hvdb::python

#endif  // HVDB_PYTHON_ITERATOR_H_
