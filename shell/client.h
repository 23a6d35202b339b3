// Copyright hvdb authors. The client side of `hvdb shell --connect HOST:PORT`:
// the JSON-lines protocol of `hvdb serve`, over TLS when asked, with a
// bearer token when the server wants one (docs/server.md).
#ifndef HVDB_SHELL_CLIENT_H_
#define HVDB_SHELL_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/result.h"

namespace hvdb::shell {

struct ConnectOptions {
  std::string token_file;  // the token: the first word of its first line that is not a # comment
  bool tls = false;        // TLS, verifying the server's certificate and name
  std::string tls_ca;      // the certificate authorities (PEM) to verify with; empty: the system's
};

// A connection to `hvdb serve`. Not thread safe.
class RemoteSession {
 public:
  // Connects, shakes hands (TLS) and authenticates (a token). Unavailable
  // naming the address when the server cannot be reached; the server's
  // answer when it refuses the token.
  static Result<std::unique_ptr<RemoteSession>> Connect(const std::string& host_port,
                                                        const ConnectOptions& options = {});
  virtual ~RemoteSession() = default;
  // Sends one request line and returns the server's one-line answer.
  virtual Result<std::string> Request(std::string_view line) = 0;
};

// Splits input into single statements (at ';' outside strings and
// brackets), the unit the server takes per line: newlines inside a
// statement become spaces, inside a string their escape (\n). Dot-commands
// stay whole.
std::vector<std::string> SplitStatements(std::string_view input);

// Splits a script as the local shell reads one: a line at a time, a
// statement going on over lines while a bracket or string is open, a
// dot-command ending at its line, then each complete piece by
// SplitStatements. An unfinished end is the last unit (it fails to parse).
std::vector<std::string> SplitScript(std::string_view script);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_CLIENT_H_
