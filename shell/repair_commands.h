// Copyright hvdb authors. `hvdb check PATH` (full verification, read-only)
// and `hvdb salvage PATH` (recovery of a database whose write-ahead log is
// damaged); docs/reliability.md. Each returns the exit status: 0 all is well
// (check) or done (salvage), 1 problems found or it failed, 2 usage.
#ifndef HVDB_SHELL_REPAIR_COMMANDS_H_
#define HVDB_SHELL_REPAIR_COMMANDS_H_

#include <ostream>

#include "shell/db_commands.h"

namespace hvdb::shell {

int CheckCommand(const Args& args, std::ostream& out, std::ostream& err);
int SalvageCommand(const Args& args, std::ostream& out, std::ostream& err);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_REPAIR_COMMANDS_H_
