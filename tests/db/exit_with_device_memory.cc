// Copyright hvdb authors. A program that leaves a database open in a static,
// with its rows resident on a search device, and exits: the database is
// destroyed at exit, after the device registry was made (the first search
// made it, after the database). Its device memory must still be freed on a
// live device: under ASan (make asan) a registry destroyed first is a
// use-after-free. The fuzz targets' scratch databases found it.
// Usage: exit_with_device_memory DIR (run with HVDB_FAKE_GPU=1 or the CUDA
// emulation; exits 1 without a search device).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "hvdb/hvdb.h"

namespace {

std::string g_dir;

int Fail(const std::string& what) {
  std::fprintf(stderr, "exit_with_device_memory: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return Fail("usage: exit_with_device_memory DIR");
  g_dir = argv[1];
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
  // Registered before the database is made, so it runs after the database is
  // gone (exit runs handlers and static destructors in reverse order).
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(g_dir, ignored);
  });
  // Opened in the static's initializer, as a program's global would be: what
  // RocksDB makes while opening is made first, so it is destroyed after.
  static const std::unique_ptr<hvdb::DB> db = [] {
    std::unique_ptr<hvdb::DB> opened;
    if (hvdb::Status s = hvdb::DB::Open({}, g_dir, &opened); !s.ok()) std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return opened;
  }();
  if (db == nullptr) return Fail("could not open " + g_dir);
  if (hvdb::Status s = db->CreateCollection("c", {.dim = 1024}); !s.ok()) return Fail(s.ToString());
  hvdb::Collection* c = nullptr;
  if (hvdb::Status s = db->GetCollection("c", &c); !s.ok()) return Fail(s.ToString());
  hvdb::WriteBatch batch;
  for (int i = 0; i < 2000; ++i) batch.Put("r" + std::to_string(i), hvdb::Hypervector::Random(1024, i).value());
  if (hvdb::Status s = c->Write(batch, {.sync = false}); !s.ok()) return Fail(s.ToString());
  const hvdb::Hypervector query = hvdb::Hypervector::Random(1024, 7).value();
  auto hits = c->Search(query, {.k = 3, .device = hvdb::Device::kGpu});
  if (!hits.ok()) return Fail("search on the device: " + hits.status().ToString());
  if (hits->empty() || hits->front().key != "r7" || hits->front().distance != 0) return Fail("wrong nearest row");
  std::printf("searched on the device; exiting with the database open\n");
  return 0;  // `db` is destroyed after this, with its rows on the device
}
