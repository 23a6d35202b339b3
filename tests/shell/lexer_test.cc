// Copyright hvdb authors. The shell language's lexer on its own
// (shell/lang/lexer.h): the tokens, their lines and columns, strings and
// their escapes, comments, numbers, the errors (with where), the nesting
// limit, and the scanner that tells an unfinished input.
#include "shell/lang/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hvdb::shell {
namespace {

using Kind = Token::Kind;

std::vector<Token> LexOk(std::string_view source, int first_line = 1) {
  auto tokens = Lex(source, kMaxNesting, first_line);
  EXPECT_TRUE(tokens.ok()) << tokens.status().ToString();
  return tokens.ok() ? *tokens : std::vector<Token>{};
}

std::vector<Kind> Kinds(const std::vector<Token>& tokens) {
  std::vector<Kind> out;
  for (const Token& t : tokens) out.push_back(t.kind);
  return out;
}

std::vector<std::string> Texts(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& t : tokens) out.push_back(t.text);
  return out;
}

// The message of the error Lex gives for `source`.
std::string LexError(std::string_view source, int max_nesting = kMaxNesting) {
  auto tokens = Lex(source, max_nesting);
  if (tokens.ok()) return "(no error)";
  EXPECT_TRUE(tokens.status().IsInvalidArgument()) << tokens.status().ToString();
  return tokens.status().message();
}

TEST(LexerTest, EmptyInputIsJustTheEnd) {
  for (std::string_view source : {"", "   ", "\n\n", "-- only a comment", "\t-- two\n-- comments\n"}) {
    const std::vector<Token> tokens = LexOk(source);
    ASSERT_EQ(tokens.size(), 1u) << source;
    EXPECT_EQ(tokens[0].kind, Kind::kEnd);
  }
}

TEST(LexerTest, EveryKindOfToken) {
  const std::vector<Token> tokens = LexOk("search c_1 bind(x.y-z, \"s\") [k] = 3 ;");
  EXPECT_EQ(Kinds(tokens),
            (std::vector<Kind>{Kind::kWord, Kind::kWord, Kind::kWord, Kind::kLParen, Kind::kWord, Kind::kComma,
                               Kind::kString, Kind::kRParen, Kind::kLBracket, Kind::kWord, Kind::kRBracket,
                               Kind::kEquals, Kind::kNumber, Kind::kSemicolon, Kind::kEnd}));
  EXPECT_EQ(Texts(tokens), (std::vector<std::string>{"search", "c_1", "bind", "(", "x.y-z", ",", "s", ")", "[", "k", "]",
                                                     "=", "3", ";", ""}));
}

TEST(LexerTest, LinesAndColumnsAreOneBasedPerCharacter) {
  const std::vector<Token> tokens = LexOk("put c\n  k\t\"a\nb\" -- note\n\n ;");
  ASSERT_EQ(tokens.size(), 6u);
  const std::vector<std::pair<int, int>> where = {{1, 1}, {1, 5}, {2, 3}, {2, 5}, {5, 2}, {5, 3}};
  for (size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_EQ(tokens[i].line, where[i].first) << "token " << i << " '" << tokens[i].text << "'";
    EXPECT_EQ(tokens[i].column, where[i].second) << "token " << i << " '" << tokens[i].text << "'";
  }
  EXPECT_EQ(tokens[3].text, "a\nb");  // a string may span lines; the next token's line counts them
  EXPECT_EQ(Where(tokens[2]), "line 2, column 3: ");
}

TEST(LexerTest, LinesCountFromTheFirstLineGiven) {
  const std::vector<Token> tokens = LexOk("a\nb", /*first_line=*/41);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0].line, 41);
  EXPECT_EQ(tokens[1].line, 42);
  auto bad = Lex("\n  @", kMaxNesting, 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "line 11, column 3: unexpected character '@'");
}

TEST(LexerTest, Numbers) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"0", {"0"}},
      {"42", {"42"}},
      {"-7", {"-7"}},
      {"3.25", {"3.25"}},
      {"-.5", {"-.5"}},
      {"1e9", {"1e9"}},
      {"2.5E-3", {"2.5E-3"}},
      {"6e+2", {"6e+2"}},
      {"1.2.3", {"1.2.3"}},        // digits and dots as written: the parser judges
      {"7e", {"7", "e"}},          // no exponent digits: a number, then a word
      {"12abc", {"12", "abc"}},
      {"- 3", {}},                 // a lone '-' is no number (see the error test)
  };
  for (const auto& [source, texts] : cases) {
    auto tokens = Lex(source);
    if (texts.empty()) {
      EXPECT_FALSE(tokens.ok()) << source;
      continue;
    }
    ASSERT_TRUE(tokens.ok()) << source << ": " << tokens.status().ToString();
    ASSERT_EQ(tokens->size(), texts.size() + 1) << source;
    EXPECT_EQ((*tokens)[0].kind, Kind::kNumber) << source;
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ((*tokens)[i].text, texts[i]) << source;
  }
}

TEST(LexerTest, WordsTakeLettersDigitsUnderscoresDotsAndDashes) {
  EXPECT_EQ(Texts(LexOk("_a9 b.c d-e f_ G")), (std::vector<std::string>{"_a9", "b.c", "d-e", "f_", "G", ""}));
  // A word cannot start with a digit, a dot or a dash.
  EXPECT_EQ(LexError(".x"), "line 1, column 1: unexpected character '.'");
}

TEST(LexerTest, StringsAndTheirEscapes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("plain")", "plain"},
      {R"('single')", "single"},
      {R"("it's")", "it's"},
      {R"('say "hi"')", "say \"hi\""},
      {R"("a\"b")", "a\"b"},
      {R"('a\'b')", "a'b"},
      {R"("back\\slash")", "back\\slash"},
      {R"("tab\there")", "tab\there"},
      {R"("new\nline")", "new\nline"},
      {R"("\x41\x7a\x00!")", std::string("Az\0!", 4)},
      {R"("\xZZ")", "xZZ"},  // not two hex digits: the x stands for itself
      {R"("\q")", "q"},      // an unknown escape: the character itself
      {R"("")", ""},
      {R"("-- not a comment")", "-- not a comment"},
  };
  for (const auto& [source, text] : cases) {
    const std::vector<Token> tokens = LexOk(source);
    ASSERT_EQ(tokens.size(), 2u) << source;
    EXPECT_EQ(tokens[0].kind, Kind::kString) << source;
    EXPECT_EQ(tokens[0].text, text) << source;
  }
}

TEST(LexerTest, CommentsRunToTheEndOfTheLine) {
  const std::vector<Token> tokens = LexOk("count a -- count b\ncount c--d");
  // "c--d" is one word: a comment starts only where a token could.
  EXPECT_EQ(Texts(tokens), (std::vector<std::string>{"count", "a", "count", "c--d", ""}));
  EXPECT_EQ(tokens[2].line, 2);
}

TEST(LexerTest, ErrorsSayWhatAndWhere) {
  EXPECT_EQ(LexError("let x = 1 + 2"), "line 1, column 11: unexpected character '+'");
  EXPECT_EQ(LexError("get c\n  k #"), "line 2, column 5: unexpected character '#'");
  EXPECT_EQ(LexError("put c k \"never closed"), "line 1, column 9: string is not closed");
  EXPECT_EQ(LexError("x\n 'open\nstill open"), "line 2, column 2: string is not closed");
  EXPECT_EQ(LexError("\"ends in a backslash\\"), "line 1, column 1: string is not closed");
  EXPECT_EQ(LexError("- 3"), "line 1, column 1: unexpected character '-'");
}

TEST(LexerTest, NestingIsCountedAcrossBothKindsOfBracket) {
  EXPECT_TRUE(Lex("(([]))", 3).ok());
  EXPECT_EQ(LexError("([(", 2), "line 1, column 3: expressions nest deeper than 2 levels");
  // Closed brackets give their level back.
  EXPECT_TRUE(Lex("()()()()[][]", 1).ok());
  // A stray closer does not buy a level.
  EXPECT_EQ(LexError(")) ((", 1), "line 1, column 5: expressions nest deeper than 1 levels");
  // A limit above kMaxNesting is kMaxNesting.
  const std::string deep(kMaxNesting + 1, '(');
  EXPECT_EQ(LexError(deep, kMaxNesting * 4),
            "line 1, column " + std::to_string(kMaxNesting + 1) + ": expressions nest deeper than " +
                std::to_string(kMaxNesting) + " levels");
}

TEST(UnfinishedTest, OpenStringsAndBracketsOnly) {
  EXPECT_FALSE(Unfinished(""));
  EXPECT_FALSE(Unfinished("count c"));
  EXPECT_TRUE(Unfinished("put c k bundle(a,"));
  EXPECT_TRUE(Unfinished("get c \"k"));
  EXPECT_TRUE(Unfinished("x['a'"));
  EXPECT_FALSE(Unfinished("put c k bundle(a, b)"));
  EXPECT_FALSE(Unfinished("put c \"(\" x"));      // a bracket in a string
  EXPECT_FALSE(Unfinished("count c -- it's ("));  // a quote and a bracket in a comment
  EXPECT_TRUE(Unfinished("get c 'it\\'s"));       // an escaped quote does not close
  EXPECT_FALSE(Unfinished("a)"));                 // more closers than openers: finished (the parser complains)
}

TEST(InputScannerTest, CarriesQuotesAndDepthAcrossLines) {
  InputScanner s;
  s.Feed("let x = bundle(");
  EXPECT_TRUE(s.unfinished());
  EXPECT_EQ(s.bytes(), 16u);  // the line and its newline
  s.Feed("  sym(\"a\"),");
  EXPECT_TRUE(s.unfinished());
  s.Feed("  sym('b'))");
  EXPECT_FALSE(s.unfinished());
  EXPECT_FALSE(s.too_long());
  s.Reset();
  EXPECT_EQ(s.bytes(), 0u);
  s.Feed("get c \"open");
  s.Feed("still open");
  EXPECT_TRUE(s.unfinished());
  // Lines go on counting across Reset: this string opened on line 4.
  EXPECT_EQ(s.TooLongMessage(), "line 5: the string opened on line 4 is still open after 16 MiB");
  EXPECT_EQ(s.LineTooLongMessage(), "line 5 is longer than 16 MiB");
  s.Feed("closed\"");
  EXPECT_FALSE(s.unfinished());
  s.Reset();
  s.Feed("search c bundle(");
  s.Feed("[");
  EXPECT_EQ(s.TooLongMessage(), "line 8: the bracket opened on line 7 is still open after 16 MiB");
}

}  // namespace
}  // namespace hvdb::shell
