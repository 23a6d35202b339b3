// Copyright hvdb authors. A shell session: runs statements and dot-commands
// of the hvdb language (docs/shell.md) against a DB and prints the results.
// The shell is an ordinary client: everything goes through <hvdb/hvdb.h>.
#ifndef HVDB_SHELL_LANG_SESSION_H_
#define HVDB_SHELL_LANG_SESSION_H_

#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/hvdb.h"
#include "shell/lang/parser.h"
#include "shell/lang/policy.h"

namespace hvdb::shell {

// What an expression evaluates to.
struct Value {
  enum class Kind { kNumber, kString, kVector };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string text;
  Hypervector vector;
};

class Session;

// The dimension and item memory an expression is evaluated in: the
// statement's collection, or the session's .dim and .seed for `let`.
struct EvalContext {
  size_t dim = 0;
  uint64_t seed = 0;
  Session* session = nullptr;
  Collection* collection = nullptr;  // the statement's; null for let
};

// One function of the language: {name, arguments, help, handler}.
struct Function {
  std::string name;
  size_t min_args, max_args;
  std::string usage;
  std::string help;
  std::function<Result<Value>(const EvalContext&, const std::vector<Value>&, const Expr&)> handler;
};
const std::vector<Function>& Functions();

enum class OutputMode { kTable, kJson, kCsv };

class Session {
 public:
  // db must outlive the session. Results go to out, errors to err (in json
  // mode errors are values on out, so a script's output stays parseable).
  Session(DB* db, std::ostream& out, std::ostream& err);

  // Runs one complete input: statements separated by ';', or one
  // dot-command. An input of more than max_statements statements is refused
  // whole (an error, nothing run). Returns false when the session should end
  // (.quit, or an error with .bail on).
  bool Run(std::string_view input, size_t max_statements = SIZE_MAX);

  // Runs every input in `in`: one line each, continued while a string or a
  // bracket is open. Returns false when the session should end.
  bool RunStream(std::istream& in);
  // .read: runs the statements in the file at `path` (RunStream). An error
  // when it is missing, unreadable, a directory, or read by kMaxReadDepth
  // files that read each other.
  Status RunFile(const std::string& path);

  bool failed() const { return failed_; }   // an error ended it (.bail on)
  size_t errors() const { return errors_; }
  // The last error reported (its code for the server's status codes).
  const Status& last_error() const { return last_error_; }
  // Whether that error refused a write to a read-only session (HTTP 403,
  // where other InvalidArgument errors are 400).
  bool last_error_refused_write() const { return last_error_refused_write_; }
  DB* db() const { return db_; }
  uint64_t NextRandomSeed() { return random_counter_++; }
  // The vector `expression` denotes in collection c's dimension and item
  // memory (the HTTP API's search by expression), under the policy's limits.
  Result<Hypervector> EvaluateQuery(std::string_view expression, Collection* c);
  // What TAB may complete after `before` (the line up to the word being
  // typed): by context, from the grammar's tables (grammar.h): a collection
  // after get/put/search/..., index kinds after index, modes after .mode, a
  // file path after .read/.import/.output (paths: true, words empty), and
  // statement words, dot-commands, functions, variables and collections
  // elsewhere. The caller keeps the candidates that start with the word.
  struct Completion {
    std::vector<std::string> words;
    bool paths = false;
  };
  Completion Complete(std::string_view before) const;

  // Settings the dot-commands change.
  OutputMode mode = OutputMode::kTable;
  bool bail = false;
  bool timer = false;
  size_t dim = 10048;
  uint64_t seed = 0;  // the database's item memory seed until .seed changes it
  std::string device = "auto";
  bool quit = false;
  // What it may do beyond computing (the local shell: anything).
  SessionPolicy policy;
  // Called after each statement that succeeded, with the search's stats for
  // a search (the server's metrics).
  std::function<void(const Statement&, const SearchStats*)> on_statement;

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  // Where messages that are neither results nor errors go (.timer): err
  // unless routed elsewhere (the server sends them to the client apart).
  std::ostream& notices() { return *notices_; }
  void RouteNotices(std::ostream* notices) { notices_ = notices; }
  // .output FILE and .once FILE: results go to the file at `path` (created
  // or truncated) until RestoreOutput, or with `once` only for the next
  // input; `shown` is the name as the user wrote it. IOError naming `shown`.
  Status RedirectOutput(const std::string& path, const std::string& shown, bool once);
  // Results go to the session's own out again; the file is closed.
  void RestoreOutput();
  // The file results go to ("" for the session's out), and whether only once.
  const std::string& output_name() const { return output_name_; }
  bool output_once() const { return output_once_; }
  // Reports an error as text or as a JSON value, per the mode.
  void Error(const Status& status);
  // Rows in the mode: a table, CSV, or a JSON array of objects. Each column:
  // its name and whether it holds numbers (unquoted in JSON); other cells are
  // raw bytes, shown through Printable in tables and CSV.
  struct Column {
    std::string name;
    bool numeric = false;
  };
  void PrintRows(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows);
  // Prints {"ok":true} in json mode; nothing otherwise.
  void Ok();

 private:
  // The error for `what` (a statement or dot-command) in a read-only
  // session; the next Error marks it last_error_refused_write.
  Status RefuseWrite(const std::string& what);
  Status Execute(const Statement& s);
  Result<Value> Eval(const Expr& e, const EvalContext& ctx);
  Result<Hypervector> EvalVector(const Expr& e, const EvalContext& ctx);
  // ResourceExhausted when a call would do more work than policy.max_work.
  Status CheckWork(const Expr& call, const std::vector<Value>& args, const EvalContext& ctx) const;
  Status Cancelled() const;
  Result<Collection*> Get(const std::string& name, const Token& at);
  void PrintHits(const std::vector<SearchHit>& hits);
  void PrintTimer(double seconds, const SearchStats* stats);

  DB* db_;
  std::ostream& base_out_;  // the out given at construction
  // What results are written to: base_out_'s buffer, or output_file_'s.
  std::ostream out_;
  std::ostream& err_;
  std::ostream* notices_;
  std::unique_ptr<std::ofstream> output_file_;
  std::string output_name_;
  bool output_once_ = false;
  int once_depth_ = 0;             // the .read depth .once was given at
  uint64_t output_generation_ = 0;  // changes at every RedirectOutput and RestoreOutput
  // A variable of let: its value, the expression it came from (when that
  // names no other variable) and the dimension and item memory it was
  // evaluated in. A statement of another dimension evaluates the expression
  // again in that dimension (and the same item memory), so that
  // `let q = text("x")` means the same in every collection of the database's
  // item memory.
  struct Variable {
    Value value;
    std::shared_ptr<const Expr> source;
    size_t dim = 0;
    uint64_t seed = 0;
    bool of_collection = false;  // dim and seed are those of a collection it names
  };
  // The dimension and item memory of the first collection `e` names, itself
  // or through a variable; nullopt when it names none.
  std::optional<EvalContext> CollectionContext(const Expr& e);
  // Gives each random() without a seed in `e` the session's next one, so
  // that evaluating a let's expression again draws the same vector.
  void DrawRandomSeeds(Expr& e);
  std::map<std::string, Variable> variables_;
  uint64_t random_counter_ = 1;
  bool failed_ = false;
  size_t errors_ = 0;
  Status last_error_;
  bool refusing_write_ = false;  // set by RefuseWrite until Error reports it
  bool last_error_refused_write_ = false;
  int read_depth_ = 0;  // RunFile calls under way
  int input_line_ = 1;   // the line of the script where the input to Run starts
  bool in_script_ = false;  // Run is running a line of RunStream (stdin, -c, .read)
  std::string source_file_;  // the .read file being run; empty for stdin and -c
};

// std::getline that stops a line at `max` bytes, so that input without
// newlines cannot fill the memory: kLine (the newline, if any, consumed),
// kEnd (nothing was left), kTooLong (line holds the first max bytes).
enum class LineRead { kLine, kEnd, kTooLong };
LineRead ReadLine(std::istream& in, std::string* line, size_t max = kMaxPendingInput);

// Dot-commands: {name, arguments, handler, usage, help}, in one table.
struct DotCommand {
  std::string name;
  std::string args;
  std::function<Status(Session&, const std::vector<std::string>&)> handler;
  std::string help;
  bool writes = false;  // changes the database or writes a file: refused to a read-only session
};
const std::vector<DotCommand>& DotCommands();
// Splits a dot-command line into words (quotes group words).
std::vector<std::string> SplitWords(std::string_view line);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_LANG_SESSION_H_
