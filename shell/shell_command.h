// Copyright hvdb authors. `hvdb shell [PATH] [-c STATEMENTS]`.
#ifndef HVDB_SHELL_SHELL_COMMAND_H_
#define HVDB_SHELL_SHELL_COMMAND_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace hvdb::shell {

// Script mode when `in` is not a terminal or -c is given; otherwise an
// interactive session with line editing and history. Exit status: 0; 1 when
// .bail on ended the script at an error; 2 on a usage error.
int ShellCommand(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

// The database `hvdb shell` opens without PATH: $HVDB_DB, else ~/.hvdb/default.
std::string DefaultDatabasePath();

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SHELL_COMMAND_H_
