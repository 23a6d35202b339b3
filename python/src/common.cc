// Copyright hvdb authors.
#include "python/src/common.h"

#include <charconv>
#include <cstring>
#include <limits>

#include "hvdb/hypervector.h"

namespace hvdb::python {
namespace {

// hvdb.Error and its subclasses, by Status::Code (index 0, OK, is hvdb.Error).
PyObject* g_errors[8] = {};

using Array = nb::ndarray<nb::ro, nb::device::cpu>;

bool IsDtype(const Array& a, nb::dlpack::dtype t) { return a.dtype() == t; }

std::string Shape(const Array& a) {
  std::string s = "(";
  for (size_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

}  // namespace

void DefineErrors() {
  // The classes are Python's (hvdb/_errors.py), so that their source is
  // their documentation and their stub.
  nb::module_ errors = nb::module_::import_("hvdb._errors");
  const std::pair<Status::Code, const char*> names[] = {
      {Status::Code::kOk, "Error"},  // the base, for a code this list lacks
      {Status::Code::kNotFound, "NotFound"},
      {Status::Code::kInvalidArgument, "InvalidArgument"},
      {Status::Code::kCorruption, "Corruption"},
      {Status::Code::kIOError, "IOError"},
      {Status::Code::kResourceExhausted, "ResourceExhausted"},
      {Status::Code::kUnavailable, "Unavailable"},
      {Status::Code::kAlreadyExists, "AlreadyExists"},
  };
  for (const auto& [code, name] : names) {
    nb::object type = errors.attr(name);
    g_errors[static_cast<int>(code)] = type.release().ptr();  // held for the life of the process
  }
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const StatusError& e) {
      PyObject* type = g_errors[static_cast<int>(e.status().code())];
      PyErr_SetString(type ? type : g_errors[0], e.status().message().c_str());
    }
  });
}

Rows Rows::From(nb::handle obj, size_t dim, const char* what) {
  Array a;
  if (!nb::try_cast(obj, a)) {
    // Lists and other sequences: as numpy reads them.
    nb::object converted;
    try {
      converted = nb::module_::import_("numpy").attr("asarray")(obj);
    } catch (nb::python_error& e) {
      if (!e.matches(PyExc_Exception)) throw;  // KeyboardInterrupt and the like go on
      converted = nb::none();
    }
    if (converted.is_none() || !nb::try_cast(converted, a)) {
      Fail(std::string(what) + ": a " + nb::type_name(obj.type()).c_str() +
           " is not an array; give packed uint8 rows (n, D/8) or bool rows (n, D)");
    }
  }
  const bool packed = IsDtype(a, nb::dtype<uint8_t>());
  if (!packed && !IsDtype(a, nb::dtype<bool>())) {
    const char* kinds[] = {"int", "uint", "float", "opaque", "bfloat", "complex", "bool"};
    const uint8_t code = a.dtype().code;
    const std::string type = (code < 7 ? kinds[code] : "code " + std::to_string(code)) + std::to_string(a.dtype().bits);
    const bool from_list = !nb::try_cast(obj, a) && code == static_cast<uint8_t>(nb::dlpack::dtype_code::Int);
    Fail(std::string(what) + ": elements of type " + type +
         (from_list ? " (a list of Python ints reads as int64)" : "") +
         "; give packed uint8 rows (n, D/8, numpy.packbits(bitorder=\"little\")) or bool rows (n, D)");
  }
  if (a.ndim() != 1 && a.ndim() != 2) {
    Fail(std::string(what) + ": shape " + Shape(a) + "; give one vector (1-D) or one per row (2-D)");
  }
  Rows rows;
  rows.single_ = a.ndim() == 1;
  rows.n_ = rows.single_ ? 1 : a.shape(0);
  const size_t width = a.shape(a.ndim() - 1);
  if (width > kMaxDim) Fail(std::string(what) + ": rows of " + std::to_string(width) + " elements are too long");
  rows.dim_ = packed ? width * 8 : width;
  const std::string expected =
      dim == 0 ? "" : "; expected " + std::to_string(dim) + (packed ? " (" + std::to_string(dim / 8) + " bytes a row)" : "");
  // uint8 rows of 0s and 1s, one per bit: numpy.unpackbits' output given as it is.
  const std::string unpacked_hint = packed && dim != 0 && width == dim
                                        ? "; rows of one bit per byte are bool rows (.astype(bool)) or "
                                          "numpy.packbits(rows, axis=-1, bitorder=\"little\")"
                                        : "";
  if (Status s = ValidateDim(rows.dim_); !s.ok()) {
    Fail(std::string(what) + ": shape " + Shape(a) + " holds vectors of " + std::to_string(rows.dim_) + " bits (" +
         (packed ? "8 a byte" : "one a bool") + "); " + s.message() + expected + unpacked_hint);
  }
  if (dim != 0 && rows.dim_ != dim) {
    Fail(std::string(what) + ": shape " + Shape(a) + " holds vectors of " + std::to_string(rows.dim_) + " bits" +
         expected + unpacked_hint);
  }
  const int64_t col_stride = a.stride(a.ndim() - 1);
  const int64_t row_stride = rows.single_ ? 0 : a.stride(0);
  const auto* data = static_cast<const uint8_t*>(a.data());
  const bool contiguous = (width <= 1 || col_stride == 1) && (rows.n_ <= 1 || row_stride == static_cast<int64_t>(width));
  if (packed && contiguous && reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) == 0) {
    rows.words_ = reinterpret_cast<const uint64_t*>(data);
    rows.keep_ = a;
    return rows;
  }
  // Packed once: bool rows, or packed rows that are strided or misaligned.
  const size_t row_words = rows.dim_ / 64;
  if (rows.n_ > std::numeric_limits<size_t>::max() / 8 / std::max<size_t>(row_words, 1)) Fail(std::string(what) + ": too many rows");
  rows.storage_ = std::shared_ptr<uint64_t[]>(new uint64_t[std::max<size_t>(rows.n_ * row_words, 1)]());
  uint64_t* out = rows.storage_.get();
  for (size_t r = 0; r < rows.n_; ++r) {
    const uint8_t* in = data + static_cast<int64_t>(r) * row_stride;
    uint64_t* w = out + r * row_words;
    if (packed) {
      auto* bytes = reinterpret_cast<uint8_t*>(w);
      for (size_t j = 0; j < width; ++j) bytes[j] = in[static_cast<int64_t>(j) * col_stride];
    } else {
      for (size_t j = 0; j < width; ++j) {
        if (in[static_cast<int64_t>(j) * col_stride]) w[j / 64] |= uint64_t{1} << (j % 64);
      }
    }
  }
  rows.words_ = out;
  return rows;
}

std::vector<Hypervector> Vectors(const Rows& rows) {
  std::vector<Hypervector> out;
  out.reserve(rows.n());
  for (size_t i = 0; i < rows.n(); ++i) {
    out.push_back(Take(Hypervector::FromWords(rows.dim(), {rows.row(i), rows.row_words()})));
  }
  return out;
}

RowsOut::RowsOut(size_t n, size_t dim) : n_(n), dim_(dim) {
  owned_.reset(new uint64_t[std::max<size_t>(n * (dim / 64), 1)]());
  words_ = owned_.get();
}

NdArray RowsOut::Release(bool single, bool unpack) {
  const size_t row_bytes = dim_ / 8;
  if (!unpack) {
    uint64_t* words = owned_.release();
    nb::capsule owner(words, [](void* p) noexcept { delete[] static_cast<uint64_t*>(p); });
    if (single) return nb::cast(nb::ndarray<nb::numpy, uint8_t>(words, {row_bytes}, owner));
    return nb::cast(nb::ndarray<nb::numpy, uint8_t>(words, {n_, row_bytes}, owner));
  }
  auto* bits = new bool[std::max<size_t>(n_ * dim_, 1)];
  for (size_t r = 0; r < n_; ++r) {
    const uint64_t* w = words_ + r * (dim_ / 64);
    for (size_t j = 0; j < dim_; ++j) bits[r * dim_ + j] = (w[j / 64] >> (j % 64)) & 1;
  }
  owned_.reset();
  nb::capsule owner(bits, [](void* p) noexcept { delete[] static_cast<bool*>(p); });
  if (single) return nb::cast(nb::ndarray<nb::numpy, bool>(bits, {dim_}, owner));
  return nb::cast(nb::ndarray<nb::numpy, bool>(bits, {n_, dim_}, owner));
}

NdArray VectorOut(const Hypervector& v, bool unpack) {
  RowsOut out(1, v.dim());
  std::memcpy(out.words(), v.data(), v.dim() / 8);
  return out.Release(/*single=*/true, unpack);
}

KeyType KeyTypeFrom(nb::handle type) {
  if (type.is(reinterpret_cast<PyObject*>(&PyUnicode_Type))) return KeyType::kStr;
  if (type.is(reinterpret_cast<PyObject*>(&PyBytes_Type))) return KeyType::kBytes;
  if (type.is(reinterpret_cast<PyObject*>(&PyLong_Type))) return KeyType::kInt;
  Fail("keys=" + std::string(nb::repr(type).c_str()) + ": give the type str, bytes or int (keys=int, not keys='int')");
}

const char* KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kStr: return "str";
    case KeyType::kBytes: return "bytes";
    case KeyType::kInt: return "int";
  }
  return "?";
}

std::string KeyIn(nb::handle key) {
  PyObject* o = key.ptr();
  if (PyUnicode_Check(o)) {
    nb::object b = nb::steal(PyUnicode_AsEncodedString(o, "utf-8", "surrogateescape"));
    if (!b.is_valid()) throw nb::python_error();
    return std::string(PyBytes_AS_STRING(b.ptr()), PyBytes_GET_SIZE(b.ptr()));
  }
  if (PyBytes_Check(o)) return std::string(PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o));
  if (PyByteArray_Check(o)) return std::string(PyByteArray_AS_STRING(o), PyByteArray_GET_SIZE(o));
  if (PyBool_Check(o)) Fail("key " + std::string(nb::repr(key).c_str()) + " is a bool; keys are str, bytes or int");
  if (PyIndex_Check(o)) {
    nb::object i = nb::steal(PyNumber_Index(o));
    if (!i.is_valid()) throw nb::python_error();
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
    if (overflow != 0 || v < 0) {
      Fail("key " + std::string(nb::str(i).c_str()) + ": integer keys are 0 to 2^63 - 1");
    }
    return std::to_string(v);
  }
  Fail("a key of type " + std::string(nb::type_name(key.type()).c_str()) + "; keys are str, bytes or int");
}

std::vector<std::string> KeysIn(nb::handle keys) {
  if (PyUnicode_Check(keys.ptr()) || PyBytes_Check(keys.ptr()) || PyByteArray_Check(keys.ptr()) ||
      PyMemoryView_Check(keys.ptr())) {
    Fail("keys: one " + std::string(nb::type_name(keys.type()).c_str()) + " where a list of keys belongs");
  }
  std::vector<std::string> out;
  nb::ndarray<nb::ro, nb::ndim<1>, nb::device::cpu> a;
  const auto is_integer = [&] {
    const uint8_t code = a.dtype().code;
    return code == static_cast<uint8_t>(nb::dlpack::dtype_code::Int) ||
           code == static_cast<uint8_t>(nb::dlpack::dtype_code::UInt);
  };
  if (nb::try_cast(keys, a, false) && is_integer()) {
    // A numpy integer array: no Python object per key.
    out.reserve(a.shape(0));
    const auto* base = static_cast<const uint8_t*>(a.data());
    const size_t bytes = a.dtype().bits / 8;
    const bool is_signed = a.dtype().code == static_cast<uint8_t>(nb::dlpack::dtype_code::Int);
    for (size_t i = 0; i < a.shape(0); ++i) {
      const uint8_t* p = base + static_cast<int64_t>(i) * a.stride(0) * static_cast<int64_t>(bytes);
      int64_t v = 0;
      uint64_t u = 0;
      switch (bytes) {
        case 1: is_signed ? v = *reinterpret_cast<const int8_t*>(p) : u = *p; break;
        case 2: is_signed ? v = *reinterpret_cast<const int16_t*>(p) : u = *reinterpret_cast<const uint16_t*>(p); break;
        case 4: is_signed ? v = *reinterpret_cast<const int32_t*>(p) : u = *reinterpret_cast<const uint32_t*>(p); break;
        default: is_signed ? v = *reinterpret_cast<const int64_t*>(p) : u = *reinterpret_cast<const uint64_t*>(p); break;
      }
      if (is_signed ? v < 0 : u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Fail("keys[" + std::to_string(i) + "] = " + (is_signed ? std::to_string(v) : std::to_string(u)) +
             ": integer keys are 0 to 2^63 - 1");
      }
      out.push_back(std::to_string(is_signed ? static_cast<uint64_t>(v) : u));
    }
    return out;
  }
  nb::object iterator = nb::steal(PyObject_GetIter(keys.ptr()));
  if (!iterator.is_valid()) {
    PyErr_Clear();
    Fail("keys: an object of type " + std::string(nb::type_name(keys.type()).c_str()) + " is not a list of keys");
  }
  if (PyObject_HasAttrString(keys.ptr(), "__len__")) out.reserve(nb::len(keys));
  for (nb::handle key : nb::handle(iterator)) out.push_back(KeyIn(key));
  if (PyErr_Occurred()) throw nb::python_error();
  return out;
}

int64_t IntKey(std::string_view key) {
  int64_t v = 0;
  const bool canonical = !key.empty() && (key == "0" || key[0] != '0') && key.find_first_not_of("0123456789") == std::string_view::npos;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), v);
  if (!canonical || ec != std::errc() || end != key.data() + key.size()) {
    std::string shown(key.substr(0, 64));
    Fail("key '" + shown + "' is not an integer key (0 to 2^63 - 1 in decimal); read this collection with keys=str or keys=bytes");
  }
  return v;
}

nb::object KeyOut(std::string_view key, KeyType type) {
  switch (type) {
    case KeyType::kBytes: return nb::bytes(key.data(), key.size());
    case KeyType::kInt: return nb::int_(IntKey(key));
    case KeyType::kStr: break;
  }
  PyObject* s = PyUnicode_DecodeUTF8(key.data(), static_cast<Py_ssize_t>(key.size()), "surrogateescape");
  if (s == nullptr) throw nb::python_error();
  return nb::steal(s);
}

std::string PathIn(nb::handle path, const char* what) {
  nb::module_ os = nb::module_::import_("os");
  nb::object encoded;
  try {
    encoded = os.attr("fsencode")(path);
  } catch (nb::python_error& e) {
    if (!e.matches(PyExc_TypeError)) throw;
    Fail(std::string(what) + ": a " + nb::type_name(path.type()).c_str() + " is not a path (str, bytes or os.PathLike)");
  }
  std::string bytes(PyBytes_AS_STRING(encoded.ptr()), PyBytes_GET_SIZE(encoded.ptr()));
  if (bytes.find('\0') != std::string::npos) Fail(std::string(what) + ": the path holds a NUL byte");
  return bytes;
}

Device DeviceFrom(std::string_view name) {
  for (Device d : {Device::kAuto, Device::kCpu, Device::kGpu}) {
    if (name == DeviceName(d)) return d;
  }
  Fail("device '" + std::string(name) + "' is unknown (auto, cpu, gpu)");
}

}  // namespace hvdb::python
