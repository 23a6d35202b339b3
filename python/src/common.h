// Copyright hvdb authors. What the binding's files share: Status to Python
// exceptions, hypervector arrays in and out, keys in and out.
//
// Arrays follow numpy's conventions: a hypervector of D bits is a row of D/8
// uint8 bytes, bit i in bit i % 8 of byte i / 8 (numpy.packbits(bits,
// bitorder="little"), the layout of hvdb's words on a little-endian CPU), or
// a row of D bools. A 1-D array is one vector, a 2-D array one per row.
#ifndef HVDB_PYTHON_COMMON_H_
#define HVDB_PYTHON_COMMON_H_

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/hypervector.h"
#include "hvdb/options.h"
#include "hvdb/result.h"
#include "hvdb/status.h"

namespace hvdb::python {

namespace nb = nanobind;

void DefineAlgebra(nb::module_& m);  // hvdb.hdc (algebra.cc)

// A non-OK Status on its way to Python, where it becomes the exception of its
// code (hvdb.NotFound, ...) with the message unchanged.
class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)) {}
  const char* what() const noexcept override { return status_.message().c_str(); }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

inline void Check(const Status& status) {
  if (!status.ok()) throw StatusError(status);
}
template <typename T>
T Take(Result<T> result) {
  if (!result.ok()) throw StatusError(result.status());
  return std::move(result).value();
}
[[noreturn]] inline void Fail(std::string message) { throw StatusError(Status::InvalidArgument(std::move(message))); }

// Registers the translator that raises hvdb's exceptions (hvdb/_errors.py).
void DefineErrors();

// Words of rows of one dimension, read in place from the caller's array when
// it is packed uint8, C-contiguous and 8-byte aligned, else packed once into
// storage this object owns.
class Rows {
 public:
  const uint64_t* words() const { return words_; }
  size_t n() const { return n_; }
  size_t dim() const { return dim_; }
  size_t row_words() const { return dim_ / 64; }
  const uint64_t* row(size_t i) const { return words_ + i * row_words(); }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(words_); }
  // The input was 1-D: one vector (n() == 1).
  bool single() const { return single_; }

  // `obj`: anything nanobind reads as an array (numpy, the buffer protocol,
  // DLPack: a CPU torch tensor) of uint8 (packed) or bool (one bit per
  // element), 1-D or 2-D. `dim`: the dimension wanted, 0 for any valid one.
  // InvalidArgument naming `what` and the problem otherwise.
  static Rows From(nb::handle obj, size_t dim, const char* what);

 private:
  const uint64_t* words_ = nullptr;
  size_t n_ = 0, dim_ = 0;
  bool single_ = false;
  nb::ndarray<nb::ro, nb::device::cpu> keep_;  // the caller's array, read in place
  std::shared_ptr<uint64_t[]> storage_;
};

// Objects by the type the stubs give them: a numpy array returned (its dtype
// and shape vary), an array-like taken (Rows::From reads it), a key and keys.
struct NdArrayTag {};
struct ArrayLikeTag {};
struct KeyTag {};
struct KeysTag {};
struct NumbersTag {};
}  // namespace hvdb::python

namespace nanobind::detail {
template <>
struct typed_name<object, hvdb::python::NdArrayTag> {
  static constexpr auto Name = const_name("numpy.ndarray");
};
template <>
struct typed_name<handle, hvdb::python::ArrayLikeTag> {
  static constexpr auto Name = const_name("numpy.typing.ArrayLike");
};
template <>
struct typed_name<handle, hvdb::python::KeyTag> {
  static constexpr auto Name = const_name("str | bytes | int");
};
template <>
struct typed_name<handle, hvdb::python::KeysTag> {
  static constexpr auto Name = const_name("collections.abc.Iterable[str | bytes | int] | numpy.ndarray");
};
template <>
struct typed_name<handle, hvdb::python::NumbersTag> {
  static constexpr auto Name = const_name("float | numpy.typing.ArrayLike");
};
}  // namespace nanobind::detail

namespace hvdb::python {
using NdArray = nb::typed<nb::object, NdArrayTag>;
using ArrayLike = nb::typed<nb::handle, ArrayLikeTag>;
using Key = nb::typed<nb::handle, KeyTag>;
using Keys = nb::typed<nb::handle, KeysTag>;
using NumbersLike = nb::typed<nb::handle, NumbersTag>;

// Each row as a Hypervector (copied).
std::vector<Hypervector> Vectors(const Rows& rows);

// One vector as a numpy array: packed uint8 (dim/8,), or bool (dim,) when
// `unpack`.
NdArray VectorOut(const Hypervector& v, bool unpack);

// Owned words of n rows of `dim` bits, handed to Python as a numpy array
// without a copy.
class RowsOut {
 public:
  RowsOut(size_t n, size_t dim);
  uint64_t* row(size_t i) { return words_ + i * (dim_ / 64); }
  uint64_t* words() { return words_; }
  // A numpy uint8 array (n, dim/8), or (dim/8,) when `single`; bool (n, dim)
  // or (dim,) when `unpack`. Gives the words up (call once).
  NdArray Release(bool single, bool unpack);

 private:
  size_t n_, dim_;
  uint64_t* words_;
  std::unique_ptr<uint64_t[]> owned_;
};

// How keys map to hvdb's byte-string keys, and back: str as its UTF-8 bytes
// (surrogateescape, so any bytes round-trip through str), bytes as they are,
// integers (0 to 2^63 - 1, Python or numpy) as their decimal digits, the keys
// a keyless bulk load gives rows.
enum class KeyType { kStr, kBytes, kInt };
KeyType KeyTypeFrom(nb::handle type);  // str, bytes or int; InvalidArgument otherwise
const char* KeyTypeName(KeyType type);
std::string KeyIn(nb::handle key);
// A list, tuple, range, numpy integer array or any iterable of keys.
std::vector<std::string> KeysIn(nb::handle keys);
nb::object KeyOut(std::string_view key, KeyType type);
// The integer of a decimal key; InvalidArgument naming it when it is not one.
int64_t IntKey(std::string_view key);

Device DeviceFrom(std::string_view name);

// A file system path from a str, bytes or os.PathLike, as os functions take
// one (str encoded with os.fsencode, so surrogate-escaped names round-trip).
// InvalidArgument naming `what` for a NUL byte or another type.
std::string PathIn(nb::handle path, const char* what);

}  // namespace hvdb::python

#endif  // HVDB_PYTHON_COMMON_H_
