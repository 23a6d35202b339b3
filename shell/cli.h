// Copyright hvdb authors. The `hvdb` command line: a table of subcommands.
#ifndef HVDB_SHELL_CLI_H_
#define HVDB_SHELL_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace hvdb::shell {

// Runs `hvdb ARGS...` (args excludes the program name), writing to out and err.
// Returns the process exit status: 0 on success, 1 on a failed command, 2 on a
// usage error.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_CLI_H_
