// Copyright hvdb authors. hvdb.Collection: one and many keys, batches, bulk
// load and export, search, indexes, accumulators and cleanup.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "hvdb/write_batch.h"
#include "python/src/common.h"
#include "python/src/database.h"
#include "python/src/iterator.h"

namespace hvdb::python {
namespace {

// What a search returns. keys: a list of key lists (one per query), or for
// integer keys an int64 array (nq, width) padded with -1; distances: uint32
// (nq, width) padded with 2**32 - 1; counts: hits per query. width is k (or,
// with k = 0, the most hits of any query). One query (a 1-D array) drops the
// query axis: keys a list (or int64 array), distances (width,), counts an int.
struct SearchResult {
  nb::object keys, distances, counts;
  SearchStats stats;
};

class PyCollection;

// Puts and deletes applied together by write(), or on leaving a with block
// without an exception (an exception discards them).
class PyWriteBatch {
 public:
  explicit PyWriteBatch(const PyCollection* collection) : collection_(collection) {}
  void Put(Key key, ArrayLike vector);
  void Delete(Key key) { batch_.Delete(KeyIn(key)); }
  size_t size() const { return batch_.Count(); }
  void Write();
  void Discard() { batch_.Clear(); }

 private:
  const PyCollection* collection_;
  WriteBatch batch_;
};

class PyCollection {
 public:
  PyCollection(std::shared_ptr<State> state, Collection* c, KeyType keys)
      : state_(std::move(state)),
        c_(c),
        keys_(keys),
        name_(c->name()),
        dim_(c->dim()),
        item_memory_seed_(c->item_memory_seed()) {}

  template <typename F>
  auto Run(F&& f) const {
    return RunOn(*state_, [&](DB&) { return f(*c_); });
  }
  const WriteOptions& write() const { return state_->write; }

  Hypervector OneVector(nb::handle vector, const char* what) const {
    const Rows rows = Rows::From(vector, dim_, what);
    if (rows.n() != 1) {
      Fail(std::string(what) + ": " + std::to_string(rows.n()) + " rows where one vector belongs");
    }
    return Vectors(rows)[0];
  }

  void Put(Key key, ArrayLike vector) {
    const std::string k = KeyIn(key);
    const Hypervector v = OneVector(vector, "vector");
    Check(Run([&](Collection& c) { return c.Put(k, v, write()); }));
  }
  NdArray Get(Key key, bool unpack) {
    const std::string k = KeyIn(key);
    return VectorOut(Take(Run([&](Collection& c) { return c.Get(k); })), unpack);
  }
  void Delete(Key key) {
    const std::string k = KeyIn(key);
    Check(Run([&](Collection& c) { return c.Delete(k, write()); }));
  }
  bool Contains(Key key) {
    const std::string k = KeyIn(key);
    return Run([&](Collection& c) { return c.Contains(k); });
  }
  uint64_t Count() {
    return Run([](Collection& c) { return c.Count(); });
  }

  void PutMany(Keys keys, ArrayLike vectors) {
    const std::vector<std::string> k = KeysIn(keys);
    const Rows rows = Rows::From(vectors, dim_, "vectors");
    if (k.size() != rows.n()) {
      Fail(std::to_string(k.size()) + " keys for " + std::to_string(rows.n()) + (rows.n() == 1 ? " vector" : " vectors"));
    }
    Check(Run([&](Collection& c) {
      WriteBatch batch;
      for (size_t i = 0; i < k.size(); ++i) {
        HVDB_ASSIGN_OR_RETURN(Hypervector v, Hypervector::FromWords(dim_, {rows.row(i), rows.row_words()}));
        batch.Put(k[i], std::move(v));
      }
      return c.Write(batch, write());
    }));
  }
  NdArray GetMany(Keys keys, bool unpack) {
    const std::vector<std::string> k = KeysIn(keys);
    RowsOut out(k.size(), dim_);
    Check(Run([&](Collection& c) {
      for (size_t i = 0; i < k.size(); ++i) {
        HVDB_ASSIGN_OR_RETURN(const Hypervector v, c.Get(k[i]));
        std::memcpy(out.row(i), v.data(), dim_ / 8);
      }
      return Status::OK();
    }));
    return out.Release(/*single=*/false, unpack);
  }
  void DeleteMany(Keys keys) {
    const std::vector<std::string> k = KeysIn(keys);
    WriteBatch batch;
    for (const std::string& key : k) batch.Delete(key);
    Check(Run([&](Collection& c) { return c.Write(batch, write()); }));
  }

  BulkLoadResult BulkLoad(nb::handle source, nb::handle keys, std::optional<uint64_t> first_row_number,
                          nb::handle keys_path, bool unpacked, bool pad) {
    BulkLoadOptions options{.first_row_number = first_row_number, .npy = {.unpacked = unpacked, .pad = pad}};
    if (PyUnicode_Check(source.ptr()) || PyBytes_Check(source.ptr()) || PyObject_HasAttrString(source.ptr(), "__fspath__")) {
      // str, bytes and path-like objects name a file, as in os functions.
      const std::string path = PathIn(source, "source");
      if (!keys.is_none()) Fail("keys name the rows of an array; a file's keys come from keys_path or the file");
      if (!keys_path.is_none()) options.keys_path = PathIn(keys_path, "keys_path");
      return Take(Run([&](Collection& c) { return c.BulkLoad(path, options); }));
    }
    if (!keys_path.is_none() || unpacked || pad) {
      Fail("keys_path, unpacked and pad apply to files; an array's keys are `keys`, and bool rows are packed as given");
    }
    const Rows rows = Rows::From(source, dim_, "rows");
    std::vector<std::string> k;
    if (!keys.is_none()) {
      k = KeysIn(keys);
      if (k.size() != rows.n()) {
        Fail(std::to_string(k.size()) + " keys for " + std::to_string(rows.n()) +
             " rows; give one key per row, or none (keys=None) to number the rows");
      }
    }
    std::vector<std::string_view> views(k.begin(), k.end());
    return Take(Run([&](Collection& c) { return c.BulkLoadRows(rows.bytes(), rows.n(), views, options); }));
  }
  void Export(nb::handle path_object, nb::handle keys_path, const std::string& format) {
    const std::string path = PathIn(path_object, "path");
    ExportOptions options;
    if (!keys_path.is_none()) options.keys_path = PathIn(keys_path, "keys_path");
    if (format == "npy") options.format = FileFormat::kNpy;
    else if (format == "hvdb") options.format = FileFormat::kHvdb;
    else if (format == "text") options.format = FileFormat::kText;
    else if (format != "auto") Fail("format '" + format + "' is unknown (auto, npy, hvdb, text)");
    Check(Run([&](Collection& c) { return c.Export(path, options); }));
  }

  static SearchOptions Options(std::optional<int64_t> k, std::optional<int64_t> radius, const std::string& device,
                               bool exact, int64_t nprobe, int64_t ef, int64_t candidates, int64_t threads) {
    for (const auto& [name, value] : {std::pair<const char*, int64_t>{"k", k.value_or(0)}, {"nprobe", nprobe},
                                      {"ef", ef}, {"candidates", candidates}, {"threads", threads}}) {
      if (value < 0) Fail(std::string(name) + " = " + std::to_string(value) + " is negative");
    }
    if (k.value_or(0) == 0 && !radius) Fail("k = " + std::string(k ? "0" : "None") + " (no limit) needs a radius");
    if (threads > 4096) Fail("threads = " + std::to_string(threads) + " is more than 4096");
    SearchOptions o{.k = static_cast<size_t>(k.value_or(0)), .device = DeviceFrom(device),
                    .threads = static_cast<unsigned>(threads), .candidates = static_cast<size_t>(candidates),
                    .nprobe = static_cast<size_t>(nprobe), .ef = static_cast<size_t>(ef), .exact = exact};
    if (radius) {
      if (*radius < 0 || *radius > std::numeric_limits<uint32_t>::max()) {
        Fail("radius " + std::to_string(*radius) + " is not a distance (0 to 2^32 - 1)");
      }
      o.max_distance = static_cast<uint32_t>(*radius);
    }
    return o;
  }

  SearchResult Search(ArrayLike queries, std::optional<int64_t> k, std::optional<int64_t> radius,
                      const std::string& device, bool exact, int64_t nprobe, int64_t ef, int64_t candidates,
                      int64_t threads) {
    const SearchOptions options = Options(k, radius, device, exact, nprobe, ef, candidates, threads);
    const Rows q = Rows::From(queries, dim_, "queries");
    SearchResult result;
    const auto hits = Take(Run([&](Collection& c) { return c.SearchBatch(q.words(), q.n(), options, &result.stats); }));
    size_t width = options.k;
    if (width == 0) {
      for (const auto& h : hits) width = std::max(width, h.size());
    }
    const size_t nq = hits.size();
    auto* distances = new uint32_t[std::max<size_t>(nq * width, 1)];
    std::fill_n(distances, nq * width, std::numeric_limits<uint32_t>::max());
    auto* counts = new int64_t[std::max<size_t>(nq, 1)];
    int64_t* ids = keys_ == KeyType::kInt ? new int64_t[std::max<size_t>(nq * width, 1)] : nullptr;
    nb::capsule distances_owner(distances, [](void* p) noexcept { delete[] static_cast<uint32_t*>(p); });
    nb::capsule counts_owner(counts, [](void* p) noexcept { delete[] static_cast<int64_t*>(p); });
    nb::capsule ids_owner(ids, [](void* p) noexcept { delete[] static_cast<int64_t*>(p); });
    nb::list key_lists;
    for (size_t i = 0; i < nq; ++i) {
      counts[i] = static_cast<int64_t>(hits[i].size());
      nb::list keys;
      for (size_t j = 0; j < width; ++j) {
        if (j < hits[i].size()) {
          distances[i * width + j] = hits[i][j].distance;
          if (ids) ids[i * width + j] = IntKey(hits[i][j].key);
          else keys.append(KeyOut(hits[i][j].key, keys_));
        } else if (ids) {
          ids[i * width + j] = -1;
        }
      }
      key_lists.append(keys);
    }
    if (q.single()) {
      result.distances = nb::cast(nb::ndarray<nb::numpy, uint32_t>(distances, {width}, distances_owner));
      result.keys = ids ? nb::cast(nb::ndarray<nb::numpy, int64_t>(ids, {width}, ids_owner)) : key_lists[0];
      result.counts = nb::int_(counts[0]);
    } else {
      result.distances = nb::cast(nb::ndarray<nb::numpy, uint32_t>(distances, {nq, width}, distances_owner));
      result.keys = ids ? nb::cast(nb::ndarray<nb::numpy, int64_t>(ids, {nq, width}, ids_owner)) : nb::object(key_lists);
      result.counts = nb::cast(nb::ndarray<nb::numpy, int64_t>(counts, {nq}, counts_owner));
    }
    return result;
  }
  SearchPlan Explain(int64_t nq, std::optional<int64_t> k, std::optional<int64_t> radius, const std::string& device,
                     bool exact, int64_t nprobe, int64_t ef, int64_t candidates, int64_t threads) {
    if (nq < 0) Fail("nq = " + std::to_string(nq) + " is negative");
    const SearchOptions options = Options(k, radius, device, exact, nprobe, ef, candidates, threads);
    return Take(Run([&](Collection& c) { return c.ExplainSearch(static_cast<size_t>(nq), options); }));
  }

  void SetIndex(const std::string& kind, const nb::kwargs& knobs) {
    const IndexOptions index = IndexFrom(kind, knobs);
    Check(Run([&](Collection& c) { return c.SetIndex(index); }));
  }
  nb::dict Index() {
    const IndexOptions o = Run([](Collection& c) { return c.index(); });
    nb::dict d;
    d["kind"] = IndexKindName(o.kind);
    d["prefix_bits"] = o.prefix_bits;
    d["prefix_candidates"] = o.prefix_candidates;
    d["ivf_nlist"] = o.ivf_nlist;
    d["ivf_nprobe"] = o.ivf_nprobe;
    d["ivf_iterations"] = o.ivf_iterations;
    d["ivf_retrain_imbalance"] = o.ivf_retrain_imbalance;
    d["hnsw_m"] = o.hnsw_m;
    d["hnsw_ef_construction"] = o.hnsw_ef_construction;
    d["hnsw_ef_search"] = o.hnsw_ef_search;
    return d;
  }

  void Accumulate(const std::string& name, ArrayLike members, int32_t weight) {
    const std::vector<Hypervector> v = Vectors(Rows::From(members, dim_, "members"));
    Check(Run([&](Collection& c) { return c.Accumulate(name, v, weight, write()); }));
  }
  NdArray Accumulator(const std::string& name, bool unpack) {
    return VectorOut(Take(Run([&](Collection& c) { return c.ReadAccumulator(name); })), unpack);
  }
  int64_t AccumulatorMembers(const std::string& name) {
    return Take(Run([&](Collection& c) { return c.AccumulatorMembers(name); }));
  }
  void DropAccumulator(const std::string& name) {
    Check(Run([&](Collection& c) { return c.DropAccumulator(name, write()); }));
  }
  std::vector<std::string> Accumulators() {
    return Run([](Collection& c) { return c.ListAccumulators(); });
  }
  nb::tuple Cleanup(ArrayLike query, double min_sigmas) {
    const Hypervector q = OneVector(query, "query");
    const SearchHit hit = Take(Run([&](Collection& c) { return c.Cleanup(q, min_sigmas); }));
    return nb::make_tuple(KeyOut(hit.key, keys_), hit.distance);
  }
  CollectionStats Stats() {
    return Run([](Collection& c) { return c.Stats(); });
  }
  ItemIterator* Iterate(bool with_vectors) const {
    return new ItemIterator(state_, c_, dim_, keys_, with_vectors);
  }

  const std::string& name() const { return name_; }
  size_t dim() const { return dim_; }
  KeyType key_type() const { return keys_; }
  uint64_t item_memory_seed() const { return item_memory_seed_; }

 private:
  std::shared_ptr<State> state_;
  Collection* c_;  // owned by state_->db; valid while it is open
  KeyType keys_;
  // Fixed for the collection's life, so that they answer after close() too.
  std::string name_;
  size_t dim_;
  uint64_t item_memory_seed_;
};

void PyWriteBatch::Put(Key key, ArrayLike vector) {
  batch_.Put(KeyIn(key), collection_->OneVector(vector, "vector"));
}

void PyWriteBatch::Write() {
  // Taken under the GIL, so that puts from other threads during the write go
  // into the next batch instead of racing with this one.
  WriteBatch taken = std::move(batch_);
  batch_.Clear();
  try {
    Check(collection_->Run([&](Collection& c) { return c.Write(taken, collection_->write()); }));
  } catch (...) {
    // Not applied: the operations stay, before any added meanwhile.
    for (const WriteBatch::Op& op : batch_.ops()) {
      if (op.is_delete) taken.Delete(op.key);
      else taken.Put(op.key, op.vector);
    }
    batch_ = std::move(taken);
    throw;
  }
}

std::string StatsRepr(const SearchStats& s) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.6f", s.seconds);
  return "SearchStats(queries=" + std::to_string(s.queries) + ", rows_scanned=" + std::to_string(s.rows_scanned) +
         ", index='" + IndexKindName(s.plan.index) + "', device='" + DeviceName(s.plan.device) + "', kernel='" +
         s.plan.kernel + "', seconds=" + seconds + ")";
}

}  // namespace

nb::object MakeCollection(std::shared_ptr<State> state, const std::string& name, KeyType keys) {
  // The collection is read while the database is held open: a close() on
  // another thread cannot free it under us.
  PyCollection handle = RunOn(*state, [&](DB& db) {
    Collection* found = nullptr;
    Check(db.GetCollection(name, &found));
    return PyCollection(state, found, keys);
  });
  return nb::cast(std::move(handle));
}

void DefineCollection(nb::module_& m) {
  DefineIterator(m);

  nb::class_<SearchPlan>(m, "SearchPlan", "How a search runs: the index, device and kernel, and why.")
      .def_prop_ro("index", [](const SearchPlan& p) { return IndexKindName(p.index); })
      .def_prop_ro("device", [](const SearchPlan& p) { return DeviceName(p.device); })
      .def_ro("kernel", &SearchPlan::kernel)
      .def_ro("reason", &SearchPlan::reason)
      .def("__repr__", [](const SearchPlan& p) {
        return std::string("SearchPlan(index='") + IndexKindName(p.index) + "', device='" + DeviceName(p.device) +
               "', kernel='" + p.kernel + "', reason='" + p.reason + "')";
      });
  nb::class_<SearchStats>(m, "SearchStats", "What a search did.")
      .def_ro("queries", &SearchStats::queries)
      .def_ro("rows_scanned", &SearchStats::rows_scanned,
              "Comparisons one query made: flat, every row (deleted ones included); ivf, centroids and probed "
              "lists; hnsw, the distances its walk computed.")
      .def_ro("candidates_reranked", &SearchStats::candidates_reranked)
      .def_ro("seconds", &SearchStats::seconds, "Wall time inside the call.")
      .def_ro("plan", &SearchStats::plan)
      .def_prop_ro("index", [](const SearchStats& s) { return IndexKindName(s.plan.index); })
      .def_prop_ro("device", [](const SearchStats& s) { return DeviceName(s.plan.device); })
      .def_prop_ro("kernel", [](const SearchStats& s) { return s.plan.kernel; })
      .def("__repr__", &StatsRepr);
  nb::class_<SearchResult>(m, "SearchResult",
                           "What Collection.search returns: keys, distances (uint32, padded with 2**32 - 1), counts "
                           "(hits per query) and stats. Integer-keyed collections give keys as an int64 array padded "
                           "with -1; others a list of key lists. One query (1-D) drops the query axis.")
      .def_ro("keys", &SearchResult::keys, nb::sig("def keys(self) -> list[list[str | bytes]] | list[str | bytes] | numpy.ndarray"))
      .def_ro("distances", &SearchResult::distances, nb::sig("def distances(self) -> numpy.ndarray"))
      .def_ro("counts", &SearchResult::counts, nb::sig("def counts(self) -> numpy.ndarray | int"))
      .def_ro("stats", &SearchResult::stats, "What the search did: SearchStats.")
      .def("__repr__", [](const SearchResult& r) {
        return "SearchResult(keys=" + std::string(nb::repr(r.keys).c_str()) +
               ", distances=" + nb::repr(r.distances).c_str() + ", stats=" + StatsRepr(r.stats) + ")";
      });
  nb::class_<BulkLoadResult>(m, "BulkLoadResult", "What a bulk load did.")
      .def_ro("rows", &BulkLoadResult::rows, "Vectors loaded.")
      .def_ro("replaced", &BulkLoadResult::replaced, "Of those, keys that existed and were replaced.")
      .def_ro("first_row_number", &BulkLoadResult::first_row_number, "Rows without keys: the number of row 0.")
      .def_ro("seconds", &BulkLoadResult::seconds)
      .def("__repr__", [](const BulkLoadResult& r) {
        return "BulkLoadResult(rows=" + std::to_string(r.rows) + ", replaced=" + std::to_string(r.replaced) +
               (r.first_row_number ? ", first_row_number=" + std::to_string(*r.first_row_number) : "") + ")";
      });
  nb::class_<CollectionStats>(m, "CollectionStats", "Collection.stats(): counts and memory.")
      .def_ro("name", &CollectionStats::name)
      .def_ro("dim", &CollectionStats::dim)
      .def_ro("count", &CollectionStats::count, "Live vectors.")
      .def_ro("cache_rows", &CollectionStats::cache_rows)
      .def_ro("deleted_rows", &CollectionStats::deleted_rows)
      .def_ro("key_bytes", &CollectionStats::key_bytes)
      .def_ro("memory_bytes", &CollectionStats::memory_bytes)
      .def_ro("disk_bytes", &CollectionStats::disk_bytes)
      .def_ro("pinned", &CollectionStats::pinned)
      .def_ro("item_memory_seed", &CollectionStats::item_memory_seed)
      .def_prop_ro("index", [](const CollectionStats& s) { return IndexKindName(s.index); })
      .def_ro("index_bytes", &CollectionStats::index_bytes)
      .def_ro("ivf_lists", &CollectionStats::ivf_lists,
              "ivf: the lists trained (the nlist chosen from the data when ivf_nlist is 0); 0 until trained")
      .def_ro("gpu_bytes", &CollectionStats::gpu_bytes)
      .def("__repr__", [](const CollectionStats& s) {
        return "CollectionStats(name='" + s.name + "', dim=" + std::to_string(s.dim) +
               ", count=" + std::to_string(s.count) + ", index='" + IndexKindName(s.index) +
               "', memory_bytes=" + std::to_string(s.memory_bytes) + ")";
      });

  nb::class_<PyWriteBatch>(m, "WriteBatch",
                           "Puts and deletes applied atomically by write(), or on leaving a with block without an "
                           "exception (an exception discards them). Operations on one key apply in order.")
      .def("put", &PyWriteBatch::Put, nb::arg("key"), nb::arg("vector"))
      .def("delete", &PyWriteBatch::Delete, nb::arg("key"))
      .def("write", &PyWriteBatch::Write, "Applies every operation, all or none; the batch is then empty.")
      .def("__len__", &PyWriteBatch::size)
      .def("__enter__", [](nb::handle self) { return nb::borrow(self); }, nb::sig("def __enter__(self) -> WriteBatch"))
      .def("__exit__", [](PyWriteBatch& b, nb::handle type, nb::handle, nb::handle) {
        if (type.is_none()) b.Write();
        else b.Discard();
      }, nb::arg("exc_type").none(), nb::arg("exc").none(), nb::arg("tb").none());

  constexpr auto kSearchSig =
      "queries: numpy.typing.ArrayLike, k: int | None = 10, radius: int | None = None, device: str = 'auto', "
      "exact: bool = False, nprobe: int = 0, ef: int = 0, candidates: int = 0, threads: int = 0";
  using C = PyCollection;
  nb::class_<C>(m, "Collection",
                "A handle on a collection: vectors of `dim` bits under byte-string keys.\n\n"
                "Vectors in: packed uint8 rows (n, dim/8) (numpy.packbits(bits, axis=1, bitorder='little')), bool "
                "rows (n, dim), or anything with the buffer protocol or DLPack (a CPU torch tensor); a 1-D array "
                "is one vector. Packed C-contiguous aligned arrays are read in place. Vectors out: packed uint8 "
                "(unpack=True: bool).\n"
                "Keys in: str (its UTF-8 bytes), bytes (as they are), or int 0 to 2**63 - 1 (its decimal digits, "
                "the keys a keyless bulk load numbers rows with). Keys out as `key_type` (str decodes with "
                "surrogateescape, so any key round-trips).\n"
                "Thread safe; every call releases the GIL while hvdb works.")
      .def_prop_ro("name", &C::name)
      .def_prop_ro("dim", &C::dim)
      .def_prop_ro("key_type", [](const C& c) {
        return nb::borrow(c.key_type() == KeyType::kInt     ? reinterpret_cast<PyObject*>(&PyLong_Type)
                          : c.key_type() == KeyType::kBytes ? reinterpret_cast<PyObject*>(&PyBytes_Type)
                                                            : reinterpret_cast<PyObject*>(&PyUnicode_Type));
      }, nb::sig("def key_type(self) -> type"))
      .def_prop_ro("item_memory_seed", &C::item_memory_seed)
      .def("put", &C::Put, nb::arg("key"), nb::arg("vector"), "Inserts or replaces one vector (durable when it returns).")
      .def("get", &C::Get, nb::arg("key"), nb::arg("unpack") = false, "The vector of `key`; raises NotFound.")
      .def("delete", &C::Delete, nb::arg("key"), "Removes `key`; nothing happens when it is absent.")
      .def("__contains__", &C::Contains, nb::arg("key"))
      .def("__len__", &C::Count)
      .def("put_many", &C::PutMany, nb::arg("keys"), nb::arg("vectors"),
           "Puts len(keys) vectors (rows of `vectors`) atomically: all or none.")
      .def("get_many", &C::GetMany, nb::arg("keys"), nb::arg("unpack") = false,
           "The vectors of `keys` as rows (n, dim/8); raises NotFound naming the first absent key.")
      .def("delete_many", &C::DeleteMany, nb::arg("keys"), "Deletes `keys` atomically; absent keys are skipped.")
      .def("batch", [](nb::handle self) {
        return PyWriteBatch(nb::inst_ptr<C>(self));
      }, nb::keep_alive<0, 1>(), nb::sig("def batch(self) -> WriteBatch"), "An empty WriteBatch for this collection.")
      .def("bulk_load", &C::BulkLoad, nb::arg("source"), nb::kw_only(), nb::arg("keys") = nb::none(),
           nb::arg("first_row_number") = nb::none(), nb::arg("keys_path") = nb::none(), nb::arg("unpacked") = false,
           nb::arg("pad") = false,
           nb::sig("def bulk_load(self, source: str | os.PathLike[str] | numpy.typing.ArrayLike, *, keys: collections.abc.Iterable[str | bytes | int] | numpy.ndarray | None = None, "
                   "first_row_number: int | None = None, keys_path: str | bytes | os.PathLike[str] | None = None, unpacked: bool = False, "
                   "pad: bool = False) -> BulkLoadResult"),
           "Loads many rows at once, all or none: a file (.npy, .hvdb, text; keys_path, unpacked and pad as hvdb "
           "load) or an array in memory, read in place without writing a file. keys: one per row; none numbers "
           "the rows after the largest decimal key (first_row_number to choose). Existing keys are replaced.")
      .def("export", &C::Export, nb::arg("path"), nb::kw_only(), nb::arg("keys_path") = nb::none(),
           nb::arg("format") = "auto",
           nb::sig("def export(self, path: str | bytes | os.PathLike[str], *, keys_path: str | bytes | os.PathLike[str] | None = None, "
                   "format: str = 'auto') -> None"),
           "Writes every live vector in insertion order: .npy (packed rows; keys one per line in keys_path, by "
           "default the path with .keys for .npy: rows.keys), .hvdb (keys and vectors, checksummed) or, for any other "
           "name, text lines key<TAB>hex; `format` overrides the name. numpy.load reads the .npy.")
      .def("__iter__", [](const C& c) { return c.Iterate(true); }, nb::rv_policy::take_ownership,
           "(key, vector) pairs of a snapshot, in insertion order.")
      .def("keys", [](const C& c) { return c.Iterate(false); }, nb::rv_policy::take_ownership,
           "The keys of a snapshot, in insertion order.")
      .def("search", &C::Search, nb::arg("queries"), nb::arg("k") = 10, nb::arg("radius") = nb::none(),
           nb::arg("device") = "auto", nb::arg("exact") = false, nb::arg("nprobe") = 0, nb::arg("ef") = 0,
           nb::arg("candidates") = 0, nb::arg("threads") = 0,
           nb::sig((std::string("def search(self, ") + kSearchSig + ") -> SearchResult").c_str()),
           "The k nearest vectors to each query (distance, then insertion order), within `radius` when given "
           "(k=0 or None: every vector within it). device: 'auto', 'cpu' or 'gpu'. exact: scan every row "
           "whatever the index; nprobe (ivf), ef (hnsw), candidates (prefix): the index's knobs for this "
           "search. threads: 0, one per core. Releases the GIL: threads search in parallel.")
      .def("explain", &C::Explain, nb::arg("nq") = 1, nb::arg("k") = 10, nb::arg("radius") = nb::none(),
           nb::arg("device") = "auto", nb::arg("exact") = false, nb::arg("nprobe") = 0, nb::arg("ef") = 0,
           nb::arg("candidates") = 0, nb::arg("threads") = 0,
           "The plan a search of nq queries would run, without running it.")
      .def("set_index", &C::SetIndex, nb::arg("kind"), nb::arg("options"),
           nb::sig("def set_index(self, kind: str, **options: int | float) -> None"),
           "Replaces the index: 'flat', 'prefix', 'ivf' or 'hnsw', options named as IndexOptions' fields "
           "(prefix_bits, ivf_nlist, ivf_nprobe, hnsw_m, hnsw_ef_search, ...). Built now, persisted.")
      .def_prop_ro("index", &C::Index, "The index kind and every option, as a dict.")
      .def("accumulate", &C::Accumulate, nb::arg("name"), nb::arg("members"), nb::arg("weight") = 1,
           "Adds the members (one vector or rows) with `weight` to the persistent accumulator `name`.")
      .def("accumulator", &C::Accumulator, nb::arg("name"), nb::arg("unpack") = false,
           "The majority vector of accumulator `name`; raises NotFound.")
      .def("accumulator_members", &C::AccumulatorMembers, nb::arg("name"), "The sum of the weights added.")
      .def("drop_accumulator", &C::DropAccumulator, nb::arg("name"))
      .def("accumulators", &C::Accumulators, "Accumulator names, sorted.")
      .def("cleanup", &C::Cleanup, nb::arg("query"), nb::arg("min_sigmas") = 4.0,
           nb::sig("def cleanup(self, query: numpy.typing.ArrayLike, min_sigmas: float = 4.0) -> tuple[str | bytes | int, int]"),
           "(key, distance) of the nearest vector when it is at least min_sigmas standard deviations nearer than "
           "chance; raises NotFound (saying how near the best was) instead of returning noise.")
      .def("stats", &C::Stats)
      .def("__repr__", [](const C& c) {
        return "hvdb.Collection('" + c.name() + "', dim=" + std::to_string(c.dim()) + ", keys=" +
               KeyTypeName(c.key_type()) + ")";
      });
}

}  // namespace hvdb::python
