// Copyright hvdb authors. The open database behind hvdb.Database and every
// handle made from it (collections, batches, iterators).
//
// Lock rules: a call runs with the GIL released and `mu` held shared, so
// threads search and write in parallel; close() takes `mu` exclusively, so
// it waits for running calls and no call starts on a closed database. Code
// holding `mu` never takes the GIL, so the two never wait on each other.
#ifndef HVDB_PYTHON_DATABASE_H_
#define HVDB_PYTHON_DATABASE_H_

#include <memory>
#include <set>
#include <string>
#include <utility>

#include "base/mutex.h"
#include "hvdb/db.h"
#include "python/src/common.h"

namespace hvdb::python {

class ItemIterator;

struct State {
  ~State();
  // Closes the database once; later calls are no-ops. Iterators still open
  // are ended first (their next() then raises Unavailable).
  void Close() HVDB_EXCLUDES(mu, iterators_mu);

  SharedMutex mu HVDB_ACQUIRED_BEFORE(iterators_mu);
  std::unique_ptr<DB> db HVDB_GUARDED_BY(mu);  // null once closed
  std::string path;
  WriteOptions write;  // every write through this database
  Mutex iterators_mu;
  std::set<ItemIterator*> iterators HVDB_GUARDED_BY(iterators_mu);
};

// Runs f(DB&) with the GIL released and the database held open;
// Unavailable when it was closed.
template <typename F>
auto RunOn(State& state, F&& f) HVDB_EXCLUDES(state.mu) {
  nb::gil_scoped_release release;
  ReaderLock lock(state.mu);
  if (!state.db) throw StatusError(Status::Unavailable("database '" + state.path + "' is closed"));
  return std::forward<F>(f)(*state.db);
}

void DefineDatabase(nb::module_& m);
// hvdb.Collection, its batches, iterators and results.
void DefineCollection(nb::module_& m);
// A handle on collection `name` of an open database.
nb::object MakeCollection(std::shared_ptr<State> state, const std::string& name, KeyType keys);
// IndexOptions of `kind` ("flat", "prefix", "ivf", "hnsw") with the knobs
// given by name (the IndexOptions field names); InvalidArgument naming an
// unknown knob.
IndexOptions IndexFrom(const std::string& kind, const nb::kwargs& knobs, IndexOptions base = {});

}  // namespace hvdb::python

#endif  // HVDB_PYTHON_DATABASE_H_
