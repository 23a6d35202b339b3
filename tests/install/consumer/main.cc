// Uses only the installed public headers.
#include <hvdb/hvdb.h>

#include <cstdio>

int main() {
  hvdb::Result<hvdb::Hypervector> a = hvdb::Hypervector::Random(2048, 1);
  if (!a.ok()) return 1;
  hvdb::Hypervector b = *a;
  b.set_bit(3, !b.bit(3));
  hvdb::Result<uint32_t> d = hvdb::HammingDistance(*a, b);
  if (!d.ok()) {
    std::fprintf(stderr, "%s\n", d.status().ToString().c_str());
    return 1;
  }
  std::printf("consumer ok: hvdb %s distance %u\n", hvdb::Version(), *d);
  return 0;
}
