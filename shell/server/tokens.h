// Copyright hvdb authors. The bearer tokens of `hvdb serve
// --auth-token-file`: who may read, who may also write.
#ifndef HVDB_SHELL_SERVER_TOKENS_H_
#define HVDB_SHELL_SERVER_TOKENS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/result.h"

namespace hvdb::shell {

enum class Role { kReadOnly, kReadWrite };

class TokenTable {
 public:
  // Lines "TOKEN ROLE" (ROLE read-only or read-write), blank lines and #
  // comments allowed; tokens of 16 to 4096 printable characters.
  // InvalidArgument naming the line otherwise; IOError when unreadable.
  static Result<TokenTable> Load(const std::string& path);
  // No tokens: nobody needs one (loopback only).
  bool empty() const { return entries_.empty(); }
  // The role of `presented`, comparing it with every token in constant time
  // (no early exit, so the time does not tell how much of it matched).
  std::optional<Role> Find(std::string_view presented) const;

 private:
  struct Entry {
    std::string token;
    Role role;
  };
  std::vector<Entry> entries_;
};

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_SERVER_TOKENS_H_
