// Copyright hvdb authors.
#include "shell/shell_command.h"

#include <editline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "hvdb/hvdb.h"
#include "shell/lang/session.h"

namespace hvdb::shell {
namespace {

Session* completing = nullptr;  // the session whose words tab completes (interactive only)

char* CompletionWord(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t next = 0;
  if (state == 0) {
    matches.clear();
    next = 0;
    if (completing != nullptr) {
      for (const std::string& w : completing->CompletionWords()) {
        if (w.rfind(text, 0) == 0) matches.push_back(w);
      }
    }
  }
  return next < matches.size() ? strdup(matches[next++].c_str()) : nullptr;
}

char** Complete(const char* text, int, int) {
  rl_attempted_completion_over = 1;
  return rl_completion_matches(text, CompletionWord);
}

int Interactive(Session& session, std::ostream& out) {
  const char* home = std::getenv("HOME");
  const std::string history = std::string(home ? home : ".") + "/.hvdb_history";
  using_history();
  read_history(history.c_str());
  completing = &session;
  rl_attempted_completion_function = Complete;
  out << "hvdb " << Version() << " on " << session.db()->path() << ". Type .help for help, .quit to leave.\n";
  std::string pending;
  while (true) {
    char* line = readline(pending.empty() ? "hvdb> " : "  ...> ");
    if (line == nullptr) break;  // end of input (Ctrl-D)
    pending += pending.empty() ? std::string(line) : "\n" + std::string(line);
    std::free(line);
    if (Unfinished(pending)) continue;
    if (pending.find_first_not_of(" \t") != std::string::npos) {
      add_history(pending.c_str());
      write_history(history.c_str());
    }
    const bool go_on = session.Run(pending);
    pending.clear();
    out.flush();
    if (!go_on && session.quit) break;
  }
  completing = nullptr;
  return 0;
}

}  // namespace

std::string DefaultDatabasePath() {
  if (const char* env = std::getenv("HVDB_DB"); env != nullptr && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.hvdb/default";
}

int ShellCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  const std::string usage = "usage: hvdb shell [PATH] [-c \"STATEMENTS\"]";
  std::string path, commands;
  bool have_commands = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help") {
      out << usage << "\n  The hvdb language on the database at PATH (default: $HVDB_DB, else ~/.hvdb/default,\n"
          << "  created if missing). Script mode when stdin is not a terminal or with -c: no prompts,\n"
          << "  the same language. .help inside lists statements, functions and dot-commands; docs/shell.md.\n";
      return 0;
    }
    if (args[i] == "-c") {
      if (i + 1 == args.size()) {
        err << "hvdb shell: -c needs statements\n" << usage << "\n";
        return 2;
      }
      commands = args[++i];
      have_commands = true;
    } else if (path.empty() && !args[i].starts_with("-")) {
      path = args[i];
    } else {
      err << "hvdb shell: unknown argument '" << args[i] << "'\n" << usage << "\n";
      return 2;
    }
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
    return Interactive(session, out);
  } else {
    session.RunStream(in);
  }
  return session.failed() ? 1 : 0;
}

}  // namespace hvdb::shell
