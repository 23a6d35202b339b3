// Copyright hvdb authors. What the fuzz targets share: a scratch directory on
// a RAM file system for the files and databases they make, removed at exit.
#ifndef HVDB_TESTS_FUZZ_FUZZ_UTIL_H_
#define HVDB_TESTS_FUZZ_FUZZ_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "hvdb/hvdb.h"
#include "shell/lang/session.h"

// Every target defines it; libFuzzer (or replay_main.cc) calls it.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace hvdb::fuzz {

// A directory of this process, under /dev/shm when it exists (fsync is free
// there), removed when the process exits (after the statics made later, such
// as a database in it, are gone).
inline const std::string& ScratchDir() {
  struct Scratch {
    Scratch() {
      const char* base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
      path = std::string(base) + "/hvdb-fuzz-XXXXXX";
      if (mkdtemp(path.data()) == nullptr) std::abort();
    }
    ~Scratch() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
    std::string path;
  };
  static const Scratch scratch;
  return scratch.path;
}

// Writes `size` bytes to ScratchDir()/name and returns the path.
inline std::string WriteScratch(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = ScratchDir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// A database in ScratchDir() with collection c (dim 256, `rows` rows k0, k1,
// ...) and, when `with_prefix`, collection p (dim 512, prefix index), made
// once per process.
inline DB* ScratchDatabase(int rows, bool with_prefix) {
  static std::unique_ptr<DB> db = [&] {
    std::unique_ptr<DB> opened;
    if (!DB::Open({}, ScratchDir() + "/db", &opened).ok()) std::abort();
    (void)opened->CreateCollection("c", {.dim = 256});
    if (with_prefix) (void)opened->CreateCollection("p", {.dim = 512, .index = {.kind = IndexKind::kPrefix, .prefix_bits = 128}});
    Collection* c = nullptr;
    (void)opened->GetCollection("c", &c);
    for (int i = 0; i < rows; ++i) (void)c->Put("k" + std::to_string(i), Hypervector::Random(256, i).value());
    return opened;
  }();
  return db.get();
}

// A directory for the files a session's dot-commands read and write
// (.output, .export, .read, ...: its policy allows only this one), emptied,
// so that no input sees the files of the one before.
inline const std::string& EmptyFilesDir() {
  static const std::string dir = ScratchDir() + "/files";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!std::filesystem::create_directory(dir, ec)) std::abort();
  return dir;
}

// Whether `line` is the .demo dot-command, named as the session reads the
// name (quotes group words: .d""emo is .demo). It loads 100,000 words into
// the scratch database, which would slow every later input.
inline bool RunsTheDemo(std::string_view line) {
  const size_t first = line.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || line[first] != '.') return false;
  return shell::SplitWords(line.substr(first))[0] == ".demo";
}

}  // namespace hvdb::fuzz

#endif  // HVDB_TESTS_FUZZ_FUZZ_UTIL_H_
