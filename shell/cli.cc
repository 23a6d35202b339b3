// Copyright hvdb authors.
#include "shell/cli.h"

#include <functional>
#include <iostream>
#include <string_view>

#include "hvdb/system.h"
#include "shell/db_commands.h"
#include "shell/info_command.h"
#include "shell/json_writer.h"
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

int CalibrateCommand(const Args& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  for (const std::string& a : args) {
    if (a == "--json") {
      json = true;
    } else if (a == "--help") {
      out << "usage: hvdb calibrate [--json]\n  Measures the CPU scan and each search device (GPU), as the planner\n"
             "  that picks a device for device auto does, and prints the batch size from which\n"
             "  the devices win on 1M 2048-bit rows (docs/gpu.md).\n";
      return 0;
    } else {
      err << "hvdb calibrate: unknown argument '" << a << "' (--json)\n";
      return 2;
    }
  }
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
  out << "cpu: " << c->cpu_pairs_per_s << " pairs/s (2048-bit rows)\n";
  if (c->devices.empty()) out << "search devices: none (" << c->devices_status << ")\n";
  for (const SearchDeviceSpeed& d : c->devices) {
    out << d.name << ": " << d.pairs_per_s << " pairs/s, " << d.launch_s * 1e6 << " us a search, "
        << d.upload_bytes_per_s / 1e9 << " GB/s upload\n";
  }
  if (!c->devices.empty()) {
    out << "device auto sends batches of " << (c->crossover_batch ? std::to_string(c->crossover_batch) + "+ queries"
                                                                   : std::string("no size"))
        << " over 1M resident rows to the devices\n";
  }
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
      {"calibrate", "[--json]", CalibrateCommand,
       "measure the CPU and GPU search speeds the planner uses for device auto (HVDB_DEVICE overrides)"},
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
