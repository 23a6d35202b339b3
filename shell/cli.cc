// Copyright hvdb authors.
#include "shell/cli.h"

#include <cstdio>

#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>
#include <string_view>

#include "hvdb/system.h"
#include "shell/command_line.h"
#include "shell/db_commands.h"
#include "shell/info_command.h"
#include "shell/json_writer.h"
#include "shell/lang/parser.h"
#include "shell/repair_commands.h"
#include "shell/server/serve_command.h"
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
  std::string path;
  bool json = false;
  CommandLine flags("info",
                    "The version, CPU kernel and CUDA devices; with PATH also the\n"
                    "database's collections: dim, count, bytes on disk and in memory.");
  flags.Positional("PATH", &path, "a database directory", /*required=*/false);
  flags.Switch("--json", &json, "one JSON object");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
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

int RunCommand(const std::string& name, const Args& args, std::ostream& out, std::ostream& err);

// `hvdb help [COMMAND]`: this list, or the command's --help.
int Help(const Args& args, std::ostream& out, std::ostream& err) {
  std::string command;
  CommandLine flags("help", "The commands, or one command's flags.");
  flags.Positional("COMMAND", &command, "a command", /*required=*/false);
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  if (!command.empty() && command != "help") return RunCommand(command, {"--help"}, out, err);
  PrintHelp(out);
  return 0;
}

int CalibrateCommand(const Args& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  CommandLine flags("calibrate",
                    "Measures the CPU scan and each search device (GPU), as the planner\n"
                    "that picks a device for device auto does, and prints the batch size from which\n"
                    "the devices win on 1M 2048-bit rows (docs/gpu.md).");
  flags.Switch("--json", &json, "one JSON object");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  auto c = CalibrateSearch();
  if (!c.ok()) {
    err << "hvdb calibrate: " << c.status().ToString() << "\n";
    return 1;
  }
  if (json) {
    out << "{\"cpu_pairs_per_s\":" << c->cpu_pairs_per_s << ",\"devices_status\":" << JsonString(c->devices_status)
        << ",\"crossover_batch\":" << c->crossover_batch << ",\"devices\":[";
    for (size_t i = 0; i < c->devices.size(); ++i) {
      const SearchDeviceSpeed& d = c->devices[i];
      out << (i ? "," : "") << "{\"name\":" << JsonString(d.name) << ",\"pairs_per_s\":" << d.pairs_per_s
          << ",\"launch_s\":" << d.launch_s << ",\"upload_bytes_per_s\":" << d.upload_bytes_per_s << "}";
    }
    out << "]}\n";
    return 0;
  }
  // Millions of pairs a second, as docs/perf.md writes them.
  auto speed = [](double pairs_per_s) {
    char text[64];
    std::snprintf(text, sizeof text, "%.0f million pairs/s", pairs_per_s / 1e6);
    return std::string(text);
  };
  out << "cpu: " << speed(c->cpu_pairs_per_s) << " (2048-bit rows)\n";
  if (c->devices.empty()) out << "search devices: none (" << c->devices_status << ")\n";
  for (const SearchDeviceSpeed& d : c->devices) {
    char line[160];
    std::snprintf(line, sizeof line, ": %s, %.1f us a search, %.1f GB/s upload\n", speed(d.pairs_per_s).c_str(),
                  d.launch_s * 1e6, d.upload_bytes_per_s / 1e9);
    out << d.name << line;
  }
  if (!c->devices.empty()) {
    out << "device auto sends batches of " << (c->crossover_batch ? std::to_string(c->crossover_batch) + "+ queries"
                                                                   : std::string("no size"))
        << " over 1M resident rows to the devices\n";
  }
  return 0;
}

int VersionCommand(const Args& args, std::ostream& out, std::ostream& err) {
  CommandLine flags("version", "The version of hvdb.");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
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
      {"serve", "PATH [--listen HOST:PORT] [--max-request BYTES] [--idle-timeout SECONDS] [--threads N]", ServeCommand,
       "serve the language over TCP (loopback by default), one JSON value per request line"},
      {"load", "PATH COLLECTION FILE [--keys FILE] [--dim D] [--create] [--format npy|hvdb|text]", LoadCommand,
       "bulk load .npy, .hvdb or key<TAB>hex text rows into a collection (all or nothing)"},
      {"search", "PATH COLLECTION --queries FILE.npy [-k K] [--radius R] [--json]", SearchCommand,
       "nearest vectors for each query row"},
      {"export", "PATH COLLECTION FILE", ExportCommand, "write a collection to an .hvdb vector file"},
      {"check", "PATH [--json]", CheckCommand,
       "verify every file and every row of a database without changing it (exit 1 on a problem)"},
      {"salvage", "PATH [--json]", SalvageCommand,
       "recover a database whose write-ahead log is damaged, saying exactly what is dropped"},
      {"calibrate", "[--json]", CalibrateCommand,
       "measure the CPU and GPU search speeds the planner uses for device auto (HVDB_DEVICE overrides)"},
      {"version", "", VersionCommand, "print the version"},
      {"help", "[COMMAND]", Help, "this text, or the flags of COMMAND"},
  };
  return commands;
}

int RunCommand(const std::string& name, const Args& args, std::ostream& out, std::ostream& err) {
  for (const Command& c : Commands()) {
    if (c.name == name) return c.handler(args, out, err);
  }
  std::vector<std::string> names;
  for (const Command& c : Commands()) names.emplace_back(c.name);
  const std::string hint = DidYouMean(name, names);
  err << "hvdb: unknown command '" << name << "' ("
      << (hint.empty() ? "try 'hvdb help'" : "did you mean '" + hint + "'?") << ")\n";
  return 2;
}

}  // namespace

int RunCli(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    PrintHelp(err);
    return 2;
  }
  // The table's commands as CLI11 subcommands that hand every word after
  // the command's name to its handler, which parses its own flags.
  CLI::App app("hvdb", "hvdb");
  bool version = false;
  app.add_flag("--version", version, "print the version");
  app.allow_extras();
  app.require_subcommand(0, 1);  // so that a later word naming a command is the command's argument
  for (const Command& c : Commands()) {
    app.add_subcommand(std::string(c.name), std::string(c.help))->prefix_command()->allow_extras()->set_help_flag();
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes the words last first
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    PrintHelp(out);
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "hvdb: " << e.what() << "\nusage: hvdb COMMAND [ARGS] (try 'hvdb help')\n";
    return 2;
  }
  if (version) return VersionCommand({}, out, err);
  const std::vector<CLI::App*> chosen = app.get_subcommands();
  if (chosen.empty()) {
    if (app.remaining().empty()) {  // only "--"
      PrintHelp(err);
      return 2;
    }
    const std::string word = app.remaining().front();
    if (word.size() > 1 && word[0] == '-') {
      err << "hvdb: unknown option '" << word << "'\nusage: hvdb COMMAND [ARGS] (try 'hvdb help')\n";
      return 2;
    }
    return RunCommand(word, {}, out, err);  // names the unknown command
  }
  return RunCommand(chosen[0]->get_name(), chosen[0]->remaining(), out, err);
}

}  // namespace hvdb::shell
