// Copyright hvdb authors. The shell language's parser on its own
// (shell/lang/parser.h): every statement form of the grammar table
// (shell/lang/grammar.cc) parses, with and without its optional parts, into
// the fields the evaluator reads; expressions become the right trees; every
// malformed input gives an error that says what and where.
#include "shell/lang/parser.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shell/lang/grammar.h"

namespace hvdb::shell {
namespace {

using SKind = Statement::Kind;
using EKind = Expr::Kind;

Statement ParseOne(const std::string& source) {
  auto statements = Parse(source);
  EXPECT_TRUE(statements.ok()) << source << ": " << statements.status().ToString();
  if (!statements.ok()) return {};
  EXPECT_EQ(statements->size(), 1u) << source;
  return statements->empty() ? Statement{} : statements->front();
}

// The message of the error Parse gives for `source`.
std::string ParseError(const std::string& source, int first_line = 1) {
  auto statements = Parse(source, kMaxNesting, first_line);
  if (statements.ok()) return "(no error)";
  EXPECT_TRUE(statements.status().IsInvalidArgument()) << statements.status().ToString();
  return statements.status().message();
}

std::string ExpressionError(const std::string& source, int max_nesting = kMaxNesting) {
  auto e = ParseExpression(source, max_nesting);
  if (e.ok()) return "(no error)";
  EXPECT_TRUE(e.status().IsInvalidArgument()) << e.status().ToString();
  return e.status().message();
}

// ---------------------------------------------------------------- every form

// The statement kind of each form in the grammar table, by its usage's
// first two words ("drop accumulator" and "drop collection" differ).
SKind KindOfForm(const StatementForm& form) {
  static const std::map<std::string, SKind> kinds = {
      {"create", SKind::kCreate},         {"alter", SKind::kAlter},         {"drop collection", SKind::kDrop},
      {"drop accumulator", SKind::kDropAccumulator}, {"collections", SKind::kCollections},
      {"put", SKind::kPut},               {"get", SKind::kGet},             {"delete", SKind::kDelete},
      {"count", SKind::kCount},           {"let", SKind::kLet},             {"search", SKind::kSearch},
      {"accumulate", SKind::kAccumulate}, {"cleanup", SKind::kCleanup},     {"explain", SKind::kSearch},
  };
  std::istringstream words(form.usage);
  std::string first, second;
  words >> first >> second;
  auto it = kinds.find(first == "drop" ? first + " " + second : first);
  if (it == kinds.end()) {
    ADD_FAILURE() << "the grammar table has a form this test does not know: '" << form.usage
                  << "'; add it to KindOfForm and check its fields below";
    return SKind::kCollections;
  }
  return it->second;
}

// A concrete statement from a usage line: placeholders replaced by values,
// optional [groups] kept (full) or dropped (minimal), alternatives a|b|c
// replaced by their first.
std::string Instantiate(const std::string& usage, bool full) {
  static const std::map<std::string, std::string> values = {
      {"NAME", "things"}, {"KEY", "\"key one\""}, {"EXPR", "bind(sym(\"a\"), permute(x, 2))"},
      {"D", "2048"},      {"KIND", "ivf"},        {"KNOB", "nlist"},
      {"N", "7"},         {"R", "9"},             {"VAR", "v"},
      {"ACC", "acc"},     {"W", "0.5"},           {"S", "3.5"},
  };
  std::string out;
  int depth = 0;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (depth == 0 || full) {
      std::string w = word;
      if (w != "...") {
        if (const size_t bar = w.find('|'); bar != std::string::npos) w = w.substr(0, bar);
        if (auto it = values.find(w); it != values.end()) w = it->second;
        out += (out.empty() ? "" : " ") + w;
      }
    }
    word.clear();
  };
  for (char c : usage) {
    if (c == '[' || c == ']' || c == ' ') {
      flush();
      if (c == '[') ++depth;
      if (c == ']') --depth;
    } else {
      word.push_back(c);
    }
  }
  flush();
  EXPECT_EQ(depth, 0) << usage;
  return out;
}

TEST(ParserTest, InstantiateFillsAUsageLine) {
  EXPECT_EQ(Instantiate("create collection NAME dim D [index KIND [KNOB N ...]]", false),
            "create collection things dim 2048");
  EXPECT_EQ(Instantiate("create collection NAME dim D [index KIND [KNOB N ...]]", true),
            "create collection things dim 2048 index ivf nlist 7");
  EXPECT_EQ(Instantiate("search NAME EXPR [k N] [device cpu|gpu|auto]", true),
            "search things bind(sym(\"a\"), permute(x, 2)) k 7 device cpu");
}

TEST(ParserTest, EveryFormOfTheGrammarTableParses) {
  ASSERT_FALSE(StatementForms().empty());
  for (const StatementForm& form : StatementForms()) {
    EXPECT_EQ(form.usage.substr(0, form.word.size()), form.word) << form.usage;
    EXPECT_FALSE(form.help.empty()) << form.usage;
    const SKind kind = KindOfForm(form);
    for (bool full : {false, true}) {
      const std::string source = Instantiate(form.usage, full);
      SCOPED_TRACE(source);
      const Statement s = ParseOne(source);
      EXPECT_EQ(s.kind, kind);
      EXPECT_EQ(s.token.text, form.word);
      EXPECT_EQ(s.token.line, 1);
      EXPECT_EQ(s.token.column, 1);
      EXPECT_EQ(s.explain, form.word == "explain");
      // What each form names, read back.
      if (form.usage.find("NAME") != std::string::npos) {
        EXPECT_EQ(s.name, "things");
      }
      if (form.usage.find("VAR") != std::string::npos) {
        EXPECT_EQ(s.name, "v");
      }
      if (form.usage.find("KEY") != std::string::npos) {
        EXPECT_EQ(s.key, "key one");
      }
      if (form.usage.find("ACC") != std::string::npos) {
        EXPECT_EQ(s.key, "acc");
      }
      if (form.usage.find("EXPR") != std::string::npos) {
        ASSERT_TRUE(s.expr.has_value());
        EXPECT_EQ(s.expr->kind, EKind::kCall);
        EXPECT_EQ(s.expr->text, "bind");
      } else {
        EXPECT_FALSE(s.expr.has_value());
      }
      if (form.usage.find(" D") != std::string::npos) {
        EXPECT_EQ(s.dim, 2048u);
      }
      if (form.usage.find("KIND") != std::string::npos && (full || form.usage.find("[index") == std::string::npos)) {
        EXPECT_EQ(s.index, "ivf");
      }
      if (full && form.usage.find("KNOB N") != std::string::npos) {
        EXPECT_EQ(s.index_knobs, (std::vector<std::pair<std::string, uint64_t>>{{"nlist", 7}}));
      }
      if (!full) {
        EXPECT_FALSE(s.k.has_value());
        EXPECT_FALSE(s.radius.has_value());
        EXPECT_FALSE(s.number.has_value());
        EXPECT_TRUE(s.index_knobs.empty());
      }
    }
  }
}

// Each statement word of the table is one the parser knows, and a near miss
// of it is suggested back.
TEST(ParserTest, EveryStatementWordIsSuggestedWhenMisspelt) {
  for (const std::string& word : StatementWords()) {
    const std::string typo = word.substr(0, word.size() - 1) + "q";
    const std::string message = ParseError(typo + " x");
    EXPECT_EQ(message, "line 1, column 1: unknown statement '" + typo + "' (did you mean '" + word + "'?)");
  }
}

// ---------------------------------------------------------------- fields

TEST(ParserTest, CreateAndAlterKeepKnobsInOrder) {
  Statement s = ParseOne("create collection docs dim 8192 index ivf nlist 64 nprobe 4 iterations 12");
  EXPECT_EQ(s.kind, SKind::kCreate);
  EXPECT_EQ(s.name, "docs");
  EXPECT_EQ(s.dim, 8192u);
  EXPECT_EQ(s.index, "ivf");
  EXPECT_EQ(s.index_knobs,
            (std::vector<std::pair<std::string, uint64_t>>{{"nlist", 64}, {"nprobe", 4}, {"iterations", 12}}));
  s = ParseOne("create collection plain dim 64");
  EXPECT_FALSE(s.index.has_value());
  s = ParseOne("alter collection docs index hnsw m 16 ef_construction 200 ef 40");
  EXPECT_EQ(s.kind, SKind::kAlter);
  EXPECT_EQ(s.index, "hnsw");
  EXPECT_EQ(s.index_knobs,
            (std::vector<std::pair<std::string, uint64_t>>{{"m", 16}, {"ef_construction", 200}, {"ef", 40}}));
  s = ParseOne("alter collection docs index prefix bits 256 candidates 8");
  EXPECT_EQ(s.index, "prefix");
  for (const std::string& kind : IndexKinds()) {
    EXPECT_EQ(ParseOne("alter collection c index " + kind).index, kind);
  }
  for (const std::string& knob : IndexKnobs()) {
    EXPECT_EQ(ParseOne("create collection c dim 64 index flat " + knob + " 3").index_knobs.at(0).first, knob);
  }
}

TEST(ParserTest, DataStatements) {
  Statement s = ParseOne("put fruit apple sym(\"apple\")");
  EXPECT_EQ(s.kind, SKind::kPut);
  EXPECT_EQ(s.name, "fruit");
  EXPECT_EQ(s.key, "apple");  // a bare word is a key
  s = ParseOne("put fruit 42 x");
  EXPECT_EQ(s.key, "42");  // so is a number, as written
  s = ParseOne("get fruit 'two words'");
  EXPECT_EQ(s.kind, SKind::kGet);
  EXPECT_EQ(s.key, "two words");
  EXPECT_FALSE(s.expr.has_value());
  s = ParseOne("delete fruit \"\"");
  EXPECT_EQ(s.kind, SKind::kDelete);
  EXPECT_EQ(s.key, "");
  s = ParseOne("count fruit");
  EXPECT_EQ(s.kind, SKind::kCount);
  EXPECT_EQ(s.name, "fruit");
  s = ParseOne("collections");
  EXPECT_EQ(s.kind, SKind::kCollections);
  s = ParseOne("drop collection fruit");
  EXPECT_EQ(s.kind, SKind::kDrop);
  EXPECT_EQ(s.name, "fruit");
  s = ParseOne("drop accumulator fruit 'my acc'");
  EXPECT_EQ(s.kind, SKind::kDropAccumulator);
  EXPECT_EQ(s.name, "fruit");
  EXPECT_EQ(s.key, "my acc");
}

TEST(ParserTest, SearchOptions) {
  Statement s = ParseOne("search c q k 5 radius 300 device gpu candidates 40 nprobe 6 ef 90 exact");
  EXPECT_EQ(s.kind, SKind::kSearch);
  EXPECT_EQ(s.name, "c");
  ASSERT_TRUE(s.expr.has_value());
  EXPECT_EQ(s.expr->kind, EKind::kVariable);
  EXPECT_EQ(s.k, 5u);
  EXPECT_EQ(s.radius, 300u);
  EXPECT_EQ(s.device, "gpu");
  EXPECT_EQ(s.candidates, 40u);
  EXPECT_EQ(s.nprobe, 6u);
  EXPECT_EQ(s.ef, 90u);
  EXPECT_TRUE(s.exact);
  // Any order; none at all.
  s = ParseOne("search c q exact device auto k 1");
  EXPECT_EQ(s.k, 1u);
  EXPECT_EQ(s.device, "auto");
  s = ParseOne("search c q");
  EXPECT_FALSE(s.k.has_value());
  EXPECT_FALSE(s.radius.has_value());
  EXPECT_FALSE(s.device.has_value());
  EXPECT_FALSE(s.exact);
  // k 0 with a radius: every hit within it.
  s = ParseOne("search c q k 0 radius 12");
  EXPECT_EQ(s.k, 0u);
  EXPECT_EQ(s.radius, 12u);
  EXPECT_EQ(ParseOne("search c q radius 4294967295").radius, 4294967295u);
  for (const std::string& device : DeviceNames()) EXPECT_EQ(ParseOne("search c q device " + device).device, device);
}

TEST(ParserTest, AccumulateAndCleanup) {
  Statement s = ParseOne("accumulate c acc sym('x') weight -2.5");
  EXPECT_EQ(s.kind, SKind::kAccumulate);
  EXPECT_EQ(s.name, "c");
  EXPECT_EQ(s.key, "acc");
  EXPECT_EQ(s.number, -2.5);
  s = ParseOne("accumulate c acc sym('x')");
  EXPECT_FALSE(s.number.has_value());
  s = ParseOne("cleanup c bundle(a, b) sigma 3");
  EXPECT_EQ(s.kind, SKind::kCleanup);
  EXPECT_EQ(s.name, "c");
  EXPECT_EQ(s.key, "");
  EXPECT_EQ(s.number, 3.0);
}

TEST(ParserTest, ExpressionTrees) {
  const Statement s = ParseOne("let v = bundle(a, c[\"k 1\"], 1.5, 'text', f(), g(h(-3)))");
  EXPECT_EQ(s.kind, SKind::kLet);
  EXPECT_EQ(s.name, "v");
  ASSERT_TRUE(s.expr.has_value());
  const Expr& e = *s.expr;
  EXPECT_EQ(e.kind, EKind::kCall);
  EXPECT_EQ(e.text, "bundle");
  EXPECT_EQ(e.token.column, 9);
  ASSERT_EQ(e.args.size(), 6u);
  EXPECT_EQ(e.args[0].kind, EKind::kVariable);
  EXPECT_EQ(e.args[0].text, "a");
  EXPECT_EQ(e.args[1].kind, EKind::kStored);
  EXPECT_EQ(e.args[1].text, "c");
  EXPECT_EQ(e.args[1].key, "k 1");
  EXPECT_EQ(e.args[2].kind, EKind::kNumber);
  EXPECT_EQ(e.args[2].number, 1.5);
  EXPECT_EQ(e.args[3].kind, EKind::kString);
  EXPECT_EQ(e.args[3].text, "text");
  EXPECT_EQ(e.args[4].kind, EKind::kCall);
  EXPECT_TRUE(e.args[4].args.empty());
  ASSERT_EQ(e.args[5].args.size(), 1u);
  const Expr& h = e.args[5].args[0];
  EXPECT_EQ(h.text, "h");
  ASSERT_EQ(h.args.size(), 1u);
  EXPECT_EQ(h.args[0].number, -3);
  EXPECT_EQ(h.args[0].token.column, 51);
  // Stored keys by word or number too.
  EXPECT_EQ(ParseOne("let w = c[word]").expr->key, "word");
  EXPECT_EQ(ParseOne("let w = c[7]").expr->key, "7");
}

TEST(ParserTest, ParseExpressionTakesOneExpressionOnly) {
  auto e = ParseExpression("permute(sym(\"a\"), 3)");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->text, "permute");
  EXPECT_EQ(e->args.size(), 2u);
  EXPECT_EQ(ExpressionError("a b"), "line 1, column 3: expected the end of the expression, found 'b'");
  EXPECT_EQ(ExpressionError(""), "line 1, column 1: expected an expression, found the end of the input");
  EXPECT_EQ(ExpressionError("x;"), "line 1, column 2: expected the end of the expression, found ';'");
  EXPECT_EQ(ExpressionError("f(g(h(1)))", 2), "line 1, column 6: expressions nest deeper than 2 levels");
  EXPECT_TRUE(ParseExpression("f(g(1))", 2).ok());
}

TEST(ParserTest, StatementsAreSeparatedBySemicolons) {
  auto statements = Parse(";count a;; \n  get a k ;\n-- a comment\nlet x = 1;");
  ASSERT_TRUE(statements.ok()) << statements.status().ToString();
  ASSERT_EQ(statements->size(), 3u);
  EXPECT_EQ((*statements)[0].kind, SKind::kCount);
  EXPECT_EQ((*statements)[1].kind, SKind::kGet);
  EXPECT_EQ((*statements)[1].token.line, 2);
  EXPECT_EQ((*statements)[1].token.column, 3);
  EXPECT_EQ((*statements)[2].kind, SKind::kLet);
  EXPECT_EQ((*statements)[2].token.line, 4);
  auto none = Parse("  ;; -- nothing\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto later = Parse("count a\n;count b", kMaxNesting, 30);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)[1].token.line, 31);
}

// ---------------------------------------------------------------- errors

TEST(ParserTest, MalformedStatementsSayWhatAndWhere) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"count a count b", "line 1, column 9: expected ';' or the end of the statement, found 'count'"},
      {"42", "line 1, column 1: expected a statement, found the number 42"},
      {"(", "line 1, column 1: expected a statement, found '('"},
      {"\"put\"", "line 1, column 1: expected a statement, found a string"},
      {"frobnicate x", "line 1, column 1: unknown statement 'frobnicate'"},
      {"serch c q", "line 1, column 1: unknown statement 'serch' (did you mean 'search'?)"},
      {"create c dim 64", "line 1, column 8: expected 'collection', found 'c'"},
      {"create collection", "line 1, column 18: expected a collection name, found the end of the input"},
      {"create collection c", "line 1, column 20: expected 'dim', found the end of the input"},
      {"create collection c dim x", "line 1, column 25: dim must be a non-negative integer, found 'x'"},
      {"create collection c dim -64", "line 1, column 25: dim must be a non-negative integer, found the number -64"},
      {"create collection c dim 1.5", "line 1, column 25: dim must be a non-negative integer, found the number 1.5"},
      {"create collection c dim 99999999999999999999999",
       "line 1, column 25: dim must be a non-negative integer, found the number 99999999999999999999999"},
      {"create collection c dim 64 index flta", "line 1, column 34: unknown index 'flta' (did you mean 'flat'?)"},
      {"create collection c dim 64 index zzzzzz",
       "line 1, column 34: unknown index 'zzzzzz' (flat, prefix, ivf or hnsw)"},
      {"create collection c dim 64 index 3", "line 1, column 34: expected an index (flat, prefix, ivf or hnsw), found the number 3"},
      {"create collection c dim 64 nlst 4", "line 1, column 28: unknown create option 'nlst' (did you mean 'nlist'?)"},
      {"create collection c dim 64 index ivf nlist", "line 1, column 43: nlist must be a non-negative integer, found the end of the input"},
      {"alter collection c", "line 1, column 19: expected 'index', found the end of the input"},
      {"alter collection c nlist 4", "line 1, column 20: expected 'index', found 'nlist'"},
      {"drop c", "line 1, column 6: expected 'collection' or 'accumulator', found 'c'"},
      {"drop accumulator c", "line 1, column 19: expected a key (a quoted string or a word), found the end of the input"},
      {"count", "line 1, column 6: expected a collection name, found the end of the input"},
      {"put c", "line 1, column 6: expected a key (a quoted string or a word), found the end of the input"},
      {"put c k", "line 1, column 8: expected an expression, found the end of the input"},
      {"get c (", "line 1, column 7: expected a key (a quoted string or a word), found '('"},
      {"let = 1", "line 1, column 5: expected a variable name, found '='"},
      {"let v 1", "line 1, column 7: expected '=', found the number 1"},
      {"let v = bundle(a b)", "line 1, column 18: expected ',' or ')' in the arguments of bundle, found 'b'"},
      {"let v = bundle(a,", "line 1, column 18: expected an expression, found the end of the input"},
      {"let v = c[k", "line 1, column 12: expected ']', found the end of the input"},
      {"let v = c[(", "line 1, column 11: expected a key (a quoted string or a word), found '('"},
      {"let v = )", "line 1, column 9: expected an expression, found ')'"},
      {"let v = 1e999", "line 1, column 9: '1e999' is not a number"},
      {"let v = 1.2.3", "line 1, column 9: '1.2.3' is not a number"},
      {"search c", "line 1, column 9: expected an expression, found the end of the input"},
      {"search c q k", "line 1, column 13: k must be a non-negative integer, found the end of the input"},
      {"search c q k 2 k 3", "line 1, column 16: search option 'k' is given twice"},
      {"search c q k 0", "line 1, column 14: k 0 asks for every hit within a distance: give radius R too (or k N for the N nearest)"},
      {"search c q radius 4294967296", "line 1, column 19: radius must be an integer in [0, 4294967295], found 4294967296"},
      {"search c q device tpu", "line 1, column 19: device must be cpu, gpu or auto, found 'tpu'"},
      {"search c q device", "line 1, column 18: device must be cpu, gpu or auto, found the end of the input"},
      {"search c q kk 3", "line 1, column 12: unknown search option 'kk' (did you mean 'k'?)"},
      {"search c q zzzzzz 3",
       "line 1, column 12: unknown search option 'zzzzzz' (k, radius, device, candidates, nprobe, ef or exact)"},
      {"search c q k 3 3", "line 1, column 16: expected ';' or the end of the statement, found the number 3"},
      {"accumulate c acc x sigma 2", "line 1, column 20: unknown accumulate option 'sigma' (weight)"},
      {"accumulate c acc x weight heavy", "line 1, column 27: weight must be a number, found 'heavy'"},
      {"accumulate c acc x weight 1e999", "line 1, column 27: weight must be a number, found the number 1e999"},
      {"cleanup c x weight 2", "line 1, column 13: unknown cleanup option 'weight' (sigma)"},
      {"cleanup c x sigma", "line 1, column 18: sigma must be a number, found the end of the input"},
      {"get c \"open", "line 1, column 7: string is not closed"},
  };
  for (const auto& [source, message] : cases) EXPECT_EQ(ParseError(source), message) << source;
}

TEST(ParserTest, ErrorsNameTheLineInAScript) {
  EXPECT_EQ(ParseError("count a;\n  get a"),
            "line 2, column 8: expected a key (a quoted string or a word), found the end of the input");
  EXPECT_EQ(ParseError("count a;\n\n\tlet x = f(1,,2)", /*first_line=*/20),
            "line 22, column 14: expected an expression, found ','");
  // The first error wins; nothing after it is parsed.
  EXPECT_EQ(ParseError("search c q k x; frobnicate"), "line 1, column 14: k must be a non-negative integer, found 'x'");
}

TEST(ParserTest, DidYouMeanPicksTheNearestWithinTwoEdits) {
  const std::vector<std::string> words = {"search", "select", "set"};
  EXPECT_EQ(DidYouMean("search", words), "search");
  EXPECT_EQ(DidYouMean("serch", words), "search");
  EXPECT_EQ(DidYouMean("sett", words), "set");
  EXPECT_EQ(DidYouMean("selct", words), "select");
  EXPECT_EQ(DidYouMean("xyz", words), "");
  EXPECT_EQ(DidYouMean("seaXXh", words), "search");  // two edits
  EXPECT_EQ(DidYouMean("sXXXch", words), "");        // three
  EXPECT_EQ(DidYouMean("ab", {"ax", "ay"}), "ax");   // a tie: the first
  EXPECT_EQ(DidYouMean("anything", {}), "");
}

}  // namespace
}  // namespace hvdb::shell
