// Copyright hvdb authors.
#include "shell/server/tokens.h"

#include <fstream>
#include <sstream>

namespace hvdb::shell {
namespace {

constexpr size_t kMinTokenBytes = 16;
constexpr size_t kMaxTokenBytes = 4096;

// Equal in constant time for `a` of any length against `b`: every byte of b
// is looked at whatever the answer.
bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    diff |= static_cast<unsigned char>(b[i] ^ (i < a.size() ? a[i] : 0));
  }
  return diff == 0;
}

}  // namespace

Result<TokenTable> TokenTable::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read the token file '" + path + "'");
  TokenTable table;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = "token file '" + path + "', line " + std::to_string(number) + ": ";
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string token, role, extra;
    if (!(words >> token)) continue;
    if (!(words >> role) || (words >> extra)) {
      return Status::InvalidArgument(where + "expected \"TOKEN read-only\" or \"TOKEN read-write\"");
    }
    if (token.size() < kMinTokenBytes || token.size() > kMaxTokenBytes) {
      return Status::InvalidArgument(where + "a token has " + std::to_string(kMinTokenBytes) + " to " +
                                     std::to_string(kMaxTokenBytes) + " characters (this one " +
                                     std::to_string(token.size()) + ")");
    }
    if (role != "read-only" && role != "read-write") {
      return Status::InvalidArgument(where + "the role is read-only or read-write, not '" + role + "'");
    }
    table.entries_.push_back({token, role == "read-only" ? Role::kReadOnly : Role::kReadWrite});
  }
  if (table.entries_.empty()) return Status::InvalidArgument("token file '" + path + "' holds no token");
  return table;
}

std::optional<Role> TokenTable::Find(std::string_view presented) const {
  std::optional<Role> found;
  for (const Entry& e : entries_) {
    if (ConstantTimeEqual(presented, e.token) && !found) found = e.role;
  }
  return found;
}

}  // namespace hvdb::shell
