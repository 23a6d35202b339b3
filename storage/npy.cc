// Copyright hvdb authors.
#include "storage/npy.h"

#include <cctype>
#include <cstring>
#include <string_view>
#include <sys/stat.h>

namespace hvdb::storage {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;

Status Bad(const std::string& name, const std::string& what) {
  return Status::InvalidArgument(name + ": not a .npy file hvdb reads: " + what);
}

// The value text of 'field' in the header dict, up to the next top-level ',' or '}'.
std::string FieldValue(std::string_view header, std::string_view field) {
  std::string needle(1, '\'');
  needle.append(field);
  needle.push_back('\'');
  size_t at = header.find(needle);
  if (at == std::string_view::npos) return {};
  at = header.find(':', at + needle.size());
  if (at == std::string_view::npos) return {};
  ++at;
  int depth = 0;
  size_t end = at;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if ((c == ',' || c == '}') && depth == 0) break;
  }
  std::string value(header.substr(at, end - at));
  const size_t first = value.find_first_not_of(" \t");
  const size_t last = value.find_last_not_of(" \t");
  return first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
}

}  // namespace

Result<NpyShape> ReadNpyHeader(std::FILE* file, const std::string& name) {
  unsigned char prefix[10];
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
    unsigned char len[4];
    if (std::fread(len, 1, 4, file) != 4) return Bad(name, "truncated header");
    header_len = len[0] | (uint64_t{len[1]} << 8) | (uint64_t{len[2]} << 16) | (uint64_t{len[3]} << 24);
    prefix_len = 12;
  } else {
    return Bad(name, "format version " + std::to_string(major) + " (1, 2 and 3 are read)");
  }
  if (header_len > (1u << 20)) return Bad(name, "header of " + std::to_string(header_len) + " bytes");
  std::string header(header_len, '\0');
  if (std::fread(header.data(), 1, header_len, file) != header_len) return Bad(name, "truncated header");

  std::string descr = FieldValue(header, "descr");
  if (descr != "'|u1'" && descr != "'<u1'" && descr != "'>u1'" && descr != "'u1'" && descr != "'|b1'") {
    return Bad(name, "dtype " + (descr.empty() ? std::string("missing") : descr) +
                         "; packed rows must be uint8 ('|u1')");
  }
  if (FieldValue(header, "fortran_order") != "False") return Bad(name, "Fortran order; rows must be C order");
  const std::string shape = FieldValue(header, "shape");
  uint64_t dims[2];
  int count = 0;
  for (size_t i = 0; i < shape.size();) {
    if (std::isdigit(static_cast<unsigned char>(shape[i]))) {
      uint64_t v = 0;
      while (i < shape.size() && std::isdigit(static_cast<unsigned char>(shape[i]))) {
        if (v > (uint64_t{1} << 50)) return Bad(name, "shape " + shape + " is too large");
        v = v * 10 + static_cast<uint64_t>(shape[i++] - '0');
      }
      if (count < 2) dims[count] = v;
      ++count;
    } else {
      ++i;
    }
  }
  if (count != 2) return Bad(name, "shape " + (shape.empty() ? std::string("missing") : shape) +
                                       "; a 2-D array (rows, bytes per row) is needed");
  NpyShape out{dims[0], dims[1], prefix_len + header_len};
  struct stat st;
  if (fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode)) {
    const uint64_t need = out.data_offset + out.rows * out.row_bytes;
    if (static_cast<uint64_t>(st.st_size) < need) {
      return Bad(name, "the header promises " + std::to_string(out.rows) + " rows of " +
                           std::to_string(out.row_bytes) + " bytes but the file is truncated (" +
                           std::to_string(st.st_size) + " of " + std::to_string(need) + " bytes)");
    }
  }
  return out;
}

Status WriteNpyHeader(std::FILE* file, uint64_t rows, uint64_t row_bytes, const std::string& name) {
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(row_bytes) + "), }";
  // Magic (6) + version (2) + length (2) + dict + padding + '\n', a multiple of 64.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');
  const uint16_t len = static_cast<uint16_t>(dict.size());
  const unsigned char prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(len & 0xff),
                                    static_cast<unsigned char>(len >> 8)};
  if (std::fwrite(prefix, 1, 10, file) != 10 || std::fwrite(dict.data(), 1, dict.size(), file) != dict.size()) {
    return Status::IOError("writing the header of " + name);
  }
  return Status::OK();
}

}  // namespace hvdb::storage
