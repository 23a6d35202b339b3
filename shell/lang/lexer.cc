// Copyright hvdb authors.
#include "shell/lang/lexer.h"

#include <algorithm>
#include <cctype>

namespace hvdb::shell {
namespace {

bool WordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool WordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }
bool Digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
int HexDigit(char c) {
  if (Digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Where(const Token& t) {
  return "line " + std::to_string(t.line) + ", column " + std::to_string(t.column) + ": ";
}

Result<std::vector<Token>> Lex(std::string_view s, int max_nesting, int first_line) {
  max_nesting = std::min(max_nesting, kMaxNesting);
  std::vector<Token> out;
  int line = first_line, column = 1;
  int depth = 0;  // open ( and [
  size_t i = 0;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < s.size(); ++k, ++i) {
      if (s[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      advance(1);
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') advance(1);
      continue;
    }
    Token t{Token::Kind::kEnd, "", line, column};
    if (WordStart(c)) {
      size_t j = i;
      while (j < s.size() && WordChar(s[j])) ++j;
      t.kind = Token::Kind::kWord;
      t.text = std::string(s.substr(i, j - i));
      advance(j - i);
    } else if (Digit(c) || (c == '-' && i + 1 < s.size() && (Digit(s[i + 1]) || s[i + 1] == '.'))) {
      size_t j = i + (c == '-');
      while (j < s.size() && (Digit(s[j]) || s[j] == '.')) ++j;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && Digit(s[k])) {
          j = k;
          while (j < s.size() && Digit(s[j])) ++j;
        }
      }
      t.kind = Token::Kind::kNumber;
      t.text = std::string(s.substr(i, j - i));
      advance(j - i);
    } else if (c == '"' || c == '\'') {
      t.kind = Token::Kind::kString;
      advance(1);
      bool closed = false;
      while (i < s.size()) {
        const char d = s[i];
        if (d == c) {
          advance(1);
          closed = true;
          break;
        }
        if (d == '\\' && i + 1 < s.size()) {
          const char e = s[i + 1];
          if (e == 'n') t.text.push_back('\n');
          else if (e == 't') t.text.push_back('\t');
          else if (e == 'x' && i + 3 < s.size() && HexDigit(s[i + 2]) >= 0 && HexDigit(s[i + 3]) >= 0) {
            t.text.push_back(static_cast<char>(HexDigit(s[i + 2]) * 16 + HexDigit(s[i + 3])));
            advance(2);
          } else {
            t.text.push_back(e);
          }
          advance(2);
          continue;
        }
        t.text.push_back(d);
        advance(1);
      }
      if (!closed) return Status::InvalidArgument(Where(t) + "string is not closed");
    } else {
      static constexpr struct {
        char c;
        Token::Kind kind;
      } kPunct[] = {{'(', Token::Kind::kLParen},   {')', Token::Kind::kRParen}, {'[', Token::Kind::kLBracket},
                    {']', Token::Kind::kRBracket}, {',', Token::Kind::kComma},  {'=', Token::Kind::kEquals},
                    {';', Token::Kind::kSemicolon}};
      bool found = false;
      for (const auto& p : kPunct) {
        if (p.c == c) {
          t.kind = p.kind;
          t.text = std::string(1, c);
          found = true;
        }
      }
      if (!found) return Status::InvalidArgument(Where(t) + "unexpected character '" + std::string(1, c) + "'");
      // Stops here rather than after a megabyte of '(': the parser would
      // refuse it anyway, and the tokens would cost far more than the text.
      if ((c == '(' || c == '[') && ++depth > max_nesting) {
        return Status::InvalidArgument(Where(t) + "expressions nest deeper than " + std::to_string(max_nesting) +
                                       " levels");
      }
      if ((c == ')' || c == ']') && depth > 0) --depth;
      advance(1);
    }
    out.push_back(std::move(t));
  }
  out.push_back({Token::Kind::kEnd, "", line, column});
  return out;
}

bool Unfinished(std::string_view s) {
  InputScanner scanner;
  scanner.Feed(s);
  return scanner.unfinished();
}

void InputScanner::Feed(std::string_view s) {
  ++line_;
  bytes_ += s.size() + 1;
  // A backslash that ends a line in a string escapes the newline, which is
  // not in `s`: nothing is carried over for it.
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\n') ++line_;
    if (quote_) {
      if (c == '\\' && i + 1 < s.size()) {
        if (s[++i] == '\n') ++line_;
      } else if (c == quote_) {
        quote_ = 0;
      }
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {  // a comment, to the end of the line
      while (i + 1 < s.size() && s[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote_ = c;
      quote_line_ = line_;
    } else if (c == '(' || c == '[') {
      if (depth_++ == 0) bracket_line_ = line_;
    } else if (c == ')' || c == ']') {
      --depth_;
    }
  }
}

std::string InputScanner::TooLongMessage() const {
  return "line " + std::to_string(line_) + ": the " + (quote_ ? "string" : "bracket") + " opened on line " +
         std::to_string(quote_ ? quote_line_ : bracket_line_) + " is still open after " +
         std::to_string(kMaxPendingInput >> 20) + " MiB";
}

std::string InputScanner::LineTooLongMessage() const {
  return "line " + std::to_string(line_) + " is longer than " + std::to_string(kMaxPendingInput >> 20) + " MiB";
}

void InputScanner::Reset() {
  quote_ = 0;
  depth_ = 0;
  bytes_ = 0;
}

}  // namespace hvdb::shell
