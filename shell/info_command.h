// Copyright hvdb authors. `hvdb info`: version, CPU kernel, CUDA devices.
#ifndef HVDB_SHELL_INFO_COMMAND_H_
#define HVDB_SHELL_INFO_COMMAND_H_

#include <ostream>

#include "hvdb/system.h"

namespace hvdb::shell {

// Human-readable lines.
void PrintInfoText(const SystemInfo& info, std::ostream& out);
// One JSON object on one line.
void PrintInfoJson(const SystemInfo& info, std::ostream& out);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_INFO_COMMAND_H_
