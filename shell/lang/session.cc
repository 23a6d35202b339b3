// Copyright hvdb authors.
#include "shell/lang/session.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "shell/json_writer.h"
#include "shell/lang/grammar.h"
#include "shell/printable.h"

namespace hvdb::shell {
namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The index a create or alter statement asks for: its kind and knobs over `base`.
Result<IndexOptions> IndexFrom(const Statement& s, IndexOptions base) {
  if (s.index) {
    HVDB_ASSIGN_OR_RETURN(base.kind, ParseIndexKind(*s.index));
  }
  for (const auto& [knob, value] : s.index_knobs) {
    const size_t v = static_cast<size_t>(value);
    if (knob == "bits") base.prefix_bits = v;
    if (knob == "candidates") base.prefix_candidates = v;
    if (knob == "nlist") base.ivf_nlist = v;
    if (knob == "nprobe") base.ivf_nprobe = v;
    if (knob == "iterations") base.ivf_iterations = v;
    if (knob == "m") base.hnsw_m = v;
    if (knob == "ef_construction") base.hnsw_ef_construction = v;
    if (knob == "ef") base.hnsw_ef_search = v;
  }
  return base;
}

// CSV field: quoted when it holds a comma, quote or newline. Keys and names
// go through Printable first, as in tables, so that no control byte reaches
// a terminal (docs/shell.md).
std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The columns a cell takes on a terminal: its UTF-8 characters (Printable
// leaves valid UTF-8 as it is), not its bytes, so "café" pads like "cafe".
size_t DisplayWidth(std::string_view cell) {
  return static_cast<size_t>(
      std::count_if(cell.begin(), cell.end(), [](char b) { return (static_cast<unsigned char>(b) & 0xc0) != 0x80; }));
}

// Rows under a header, columns padded to their widest cell. Cells holding
// keys or names must have been through Printable.
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = DisplayWidth(header[c]);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], DisplayWidth(r[c]));
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (size_t c = 0; c < r.size(); ++c) {
      s += r[c];
      if (c + 1 < r.size()) s += std::string(width[c] - DisplayWidth(r[c]) + 2, ' ');
    }
    out << s << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

// Whether an expression names a variable anywhere in it.
bool NamesVariables(const Expr& e) {
  if (e.kind == Expr::Kind::kVariable) return true;
  return std::any_of(e.args.begin(), e.args.end(), [](const Expr& arg) { return NamesVariables(arg); });
}

// The memory an expression tree holds (its nodes and their text).
uint64_t ExprBytes(const Expr& e) {
  uint64_t bytes = sizeof(Expr) + e.text.size() + e.key.size() + e.token.text.size();
  for (const Expr& arg : e.args) bytes += ExprBytes(arg);
  return bytes;
}

// `status` pointing at the token, its code kept (a full disk stays a full disk).
Status At(const Token& t, const Status& status) {
  std::string where = Where(t);
  where.resize(where.size() - 2);  // "line L, column C": WithContext adds the ": "
  return status.WithContext(where);
}

// `status` with another message, its code kept.
Status WithMessage(const Status& status, std::string message) {
  switch (status.code()) {
    case Status::Code::kOk: return status;
    case Status::Code::kNotFound: return Status::NotFound(std::move(message));
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(std::move(message));
    case Status::Code::kCorruption: return Status::Corruption(std::move(message));
    case Status::Code::kIOError: return Status::IOError(std::move(message));
    case Status::Code::kResourceExhausted: return Status::ResourceExhausted(std::move(message));
    case Status::Code::kUnavailable: return Status::Unavailable(std::move(message));
    case Status::Code::kAlreadyExists: return Status::AlreadyExists(std::move(message));
  }
  return Status::IOError(std::move(message));
}

}  // namespace

Session::Session(DB* db, std::ostream& out, std::ostream& err)
    : seed(db->item_memory_seed()), db_(db), base_out_(out), out_(out.rdbuf()), err_(err), notices_(&err) {}

Status Session::RedirectOutput(const std::string& path, const std::string& shown, bool once) {
  // What is pending for the current file goes there first: the new file may
  // be the same one, which opening truncates.
  out_.flush();
  auto file = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*file) return Status::IOError("cannot write '" + shown + "': " + std::strerror(errno));
  RestoreOutput();
  output_file_ = std::move(file);
  out_.rdbuf(output_file_->rdbuf());
  output_name_ = shown;
  output_once_ = once;
  once_depth_ = read_depth_;
  ++output_generation_;
  return Status::OK();
}

void Session::RestoreOutput() {
  out_.flush();
  out_.rdbuf(base_out_.rdbuf());
  output_file_.reset();
  output_name_.clear();
  output_once_ = false;
  ++output_generation_;
}

void Session::Error(const Status& status) {
  ++errors_;
  // In a .read file, the error names it (its lines are the file's).
  const Status named = source_file_.empty() ? status : WithMessage(status, source_file_ + ": " + status.message());
  last_error_ = policy.redact ? WithMessage(named, policy.redact(named.message())) : named;
  last_error_refused_write_ = std::exchange(refusing_write_, false);
  if (mode == OutputMode::kJson) {
    // Into the stream of results, as a value, unless those go to a file of
    // .output: errors stay on the terminal.
    (output_file_ ? err_ : out_) << "{\"error\":" << JsonString(last_error_.message()) << "}\n";
  } else {
    err_ << "Error: " << last_error_.message() << "\n";
  }
}

Status Session::RefuseWrite(const std::string& what) {
  refusing_write_ = true;
  return Status::InvalidArgument(what + " writes, and this session may only read (a read-only token)");
}

void Session::PrintRows(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows) {
  if (mode == OutputMode::kJson) {
    out_ << "[";
    for (size_t r = 0; r < rows.size(); ++r) {
      out_ << (r ? ",{" : "{");
      for (size_t c = 0; c < columns.size(); ++c) {
        out_ << (c ? "," : "") << JsonString(columns[c].name) << ":"
             << (columns[c].numeric ? rows[r][c] : JsonString(rows[r][c]));
      }
      out_ << "}";
    }
    out_ << "]\n";
    return;
  }
  std::vector<std::string> header;
  for (const Column& c : columns) header.push_back(c.name);
  std::vector<std::vector<std::string>> shown = rows;
  for (auto& row : shown) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (!columns[c].numeric) row[c] = Printable(row[c]);
    }
  }
  if (mode == OutputMode::kCsv) {
    for (size_t c = 0; c < header.size(); ++c) out_ << (c ? "," : "") << header[c];
    out_ << "\n";
    for (const auto& row : shown) {
      for (size_t c = 0; c < row.size(); ++c) out_ << (c ? "," : "") << Csv(row[c]);
      out_ << "\n";
    }
    return;
  }
  PrintTable(out_, header, shown);
}

void Session::Ok() {
  if (mode == OutputMode::kJson) out_ << "{\"ok\":true}\n";
}

bool Session::Run(std::string_view input, size_t max_statements) {
  if (read_depth_ == 0) failed_ = false;  // a .bail that ended an earlier input is over
  const size_t first = input.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return !quit;
  // What psql, redis-cli and sqlite3 users type: help, quit, exit, \q.
  std::string_view bare = input.substr(first, input.find_last_not_of(" \t\r\n;") + 1 - first);
  if (bare == "help") return Run(".help", max_statements);
  if (bare == "quit" || bare == "exit" || bare == "\\q") return Run(".quit", max_statements);
  // A .once before this input: its output goes to the file, then no more.
  // Only an input that runs something uses it up (not a comment), and only
  // at the .read depth where .once was given (a .read's lines are one input
  // of the file that reads it); the generation tells whether the file is
  // still the one .once opened.
  struct OnceOutput {
    Session* session;
    uint64_t generation;
    bool armed;
    bool used = false;
    ~OnceOutput() {
      if (armed && used && session->output_generation_ == generation) session->RestoreOutput();
    }
  } once{this, output_generation_, output_once_ && once_depth_ == read_depth_};
  Status s;
  if (input[first] == '.') {
    const std::vector<std::string> words = SplitWords(input.substr(first));
    const DotCommand* found = nullptr;
    for (const DotCommand& d : DotCommands()) {
      if (d.name == words[0]) found = &d;
    }
    if (found == nullptr) {
      std::vector<std::string> names;
      for (const DotCommand& d : DotCommands()) names.push_back(d.name);
      const std::string hint = DidYouMean(words[0], names);
      s = Status::InvalidArgument("unknown command '" + words[0] + "'" +
                                  (hint.empty() ? " (.help lists them)" : " (did you mean '" + hint + "'?)"));
    } else if (found->writes && policy.read_only) {
      s = RefuseWrite(found->name);
    } else {
      once.used = true;
      s = found->handler(*this, std::vector<std::string>(words.begin() + 1, words.end()));
    }
    // In a script (stdin, -c, .read) the line, as statements' errors have it.
    if (!s.ok() && in_script_) s = WithMessage(s, "line " + std::to_string(input_line_) + ": " + s.message());
  } else {
    auto statements = Parse(input, policy.max_nesting, input_line_);
    once.used = !statements.ok() || !statements->empty();
    if (!statements.ok()) {
      s = statements.status();
    } else if (statements->size() > max_statements) {
      s = Status::ResourceExhausted("at most " + std::to_string(max_statements) + " statements a request (" +
                                    std::to_string(statements->size()) + " given)");
    } else {
      for (const Statement& st : *statements) {
        if (policy.cancelled()) {
          s = Cancelled();
        } else if (policy.read_only && Writes(st)) {
          s = RefuseWrite(Where(st.token) + "'" + st.token.text + "'");
        } else {
          s = Execute(st);
        }
        if (!s.ok()) break;
      }
    }
  }
  if (!s.ok()) {
    Error(s);
    if (bail) {
      failed_ = true;
      return false;
    }
  }
  return !quit && !failed_;  // failed_: .bail on ended a file that .read ran
}

LineRead ReadLine(std::istream& in, std::string* line, size_t max) {
  line->clear();
  std::streambuf* buf = in.rdbuf();
  bool any = false;
  while (true) {
    const int c = buf == nullptr ? EOF : buf->sbumpc();
    if (c == EOF) {
      in.setstate(std::ios::eofbit);
      return any ? LineRead::kLine : LineRead::kEnd;
    }
    any = true;
    if (c == '\n') return LineRead::kLine;
    if (line->size() == max) return LineRead::kTooLong;
    line->push_back(static_cast<char>(c));
  }
}

Status Session::Cancelled() const { return Status::ResourceExhausted(policy.cancel_reason); }

bool Session::RunStream(std::istream& in) {
  std::string pending, line;
  InputScanner scanner;
  int lines = 0;       // read so far
  int first_line = 1;  // of pending
  // Statements parse with their line in the stream, so that errors name it.
  const auto run = [&] {
    const int outer = std::exchange(input_line_, first_line);
    const bool outer_script = std::exchange(in_script_, true);
    const bool go_on = Run(pending);
    input_line_ = outer;
    in_script_ = outer_script;
    return go_on;
  };
  for (LineRead read; (read = ReadLine(in, &line)) != LineRead::kEnd;) {
    ++lines;
    if (pending.empty()) first_line = lines;
    if (policy.cancelled()) {
      Error(Cancelled());
      failed_ = true;
      return false;
    }
    pending += pending.empty() ? line : "\n" + line;
    scanner.Feed(line);
    if (read == LineRead::kTooLong || scanner.too_long()) {
      // Nothing more of this stream can be read as statements: what follows
      // is inside the string or bracket, or the rest of that line.
      Error(Status::InvalidArgument(read == LineRead::kTooLong ? scanner.LineTooLongMessage()
                                                                : scanner.TooLongMessage()));
      if (bail) failed_ = true;
      return !bail && !quit;
    }
    if (scanner.unfinished()) continue;
    const bool go_on = run();
    pending.clear();
    scanner.Reset();
    if (!go_on) return false;
  }
  return pending.empty() || run();  // an unfinished last input reports its error
}

Status Session::RunFile(const std::string& path) {
  const int max_depth = std::min(policy.max_read_depth, kMaxReadDepth);
  if (read_depth_ >= max_depth) {
    return Status::InvalidArgument("cannot read '" + path + "': .read nests deeper than " +
                                   std::to_string(max_depth) + " files (does a file read itself?)");
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("cannot read '" + path + "': it is a directory");
  }
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read '" + path + "': " + std::strerror(errno));
  ++read_depth_;
  const std::string outer = std::exchange(source_file_, path);
  RunStream(in);
  source_file_ = outer;
  --read_depth_;
  if (in.bad()) return Status::IOError("error reading '" + path + "'");
  return Status::OK();
}

Result<Hypervector> Session::EvaluateQuery(std::string_view expression, Collection* c) {
  HVDB_ASSIGN_OR_RETURN(const Expr e, ParseExpression(expression, policy.max_nesting));
  return EvalVector(e, {c->dim(), c->item_memory_seed(), this, c});
}

void Session::DrawRandomSeeds(Expr& e) {
  if (e.kind != Expr::Kind::kCall) return;
  if (e.text == "random" && e.args.empty()) {
    Expr seed_arg;
    seed_arg.token = e.token;
    seed_arg.number = static_cast<double>(NextRandomSeed());
    e.args.push_back(std::move(seed_arg));
  }
  for (Expr& arg : e.args) DrawRandomSeeds(arg);
}

std::optional<EvalContext> Session::CollectionContext(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kStored: {
      Collection* c = nullptr;
      if (!db_->GetCollection(e.text, &c).ok()) return std::nullopt;  // Eval reports it
      return EvalContext{c->dim(), c->item_memory_seed(), this};
    }
    case Expr::Kind::kVariable: {
      auto it = variables_.find(e.text);
      if (it == variables_.end() || !it->second.of_collection) return std::nullopt;
      return EvalContext{it->second.dim, it->second.seed, this};
    }
    case Expr::Kind::kCall:
      for (const Expr& arg : e.args) {
        if (auto ctx = CollectionContext(arg)) return ctx;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

Result<Collection*> Session::Get(const std::string& name, const Token& at) {
  Collection* c = nullptr;
  const Status s = db_->GetCollection(name, &c);
  if (!s.ok()) {
    const std::string hint = DidYouMean(name, db_->ListCollections());
    return Status::NotFound(Where(at) + "no collection '" + name + "'" +
                            (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  return c;
}

Result<Value> Session::Eval(const Expr& e, const EvalContext& ctx) {
  switch (e.kind) {
    case Expr::Kind::kNumber: {
      Value v;
      v.number = e.number;
      return v;
    }
    case Expr::Kind::kString: {
      Value v;
      v.kind = Value::Kind::kString;
      v.text = e.text;
      return v;
    }
    case Expr::Kind::kVariable: {
      auto it = variables_.find(e.text);
      if (it == variables_.end()) {
        std::vector<std::string> names;
        for (const auto& [n, v] : variables_) names.push_back(n);
        const std::string hint = DidYouMean(e.text, names);
        return Status::InvalidArgument(Where(e.token) + "unknown variable '" + e.text + "'" +
                                       (hint.empty() ? " (define it with let)" : " (did you mean '" + hint + "'?)"));
      }
      const Variable& var = it->second;
      if (var.value.kind == Value::Kind::kVector && var.dim != ctx.dim && var.source != nullptr) {
        EvalContext again = ctx;
        again.seed = var.seed;  // the item memory it was made in (.seed, or its collection's)
        auto value = Eval(*var.source, again);
        if (!value.ok()) {
          return WithMessage(value.status(), Where(e.token) + "'" + e.text + "' made again at dim " +
                                                 std::to_string(ctx.dim) + " from its let: " + value.status().message());
        }
        return value;
      }
      return var.value;
    }
    case Expr::Kind::kStored: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(e.text, e.token));
      auto v = c->Get(e.key);
      if (!v.ok()) return At(e.token, v.status());
      Value out;
      out.kind = Value::Kind::kVector;
      out.vector = std::move(v).value();
      return out;
    }
    case Expr::Kind::kCall: {
      const Function* f = nullptr;
      std::vector<std::string> names;
      for (const Function& fn : Functions()) {
        names.push_back(fn.name);
        if (fn.name == e.text) f = &fn;
      }
      if (f == nullptr) {
        const std::string hint = DidYouMean(e.text, names);
        return Status::InvalidArgument(Where(e.token) + "unknown function '" + e.text + "'" +
                                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
      if (e.args.size() < f->min_args || e.args.size() > f->max_args) {
        return Status::InvalidArgument(Where(e.token) + e.text + " takes " +
                                       (f->min_args == f->max_args ? std::to_string(f->min_args)
                                        : f->max_args == SIZE_MAX  ? "at least " + std::to_string(f->min_args)
                                                                   : std::to_string(f->min_args) + " to " +
                                                                         std::to_string(f->max_args)) +
                                       " arguments, got " + std::to_string(e.args.size()) + ": " + f->usage);
      }
      std::vector<Value> args;
      for (const Expr& a : e.args) {
        HVDB_ASSIGN_OR_RETURN(Value v, Eval(a, ctx));
        args.push_back(std::move(v));
      }
      HVDB_RETURN_IF_ERROR(CheckWork(e, args, ctx));
      return f->handler(ctx, args, e);
    }
  }
  return Status::InvalidArgument(Where(e.token) + "bad expression");
}

Status Session::CheckWork(const Expr& call, const std::vector<Value>& args, const EvalContext& ctx) const {
  if (policy.max_work == 0) return Status::OK();
  // A text costs a vector's work a letter; the others a vector's a member.
  uint64_t items = args.size();
  if (call.text == "text" && !args.empty()) items = args[0].text.size();
  const uint64_t work = items * ctx.dim;
  if (items != 0 && work / items != ctx.dim) return Status::ResourceExhausted(Where(call.token) + "too much work");
  if (work <= policy.max_work) return Status::OK();
  return Status::ResourceExhausted(Where(call.token) + call.text + ": " + std::to_string(items) +
                                   (call.text == "text" ? " letters" : " vectors") + " of " + std::to_string(ctx.dim) +
                                   " bits is more work than this server allows in one call (" +
                                   std::to_string(policy.max_work) + " letter or vector bits)");
}

Result<Hypervector> Session::EvalVector(const Expr& e, const EvalContext& ctx) {
  HVDB_ASSIGN_OR_RETURN(Value v, Eval(e, ctx));
  if (v.kind != Value::Kind::kVector) {
    return Status::InvalidArgument(Where(e.token) + "expected a hypervector, found a " +
                                   (v.kind == Value::Kind::kNumber ? "number" : "string"));
  }
  if (v.vector.dim() != ctx.dim) {
    return Status::InvalidArgument(Where(e.token) + "the vector has dim " + std::to_string(v.vector.dim()) +
                                   ", expected " + std::to_string(ctx.dim));
  }
  return std::move(v.vector);
}

void Session::PrintHits(const std::vector<SearchHit>& hits) {
  if (mode == OutputMode::kJson) {
    out_ << "[";
    for (size_t i = 0; i < hits.size(); ++i) {
      out_ << (i ? "," : "") << "{\"key\":" << JsonString(hits[i].key) << ",\"distance\":" << hits[i].distance
           << ",\"similarity\":" << Fixed(hits[i].similarity, 6) << "}";
    }
    out_ << "]\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const SearchHit& h : hits) {
    rows.push_back({Printable(h.key), std::to_string(h.distance), Fixed(h.similarity, 6)});
  }
  if (mode == OutputMode::kCsv) {
    out_ << "key,distance,similarity\n";
    for (const auto& r : rows) out_ << Csv(r[0]) << "," << r[1] << "," << r[2] << "\n";
    return;
  }
  PrintTable(out_, {"key", "distance", "similarity"}, rows);
}

void Session::PrintTimer(double seconds, const SearchStats* stats) {
  if (!timer || mode == OutputMode::kJson) return;
  // On the notices stream (stderr), so that timings never land inside CSV or
  // a file of .output.
  std::ostream& note = notices();
  note << "time: " << Fixed(seconds * 1e3, 3) << " ms";
  if (stats != nullptr) {
    note << ", rows scanned: " << stats->rows_scanned << ", device: " << DeviceName(stats->plan.device)
         << ", kernel: " << stats->plan.kernel << ", index: " << IndexKindName(stats->plan.index);
    if (stats->candidates_reranked > 0) note << " (" << stats->candidates_reranked << " candidates reranked)";
    note << ", plan: " << stats->plan.reason;
  }
  note << "\n";
}

Status Session::Execute(const Statement& s) {
  const double start = Now();
  switch (s.kind) {
    case Statement::Kind::kCreate: {
      CollectionOptions options{.dim = s.dim};
      Result<IndexOptions> index = IndexFrom(s, options.index);
      if (!index.ok()) return At(s.token, index.status());
      options.index = *index;
      const Status st = db_->CreateCollection(s.name, options);
      if (!st.ok()) return At(s.token, st);
      Ok();
      break;
    }
    case Statement::Kind::kAlter: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      // Knobs not given keep their values when the kind stays the same.
      IndexOptions base = c->index();
      if (IndexKindName(base.kind) != *s.index) base = IndexOptions{};
      Result<IndexOptions> index = IndexFrom(s, base);
      if (!index.ok()) return At(s.token, index.status());
      // A cancel (Ctrl-C, the request's time limit) stops the build between
      // batches; the old index stays.
      const Status st = c->SetIndex(*index, [this](const BulkLoadProgress&) { return !policy.cancelled(); });
      if (st.IsUnavailable() && policy.cancelled()) return At(s.token, Cancelled());
      if (!st.ok()) return At(s.token, st);
      Ok();
      break;
    }
    case Statement::Kind::kDrop: {
      HVDB_RETURN_IF_ERROR(Get(s.name, s.token).status());  // the shell's message, with a suggestion
      const Status st = db_->DropCollection(s.name);
      if (!st.ok()) return At(s.token, st);
      Ok();
      break;
    }
    case Statement::Kind::kCollections: {
      std::vector<std::vector<std::string>> rows;
      for (const std::string& name : db_->ListCollections()) {
        Collection* c = nullptr;
        if (!db_->GetCollection(name, &c).ok()) continue;
        rows.push_back({name, std::to_string(c->dim()), std::to_string(c->Count())});
      }
      PrintRows({{"name", false}, {"dim", true}, {"count", true}}, rows);
      break;
    }
    case Statement::Kind::kPut: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      HVDB_ASSIGN_OR_RETURN(Hypervector v, EvalVector(*s.expr, {c->dim(), c->item_memory_seed(), this, c}));
      const Status st = c->Put(s.key, v);
      if (!st.ok()) return At(s.token, st);
      Ok();
      break;
    }
    case Statement::Kind::kGet: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      auto v = c->Get(s.key);
      if (!v.ok()) return At(s.token, v.status());
      const std::string hex = v->ToHex();
      if (mode == OutputMode::kJson) out_ << "{\"key\":" << JsonString(s.key) << ",\"hex\":\"" << hex << "\"}\n";
      else if (mode == OutputMode::kCsv) out_ << "key,hex\n" << Csv(Printable(s.key)) << "," << hex << "\n";
      else PrintTable(out_, {"key", "hex"}, {{Printable(s.key), hex}});
      break;
    }
    case Statement::Kind::kDelete: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      const Status st = c->Delete(s.key);
      if (!st.ok()) return At(s.token, st);
      Ok();
      break;
    }
    case Statement::Kind::kCount: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      if (mode == OutputMode::kJson) out_ << "{\"count\":" << c->Count() << "}\n";
      else if (mode == OutputMode::kCsv) out_ << "count\n" << c->Count() << "\n";
      else out_ << c->Count() << "\n";
      break;
    }
    case Statement::Kind::kLet: {
      // In the first collection the expression names (let q = bundle(w["a"],
      // w["b"])), else in the session's .dim and .seed.
      const std::optional<EvalContext> named = CollectionContext(*s.expr);
      const EvalContext ctx = named.value_or(EvalContext{dim, seed, this});
      auto source = std::make_shared<Expr>(*s.expr);
      DrawRandomSeeds(*source);
      HVDB_ASSIGN_OR_RETURN(Value v, Eval(*source, ctx));
      // Kept to be made again at another dimension only when it names no
      // variable: then making it again costs what evaluating it once did,
      // and it cannot change with later lets or refer to itself.
      if (NamesVariables(*source)) source.reset();
      if (policy.max_variable_bytes > 0) {
        const auto bytes = [](const Value& x, const Expr* expression) {
          return x.text.size() + x.vector.words() * 8 + sizeof(Value) + (expression ? ExprBytes(*expression) : 0);
        };
        uint64_t total = bytes(v, source.get()) + s.name.size();
        for (const auto& [name, var] : variables_) {
          if (name != s.name) total += bytes(var.value, var.source.get()) + name.size();
        }
        if (total > policy.max_variable_bytes) {
          return Status::ResourceExhausted(Where(s.token) + "the session's variables would hold " +
                                           std::to_string(total) + " bytes, more than this server allows (" +
                                           std::to_string(policy.max_variable_bytes) + ")");
        }
      }
      variables_[s.name] = {std::move(v), std::move(source), ctx.dim, ctx.seed, named.has_value()};
      Ok();
      break;
    }
    case Statement::Kind::kAccumulate: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      HVDB_ASSIGN_OR_RETURN(Hypervector v, EvalVector(*s.expr, {c->dim(), c->item_memory_seed(), this, c}));
      const double weight = s.number.value_or(1);
      // Checked before the cast to int32_t, which is undefined outside its range.
      if (weight != std::floor(weight) || std::abs(weight) > 2147483647.0 || weight == 0) {
        return Status::InvalidArgument(Where(s.token) +
                                       "weight must be a non-zero integer in [-2147483647, 2147483647]");
      }
      const Status st = c->Accumulate(s.key, std::span<const Hypervector>(&v, 1), static_cast<int32_t>(weight));
      if (!st.ok()) return At(s.token, st);
      Ok();
      break;
    }
    case Statement::Kind::kDropAccumulator: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      const Status st = c->DropAccumulator(s.key);
      if (!st.ok()) return At(s.token, st);
      Ok();
      break;
    }
    case Statement::Kind::kCleanup: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      HVDB_ASSIGN_OR_RETURN(Hypervector q, EvalVector(*s.expr, {c->dim(), c->item_memory_seed(), this, c}));
      auto hit = c->Cleanup(q, s.number.value_or(4.0));
      if (!hit.ok() && !hit.status().IsNotFound()) return At(s.token, hit.status());
      if (mode == OutputMode::kJson) {
        if (hit.ok()) {
          out_ << "{\"found\":true,\"key\":" << JsonString(hit->key) << ",\"distance\":" << hit->distance
               << ",\"sigma\":" << Fixed(hdc::ZScore(hit->distance, c->dim()), 2) << "}\n";
        } else {
          out_ << "{\"found\":false,\"reason\":" << JsonString(hit.status().message()) << "}\n";
        }
      } else if (hit.ok()) {
        out_ << Printable(hit->key) << " (distance " << hit->distance << ", " << Fixed(hdc::ZScore(hit->distance, c->dim()), 2)
             << " sigma)\n";
      } else {
        out_ << "not found: " << hit.status().message() << "\n";
      }
      break;
    }
    case Statement::Kind::kSearch: {
      HVDB_ASSIGN_OR_RETURN(Collection * c, Get(s.name, s.token));
      HVDB_ASSIGN_OR_RETURN(Hypervector q, EvalVector(*s.expr, {c->dim(), c->item_memory_seed(), this, c}));
      SearchOptions options;
      options.k = s.k.value_or(s.radius ? 0 : 10);
      options.max_distance = s.radius;
      options.candidates = s.candidates.value_or(0);
      options.nprobe = s.nprobe.value_or(0);
      options.ef = s.ef.value_or(0);
      options.exact = s.exact;
      const std::string where = s.device.value_or(device);
      options.device = where == "cpu" ? Device::kCpu : where == "gpu" ? Device::kGpu : Device::kAuto;
      if (Status limited = policy.LimitHits(&options); !limited.ok()) return At(s.token, limited);
      if (s.explain) {
        auto plan = c->ExplainSearch(1, options);
        if (!plan.ok()) return At(s.token, plan.status());
        PrintRows({{"index", false}, {"device", false}, {"kernel", false}, {"reason", false}},
                  {{IndexKindName(plan->index), DeviceName(plan->device), plan->kernel, plan->reason}});
        break;
      }
      SearchStats stats;
      auto hits = c->Search(q, options, &stats);
      if (!hits.ok()) return At(s.token, hits.status());
      if (Status checked = policy.CheckHits(hits->size()); !checked.ok()) return At(s.token, checked);
      PrintHits(*hits);
      PrintTimer(Now() - start, &stats);
      if (on_statement) on_statement(s, &stats);
      return Status::OK();
    }
  }
  PrintTimer(Now() - start, nullptr);
  if (on_statement) on_statement(s, nullptr);
  return Status::OK();
}

Session::Completion Session::Complete(std::string_view before) const {
  std::vector<std::string> t;  // the words before the one being typed
  for (size_t i = 0; i < before.size();) {
    while (i < before.size() && std::isspace(static_cast<unsigned char>(before[i]))) ++i;
    const size_t start = i;
    while (i < before.size() && !std::isspace(static_cast<unsigned char>(before[i]))) ++i;
    if (i > start) t.emplace_back(before.substr(start, i - start));
  }
  // explain search ...: completes as the search it explains.
  if (!t.empty() && t[0] == "explain") {
    if (t.size() == 1) return Completion{{"search"}};
    t.erase(t.begin());
  }
  const size_t n = t.size();
  Completion c;
  auto add = [&c](const std::vector<std::string>& words) { c.words.insert(c.words.end(), words.begin(), words.end()); };
  const std::vector<std::string> collections = db_->ListCollections();
  auto function_names = [] {
    std::vector<std::string> out;
    for (const Function& f : Functions()) out.push_back(f.name + "(");
    return out;
  };
  if (n == 0) {
    add(StatementWords());
    for (const DotCommand& d : DotCommands()) c.words.push_back(d.name);
    add({"help", "quit", "exit"});
    return c;
  }
  const std::string& first = t[0];
  if (first[0] == '.') {
    const bool file_first = first == ".read" || first == ".import" || first == ".output" || first == ".once";
    if (n == 1 && file_first) c.paths = true;
    else if (n == 1 && first == ".mode") add(ModeNames());
    else if (n == 1 && (first == ".timer" || first == ".bail")) add({"on", "off"});
    else if (n == 1 && first == ".device") add(DeviceNames());
    else if (n == 1 && (first == ".describe" || first == ".accumulators" || first == ".export")) add(collections);
    else if (n == 1 && first == ".help") {
      for (const DotCommand& d : DotCommands()) c.words.push_back(d.name);
      add(StatementWords());
      for (const Function& f : Functions()) c.words.push_back(f.name);
    } else if (n == 2 && first == ".import") add(collections);
    else if (n == 2 && first == ".export") c.paths = true;
    else if (n >= 3 && first == ".import") add({"unpacked", "pad"});
    return c;
  }
  auto only = [&c](const std::vector<std::string>& words) {
    c.words = words;
    return c;
  };
  const std::string& last = t.back();
  if (last == "index") return only(IndexKinds());
  if (last == "device") return only(DeviceNames());
  if (n == 1 && (first == "create" || first == "alter")) return only({"collection"});
  if (n == 1 && first == "drop") return only({"collection", "accumulator"});
  if (n == 2 && (first == "alter" || first == "drop")) return only(collections);
  if (n == 3 && first == "create") return only({"dim"});
  if (n == 3 && first == "alter") return only({"index"});
  if (first == "create" || first == "alter") {
    if (n < 5) return c;
    std::vector<std::string> knobs = IndexKnobs();
    knobs.push_back("index");
    return only(knobs);
  }
  if (n == 1 && IsOneOf(first, StatementWords()) && first != "collections" && first != "let") {
    return only(collections);
  }
  // An expression; in a search, its options once the expression's brackets
  // are closed.
  add(function_names());
  add(collections);
  for (const auto& [name, variable] : variables_) c.words.push_back(name);
  int open = 0;
  for (char ch : before) open += (ch == '(' || ch == '[') - (ch == ')' || ch == ']');
  if (open > 0) return c;
  if (first == "search" && n >= 3) add(SearchOptionWords());
  if (first == "accumulate" && n >= 4) add({"weight"});
  if (first == "cleanup" && n >= 3) add({"sigma"});
  return c;
}

}  // namespace hvdb::shell
