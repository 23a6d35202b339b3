// Copyright hvdb authors. The CLI commands that open a database: load,
// search, export and info PATH. Each returns the process exit status (0 ok,
// 1 failed, 2 usage) and writes errors to err.
#ifndef HVDB_SHELL_DB_COMMANDS_H_
#define HVDB_SHELL_DB_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

namespace hvdb::shell {

using Args = std::vector<std::string>;

int LoadCommand(const Args& args, std::ostream& out, std::ostream& err);
int SearchCommand(const Args& args, std::ostream& out, std::ostream& err);
int ExportCommand(const Args& args, std::ostream& out, std::ostream& err);
// `hvdb info PATH [--json]`: the database's collections beside the system.
int InfoPathCommand(const std::string& path, bool json, std::ostream& out, std::ostream& err);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_DB_COMMANDS_H_
