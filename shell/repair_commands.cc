// Copyright hvdb authors.
#include "shell/repair_commands.h"

#include <cstdio>

#include "hvdb/hvdb.h"
#include "shell/command_line.h"
#include "shell/json_writer.h"
#include "shell/printable.h"

namespace hvdb::shell {
namespace {

std::string Mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", bytes / 1048576.0);
  return text;
}

}  // namespace

int CheckCommand(const Args& args, std::ostream& out, std::ostream& err) {
  std::string path;
  bool json = false;
  CommandLine flags("check",
                    "Verifies the whole database without changing it (it opens read-only, so it may run\n"
                    "beside the process that writes): every table file block by block and whole against\n"
                    "its recorded checksum, the logs, every collection's rows read back and compared across\n"
                    "families and with the key map, index records, hnsw graph files, accumulators.\n"
                    "Prints ok, or one line per problem and exits 1.");
  flags.Positional("PATH", &path, "the database directory");
  flags.Switch("--json", &json, "one JSON object: ok, problems, table_files, table_bytes, collections, rows");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  CheckReport report;
  if (const Status s = CheckDatabase(path, &report); !s.ok()) {
    err << "hvdb check: " << s.ToString() << "\n";
    return 1;
  }
  if (json) {
    out << "{\"path\":" << JsonString(path) << ",\"ok\":" << (report.problems.empty() ? "true" : "false")
        << ",\"problems\":[";
    for (size_t i = 0; i < report.problems.size(); ++i) out << (i ? "," : "") << JsonString(report.problems[i]);
    out << "],\"table_files\":" << report.table_files << ",\"table_bytes\":" << report.table_bytes
        << ",\"collections\":" << report.collections << ",\"rows\":" << report.rows << "}\n";
  } else {
    if (report.table_files > 0 || report.collections > 0) {
      out << "table files: " << report.table_files << " (" << Mib(report.table_bytes)
          << "), every block and every whole file against its checksum\n"
          << "collections: " << report.collections << ", " << report.rows << " rows read back and compared\n";
    }
    for (const std::string& problem : report.problems) out << "problem: " << Printable(problem) << "\n";
    out << (report.problems.empty() ? "ok\n" : std::to_string(report.problems.size()) + " problems\n");
  }
  return report.problems.empty() ? 0 : 1;
}

int SalvageCommand(const Args& args, std::ostream& out, std::ostream& err) {
  std::string path;
  bool json = false;
  CommandLine flags("salvage",
                    "Recovers a database that does not open because a write-ahead log is damaged: every\n"
                    "write before the first damage is kept, every write after it is dropped, and this\n"
                    "says exactly what was dropped. The logs are first copied into PATH/salvage-<time>/,\n"
                    "so nothing is destroyed. Table files are not repaired (restore a checkpoint).\n"
                    "Nothing else may have the database open.");
  flags.Positional("PATH", &path, "the database directory");
  flags.Switch("--json", &json, "one JSON object");
  if (const auto rc = flags.Parse(args, out, err)) return *rc;
  SalvageReport r;
  const Status s = SalvageDatabase(path, &r);
  if (!s.ok() && !r.salvaged) {
    err << "hvdb salvage: " << s.ToString() << "\n";
    return 1;
  }
  if (json) {
    out << "{\"path\":" << JsonString(path) << ",\"salvaged\":" << (r.salvaged ? "true" : "false")
        << ",\"damaged_log\":" << JsonString(r.damaged_log) << ",\"damage_offset\":" << r.damage_offset
        << ",\"damage\":" << JsonString(r.damage) << ",\"log_copy_dir\":" << JsonString(r.log_copy_dir)
        << ",\"kept_batches\":" << r.kept_batches << ",\"dropped_batches\":" << r.dropped_batches
        << ",\"dropped_operations\":" << r.dropped_operations << ",\"unreadable_bytes\":" << r.unreadable_bytes
        << ",\"dropped\":[";
    for (size_t i = 0; i < r.dropped.size(); ++i) out << (i ? "," : "") << JsonString(r.dropped[i]);
    out << "],\"opens\":" << (s.ok() ? "true" : "false") << "}\n";
  } else if (!r.salvaged) {
    out << "nothing to salvage: the database opens as it is\n";
  } else {
    out << "the write-ahead log '" << Printable(r.damaged_log) << "' is damaged at byte " << r.damage_offset << " ("
        << r.damage << ")\n"
        << "every log was copied to '" << Printable(r.log_copy_dir) << "' first\n"
        << "kept: " << r.kept_batches << " write batches from the logs (everything before the damage)\n"
        << "dropped: " << r.dropped_batches << " write batches (" << r.dropped_operations << " operations) after the "
        << "damage, and " << r.unreadable_bytes << " bytes too damaged to read\n";
    for (const std::string& line : r.dropped) out << "  " << Printable(line) << "\n";
  }
  if (!s.ok()) {
    err << "hvdb salvage: " << s.ToString() << "\n";
    return 1;
  }
  if (!json && r.salvaged) out << "the database opens again\n";
  return 0;
}

}  // namespace hvdb::shell
