// Copyright hvdb authors. Keys and names from the database, made safe to
// print on a terminal: a stored key must not be able to send escape
// sequences (colours, cursor moves, window titles) to whoever views it.
#ifndef HVDB_SHELL_PRINTABLE_H_
#define HVDB_SHELL_PRINTABLE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace hvdb::shell {

// `bytes` for a terminal: valid printable UTF-8 as is; a backslash as \\;
// control bytes (0x00-0x1f, 0x7f), the C1 controls U+0080-U+009F (which some
// terminals obey) and every byte that is not part of valid UTF-8 as \xNN.
// Distinct byte strings print distinctly.
std::string Printable(std::string_view bytes);

// The length of the valid UTF-8 sequence that starts at text[i] (1 for
// ASCII), or 0 when it is not valid UTF-8 (overlong, a surrogate, past
// U+10FFFF, cut short).
size_t Utf8SequenceLength(std::string_view text, size_t i);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_PRINTABLE_H_
