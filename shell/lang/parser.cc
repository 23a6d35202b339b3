// Copyright hvdb authors.
#include "shell/lang/parser.h"

#include "shell/lang/grammar.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace hvdb::shell {
namespace {

class Parser {
 public:
  Parser(std::vector<Token> tokens, int max_nesting) : t_(std::move(tokens)), max_nesting_(max_nesting) {}

  // One expression and nothing after it.
  Result<Expr> OnlyExpression() {
    HVDB_ASSIGN_OR_RETURN(Expr e, Expression());
    if (Peek().kind != Token::Kind::kEnd) return Error(Peek(), "expected the end of the expression, found " + Describe(Peek()));
    return e;
  }

  Result<std::vector<Statement>> Statements() {
    std::vector<Statement> out;
    while (Peek().kind != Token::Kind::kEnd) {
      if (Peek().kind == Token::Kind::kSemicolon) {
        ++pos_;
        continue;
      }
      HVDB_ASSIGN_OR_RETURN(Statement s, One());
      out.push_back(std::move(s));
      if (Peek().kind != Token::Kind::kSemicolon && Peek().kind != Token::Kind::kEnd) {
        return Error(Peek(), "expected ';' or the end of the statement, found " + Describe(Peek()));
      }
    }
    return out;
  }

 private:
  const Token& Peek() const { return t_[pos_]; }
  const Token& Next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }

  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kEnd: return "the end of the input";
      case Token::Kind::kString: return "a string";
      case Token::Kind::kNumber: return "the number " + t.text;
      default: return "'" + t.text + "'";
    }
  }
  static Status Error(const Token& t, const std::string& what) { return Status::InvalidArgument(Where(t) + what); }

  Result<std::string> Word(const std::string& what) {
    const Token& t = Next();
    if (t.kind != Token::Kind::kWord) return Error(t, "expected " + what + ", found " + Describe(t));
    return t.text;
  }
  Status Keyword(const std::string& word) {
    const Token& t = Next();
    if (t.kind != Token::Kind::kWord || t.text != word) {
      return Error(t, "expected '" + word + "', found " + Describe(t));
    }
    return Status::OK();
  }
  // A key: a quoted string or a bare word.
  Result<std::string> Key() {
    const Token& t = Next();
    if (t.kind != Token::Kind::kString && t.kind != Token::Kind::kWord && t.kind != Token::Kind::kNumber) {
      return Error(t, "expected a key (a quoted string or a word), found " + Describe(t));
    }
    return t.text;
  }
  Result<uint64_t> Count(const std::string& what) {
    const Token& t = Next();
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (t.kind != Token::Kind::kNumber || ec != std::errc() || end != t.text.data() + t.text.size()) {
      return Error(t, what + " must be a non-negative integer, found " + Describe(t));
    }
    return v;
  }

  Result<Statement> One() {
    Statement s;
    s.token = Peek();
    const Token& first = Next();
    if (first.kind != Token::Kind::kWord) return Error(first, "expected a statement, found " + Describe(first));
    const std::string& w = first.text;
    if (w == "explain") {
      const Token& at = Peek();
      if (at.kind != Token::Kind::kWord || at.text != "search") {
        return Error(at, "explain takes a search statement (explain search NAME EXPR ...), found " + Describe(at));
      }
      HVDB_ASSIGN_OR_RETURN(Statement search, One());
      search.token = s.token;
      search.explain = true;
      return search;
    }
    if (w == "drop" && Peek().kind == Token::Kind::kWord && Peek().text == "accumulator") {
      Next();
      s.kind = Statement::Kind::kDropAccumulator;
      HVDB_ASSIGN_OR_RETURN(s.name, Word("a collection name"));
      HVDB_ASSIGN_OR_RETURN(s.key, Key());
      return s;
    }
    if (w == "create" || w == "drop" || w == "alter") {
      if (w == "drop" && (Peek().kind != Token::Kind::kWord || Peek().text != "collection")) {
        return Error(Peek(), "expected 'collection' or 'accumulator', found " + Describe(Peek()));
      }
      HVDB_RETURN_IF_ERROR(Keyword("collection"));
      HVDB_ASSIGN_OR_RETURN(s.name, Word("a collection name"));
      if (w == "drop") {
        s.kind = Statement::Kind::kDrop;
        return s;
      }
      if (w == "alter") {
        s.kind = Statement::Kind::kAlter;
        if (Peek().kind != Token::Kind::kWord || Peek().text != "index") {
          return Error(Peek(), "expected 'index', found " + Describe(Peek()));
        }
      } else {
        s.kind = Statement::Kind::kCreate;
        HVDB_RETURN_IF_ERROR(Keyword("dim"));
        HVDB_ASSIGN_OR_RETURN(s.dim, Count("dim"));
      }
      while (Peek().kind == Token::Kind::kWord) {
        const Token& option = Next();
        if (option.text == "index") {
          const Token& at = Peek();
          HVDB_ASSIGN_OR_RETURN(const std::string kind, Word("an index (" + OneOf(IndexKinds()) + ")"));
          if (!IsOneOf(kind, IndexKinds())) {
            const std::string hint = DidYouMean(kind, IndexKinds());
            return Error(at, "unknown index '" + kind + "'" +
                                 (hint.empty() ? " (" + OneOf(IndexKinds()) + ")" : " (did you mean '" + hint + "'?)"));
          }
          s.index = kind;
        } else if (IsOneOf(option.text, IndexKnobs())) {
          HVDB_ASSIGN_OR_RETURN(const uint64_t value, Count(option.text));
          s.index_knobs.emplace_back(option.text, value);
        } else {
          std::vector<std::string> known = IndexKnobs();
          known.push_back("index");
          std::string hint = DidYouMean(option.text, known);
          return Error(option, "unknown " + w + " option '" + option.text + "'" +
                                   (hint.empty() ? " (index, then its knobs: " + OneOf(IndexKnobs()) + ")"
                                                 : " (did you mean '" + hint + "'?)"));
        }
      }
      if (w == "alter" && !s.index) return Error(Peek(), "alter collection needs 'index KIND'");
      return s;
    }
    if (w == "collections") {
      s.kind = Statement::Kind::kCollections;
      return s;
    }
    if (w == "put" || w == "get" || w == "delete") {
      s.kind = w == "put" ? Statement::Kind::kPut : w == "get" ? Statement::Kind::kGet : Statement::Kind::kDelete;
      HVDB_ASSIGN_OR_RETURN(s.name, Word("a collection name"));
      HVDB_ASSIGN_OR_RETURN(s.key, Key());
      if (w == "put") {
        HVDB_ASSIGN_OR_RETURN(Expr e, Expression());
        s.expr = std::move(e);
      }
      return s;
    }
    if (w == "count") {
      s.kind = Statement::Kind::kCount;
      HVDB_ASSIGN_OR_RETURN(s.name, Word("a collection name"));
      return s;
    }
    if (w == "let") {
      s.kind = Statement::Kind::kLet;
      HVDB_ASSIGN_OR_RETURN(s.name, Word("a variable name"));
      if (Peek().kind != Token::Kind::kEquals) return Error(Peek(), "expected '=', found " + Describe(Peek()));
      ++pos_;
      HVDB_ASSIGN_OR_RETURN(Expr e, Expression());
      s.expr = std::move(e);
      return s;
    }
    if (w == "search") {
      s.kind = Statement::Kind::kSearch;
      HVDB_ASSIGN_OR_RETURN(s.name, Word("a collection name"));
      HVDB_ASSIGN_OR_RETURN(Expr e, Expression());
      s.expr = std::move(e);
      std::vector<std::string> given;  // each option once: `k 2 k 3` is a mistake, not a choice
      Token k_at;
      while (Peek().kind == Token::Kind::kWord) {
        const Token& option = Next();
        if (std::find(given.begin(), given.end(), option.text) != given.end()) {
          return Error(option, "search option '" + option.text + "' is given twice");
        }
        given.push_back(option.text);
        if (option.text == "k") {
          k_at = Peek();
          HVDB_ASSIGN_OR_RETURN(const uint64_t k, Count("k"));
          s.k = k;
        } else if (option.text == "radius") {
          const Token& at = Peek();
          HVDB_ASSIGN_OR_RETURN(const uint64_t r, Count("radius"));
          if (r > UINT32_MAX) return Error(at, "radius must be an integer in [0, 4294967295], found " + at.text);
          s.radius = static_cast<uint32_t>(r);
        } else if (option.text == "candidates") {
          HVDB_ASSIGN_OR_RETURN(const uint64_t c, Count("candidates"));
          s.candidates = c;
        } else if (option.text == "nprobe") {
          HVDB_ASSIGN_OR_RETURN(const uint64_t n, Count("nprobe"));
          s.nprobe = n;
        } else if (option.text == "ef") {
          HVDB_ASSIGN_OR_RETURN(const uint64_t depth, Count("ef"));
          s.ef = depth;
        } else if (option.text == "exact") {
          s.exact = true;
        } else if (option.text == "device") {
          const Token& d = Next();
          if (!IsOneOf(d.text, DeviceNames())) {
            return Error(d, "device must be " + OneOf(DeviceNames()) + ", found " + Describe(d));
          }
          s.device = d.text;
        } else {
          std::string hint = DidYouMean(option.text, SearchOptionWords());
          return Error(option, "unknown search option '" + option.text + "'" +
                                   (hint.empty() ? " (" + OneOf(SearchOptionWords()) + ")"
                                                 : " (did you mean '" + hint + "'?)"));
        }
      }
      if (s.k && *s.k == 0 && !s.radius) {
        return Error(k_at, "k 0 asks for every hit within a distance: give radius R too (or k N for the N nearest)");
      }
      return s;
    }
    if (w == "accumulate" || w == "cleanup") {
      s.kind = w == "accumulate" ? Statement::Kind::kAccumulate : Statement::Kind::kCleanup;
      HVDB_ASSIGN_OR_RETURN(s.name, Word("a collection name"));
      if (w == "accumulate") {
        HVDB_ASSIGN_OR_RETURN(s.key, Key());
      }
      HVDB_ASSIGN_OR_RETURN(Expr e, Expression());
      s.expr = std::move(e);
      const std::string option = w == "accumulate" ? "weight" : "sigma";
      if (Peek().kind == Token::Kind::kWord) {
        const Token& o = Next();
        if (o.text != option) return Error(o, "unknown " + w + " option '" + o.text + "' (" + option + ")");
        const Token& v = Next();
        char* end = nullptr;
        const double number = std::strtod(v.text.c_str(), &end);
        if (v.kind != Token::Kind::kNumber || end != v.text.c_str() + v.text.size() || !std::isfinite(number)) {
          return Error(v, option + " must be a number, found " + Describe(v));
        }
        s.number = number;
      }
      return s;
    }
    const std::string hint = DidYouMean(w, StatementWords());
    return Error(first, "unknown statement '" + w + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }

  Result<Expr> Expression() {
    Expr e;
    e.token = Peek();
    const Token& t = Next();
    switch (t.kind) {
      case Token::Kind::kNumber: {
        e.kind = Expr::Kind::kNumber;
        char* end = nullptr;
        e.number = std::strtod(t.text.c_str(), &end);
        if (end != t.text.c_str() + t.text.size() || !std::isfinite(e.number)) {
          return Error(t, "'" + t.text + "' is not a number");
        }
        return e;
      }
      case Token::Kind::kString:
        e.kind = Expr::Kind::kString;
        e.text = t.text;
        return e;
      case Token::Kind::kWord:
        e.text = t.text;
        if (Peek().kind == Token::Kind::kLParen) {
          // Recursive descent, a level a call: deeper than kMaxNesting is
          // refused before the stack (here, in Session::Eval, in ~Expr)
          // runs out. Lex refuses such brackets first; this holds whatever
          // the tokens.
          if (calls_ >= max_nesting_) {
            return Error(Peek(), "expressions nest deeper than " + std::to_string(max_nesting_) + " levels");
          }
          ++pos_;
          e.kind = Expr::Kind::kCall;
          ++calls_;
          Status s = Arguments(&e);
          --calls_;
          if (!s.ok()) return s;
          return e;
        }
        if (Peek().kind == Token::Kind::kLBracket) {
          ++pos_;
          e.kind = Expr::Kind::kStored;
          HVDB_ASSIGN_OR_RETURN(e.key, Key());
          if (Peek().kind != Token::Kind::kRBracket) return Error(Peek(), "expected ']', found " + Describe(Peek()));
          ++pos_;
          return e;
        }
        e.kind = Expr::Kind::kVariable;
        return e;
      default:
        return Error(t, "expected an expression, found " + Describe(t));
    }
  }

  // The arguments of a call, up to and with its ')'.
  Status Arguments(Expr* call) {
    while (Peek().kind != Token::Kind::kRParen) {
      HVDB_ASSIGN_OR_RETURN(Expr arg, Expression());
      call->args.push_back(std::move(arg));
      if (Peek().kind == Token::Kind::kComma) {
        ++pos_;
      } else if (Peek().kind != Token::Kind::kRParen) {
        return Error(Peek(), "expected ',' or ')' in the arguments of " + call->text + ", found " + Describe(Peek()));
      }
    }
    ++pos_;
    return Status::OK();
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  int max_nesting_;
  int calls_ = 0;  // calls whose arguments are being parsed
};

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

Result<Expr> ParseExpression(std::string_view source, int max_nesting) {
  max_nesting = std::min(max_nesting, kMaxNesting);
  HVDB_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(source, max_nesting));
  return Parser(std::move(tokens), max_nesting).OnlyExpression();
}

Result<std::vector<Statement>> Parse(std::string_view source, int max_nesting, int first_line) {
  max_nesting = std::min(max_nesting, kMaxNesting);
  HVDB_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(source, max_nesting, first_line));
  return Parser(std::move(tokens), max_nesting).Statements();
}

}  // namespace hvdb::shell
