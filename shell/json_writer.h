// Copyright hvdb authors. Minimal JSON output: strings escaped per RFC 8259.
#ifndef HVDB_SHELL_JSON_WRITER_H_
#define HVDB_SHELL_JSON_WRITER_H_

#include <string>
#include <string_view>

namespace hvdb::shell {

// `text` as a JSON string literal, quotes included.
std::string JsonString(std::string_view text);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_JSON_WRITER_H_
