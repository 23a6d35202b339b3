// Copyright hvdb authors. hvdb.hdc: the HDC algebra on arrays, the same bits
// as hvdb::hdc and the shell. Rows go through the C++ batch kernels (bind,
// permute, bundle, text) with the GIL released.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/hdc.h"
#include "python/src/common.h"

namespace hvdb::python {
namespace {

using namespace nb::literals;

NdArray One(const Hypervector& v) { return VectorOut(v, /*unpack=*/false); }

NdArray Many(const std::vector<Hypervector>& vs, size_t dim) {
  RowsOut out(vs.size(), dim);
  for (size_t i = 0; i < vs.size(); ++i) std::memcpy(out.row(i), vs[i].data(), dim / 8);
  return out.Release(/*single=*/false, /*unpack=*/false);
}

// A number, or a sequence of them (as float64).
std::vector<double> Numbers(nb::handle x, bool* single) {
  nb::object a = nb::module_::import_("numpy").attr("asarray")(x, "dtype"_a = "float64");
  *single = nb::cast<size_t>(a.attr("ndim")) == 0;
  return nb::cast<std::vector<double>>(a.attr("ravel")().attr("tolist")());
}

using Encoder = Result<Hypervector> (*)(double, const hdc::ScalarCode&, size_t);

NdArray Encode(Encoder encode, nb::handle x, size_t dim, double lo, double hi, size_t levels, uint64_t seed) {
  bool single = false;
  const std::vector<double> xs = Numbers(x, &single);
  const hdc::ScalarCode code{.lo = lo, .hi = hi, .levels = levels, .seed = seed};
  std::vector<Hypervector> out;
  out.reserve(xs.size());
  for (double v : xs) out.push_back(Take(encode(v, code, dim)));
  return single ? One(out[0]) : Many(out, dim);
}

// Rows of a 3-D array (groups, members, D/8) flattened to (groups x
// members) rows, *grouped set; else the rows of a 2-D array.
Rows GroupedRows(nb::handle members, bool* grouped, size_t* groups, size_t* per_group) {
  nb::object shape = nb::getattr(members, "shape", nb::none());
  *grouped = !shape.is_none() && nb::len(shape) == 3;
  if (*grouped) {
    *groups = nb::cast<size_t>(shape[0]);
    *per_group = nb::cast<size_t>(shape[1]);
    nb::object flat = members.attr("reshape")(*groups * *per_group, nb::cast(shape[2]));
    return Rows::From(flat, 0, "members");
  }
  Rows rows = Rows::From(members, 0, "members");
  *groups = 1;
  *per_group = rows.n();
  return rows;
}

NdArray Bind(ArrayLike a_object, ArrayLike b_object, unsigned threads, const std::string& device) {
  Rows a = Rows::From(a_object, 0, "a");
  Rows b = Rows::From(b_object, a.dim(), "b");
  const bool single = a.single() && b.single();
  if (b.n() != 1 && a.n() == 1) std::swap(a, b);  // XOR commutes: broadcast the one vector
  const bool broadcast = b.n() == 1;
  if (!broadcast && b.n() != a.n()) {
    Fail("a has " + std::to_string(a.n()) + " rows and b " + std::to_string(b.n()) + "; give equal rows or one vector");
  }
  RowsOut out(a.n(), a.dim());
  const Device d = DeviceFrom(device);
  {
    nb::gil_scoped_release release;
    Check(hdc::BindBatch(a.words(), b.words(), a.n(), a.dim(), out.words(), broadcast, threads, d));
  }
  return out.Release(single, false);
}

NdArray Bundle(ArrayLike members, nb::handle weights, uint64_t tie_seed, unsigned threads,
               const std::string& device) {
  bool grouped = false;
  size_t groups = 0, per_group = 0;
  const Rows rows = GroupedRows(members, &grouped, &groups, &per_group);
  if (!weights.is_none()) {
    if (grouped) Fail("weights apply to one bundle (members of shape (m, D/8)), not to groups");
    bool single = false;
    const std::vector<double> w = Numbers(weights, &single);
    const std::vector<Hypervector> v = Vectors(rows);
    return One(Take(hdc::WeightedBundle(v, w, tie_seed)));
  }
  if (rows.single()) Fail("members: one vector; a bundle takes rows (m, D/8), or groups of them (g, m, D/8)");
  if (per_group == 0) Fail("members: no vectors to bundle");
  RowsOut out(groups, rows.dim());
  const Device d = DeviceFrom(device);
  if (groups > 0) {
    nb::gil_scoped_release release;
    Check(hdc::BundleBatch(rows.words(), groups, per_group, rows.dim(), out.words(), tie_seed, threads, d));
  }
  return out.Release(!grouped, false);
}

NdArray Permute(ArrayLike v, int64_t shift, unsigned threads, const std::string& device) {
  const Rows rows = Rows::From(v, 0, "v");
  RowsOut out(rows.n(), rows.dim());
  const Device d = DeviceFrom(device);
  {
    nb::gil_scoped_release release;
    Check(hdc::PermuteBatch(rows.words(), rows.n(), rows.dim(), shift, out.words(), threads, d));
  }
  return out.Release(rows.single(), false);
}

NdArray Symbol(nb::handle names, size_t dim, uint64_t seed) {
  if (PyUnicode_Check(names.ptr()) || PyBytes_Check(names.ptr())) {
    return One(Take(hdc::Symbol(seed, KeyIn(names), dim)));
  }
  if (!PyObject_HasAttrString(names.ptr(), "__iter__")) {
    Fail("symbol: a name of type " + std::string(nb::type_name(names.type()).c_str()) + "; names are str or bytes");
  }
  std::vector<Hypervector> out;
  for (nb::handle name : names) out.push_back(Take(hdc::Symbol(seed, KeyIn(name), dim)));
  Check(ValidateDim(dim));
  return Many(out, dim);
}

// The UTF-8 bytes of a str (a lone surrogate is encoded as is, so that
// hdc::Text reads it as the invalid bytes it is: U+FFFD).
std::string TextIn(nb::handle text) {
  if (!PyUnicode_Check(text.ptr())) Fail("a text of type " + std::string(nb::type_name(text.type()).c_str()) + "; texts are str");
  nb::object b = nb::steal(PyUnicode_AsEncodedString(text.ptr(), "utf-8", "surrogatepass"));
  if (!b.is_valid()) throw nb::python_error();
  return std::string(PyBytes_AS_STRING(b.ptr()), PyBytes_GET_SIZE(b.ptr()));
}

NdArray Text(nb::handle texts, size_t dim, size_t n, uint64_t seed, unsigned threads) {
  if (PyUnicode_Check(texts.ptr())) return One(Take(hdc::Text(TextIn(texts), n, seed, dim)));
  if (PyBytes_Check(texts.ptr())) Fail("text: bytes; texts are str (decode the bytes first)");
  std::vector<std::string> owned;
  for (nb::handle t : texts) owned.push_back(TextIn(t));
  std::vector<std::string_view> views(owned.begin(), owned.end());
  Result<std::vector<Hypervector>> out = Status::InvalidArgument("unset");
  {
    nb::gil_scoped_release release;
    out = hdc::TextBatch(views, n, seed, dim, threads);
  }
  Check(ValidateDim(dim));
  return Many(Take(std::move(out)), dim);
}

// distance or similarity of a against b: one number for two vectors, an
// array for rows against one vector or rows against rows.
template <typename T, typename F>
nb::object Compare(nb::handle a_object, nb::handle b_object, F per_pair) {
  Rows a = Rows::From(a_object, 0, "a");
  Rows b = Rows::From(b_object, a.dim(), "b");
  if (a.single() && b.single()) return nb::cast(per_pair(a.row(0), b.row(0), a.row_words()));
  if (b.n() != 1 && a.n() == 1) std::swap(a, b);  // one vector against rows
  if (b.n() != 1 && b.n() != a.n()) {
    Fail("a has " + std::to_string(a.n()) + " rows and b " + std::to_string(b.n()) + "; give equal rows or one vector");
  }
  auto* out = new T[std::max<size_t>(a.n(), 1)];
  nb::capsule owner(out, [](void* p) noexcept { delete[] static_cast<T*>(p); });
  for (size_t i = 0; i < a.n(); ++i) out[i] = per_pair(a.row(i), b.row(b.n() == 1 ? 0 : i), a.row_words());
  return nb::cast(nb::ndarray<nb::numpy, T>(out, {a.n()}, owner));
}

uint32_t Distance(const uint64_t* a, const uint64_t* b, size_t words) {
  uint32_t d = 0;
  for (size_t i = 0; i < words; ++i) d += static_cast<uint32_t>(__builtin_popcountll(a[i] ^ b[i]));
  return d;
}

}  // namespace

void DefineAlgebra(nb::module_& hvdb_module) {
  nb::module_ m = hvdb_module.def_submodule(
      "hdc",
      "The HDC algebra on arrays: bind, bundle, permute, symbols and encoders, the same bits as hvdb::hdc and "
      "the shell. Vectors are packed uint8 (D/8,) or bool (D,) arrays; rows (n, D/8) are n vectors and go "
      "through the batch kernels on all cores (threads=0), with the GIL released.");
  m.attr("DEFAULT_TIE_SEED") = hdc::kDefaultTieSeed;
  m.attr("DEFAULT_ITEM_MEMORY_SEED") = kDefaultItemMemorySeed;
  const uint64_t item_seed = kDefaultItemMemorySeed;

  m.def("random", [](size_t dim, uint64_t seed) { return One(Take(Hypervector::Random(dim, seed))); },
        "dim"_a, "seed"_a, "A random vector: SplitMix64 from `seed` (the same on every machine).");
  m.def("symbol", &Symbol, "name"_a, "dim"_a, "seed"_a.sig("DEFAULT_ITEM_MEMORY_SEED") = item_seed,
        nb::sig("def symbol(name: str | bytes | collections.abc.Sequence[str | bytes], dim: int, seed: int = DEFAULT_ITEM_MEMORY_SEED) -> numpy.ndarray"),
        "The symbol of `name` in the item memory of `seed` (a database's item_memory_seed; the default is that of "
        "a database created without one). A list of names gives rows.");
  m.def("bind", &Bind, "a"_a, "b"_a, "threads"_a = 0, "device"_a = "auto",
        "XOR: a and b one vector each, rows of equal count, or rows and one vector (broadcast).");
  m.def("unbind", &Bind, "bound"_a, "key"_a, "threads"_a = 0, "device"_a = "auto",
        "The inverse of bind (the same XOR): unbind(bind(a, b), b) == a.");
  m.def("bundle", &Bundle, "members"_a, "weights"_a = nb::none(), "tie_seed"_a.sig("DEFAULT_TIE_SEED") = hdc::kDefaultTieSeed,
        "threads"_a = 0, "device"_a = "auto",
        nb::sig("def bundle(members: numpy.typing.ArrayLike, weights: collections.abc.Sequence[float] | None = None, "
                "tie_seed: int = DEFAULT_TIE_SEED, threads: int = 0, device: str = 'auto') -> numpy.ndarray"),
        "Bitwise majority of the rows of `members` (m, D/8); an exact tie (even m) is a fair coin drawn from the "
        "members. Groups (g, m, D/8) give g bundles. weights: a weighted majority (negative subtracts).");
  m.def("permute", &Permute, "v"_a, "shift"_a, "threads"_a = 0, "device"_a = "auto",
        "Rotates the bits: bit i moves to (i + shift) mod D. Rows are each rotated.");
  m.def("level", [](NumbersLike x, size_t dim, double lo, double hi, size_t levels, uint64_t seed) {
    return Encode(&hdc::Level, x, dim, lo, hi, levels, seed);
  }, "x"_a, "dim"_a, "lo"_a = 0.0, "hi"_a = 1.0, "levels"_a = 100, "seed"_a.sig("DEFAULT_ITEM_MEMORY_SEED") = item_seed,
        "Level code of x in [lo, hi] (clamped, rounded to one of `levels`): distance grows linearly, D/2 end to "
        "end. x may be a sequence: rows.");
  m.def("thermometer", [](NumbersLike x, size_t dim, double lo, double hi, size_t levels, uint64_t seed) {
    return Encode(&hdc::Thermometer, x, dim, lo, hi, levels, seed);
  }, "x"_a, "dim"_a, "lo"_a = 0.0, "hi"_a = 1.0, "levels"_a = 100, "seed"_a.sig("DEFAULT_ITEM_MEMORY_SEED") = item_seed,
        "Thermometer code: level k sets the first round(k D / (levels - 1)) bits.");
  m.def("circular", [](NumbersLike x, size_t dim, double lo, double hi, size_t levels, uint64_t seed) {
    return Encode(&hdc::Circular, x, dim, lo, hi, levels, seed);
  }, "x"_a, "dim"_a, "lo"_a = 0.0, "hi"_a = 1.0, "levels"_a = 100, "seed"_a.sig("DEFAULT_ITEM_MEMORY_SEED") = item_seed,
        "Circular code of x in [lo, hi) (angles, hours): D/2 apart at half a turn.");
  m.def("ngram", [](ArrayLike items) { return One(Take(hdc::Ngram(Vectors(Rows::From(items, 0, "items"))))); },
        "items"_a, "Bind of the rows, row i permuted by n - 1 - i: order-sensitive.");
  m.def("sequence", [](ArrayLike items, uint64_t tie_seed) {
    return One(Take(hdc::Sequence(Vectors(Rows::From(items, 0, "items")), tie_seed)));
  }, "items"_a, "tie_seed"_a.sig("DEFAULT_TIE_SEED") = hdc::kDefaultTieSeed, "Bundle of the rows, row i permuted by i.");
  m.def("text", &Text, "text"_a, "dim"_a, "n"_a = 3, "seed"_a.sig("DEFAULT_ITEM_MEMORY_SEED") = item_seed, "threads"_a = 0,
        nb::sig("def text(text: str | collections.abc.Sequence[str], dim: int, n: int = 3, seed: int = DEFAULT_ITEM_MEMORY_SEED, "
                "threads: int = 0) -> numpy.ndarray"),
        "Letter n-gram code of the text (bundle of the n-grams of its code points' symbols). A list of texts "
        "gives rows, encoded on all cores.");
  m.def("record", [](ArrayLike roles, ArrayLike fillers, uint64_t tie_seed) {
    const Rows r = Rows::From(roles, 0, "roles");
    return One(Take(hdc::Record(Vectors(r), Vectors(Rows::From(fillers, r.dim(), "fillers")), tie_seed)));
  }, "roles"_a, "fillers"_a, "tie_seed"_a.sig("DEFAULT_TIE_SEED") = hdc::kDefaultTieSeed,
        "Bundle of bind(role i, filler i): a record; unbind(record, role) then a search gives the filler back.");
  m.def("distance", [](nb::handle a, nb::handle b) {
    return Compare<uint32_t>(a, b, [](const uint64_t* x, const uint64_t* y, size_t w) { return Distance(x, y, w); });
  }, "a"_a, "b"_a, nb::sig("def distance(a: numpy.typing.ArrayLike, b: numpy.typing.ArrayLike) -> int | numpy.ndarray"),
        "Hamming distance: an int for two vectors, a uint32 array for rows (against one vector or row by row).");
  m.def("similarity", [](nb::handle a, nb::handle b) {
    return Compare<double>(a, b, [](const uint64_t* x, const uint64_t* y, size_t w) {
      return 1.0 - static_cast<double>(Distance(x, y, w)) / static_cast<double>(w * 64);
    });
  }, "a"_a, "b"_a, nb::sig("def similarity(a: numpy.typing.ArrayLike, b: numpy.typing.ArrayLike) -> float | numpy.ndarray"),
        "1 - distance / D, as distance() pairs them.");
  m.def("zscore", [](nb::handle distance, size_t dim) -> nb::object {
    Check(ValidateDim(dim));
    bool single = false;
    const std::vector<double> d = Numbers(distance, &single);
    std::vector<double> z;
    for (double x : d) {
      if (!(x >= 0) || x > static_cast<double>(dim)) Fail("distance " + std::to_string(x) + " is not in [0, dim]");
      z.push_back(hdc::ZScore(static_cast<uint32_t>(x), dim));
    }
    if (single) return nb::cast(z[0]);
    return nb::module_::import_("numpy").attr("asarray")(nb::cast(z), "dtype"_a = "float64");
  }, "distance"_a, "dim"_a, nb::sig("def zscore(distance: int | numpy.typing.ArrayLike, dim: int) -> float | numpy.ndarray"),
        "How many standard deviations nearer than chance a distance is: (D/2 - d) / (sqrt(D)/2).");
  m.def("retrieval_probability", [](size_t dim, size_t members, size_t others) {
    return Take(hdc::RetrievalProbability(dim, members, others));
  }, "dim"_a, "members"_a, "others"_a,
        "Probability that a member of a bundle of `members` random vectors is nearer it than each of `others` "
        "random non-members.");
}

}  // namespace hvdb::python
