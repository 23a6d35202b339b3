// Copyright hvdb authors. Fuzz target: one request line of hvdb serve, as the
// server runs it: a session in json mode under the server's default policy
// (no files, its limits), one statement or dot-command, AnswerLine. The answer must be exactly one line of valid JSON, whatever
// the request (a client reads one line per request).
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "hvdb/hvdb.h"
#include "shell/lang/lexer.h"
#include "shell/lang/session.h"
#include "shell/server/options.h"
#include "shell/server/server.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// A strict JSON validator (RFC 8259), enough to check the answers.
class Json {
 public:
  explicit Json(std::string_view s) : s_(s) {}
  bool Valid() {
    Space();
    if (!Value(0)) return false;
    Space();
    return at_ == s_.size();
  }

 private:
  void Space() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r')) ++at_;
  }
  bool Eat(char c) { return at_ < s_.size() && s_[at_] == c ? (++at_, true) : false; }
  bool Literal(std::string_view word) {
    if (s_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }
  bool Digits() {
    const size_t start = at_;
    while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9') ++at_;
    return at_ > start;
  }
  bool Number() {
    Eat('-');
    if (!Eat('0') && !Digits()) return false;
    if (Eat('.') && !Digits()) return false;
    if (Eat('e') || Eat('E')) {
      if (!Eat('+')) Eat('-');
      if (!Digits()) return false;
    }
    return true;
  }
  bool String() {
    if (!Eat('"')) return false;
    while (at_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[at_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (at_ >= s_.size()) return false;
        const char e = s_[at_++];
        if (e == 'u') {
          for (int i = 0; i < 4; ++i) {
            if (at_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[at_++]))) return false;
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool Value(int depth) {
    if (depth > 64 || at_ >= s_.size()) return false;
    const char c = s_[at_];
    if (c == '"') return String();
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++at_;
      Space();
      if (Eat(close)) return true;
      while (true) {
        Space();
        if (c == '{') {
          if (!String()) return false;
          Space();
          if (!Eat(':')) return false;
          Space();
        }
        if (!Value(depth + 1)) return false;
        Space();
        if (Eat(close)) return true;
        if (!Eat(',')) return false;
      }
    }
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return Number();
  }
  std::string_view s_;
  size_t at_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return -1;
  std::string line(reinterpret_cast<const char*>(data), size);
  if (line.find('\n') != std::string::npos) return -1;  // the server splits at '\n'
  // `.demo` alone loads the system's word list (the operator's file, allowed):
  // too slow to run per input. Every other file command meets the server's
  // refusal, as a client without --files-dir does.
  if (const size_t first = line.find_first_not_of(" \t\r"); first != std::string::npos && line[first] == '.') {
    const std::vector<std::string> words = hvdb::shell::SplitWords(line.substr(first));
    if (!words.empty() && words[0] == ".demo") return -1;
  }
  std::ostringstream output;
  hvdb::shell::Session session(hvdb::fuzz::ScratchDatabase(32, /*with_prefix=*/false), output, output);
  session.mode = hvdb::shell::OutputMode::kJson;
  const hvdb::shell::ServeOptions serve;  // the server's defaults
  session.policy.files = hvdb::shell::SessionPolicy::Files::kNone;
  session.policy.max_nesting = static_cast<int>(serve.max_nesting);
  session.policy.max_read_depth = static_cast<int>(serve.max_read_depth);
  session.policy.max_work = serve.max_work;
  session.policy.max_variable_bytes = serve.max_variable_bytes;
  if (hvdb::shell::Unfinished(line)) {
    output << "{\"error\":\"unfinished\"}\n";
  } else {
    session.Run(line, /*max_statements=*/1);
  }
  const std::string answer = hvdb::shell::AnswerLine(output.str());
  if (answer.find('\n') != std::string::npos || !Json(answer).Valid()) {
    std::fprintf(stderr, "not one line of JSON: %s\n", answer.c_str());
    std::abort();
  }
  return 0;
}
