// Copyright hvdb authors. hvdb.open and hvdb.Database.
#include "python/src/database.h"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cmath>

#include "python/src/iterator.h"

namespace hvdb::python {

State::~State() {
  // The last handle went away: close without holding up other Python threads
  // (closing flushes and joins RocksDB's background work).
  if (PyGILState_Check()) {
    nb::gil_scoped_release release;
    Close();
  } else {
    Close();
  }
}

void State::Close() {
  WriterLock lock(mu);
  {
    MutexLock iterators_lock(iterators_mu);
    for (ItemIterator* it : iterators) it->End();
    iterators.clear();
  }
  db.reset();
}

IndexOptions IndexFrom(const std::string& kind, const nb::kwargs& knobs, IndexOptions base) {
  base.kind = Take(ParseIndexKind(kind));
  for (auto item : knobs) {
    const std::string name = nb::cast<std::string>(item.first);
    const nb::handle value = item.second;
    auto count = [&](size_t* field) {
      int64_t v = 0;
      // Python and numpy integers; not bools, floats or strings.
      if (PyBool_Check(value.ptr()) || !PyIndex_Check(value.ptr()) ||
          !nb::try_cast(nb::steal(PyNumber_Index(value.ptr())), v)) {
        PyErr_Clear();
        Fail(name + " = " + nb::repr(value).c_str() + " is not an integer");
      }
      if (v < 0) Fail(name + " = " + std::to_string(v) + " is negative");
      *field = static_cast<size_t>(v);
    };
    if (name == "prefix_bits") count(&base.prefix_bits);
    else if (name == "prefix_candidates") count(&base.prefix_candidates);
    else if (name == "ivf_nlist") count(&base.ivf_nlist);
    else if (name == "ivf_nprobe") count(&base.ivf_nprobe);
    else if (name == "ivf_iterations") count(&base.ivf_iterations);
    else if (name == "ivf_retrain_imbalance") {
      if (!nb::try_cast(value, base.ivf_retrain_imbalance)) Fail(name + " = " + nb::repr(value).c_str() + " is not a number");
    }
    else if (name == "hnsw_m") count(&base.hnsw_m);
    else if (name == "hnsw_ef_construction") count(&base.hnsw_ef_construction);
    else if (name == "hnsw_ef_search") count(&base.hnsw_ef_search);
    else {
      Fail("index option '" + name +
           "' is unknown (prefix_bits, prefix_candidates, ivf_nlist, ivf_nprobe, ivf_iterations, "
           "ivf_retrain_imbalance, hnsw_m, hnsw_ef_construction, hnsw_ef_search)");
    }
  }
  return base;
}

namespace {

// hvdb.Database: what hvdb.open returns.
class Database {
 public:
  explicit Database(std::shared_ptr<State> state) : state_(std::move(state)) {}

  nb::object CreateCollection(const std::string& name, size_t dim, nb::handle keys,
                              std::optional<uint64_t> item_memory_seed, double compact_threshold,
                              const std::string& index, const nb::kwargs& knobs) {
    const KeyType key_type = KeyTypeFrom(keys);
    const CollectionOptions options{.dim = dim,
                                    .item_memory_seed = item_memory_seed,
                                    .compact_threshold = compact_threshold,
                                    .index = IndexFrom(index, knobs)};
    Check(RunOn(*state_, [&](DB& db) { return db.CreateCollection(name, options); }));
    return MakeCollection(state_, name, key_type);
  }
  nb::object Collection(const std::string& name, nb::handle keys) {
    return MakeCollection(state_, name, KeyTypeFrom(keys));
  }
  bool Contains(const std::string& name) {
    return RunOn(*state_, [&](DB& db) {
      hvdb::Collection* c = nullptr;
      return db.GetCollection(name, &c).ok();
    });
  }
  std::vector<std::string> Collections() {
    return RunOn(*state_, [](DB& db) { return db.ListCollections(); });
  }
  void Drop(const std::string& name) {
    Check(RunOn(*state_, [&](DB& db) { return db.DropCollection(name); }));
  }
  void Checkpoint(const std::string& dir) {
    Check(RunOn(*state_, [&](DB& db) { return db.Checkpoint(dir); }));
  }
  void Verify() {
    Check(RunOn(*state_, [](DB& db) { return db.Verify(); }));
  }
  void Resume() {
    Check(RunOn(*state_, [](DB& db) { return db.Resume(); }));
  }
  uint64_t ItemMemorySeed() {
    return RunOn(*state_, [](DB& db) { return db.item_memory_seed(); });
  }
  void Close() {
    nb::gil_scoped_release release;
    state_->Close();
  }
  bool closed() {
    nb::gil_scoped_release release;
    ReaderLock lock(state_->mu);
    return state_->db == nullptr;
  }
  const std::string& path() const { return state_->path; }

 private:
  std::shared_ptr<State> state_;
};

Database Open(nb::handle path_object, bool create_if_missing, bool error_if_exists, bool read_only,
              size_t write_buffer_bytes, int background_jobs, uint64_t gpu_memory_bytes,
              std::optional<uint64_t> item_memory_seed, bool sync) {
  auto state = std::make_shared<State>();
  state->path = PathIn(path_object, "path");
  state->write.sync = sync;
  const Options options{.create_if_missing = create_if_missing,
                        .error_if_exists = error_if_exists,
                        .write_buffer_bytes = write_buffer_bytes,
                        .background_jobs = background_jobs,
                        .read_only = read_only,
                        .gpu_memory_bytes = gpu_memory_bytes,
                        .item_memory_seed = item_memory_seed};
  {
    nb::gil_scoped_release release;
    Check(DB::Open(options, state->path, &state->db));
  }
  return Database(std::move(state));
}

}  // namespace

void DefineDatabase(nb::module_& m) {
  nb::class_<Database>(m, "Database",
                       "An open hvdb database: a directory of collections. Made by hvdb.open; a context manager "
                       "(closed on leaving the with block). Thread safe: threads may share it, and calls release "
                       "the GIL. Collection handles keep it open until close() or until every handle is gone.")
      .def("create_collection", &Database::CreateCollection, nb::arg("name"), nb::arg("dim"), nb::kw_only(),
           nb::arg("keys") = nb::borrow(reinterpret_cast<PyObject*>(&PyUnicode_Type)),
           nb::arg("item_memory_seed") = nb::none(), nb::arg("compact_threshold") = 0.10,
           nb::arg("index") = "flat", nb::arg("index_options"),
           nb::sig("def create_collection(self, name: str, dim: int, *, keys: type = str, item_memory_seed: int | None = None, "
                   "compact_threshold: float = 0.1, index: str = 'flat', **index_options: int | float) -> Collection"),
           "Creates collection `name` of `dim`-bit vectors (a multiple of 64) and returns a handle on it.\n\n"
           "keys: how keys read back (str, bytes or int; see Collection). index: 'flat', 'prefix', 'ivf' or "
           "'hnsw', with index_options named as hvdb's IndexOptions fields (ivf_nlist=256, hnsw_m=16, ...).\n"
           "Raises AlreadyExists when it exists, InvalidArgument on a bad name or option.")
      .def("collection", &Database::Collection, nb::arg("name"),
           nb::arg("keys") = nb::borrow(reinterpret_cast<PyObject*>(&PyUnicode_Type)),
           nb::sig("def collection(self, name: str, keys: type = str) -> Collection"),
           "A handle on collection `name`; keys read back as `keys` (str, bytes or int). Raises NotFound.")
      .def("__getitem__", [](Database& d, const std::string& name) {
        return d.Collection(name, reinterpret_cast<PyObject*>(&PyUnicode_Type));
      }, nb::sig("def __getitem__(self, name: str) -> Collection"), "db[name]: db.collection(name).")
      .def("__contains__", &Database::Contains, nb::arg("name"))
      .def("__len__", [](Database& d) { return d.Collections().size(); })
      .def("__iter__", [](Database& d) { return nb::iter(nb::cast(d.Collections())); },
           nb::sig("def __iter__(self) -> collections.abc.Iterator[str]"), "The collection names, sorted.")
      .def("collections", &Database::Collections, "Collection names, sorted.")
      .def("drop_collection", &Database::Drop, nb::arg("name"),
           "Removes the collection and every vector in it. Raises NotFound when absent. Its handles' calls that "
           "can fail then raise NotFound; len, stats and iteration see it empty.")
      .def("checkpoint", [](Database& d, nb::handle dir) { d.Checkpoint(PathIn(dir, "dir")); }, nb::arg("dir"),
           nb::sig("def checkpoint(self, dir: str | os.PathLike[str]) -> None"),
           "A consistent copy of the whole database in `dir` (which must not exist), taken while writes go on.")
      .def("verify", &Database::Verify,
           "Compares every collection in memory with what is on disk; raises Corruption naming the first difference.")
      .def("resume", &Database::Resume, "After a write error stopped writes (a full disk): reload and accept writes again.")
      .def("close", &Database::Close,
           "Closes the database: waits for running calls, ends open iterators. Closing twice is fine; "
           "later calls on it or its handles raise Unavailable.")
      .def_prop_ro("closed", &Database::closed)
      .def_prop_ro("path", &Database::path)
      .def_prop_ro("item_memory_seed", &Database::ItemMemorySeed,
                   "The seed of the database's item memory: hvdb.hdc.symbol(name, dim, seed=...) gives its symbols.")
      .def("__enter__", [](nb::handle self) { return nb::borrow(self); }, nb::sig("def __enter__(self) -> Database"))
      .def("__exit__", [](Database& d, nb::args) { d.Close(); }, nb::sig("def __exit__(self, *args: object) -> None"))
      .def("__repr__", [](Database& d) {
        return "hvdb.Database('" + d.path() + "'" + (d.closed() ? ", closed)" : ")");
      });

  m.def("open", &Open, nb::arg("path"), nb::kw_only(), nb::arg("create_if_missing") = true,
        nb::arg("error_if_exists") = false, nb::arg("read_only") = false,
        nb::arg("write_buffer_bytes") = size_t{64} << 20, nb::arg("background_jobs") = 2,
        nb::arg("gpu_memory_bytes") = 0, nb::arg("item_memory_seed") = nb::none(), nb::arg("sync") = true,
        nb::sig("def open(path: str | os.PathLike[str], *, create_if_missing: bool = True, error_if_exists: bool = False, "
                "read_only: bool = False, write_buffer_bytes: int = 67108864, background_jobs: int = 2, "
                "gpu_memory_bytes: int = 0, item_memory_seed: int | None = None, sync: bool = True) -> Database"),
        "Opens (or creates) the database at `path`; the options are hvdb::Options (docs/api.md).\n\n"
        "sync=True: every write is fsync'ed before it returns (survives a power cut); False: survives a "
        "crash of the process, several times faster for small writes. read_only: no writes, no lock, "
        "may run beside the process that writes.\n"
        "Raises Unavailable when it is open already (in another process, or another Database of this one: "
        "share that one, or open with read_only=True), InvalidArgument for a directory that is not a database, "
        "Corruption for damaged files.");
}

}  // namespace hvdb::python
