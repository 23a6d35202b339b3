// Copyright hvdb authors.
#include "storage/npy.h"

#include <cstring>
#include <map>
#include <optional>
#include <string_view>
#include <sys/stat.h>
#include <vector>

namespace hvdb::storage {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
// Version 1 headers hold at most 65535 bytes; later ones are read up to this.
constexpr uint64_t kMaxHeaderBytes = uint64_t{1} << 20;
// Either side of the shape: numpy's own arrays are far smaller.
constexpr uint64_t kMaxDimension = uint64_t{1} << 48;

Status Bad(const std::string& name, const std::string& what) {
  return Status::InvalidArgument(name + ": not a .npy file hvdb reads: " + what);
}

// A value of the header's dict: a string, a bool or a tuple of integers.
struct HeaderValue {
  enum class Kind { kString, kBool, kTuple } kind = Kind::kString;
  std::string text;              // kString; also the value as written, for messages
  bool flag = false;             // kBool
  std::vector<uint64_t> tuple;   // kTuple
};

// The header's dict literal, read as numpy reads it (Python's
// ast.literal_eval): string keys, a later key replacing an earlier one.
// Anything else in it (negative or fractional numbers, nested values,
// expressions) is refused with the reason.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : s_(text) {}

  std::optional<std::string> Parse(std::map<std::string, HeaderValue>* dict) {
    Space();
    if (!Eat('{')) return "the header does not start with '{'";
    Space();
    while (!Eat('}')) {
      std::string key;
      if (auto problem = String(&key)) return "a key: " + *problem;
      Space();
      if (!Eat(':')) return "no ':' after the key '" + key + "'";
      Space();
      HeaderValue value;
      if (auto problem = Value(&value)) return "the value of '" + key + "': " + *problem;
      (*dict)[key] = std::move(value);
      Space();
      if (Eat(',')) {
        Space();
        continue;
      }
      Space();
      if (!Eat('}')) return "expected ',' or '}' after the value of '" + key + "'";
      break;
    }
    Space();
    if (at_ != s_.size()) return "unexpected text after the dict";
    return std::nullopt;
  }

 private:
  bool Eat(char c) {
    if (at_ < s_.size() && s_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  void Space() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r')) ++at_;
  }
  std::optional<std::string> String(std::string* out) {
    if (at_ >= s_.size() || (s_[at_] != '\'' && s_[at_] != '"')) return "expected a quoted string";
    const char quote = s_[at_++];
    while (at_ < s_.size() && s_[at_] != quote) {
      if (s_[at_] == '\\') return "escapes in strings are not read";
      out->push_back(s_[at_++]);
    }
    if (!Eat(quote)) return "a string is not closed";
    return std::nullopt;
  }
  std::optional<std::string> Integer(uint64_t* out) {
    if (at_ < s_.size() && (s_[at_] == '-' || s_[at_] == '+')) return "a signed number";
    const size_t start = at_;
    uint64_t v = 0;
    while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9') {
      v = v * 10 + static_cast<uint64_t>(s_[at_++] - '0');
      if (v > kMaxDimension) return "a dimension above 2^48";
    }
    if (at_ == start) return "expected a non-negative integer";
    if (at_ < s_.size() && (s_[at_] == '.' || s_[at_] == 'e' || s_[at_] == 'E' || s_[at_] == 'j')) {
      return "a number that is not an integer";
    }
    *out = v;
    return std::nullopt;
  }
  std::optional<std::string> Value(HeaderValue* v) {
    const size_t start = at_;
    if (at_ < s_.size() && (s_[at_] == '\'' || s_[at_] == '"')) {
      v->kind = HeaderValue::Kind::kString;
      return String(&v->text);
    }
    if (s_.substr(at_, 4) == "True" || s_.substr(at_, 5) == "False") {
      v->kind = HeaderValue::Kind::kBool;
      v->flag = s_[at_] == 'T';
      at_ += v->flag ? 4 : 5;
      v->text = v->flag ? "True" : "False";
      return std::nullopt;
    }
    if (!Eat('(')) return "expected a string, True, False or a tuple";
    v->kind = HeaderValue::Kind::kTuple;
    Space();
    while (!Eat(')')) {
      uint64_t n = 0;
      if (auto problem = Integer(&n)) return problem;
      v->tuple.push_back(n);
      Space();
      if (Eat(',')) {
        Space();
        continue;
      }
      if (!Eat(')')) return "expected ',' or ')' in a tuple";
      break;
    }
    v->text = std::string(s_.substr(start, at_ - start));
    return std::nullopt;
  }

  std::string_view s_;
  size_t at_ = 0;
};

}  // namespace

Result<NpyShape> ReadNpyHeader(std::FILE* file, const std::string& name) {
  unsigned char prefix[12];
  if (std::fread(prefix, 1, 8, file) != 8 || std::memcmp(prefix, kMagic, kMagicBytes) != 0) {
    return Bad(name, "it does not start with the magic \\x93NUMPY");
  }
  const int major = prefix[6];
  uint64_t header_len = 0;
  size_t prefix_len = 0;
  if (major == 1) {
    if (std::fread(prefix + 8, 1, 2, file) != 2) return Bad(name, "truncated header");
    header_len = prefix[8] | (uint64_t{prefix[9]} << 8);
    prefix_len = 10;
  } else if (major == 2 || major == 3) {
    if (std::fread(prefix + 8, 1, 4, file) != 4) return Bad(name, "truncated header");
    header_len = prefix[8] | (uint64_t{prefix[9]} << 8) | (uint64_t{prefix[10]} << 16) | (uint64_t{prefix[11]} << 24);
    prefix_len = 12;
  } else {
    return Bad(name, "format version " + std::to_string(major) + " (1, 2 and 3 are read)");
  }
  if (header_len > kMaxHeaderBytes) {
    return Bad(name, "a header of " + std::to_string(header_len) + " bytes (at most " +
                         std::to_string(kMaxHeaderBytes) + " are read)");
  }
  std::string header(header_len, '\0');
  if (std::fread(header.data(), 1, header_len, file) != header_len) return Bad(name, "truncated header");

  std::map<std::string, HeaderValue> dict;
  if (auto problem = HeaderParser(header).Parse(&dict)) return Bad(name, "malformed header: " + *problem);
  if (dict.size() != 3 || !dict.count("descr") || !dict.count("fortran_order") || !dict.count("shape")) {
    std::string keys;
    for (const auto& [key, value] : dict) keys += (keys.empty() ? "'" : ", '") + key + "'";
    return Bad(name, "the header must hold exactly 'descr', 'fortran_order' and 'shape'; it holds " +
                         (keys.empty() ? std::string("nothing") : keys));
  }
  const HeaderValue& descr = dict["descr"];
  const bool bools = descr.text == "|b1" || descr.text == "b1" || descr.text == "?";
  if (descr.kind != HeaderValue::Kind::kString ||
      (!bools && descr.text != "|u1" && descr.text != "<u1" && descr.text != ">u1" && descr.text != "u1")) {
    return Bad(name, "dtype " + descr.text + "; rows must be uint8 ('|u1': packed bits, or 0/1 with unpacked) "
                         "or bool ('|b1': one bit per element)");
  }
  const HeaderValue& fortran = dict["fortran_order"];
  if (fortran.kind != HeaderValue::Kind::kBool) return Bad(name, "fortran_order is " + fortran.text);
  if (fortran.flag) return Bad(name, "Fortran order; rows must be C order");
  const HeaderValue& shape = dict["shape"];
  if (shape.kind != HeaderValue::Kind::kTuple || shape.tuple.size() != 2) {
    return Bad(name, "shape " + shape.text + "; a 2-D array (rows, bytes per row) is needed");
  }
  NpyShape out{shape.tuple[0], shape.tuple[1], bools, prefix_len + header_len};
  uint64_t data_bytes = 0, need = 0;
  if (__builtin_mul_overflow(out.rows, out.row_bytes, &data_bytes) ||
      __builtin_add_overflow(out.data_offset, data_bytes, &need)) {
    return Bad(name, "shape " + shape.text + " is too large");
  }
  struct stat st;
  if (fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) < need) {
    return Bad(name, "the header promises " + std::to_string(out.rows) + " rows of " + std::to_string(out.row_bytes) +
                         " bytes but the file is truncated (" + std::to_string(st.st_size) + " of " +
                         std::to_string(need) + " bytes)");
  }
  return out;
}

Result<NpyRowFormat> NpyRowFormat::Make(const NpyShape& shape, const NpyReadOptions& options,
                                        const std::string& name) {
  NpyRowFormat f;
  f.row_bytes_ = shape.row_bytes;
  f.bools_ = shape.bools;
  f.unpacked_ = shape.bools || options.unpacked;
  f.padded_ = options.pad;
  // row_bytes <= 2^48 (the header's bound), so 8 x row_bytes and the padding cannot overflow.
  f.file_bits_ = f.unpacked_ ? shape.row_bytes : shape.row_bytes * 8;
  f.dim_ = (f.file_bits_ + 63) / 64 * 64;
  if (f.dim_ != f.file_bits_ && !options.pad) {
    return Status::InvalidArgument(name + " holds " + f.Describe() + "; vectors need a multiple of 64 bits: " +
                                   "pad each row with zero bits to " + std::to_string(f.dim_) +
                                   " (--pad, or NpyReadOptions::pad)");
  }
  return f;
}

std::string NpyRowFormat::Describe() const {
  std::string out = "rows of " + std::to_string(file_bits_) + " bits (";
  if (bools_) out += "bool, one bit per element)";
  else if (unpacked_) out += "uint8 0/1, one bit per element)";
  else out += std::to_string(row_bytes_) + " packed bytes)";
  if (padded_ && dim_ != file_bits_) out += ", padded to " + std::to_string(dim_);
  return out;
}

Status NpyRowFormat::Decode(const unsigned char* in, uint64_t row, const std::string& name, char* bits) const {
  const uint64_t out_bytes = dim_ / 8;
  if (!unpacked_) {
    std::memcpy(bits, in, row_bytes_);
    std::memset(bits + row_bytes_, 0, out_bytes - row_bytes_);
    return Status::OK();
  }
  std::memset(bits, 0, out_bytes);
  for (uint64_t j = 0; j < row_bytes_; ++j) {
    if (in[j] > 1) {
      return Status::InvalidArgument(name + ", row " + std::to_string(row) + ", column " + std::to_string(j) +
                                     ": " + std::to_string(in[j]) + " is not a bit (0 or 1)" +
                                     (bools_ ? "" : "; without unpacked, uint8 rows are read as packed bits"));
    }
    bits[j / 8] = static_cast<char>(static_cast<unsigned char>(bits[j / 8]) | (in[j] << (j % 8)));
  }
  return Status::OK();
}

std::string NpyHeader(uint64_t rows, uint64_t row_bytes) {
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(row_bytes) + "), }";
  // Magic (6) + version (2) + length (2) + dict + padding + '\n', a multiple of 64.
  const size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');
  const uint16_t len = static_cast<uint16_t>(dict.size());
  std::string out = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  return out + dict;
}

Status WriteNpyHeader(std::FILE* file, uint64_t rows, uint64_t row_bytes, const std::string& name) {
  const std::string header = NpyHeader(rows, row_bytes);
  if (std::fwrite(header.data(), 1, header.size(), file) != header.size()) {
    return Status::IOError("writing the header of " + name);
  }
  return Status::OK();
}

}  // namespace hvdb::storage
