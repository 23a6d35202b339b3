// Copyright hvdb authors.
#include "shell/shell_command.h"

#include <editline/readline.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include <clocale>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "hvdb/hvdb.h"
#include "shell/client.h"

#include <boost/json.hpp>
#include "shell/command_line.h"
#include "shell/lang/session.h"

namespace hvdb::shell {
namespace {

Session* completing = nullptr;  // the session whose words tab completes (interactive only)
volatile std::sig_atomic_t interrupted = 0;  // Ctrl-C at the prompt
// Ctrl-C while a statement runs: the session's cancel flag (SessionPolicy),
// seen between index-build batches, load steps and statements.
std::atomic<bool> statement_cancelled{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

void OnInterrupt(int) {
  interrupted = 1;
  statement_cancelled.store(true, std::memory_order_relaxed);
}

// One byte of the terminal, waking every 50 ms to see whether Ctrl-C came:
// a SIGINT that lands while readline is not blocked in read() would
// otherwise wait for the next key. -1: end of input, or Ctrl-C.
int ReadByte(int fd) {
  while (!interrupted) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    unsigned char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    if (n == 1) return c;
    if (n == 0 || errno != EINTR) return -1;
  }
  return -1;
}

// readline's key reader: a whole UTF-8 character as its code point (libedit
// takes the value as the character itself).
int GetKey(FILE* in) {
  const int fd = fileno(in);
  const int lead = ReadByte(fd);
  if (lead < 0x80) return lead;  // ASCII, or -1
  const int more = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
  int code = lead & (0x3f >> more);
  for (int i = 0; i < more; ++i) {
    const int next = ReadByte(fd);
    if (next < 0) return -1;
    code = (code << 6) | (next & 0x3f);
  }
  return more == 0 ? 0xfffd : code;
}

// The candidates of the completion under way, set by Complete for
// CompletionWord, which readline calls until it returns null.
std::vector<std::string> completion_words;

char* CompletionWord(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t next = 0;
  if (state == 0) {
    matches.clear();
    next = 0;
    for (const std::string& w : completion_words) {
      if (w.rfind(text, 0) == 0 && std::find(matches.begin(), matches.end(), w) == matches.end()) matches.push_back(w);
    }
  }
  return next < matches.size() ? strdup(matches[next++].c_str()) : nullptr;
}

// By context (Session::Complete): the line before the word decides what fits.
char** Complete(const char* text, int start, int) {
  completion_words.clear();
  if (completing == nullptr) {
    rl_attempted_completion_over = 1;
    return nullptr;
  }
  // libedit counts `start` in characters; the buffer is UTF-8 bytes.
  const std::string_view line(rl_line_buffer);
  size_t bytes = 0;
  for (int chars = 0; bytes < line.size() && chars < start; ++chars) {
    do ++bytes;
    while (bytes < line.size() && (static_cast<unsigned char>(line[bytes]) & 0xc0) == 0x80);
  }
  const Session::Completion c = completing->Complete(line.substr(0, bytes));
  if (c.paths) {
    rl_attempted_completion_over = 0;  // readline's own file name completion
    return nullptr;
  }
  rl_attempted_completion_over = 1;
  completion_words = c.words;
  return rl_completion_matches(text, CompletionWord);
}

// The prompt loop. run(input) returns false to end the session.
int Interactive(Session* session, const std::string& where, const std::function<bool(const std::string&)>& run,
                std::ostream& out, std::ostream& err) {
  const char* home = std::getenv("HOME");
  const std::string history = std::string(home ? home : ".") + "/.hvdb_history";
  // libedit converts keys with the locale's character type: the user's
  // (UTF-8) rather than "C", which would drop every non-ASCII key.
  std::setlocale(LC_CTYPE, "");
  rl_getc_function = GetKey;  // before libedit initializes
  using_history();
  read_history(history.c_str());
  completing = session;
  rl_attempted_completion_function = Complete;
  if (session != nullptr) {
    session->policy.cancel = &statement_cancelled;
    session->policy.cancel_reason = "cancelled (Ctrl-C): the running statement stopped without changing anything";
  }
  out << "hvdb " << Version() << " on " << where << ". Type .help for help, .quit to leave.\n";
  // Ctrl-C abandons the line being typed, as in sqlite3 and psql, instead of
  // ending the shell; Ctrl-D or .quit end it.
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  // Reads a statement makes (an .import from a pipe) go on after Ctrl-C and
  // see the cancel at their next check; the prompt polls (ReadByte).
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  sigaction(SIGINT, &action, &previous);
  std::string pending;
  InputScanner scanner;
  while (true) {
    // A Ctrl-C while a statement ran (the terminal dropped what was typed
    // meanwhile) or at the prompt abandons the line: readline returns at once.
    char* line = readline(pending.empty() ? "hvdb> " : "  ...> ");
    if (interrupted) {
      std::free(line);
      out << "^C\n";
      pending.clear();
      scanner.Reset();
      interrupted = 0;
      continue;
    }
    if (line == nullptr) break;  // end of input (Ctrl-D)
    pending += pending.empty() ? std::string(line) : "\n" + std::string(line);
    scanner.Feed(line);
    std::free(line);
    if (scanner.too_long()) {
      err << "Error: " << scanner.TooLongMessage() << "; the input is dropped\n";
      pending.clear();
      scanner.Reset();
      continue;
    }
    if (scanner.unfinished()) continue;
    if (pending.find_first_not_of(" \t") != std::string::npos) {
      add_history(pending.c_str());
      write_history(history.c_str());
    }
    statement_cancelled.store(false);
    const bool go_on = run(pending);
    // A Ctrl-C during the statement went to it (it says so), not to the next line.
    if (statement_cancelled.exchange(false)) interrupted = 0;
    pending.clear();
    scanner.Reset();
    out.flush();
    if (!go_on) break;
  }
  completing = nullptr;
  sigaction(SIGINT, &previous, nullptr);
  return 0;
}

// What the server answers, shown as the local shell shows it: the settings
// the client asked for (.mode, .bail) are mirrored here to know how.
class RemoteView {
 public:
  RemoteView(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  // Prints one answer to `statement`; false when it was an error.
  bool Show(const std::string& statement, const std::string& answer) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(answer, ec);
    const boost::json::object* o = !ec && v.is_object() ? &v.as_object() : nullptr;
    const bool error = o != nullptr && o->contains("error");
    const bool was_json = json_;
    if (!error) Mirror(statement);  // the answer to .mode itself is still in the old mode
    if (was_json) {  // .mode json: the values themselves, one a line
      out_ << answer << "\n";
      return !error;
    }
    // An array, or an object with neither text nor error: the server's
    // session is in json mode without our knowing (a .read switched it).
    if (o == nullptr || (!o->contains("output") && !o->contains("notice") && !error && !IsOk(*o))) {
      out_ << answer << "\n";
      return !error;
    }
    if (const auto* text = o->if_contains("output"); text != nullptr && text->is_string()) {
      const std::string_view output = text->as_string();
      out_ << output << (output.empty() || output.back() == '\n' ? "" : "\n");
    }
    if (const auto* notice = o->if_contains("notice"); notice != nullptr && notice->is_string()) {
      err_ << std::string_view(notice->as_string());
    }
    if (const auto* message = o->if_contains("error"); message != nullptr && message->is_string()) {
      err_ << "Error: " << std::string_view(message->as_string()) << "\n";
    }
    return !error;
  }
  bool bail() const { return bail_; }

 private:
  // {"ok":true}: what a statement that prints nothing answers.
  static bool IsOk(const boost::json::object& o) {
    const auto* ok = o.if_contains("ok");
    return o.size() == 1 && ok != nullptr && ok->is_bool() && ok->as_bool();
  }

  void Mirror(const std::string& statement) {
    const std::vector<std::string> words = SplitWords(statement);
    if (words.size() == 2 && words[0] == ".mode") json_ = words[1] == "json";
    if (words.size() == 2 && words[0] == ".bail") bail_ = words[1] == "on";
  }

  std::ostream& out_;
  std::ostream& err_;
  bool json_ = false;
  bool bail_ = false;
};

// Sends each statement of each input to the server and prints the answers
// as the local shell would (the server's session runs in table mode).
int Remote(const std::string& address, const ConnectOptions& options, const std::string& commands, bool have_commands,
           std::istream& in, std::ostream& out, std::ostream& err) {
  auto remote = RemoteSession::Connect(address, options);
  if (!remote.ok()) {
    err << "hvdb shell: " << remote.status().ToString() << "\n";
    return 1;
  }
  RemoteView view(out, err);
  // The first request also tells whether the server let us in: a refusal
  // (no token, a wrong one) is shown and ends the session.
  auto mode = (*remote)->Request(".mode table");
  if (!mode.ok()) {
    err << "hvdb shell: " << mode.status().ToString() << "\n";
    return 1;
  }
  if (!view.Show(".mode table", *mode)) return 1;
  bool failed = false;
  auto run = [&](const std::string& input) {
    for (const std::string& statement : SplitStatements(input)) {
      auto answer = (*remote)->Request(statement);
      if (!answer.ok()) {
        err << "hvdb shell: " << answer.status().ToString() << "\n";
        failed = true;
        return false;
      }
      if (!view.Show(statement, *answer)) {
        failed = true;  // a script's exit status: 1 when a statement failed
        if (view.bail()) return false;
      }
      if (statement.rfind(".quit", 0) == 0) return false;
    }
    return true;
  };
  if (!have_commands && &in == &std::cin && ::isatty(STDIN_FILENO)) {
    return Interactive(nullptr, address, run, out, err);
  }
  {
    // -c is read as a script is, a line at a time (a dot-command ends at its line).
    std::istringstream script(commands);
    std::istream& lines = have_commands ? script : in;
    std::string pending, line;
    InputScanner scanner;
    for (LineRead read; (read = ReadLine(lines, &line)) != LineRead::kEnd;) {
      pending += pending.empty() ? line : "\n" + line;
      scanner.Feed(line);
      if (read == LineRead::kTooLong || scanner.too_long()) {
        err << "hvdb shell: "
            << (read == LineRead::kTooLong ? scanner.LineTooLongMessage() : scanner.TooLongMessage()) << "\n";
        return 1;
      }
      if (scanner.unfinished()) continue;
      if (!run(pending)) break;
      pending.clear();
      scanner.Reset();
    }
  }
  return failed ? 1 : 0;
}

}  // namespace

std::string DefaultDatabasePath() {
  if (const char* env = std::getenv("HVDB_DB"); env != nullptr && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.hvdb/default";
}

int ShellCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  std::string path, connect;
  std::vector<std::string> command_list;
  CommandLine flags("shell",
                    "The hvdb language on the database at PATH (default: $HVDB_DB, else ~/.hvdb/default,\n"
                    "created if missing). Script mode when stdin is not a terminal or with -c: no prompts,\n"
                    "the same language. .help inside lists statements, functions and dot-commands; docs/shell.md.");
  flags.Positional("PATH", &path, "a database directory", /*required=*/false);
  flags.Texts("-c", "STATEMENTS", &command_list,
              "run these statements and dot-commands (each -c in turn, as lines of one script), then leave");
  flags.Text("--connect", "HOST:PORT", &connect, "the same, against a running `hvdb serve`");
  ConnectOptions remote;
  flags.Text("--token-file", "FILE", &remote.token_file, "--connect: the token the server wants (docs/server.md)");
  flags.Switch("--tls", &remote.tls, "--connect: over TLS, verifying the server's certificate");
  flags.Text("--tls-ca", "FILE", &remote.tls_ca, "--tls: the certificate authorities to verify with (PEM)");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  const bool have_commands = flags.Given("-c");
  std::string commands;
  for (const std::string& c : command_list) commands += c + "\n";
  if (!connect.empty()) {
    if (!path.empty()) return flags.UsageError("give PATH or --connect, not both", err);
    return Remote(connect, remote, commands, have_commands, in, out, err);
  }
  if (!remote.token_file.empty() || remote.tls || !remote.tls_ca.empty()) {
    return flags.UsageError("--token-file, --tls and --tls-ca go with --connect", err);
  }
  if (path.empty()) {
    path = DefaultDatabasePath();
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  }
  std::unique_ptr<DB> db;
  if (Status s = DB::Open({}, path, &db); !s.ok()) {
    err << "hvdb shell: " << s.ToString() << "\n";
    return 1;
  }
  Session session(db.get(), out, err);
  if (have_commands) {
    std::istringstream script(commands);
    session.RunStream(script);
  } else if (&in == &std::cin && ::isatty(STDIN_FILENO)) {
    return Interactive(&session, db->path(), [&](const std::string& input) { return session.Run(input) || !session.quit; },
                       out, err);
  } else {
    session.RunStream(in);
  }
  // Script mode, as sqlite3: 1 when a statement failed, whether or not
  // .bail on stopped the script there.
  return session.failed() || session.errors() > 0 ? 1 : 0;
}

}  // namespace hvdb::shell
