// Copyright hvdb authors. Embedding hvdb: make hypervectors, perturb one, and
// measure how far apart they are. Run: build/examples/hvdb_example_nearest
#include <hvdb/hvdb.h>

#include <cstdio>

int main() {
  const size_t dim = 10048;
  hvdb::Result<hvdb::Hypervector> apple = hvdb::Hypervector::Random(dim, /*seed=*/1);
  hvdb::Result<hvdb::Hypervector> pear = hvdb::Hypervector::Random(dim, /*seed=*/2);
  if (!apple.ok() || !pear.ok()) return 1;

  hvdb::Hypervector noisy = *apple;  // a copy with 10% of its bits flipped
  for (size_t i = 0; i < dim; i += 10) noisy.set_bit(i, !noisy.bit(i));

  for (const auto& [name, hv] : {std::pair{"apple", &*apple}, std::pair{"pear", &*pear}}) {
    hvdb::Result<double> sim = hvdb::Similarity(noisy, *hv);
    if (!sim.ok()) {
      std::fprintf(stderr, "%s\n", sim.status().ToString().c_str());
      return 1;
    }
    std::printf("similarity(noisy apple, %s) = %.3f\n", name, *sim);
  }
  hvdb::Result<std::string> kernel = hvdb::CpuKernelInUse();
  std::printf("kernel: %s\n", kernel.ok() ? kernel->c_str() : kernel.status().ToString().c_str());
  return 0;
}
