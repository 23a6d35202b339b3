// Copyright hvdb authors. The two protocols of `hvdb serve`: each makes a
// connection for an accepted socket (over TLS when the server has it),
// registers it with the server and starts reading.
#ifndef HVDB_SHELL_SERVER_PROTOCOLS_H_
#define HVDB_SHELL_SERVER_PROTOCOLS_H_

#include "shell/server/server.h"

namespace hvdb::shell {

// One statement or dot-command a line in, one JSON value a line out
// (lines_protocol.cc).
void StartLinesConnection(Server* server, asio::ip::tcp::socket socket);
// HTTP/1.1, keep-alive, the routes of api.h (http_protocol.cc).
void StartHttpConnection(Server* server, asio::ip::tcp::socket socket);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_PROTOCOLS_H_
