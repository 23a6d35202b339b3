// Copyright hvdb authors.
#include "shell/cli.h"

#include <functional>
#include <iostream>
#include <string_view>

#include "hvdb/system.h"
#include "shell/db_commands.h"
#include "shell/info_command.h"
#include "shell/server.h"
#include "shell/shell_command.h"

namespace hvdb::shell {
namespace {

struct Command {
  std::string_view name;
  std::string_view args;
  std::function<int(const Args&, std::ostream&, std::ostream&)> handler;
  std::string_view help;
};

int Info(const Args& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  std::string path;
  for (const std::string& a : args) {
    if (a == "--json") {
      json = true;
    } else if (a == "--help") {
      out << "usage: hvdb info [PATH] [--json]\n  The version, CPU kernel and CUDA devices; with PATH also the\n"
             "  database's collections: dim, count, bytes on disk and in memory.\n";
      return 0;
    } else if (path.empty() && !a.starts_with("-")) {
      path = a;
    } else {
      err << "hvdb info: unknown argument '" << a << "'\nusage: hvdb info [PATH] [--json]\n";
      return 2;
    }
  }
  if (!path.empty()) return InfoPathCommand(path, json, out, err);
  const SystemInfo info = GetSystemInfo();
  if (json) PrintInfoJson(info, out);
  else PrintInfoText(info, out);
  return 0;
}

const std::vector<Command>& Commands();

void PrintHelp(std::ostream& out) {
  out << "hvdb " << Version() << ": a database of binary hypervectors\n\nusage: hvdb COMMAND [ARGS]\n\ncommands:\n";
  for (const Command& c : Commands()) out << "  " << c.name << (c.args.empty() ? "" : " ") << c.args << "\n      " << c.help << "\n";
}

int Help(const Args&, std::ostream& out, std::ostream&) {
  PrintHelp(out);
  return 0;
}

int VersionCommand(const Args&, std::ostream& out, std::ostream&) {
  out << "hvdb " << Version() << "\n";
  return 0;
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"info", "[PATH] [--json]", Info,
       "version, the CPU kernel in use (HVDB_SIMD forces one), the CUDA devices seen; with PATH the collections"},
      {"shell", "[PATH] [-c STATEMENTS] [--connect HOST:PORT]",
       [](const Args& a, std::ostream& out, std::ostream& err) { return ShellCommand(a, std::cin, out, err); },
       "the hvdb language, interactive or as a script (stdin or -c)"},
      {"serve", "PATH [--listen HOST:PORT] [--max-request B] [--idle-timeout S]", ServeCommand,
       "serve the language over TCP (loopback by default), one JSON value per request line"},
      {"load", "PATH COLLECTION FILE [--keys FILE] [--dim D] [--create]", LoadCommand,
       "bulk load .npy, .hvdb or key<TAB>hex text rows into a collection (all or nothing)"},
      {"search", "PATH COLLECTION --queries FILE.npy [-k K] [--radius R] [--json]", SearchCommand,
       "nearest vectors for each query row"},
      {"export", "PATH COLLECTION FILE", ExportCommand, "write a collection to an .hvdb vector file"},
      {"version", "", VersionCommand, "print the version"},
      {"help", "", Help, "this text"},
  };
  return commands;
}

}  // namespace

int RunCli(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    PrintHelp(err);
    return 2;
  }
  std::string_view name = args[0];
  if (name == "--help" || name == "-h") name = "help";
  if (name == "--version") name = "version";
  for (const Command& c : Commands()) {
    if (c.name == name) return c.handler(Args(args.begin() + 1, args.end()), out, err);
  }
  err << "hvdb: unknown command '" << args[0] << "' (try 'hvdb help')\n";
  return 2;
}

}  // namespace hvdb::shell
