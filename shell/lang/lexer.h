// Copyright hvdb authors. Tokens of the hvdb shell language (docs/shell.md).
#ifndef HVDB_SHELL_LANG_LEXER_H_
#define HVDB_SHELL_LANG_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/result.h"

namespace hvdb::shell {

struct Token {
  enum class Kind { kWord, kNumber, kString, kLParen, kRParen, kLBracket, kRBracket, kComma, kEquals, kSemicolon, kEnd };
  Kind kind;
  std::string text;  // words and numbers as written; strings unescaped
  int line = 1;
  int column = 1;    // 1-based, of the token's first character
};

// Brackets, and so function calls, nest at most this deep: the parser and the
// evaluator recurse once a level, and the stack is not unbounded.
inline constexpr int kMaxNesting = 256;
// One input (lines continued while a string or bracket is open) is at most
// this long, so an unclosed quote cannot gather a whole file.
inline constexpr size_t kMaxPendingInput = size_t{16} << 20;

// "line L, column C: " for messages that point at a token.
std::string Where(const Token& t);

// Splits `source` (which may span lines) into tokens ending with kEnd.
// Words: [A-Za-z_][A-Za-z0-9_.-]*. Numbers: -?digits[.digits][e[+-]digits].
// Strings: "..." or '...' with \" \' \\ \n \t \xHH. `--` starts a comment
// to the end of the line. InvalidArgument pointing at a bad character or an
// unterminated string, or at the bracket that nests deeper than max_nesting
// (at most kMaxNesting). Lines count from first_line (a script's line).
Result<std::vector<Token>> Lex(std::string_view source, int max_nesting = kMaxNesting, int first_line = 1);

// Whether `source` is unfinished: an open string, or more ( or [ than ) or ].
bool Unfinished(std::string_view source);

// Unfinished, a line at a time: keeps the open quote and the bracket depth
// between lines, so that reading N lines scans each byte once (asking
// Unfinished of the whole pending text after each line is quadratic).
class InputScanner {
 public:
  // Scans one more line (without its newline; one holding newlines counts as
  // that many lines).
  void Feed(std::string_view line);
  // An open string, or more ( or [ than ) or ] since the last Reset.
  bool unfinished() const { return quote_ != 0 || depth_ > 0; }
  // Bytes fed since the last Reset, a newline counted after each line.
  size_t bytes() const { return bytes_; }
  // Unfinished and longer than kMaxPendingInput: the input must be given up.
  bool too_long() const { return unfinished() && bytes_ > kMaxPendingInput; }
  // "line N: the string opened on line M is still open after 16 MiB", for
  // too_long(); lines are counted from the first Feed.
  std::string TooLongMessage() const;
  // "line N is longer than 16 MiB", for a line cut short at kMaxPendingInput.
  std::string LineTooLongMessage() const;
  // The next line starts a new input (line numbers go on).
  void Reset();

 private:
  char quote_ = 0;         // the open string's quote
  int64_t depth_ = 0;         // ( and [ less ) and ]
  int64_t line_ = 0;          // lines fed
  int64_t quote_line_ = 0;    // where the open string began
  int64_t bracket_line_ = 0;  // where the outermost open bracket began
  size_t bytes_ = 0;
};

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_LANG_LEXER_H_
