// Copyright hvdb authors.
#include "shell/printable.h"

#include <cstdint>

namespace hvdb::shell {

size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t j) { return static_cast<unsigned char>(text[j]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (b >= 0xc2 && b <= 0xdf) { n = 2; cp = b & 0x1f; }
  else if (b >= 0xe0 && b <= 0xef) { n = 3; cp = b & 0x0f; }
  else if (b >= 0xf0 && b <= 0xf4) { n = 4; cp = b & 0x07; }
  else return 0;
  if (i + n > text.size()) return 0;
  for (size_t j = 1; j < n; ++j) {
    if ((byte(i + j) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + j) & 0x3f);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are invalid.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

std::string Printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  const auto escape = [&](unsigned char b) {
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 15];
  };
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char b = static_cast<unsigned char>(bytes[i]);
    const size_t n = Utf8SequenceLength(bytes, i);
    if (b == '\\') {
      out += "\\\\";
    } else if (n == 1 && b >= 0x20 && b != 0x7f) {
      out += static_cast<char>(b);
    } else if (n > 1 && !(b == 0xc2 && static_cast<unsigned char>(bytes[i + 1]) < 0xa0)) {  // not U+0080-U+009F
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    } else if (n == 2) {  // a C1 control: both bytes
      escape(b);
      escape(static_cast<unsigned char>(bytes[i + 1]));
      i += 2;
      continue;
    } else {
      escape(b);
    }
    ++i;
  }
  return out;
}

}  // namespace hvdb::shell
