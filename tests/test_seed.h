// Copyright hvdb authors. The seed of a test process's random data: fresh
// each run and printed, or HVDB_TEST_SEED to replay a failure.
#ifndef HVDB_TESTS_TEST_SEED_H_
#define HVDB_TESTS_TEST_SEED_H_

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace hvdb::testing {

inline uint64_t ProcessSeed() {
  static const uint64_t seed = [] {
    uint64_t s = static_cast<uint64_t>(std::random_device{}()) << 32 | std::random_device{}();
    if (const char* env = std::getenv("HVDB_TEST_SEED")) s = std::stoull(env);
    std::cerr << "[ seed ] HVDB_TEST_SEED=" << s << "\n";
    return s;
  }();
  return seed;
}

}  // namespace hvdb::testing

#endif  // HVDB_TESTS_TEST_SEED_H_
