// Copyright hvdb authors. The client side of `hvdb shell --connect HOST:PORT`.
#ifndef HVDB_SHELL_CLIENT_H_
#define HVDB_SHELL_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/result.h"

namespace hvdb::shell {

// A connection to `hvdb serve`. Not thread safe.
class RemoteSession {
 public:
  // Unavailable naming the address when the server cannot be reached.
  static Result<std::unique_ptr<RemoteSession>> Connect(const std::string& host_port);
  virtual ~RemoteSession() = default;
  // Sends one request line and returns the server's one-line answer.
  virtual Result<std::string> Request(std::string_view line) = 0;
};

// Splits input into single statements (at ';' outside strings and
// brackets), the unit the server takes per line; newlines inside a
// statement become spaces. Dot-commands stay whole.
std::vector<std::string> SplitStatements(std::string_view input);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_CLIENT_H_
