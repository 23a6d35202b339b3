// Copyright hvdb authors. Minimal JSON output: strings escaped per RFC 8259.
#ifndef HVDB_SHELL_JSON_WRITER_H_
#define HVDB_SHELL_JSON_WRITER_H_

#include <string>
#include <string_view>

namespace hvdb::shell {

// `text` as a JSON string literal, quotes included. Valid UTF-8 is kept;
// every byte that is not part of valid UTF-8 is written as \udcXX (U+DC00 +
// the byte, Python's "surrogateescape"), so any byte string round-trips:
// json.loads(s).encode("utf-8", "surrogateescape") gives the bytes back.
std::string JsonString(std::string_view text);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_JSON_WRITER_H_
