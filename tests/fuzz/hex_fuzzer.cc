// Copyright hvdb authors. Fuzz target: the hex form of a hypervector. Any
// input is read or refused; what is read prints back to the same vector.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hvdb/hvdb.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = hvdb::Hypervector::FromHex(text);
  if (!v.ok()) return 0;
  auto again = hvdb::Hypervector::FromHex(v->ToHex());
  if (!again.ok() || !(*again == *v)) std::abort();  // the hex form must round-trip
  return 0;
}
