// Copyright hvdb authors.
#include "python/src/iterator.h"

#include <cstring>
#include <vector>

namespace hvdb::python {

ItemIterator::ItemIterator(std::shared_ptr<State> state, const Collection* collection, size_t dim, KeyType keys,
                           bool with_vectors)
    : state_(std::move(state)), keys_(keys), with_vectors_(with_vectors), dim_(dim) {
  nb::gil_scoped_release release;
  ReaderLock lock(state_->mu);
  if (!state_->db) throw StatusError(Status::Unavailable("database '" + state_->path + "' is closed"));
  {
    MutexLock next_lock(next_mu_);
    it_ = collection->NewIterator();
    it_->SeekToFirst();
  }
  MutexLock iterators_lock(state_->iterators_mu);
  state_->iterators.insert(this);
}

ItemIterator::~ItemIterator() {
  // The snapshot is released while the database is surely open: Close() ends
  // it under the exclusive lock, or this does under the shared one (whose
  // holders never wait for the GIL).
  ReaderLock lock(state_->mu);
  {
    MutexLock iterators_lock(state_->iterators_mu);
    state_->iterators.erase(this);
  }
  MutexLock next_lock(next_mu_);
  it_.reset();
}

void ItemIterator::Close() {
  nb::gil_scoped_release release;
  ReaderLock lock(state_->mu);
  MutexLock next_lock(next_mu_);
  it_.reset();
}

nb::object ItemIterator::Next() {
  std::string key;
  RowsOut vector(1, dim_);
  bool more = false;
  {
    nb::gil_scoped_release release;
    ReaderLock lock(state_->mu);
    MutexLock next_lock(next_mu_);
    if (!it_) {
      throw StatusError(Status::Unavailable(state_->db ? "the iterator was closed"
                                                       : "database '" + state_->path + "' was closed while iterating"));
    }
    if (it_->Valid()) {
      more = true;
      key.assign(it_->key());
      if (with_vectors_) std::memcpy(vector.words(), it_->vector().data(), dim_ / 8);
      it_->Next();
    } else {
      Check(it_->status());
    }
  }
  if (!more) throw nb::stop_iteration();
  nb::object k = KeyOut(key, keys_);
  if (!with_vectors_) return k;
  return nb::make_tuple(k, vector.Release(/*single=*/true, /*unpack=*/false));
}

void DefineIterator(nb::module_& m) {
  nb::class_<ItemIterator>(m, "CollectionIterator",
                           "Iterates a snapshot of a collection in insertion order (writes after it began are not "
                           "seen): (key, vector) pairs, or keys from Collection.keys().")
      .def("__iter__", [](nb::handle self) { return nb::borrow(self); },
           nb::sig("def __iter__(self) -> CollectionIterator"))
      .def("__next__", &ItemIterator::Next,
           nb::sig("def __next__(self) -> tuple[str | bytes | int, numpy.ndarray] | str | bytes | int"))
      .def("close", &ItemIterator::Close,
           "Releases the snapshot now rather than when the iterator is collected; next() then raises Unavailable.");
}

}  // namespace hvdb::python
