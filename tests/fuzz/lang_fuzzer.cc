// Copyright hvdb authors. Fuzz target: the shell language, lexer, parser and
// evaluator, on a scratch database with a few collections. Dot-commands that
// read or write files are left out (a fuzzer must not write where it
// pleases; the server's file policy is tested elsewhere).
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string_view>

#include "hvdb/hvdb.h"
#include "shell/lang/parser.h"
#include "shell/lang/session.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

hvdb::DB* ScratchDatabase() {
  static std::unique_ptr<hvdb::DB> db = [] {
    std::unique_ptr<hvdb::DB> opened;
    if (!hvdb::DB::Open({}, hvdb::fuzz::ScratchDir() + "/db", &opened).ok()) std::abort();
    (void)opened->CreateCollection("c", {.dim = 256});
    (void)opened->CreateCollection("p", {.dim = 512, .index = {.kind = "prefix", .prefix_bits = 128}});
    hvdb::Collection* c = nullptr;
    (void)opened->GetCollection("c", &c);
    for (int i = 0; i < 64; ++i) (void)c->Put("k" + std::to_string(i), hvdb::Hypervector::Random(256, i).value());
    return opened;
  }();
  return db.get();
}

// Whether the input is a dot-command that reads or writes files, named as
// the session reads the name (quotes group words: .d""emo is .demo).
bool TouchesFiles(std::string_view input) {
  const size_t first = input.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || input[first] != '.') return false;
  const std::string name = hvdb::shell::SplitWords(input.substr(first))[0];
  for (std::string_view command : {".read", ".import", ".export", ".demo"}) {
    if (name == command) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return -1;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)hvdb::shell::Parse(input);
  for (size_t at = 0; at <= input.size();) {  // any line may be a dot-command
    const size_t end = std::min(input.find('\n', at), input.size());
    if (TouchesFiles(input.substr(at, end - at))) return 0;
    at = end + 1;
  }
  std::ostringstream out;
  hvdb::shell::Session session(ScratchDatabase(), out, out);
  session.dim = 256;  // `let` vectors as small as the collections' (.dim may change it)
  std::istringstream lines{std::string(input)};
  session.RunStream(lines);
  return 0;
}
