// Copyright hvdb authors. The statements of the hvdb shell language
// (docs/shell.md) and their parser.
#ifndef HVDB_SHELL_LANG_PARSER_H_
#define HVDB_SHELL_LANG_PARSER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/result.h"
#include "shell/lang/lexer.h"

namespace hvdb::shell {

struct Expr {
  enum class Kind { kNumber, kString, kVariable, kCall, kStored };
  Kind kind = Kind::kNumber;
  Token token;              // where it starts, for messages
  double number = 0;
  std::string text;         // string value, variable, function or collection name
  std::string key;          // kStored: COLLECTION["key"]
  std::vector<Expr> args;   // kCall
};

struct Statement {
  enum class Kind {
    kCreate, kAlter, kDrop, kCollections, kPut, kGet, kDelete, kCount, kLet, kSearch, kAccumulate, kCleanup,
    kDropAccumulator  // drop accumulator NAME ACC (name: the collection, key: the accumulator)
  };
  Kind kind = Kind::kCollections;
  Token token;                        // the statement's first word
  std::string name;                   // collection, or the variable of let
  std::string key;                    // put, get, delete; the accumulator of accumulate
  std::optional<Expr> expr;           // put, let, search
  size_t dim = 0;                     // create
  std::optional<std::string> index;   // create, alter: flat, prefix, ivf or hnsw
  // create, alter: the index's knobs by name (bits, candidates, nlist,
  // nprobe, iterations, m, ef_construction, ef), in the order given.
  std::vector<std::pair<std::string, uint64_t>> index_knobs;
  std::optional<size_t> candidates;   // search: candidates per hit (prefix)
  std::optional<size_t> nprobe;       // search: lists probed (ivf)
  std::optional<size_t> ef;           // search: candidate list (hnsw)
  bool exact = false;                 // search: ignore the index
  bool explain = false;               // search: print the plan instead of running it
  std::optional<size_t> k;            // search
  std::optional<uint32_t> radius;     // search
  std::optional<std::string> device;  // search: cpu, gpu or auto
  std::optional<double> number;       // accumulate: weight; cleanup: sigma
};

// Statements separated by ';'. InvalidArgument "line L, column C: ..."
// pointing at the first token that does not fit, with a suggestion for a
// misspelt statement word.
// Expressions nest at most max_nesting levels (at most kMaxNesting). Lines
// count from first_line (where the source starts in a script).
Result<std::vector<Statement>> Parse(std::string_view source, int max_nesting = kMaxNesting, int first_line = 1);
// One expression (text("x"), bundle(c["a"], sym("b")), ...), nothing more.
Result<Expr> ParseExpression(std::string_view source, int max_nesting = kMaxNesting);

// The candidate nearest to `word` by edit distance when it is at most 2 edits
// away, else empty.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_LANG_PARSER_H_
