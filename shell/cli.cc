// Copyright hvdb authors.
#include "shell/cli.h"

#include <functional>
#include <string_view>

#include "hvdb/system.h"
#include "shell/info_command.h"

namespace hvdb::shell {
namespace {

using Args = std::vector<std::string>;

struct Command {
  std::string_view name;
  std::string_view args;
  std::function<int(const Args&, std::ostream&, std::ostream&)> handler;
  std::string_view help;
};

int Info(const Args& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  for (const std::string& a : args) {
    if (a == "--json") {
      json = true;
    } else {
      err << "hvdb info: unknown argument '" << a << "'\nusage: hvdb info [--json]\n";
      return 2;
    }
  }
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
      {"info", "[--json]", Info,
       "version, the CPU kernel in use (HVDB_SIMD forces one) and the CUDA devices seen"},
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
