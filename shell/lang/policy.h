// Copyright hvdb authors. What a session may do beyond computing: the local
// shell may do anything; a session of `hvdb serve` only what the operator
// allowed (docs/server.md): which files it may touch, whether it may write,
// and how much one request may ask for.
#ifndef HVDB_SHELL_LANG_POLICY_H_
#define HVDB_SHELL_LANG_POLICY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "hvdb/hvdb.h"
#include "hvdb/result.h"
#include "shell/lang/lexer.h"
#include "shell/lang/parser.h"

namespace hvdb::shell {

// .read inside .read nests at most this deep: a file that reads itself stops
// here, with an error naming it, instead of overflowing the stack.
inline constexpr int kMaxReadDepth = 16;

struct SessionPolicy {
  // The files the dot-commands read and write (.read, .import, .export, .demo).
  enum class Files : uint8_t {
    kAny,     // any path (the local shell)
    kNone,    // none (a server without --files-dir)
    kInside,  // only inside files_dir, once resolved: no escape through .. or symlinks
  };
  Files files = Files::kAny;
  std::string files_dir;  // kInside: the directory, canonical
  // No statement that writes (put, delete, create, drop, alter, accumulate,
  // .import, .export, .demo, .resume): a read-only token.
  bool read_only = false;
  // Expressions nest at most this deep (at most kMaxNesting).
  int max_nesting = kMaxNesting;
  // .read nests at most this deep (at most kMaxReadDepth).
  int max_read_depth = kMaxReadDepth;
  // Work of one function call, dimension x items (the letters of a text,
  // the members of a bundle, bind, sequence, record or ngram); 0: no limit.
  uint64_t max_work = 0;
  // Bytes the session's variables may hold together; 0: no limit.
  uint64_t max_variable_bytes = 0;
  // .import and .export draw a progress bar when stderr is a terminal (the
  // server's sessions never do: their stderr is not their client's).
  bool progress_bars = true;
  // When it turns true (another thread: a request's time limit; Ctrl-C in
  // the interactive shell) the running input stops at the next statement,
  // line, bulk-load step or index-build batch, with cancel_reason.
  const std::atomic<bool>* cancel = nullptr;
  std::string cancel_reason = "stopped: the request ran past its time limit";
  // Rewrites each error message before the session shows or keeps it (the
  // server takes its own paths out); none: as it is.
  std::function<std::string(std::string_view)> redact;
  // Hits one search may answer; 0: no limit. A search asking for more (k
  // above it, or a radius that finds more) fails saying so.
  uint64_t max_hits = 0;

  // The path to open for `path` as the user gave it: itself with kAny; with
  // kInside the resolved path inside files_dir (for_writing: the file may
  // not exist yet, its directory must). Errors name `path` as given, never
  // the files directory.
  Result<std::string> ResolveFile(const std::string& path, bool for_writing) const;
  bool cancelled() const { return cancel != nullptr && cancel->load(std::memory_order_relaxed); }
  // max_hits for a search about to run: k above it is refused; k 0 (every
  // hit within a radius) becomes one more than the limit, which
  // CheckHits then refuses when it is reached.
  Status LimitHits(SearchOptions* options) const;
  Status CheckHits(size_t hits) const;
};

// Whether a statement changes the database.
bool Writes(const Statement& statement);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_LANG_POLICY_H_
