// Copyright hvdb authors. Fuzz target: the shell language, lexer, parser and
// evaluator, on a scratch database with a few collections. The dot-commands
// that read and write files may touch only a scratch directory (the policy
// of a server with --files-dir), so the policy's checks are fuzzed too; .demo
// is left out (it loads 100,000 words).
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string_view>

#include "hvdb/hvdb.h"
#include "shell/lang/parser.h"
#include "shell/lang/session.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return -1;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)hvdb::shell::Parse(input);
  for (size_t at = 0; at <= input.size();) {  // any line may be a dot-command
    const size_t end = std::min(input.find('\n', at), input.size());
    if (hvdb::fuzz::RunsTheDemo(input.substr(at, end - at))) return 0;
    at = end + 1;
  }
  std::ostringstream out;
  hvdb::shell::Session session(hvdb::fuzz::ScratchDatabase(64, /*with_prefix=*/true), out, out);
  session.dim = 256;  // `let` vectors as small as the collections' (.dim may change it)
  session.policy.files = hvdb::shell::SessionPolicy::Files::kInside;
  session.policy.files_dir = hvdb::fuzz::EmptyFilesDir();
  std::istringstream lines{std::string(input)};
  session.RunStream(lines);
  return 0;
}
