// Copyright hvdb authors.
#include "shell/json_writer.h"

#include <cstdint>
#include <cstdio>

#include "shell/printable.h"

namespace hvdb::shell {

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Valid UTF-8 passes through; any other byte b becomes \udcXX (U+DC00 + b,
      // Python's "surrogateescape"), so binary keys round-trip losslessly.
      if (const size_t n = Utf8SequenceLength(text, i); n > 0) {
        // The C1 controls (U+0080-U+009F), which some terminals obey, as \u00XX.
        if (n == 2 && c == '\xc2' && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(text[i + 1])));
          out += buf;
          ++i;
          continue;
        }
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
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
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
