// Copyright hvdb authors.
#include "shell/json_writer.h"

#include <cstdint>
#include <cstdio>

namespace hvdb::shell {

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when invalid.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t j) { return static_cast<unsigned char>(text[j]); };
  const unsigned char b = byte(i);
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

}  // namespace

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Valid UTF-8 passes through; any other byte b becomes \udcXX (U+DC00 + b,
      // Python's "surrogateescape"), so binary keys round-trip losslessly.
      if (const size_t n = Utf8Length(text, i); n > 0) {
        out.append(text.substr(i, n));
        i += n - 1;
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\udc%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += buf;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace hvdb::shell
