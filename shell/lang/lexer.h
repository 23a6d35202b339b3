// Copyright hvdb authors. Tokens of the hvdb shell language (docs/shell.md).
#ifndef HVDB_SHELL_LANG_LEXER_H_
#define HVDB_SHELL_LANG_LEXER_H_

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

// "line L, column C: " for messages that point at a token.
std::string Where(const Token& t);

// Splits `source` (which may span lines) into tokens ending with kEnd.
// Words: [A-Za-z_][A-Za-z0-9_.-]*. Numbers: -?digits[.digits][e[+-]digits].
// Strings: "..." or '...' with \" \' \\ \n \t \xHH. `--` starts a comment
// to the end of the line. InvalidArgument pointing at a bad character or an
// unterminated string.
Result<std::vector<Token>> Lex(std::string_view source);

// Whether `source` is unfinished: an open string, or more ( or [ than ) or ].
bool Unfinished(std::string_view source);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_LANG_LEXER_H_
