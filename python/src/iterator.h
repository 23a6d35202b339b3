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
// when the database closes, or by close(): next() then raises Unavailable.
// Threads may share one: next() calls take turns (next_mu_).
class ItemIterator {
 public:
  // Raises Unavailable when the database is closed. `collection` is only
  // touched once the database is known to be open.
  ItemIterator(std::shared_ptr<State> state, const Collection* collection, size_t dim, KeyType keys,
               bool with_vectors);
  ~ItemIterator();
  ItemIterator(const ItemIterator&) = delete;
  ItemIterator& operator=(const ItemIterator&) = delete;

  // (key, vector), or the key alone; raises StopIteration at the end.
  nb::object Next();
  // Releases the snapshot now (close()); next() then raises Unavailable.
  void Close();
  // Called by State::Close, which holds the database's lock exclusively.
  void End() HVDB_EXCLUDES(next_mu_) {
    MutexLock lock(next_mu_);
    it_.reset();
  }

 private:
  std::shared_ptr<State> state_;
  Mutex next_mu_;  // after state_->mu and state_->iterators_mu
  std::unique_ptr<Iterator> it_ HVDB_GUARDED_BY(next_mu_);
  KeyType keys_;
  bool with_vectors_;
  size_t dim_;
};

void DefineIterator(nb::module_& m);

}  // namespace hvdb::python

#endif  // HVDB_PYTHON_ITERATOR_H_
