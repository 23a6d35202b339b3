// Copyright hvdb authors. `hvdb serve PATH --listen HOST:PORT`: the shell
// language over TCP (Boost.Asio). One request per line in, one JSON value per
// line out; every connection has its own session (variables, .mode, .dim).
#ifndef HVDB_SHELL_SERVER_H_
#define HVDB_SHELL_SERVER_H_

#include <ostream>
#include <string>
#include <vector>

namespace hvdb::shell {

struct ServeOptions {
  std::string host = "127.0.0.1";  // loopback unless told otherwise
  unsigned short port = 7878;      // 0: any free port (printed)
  size_t max_request_bytes = 1 << 20;
  unsigned idle_timeout_seconds = 300;
  unsigned threads = 0;            // 0: one per core
};

// Serves until SIGINT or SIGTERM: then stops accepting, answers the requests
// in flight, closes every connection and the DB. Prints "listening on
// HOST:PORT" to out when ready. Exit status: 0, 1 on failure, 2 on usage.
int ServeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The answer to one request line, as the server sends it: the session's
// output when it is one JSON value, {"ok":true} when it printed nothing,
// {"output": "..."} around any other text.
std::string AnswerLine(const std::string& output);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_H_
