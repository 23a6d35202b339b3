// Copyright hvdb authors. What the fuzz targets share: a scratch directory on
// a RAM file system for the files and databases they make, removed at exit.
#ifndef HVDB_TESTS_FUZZ_FUZZ_UTIL_H_
#define HVDB_TESTS_FUZZ_FUZZ_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

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

}  // namespace hvdb::fuzz

#endif  // HVDB_TESTS_FUZZ_FUZZ_UTIL_H_
