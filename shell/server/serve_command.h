// Copyright hvdb authors. `hvdb serve PATH`: the flags, the checks an
// operator's mistake needs before anything listens, and the server's run.
#ifndef HVDB_SHELL_SERVER_SERVE_COMMAND_H_
#define HVDB_SHELL_SERVER_SERVE_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace hvdb::shell {

// Serves until SIGINT or SIGTERM, then stops gracefully and closes the
// database. Prints "listening on HOST:PORT" (and "http on HOST:PORT") when
// ready, "stopped" at the end. Exit status: 0, 1 on failure, 2 on usage.
int ServeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_SERVE_COMMAND_H_
