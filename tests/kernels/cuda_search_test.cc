// Copyright hvdb authors. The CUDA search device against the plain scalar
// scan: planted neighbours, exact ties, tombstones, uneven row counts, k
// above the rows, k = 1024, radius. Runs where a CUDA device is present
// (scripts/gpu-check.sh), on the CUDA emulation in its build (make
// cuda-emulation, make tsan), and skips, saying why, elsewhere.
#include <gtest/gtest.h>

#include "kernels/cuda/devices.h"
#include "kernels/device/search_device.h"
#include "tests/kernels/reference.h"
#include "tests/test_seed.h"

namespace hvdb::testing {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif

void ExpectStreamingEqualsTheScalarScan(kernels::SearchDevice* device, size_t kN, size_t kQueries, std::mt19937_64& rng);

class CudaSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    devices_ = kernels::cuda::OpenSearchDevices(&why);
    if (devices_.empty()) GTEST_SKIP() << "no CUDA search device: " << why;
    // The CUDA emulation (test machinery) runs the same code on CPU threads:
    // smaller sizes, the same cases.
    emulated_ = !devices_.front()->chosen_by_auto();
    std::printf("[ device   ] %s\n", devices_.front()->name().c_str());
  }
  bool emulated_ = false;
  std::vector<std::unique_ptr<kernels::SearchDevice>> devices_;
};

// Both top-k kernels: a few queries run TileTopK, a batch BatchTopK (two
// groups of queries, the second partial).
TEST_F(CudaSearchTest, TopKAndRadiusEqualTheScalarScan) {
  std::mt19937_64 rng(ProcessSeed() + 5);
  constexpr size_t kQueries = 40;
  std::vector<kernels::SearchDevice*> devices{devices_.front().get()};
  if (devices_.size() > 1) devices.push_back(devices_.back().get());
  for (auto* device : devices) {
    EXPECT_EQ(device->kernel_for(3).find("tile-topk") != std::string::npos, true) << device->kernel_for(3);
    EXPECT_EQ(device->kernel_for(kQueries).find("batch-topk") != std::string::npos, true) << device->kernel_for(kQueries);
    for (size_t words : {1, 16, 32, 157}) {
      // Under ThreadSanitizer the races are the same at every width: one word
      // and 2048 bits (the odd widths run in make cuda-emulation).
      if (kThreadSanitizer && words != 1 && words != 32) continue;
      for (size_t n : {size_t{1}, size_t{63}, size_t{1000}, emulated_ ? size_t{17000} : size_t{40000}}) {
        // Emulated, the tiles of several chunks (TileTopK) and many slabs
        // (BatchTopK) at one word and at 2048 bits only (at one word and
        // k = 10 only under ThreadSanitizer): every barrier costs.
        if (emulated_ && n > 1000 && words != 1 && (words != 32 || kThreadSanitizer)) continue;
        std::vector<uint64_t> rows(n * words), queries(kQueries * words), tombstones((n + 63) / 64, 0);
        for (auto& w : rows) w = rng();
        for (auto& w : queries) w = rng();
        for (size_t r = 0; r < n; ++r) {
          if (r % 11 == 3) std::copy_n(&queries[(r % kQueries) * words], words, &rows[r * words]);  // distance 0, ties
          if (r % 13 == 5) std::copy_n(&rows[(r / 2) * words], words, &rows[r * words]);            // duplicates
          if (r % 17 == 9) tombstones[r / 64] |= uint64_t{1} << (r % 64);
        }
        auto d_rows = device->Allocate(rows.size() * 8);
        auto d_tomb = device->Allocate(tombstones.size() * 8);
        ASSERT_TRUE(d_rows.ok() && d_tomb.ok());
        ASSERT_TRUE(device->Upload(d_rows->handle(), 0, rows.data(), rows.size() * 8).ok());
        ASSERT_TRUE(device->Upload(d_tomb->handle(), 0, tombstones.data(), tombstones.size() * 8).ok());
        for (size_t nq : {size_t{3}, kQueries}) {
          for (size_t k : {1, 10, 1024}) {
            if (kThreadSanitizer && n > 1000 && k != 10) continue;  // the many-chunk tiles once under TSan
            std::vector<kernels::Neighbor> got(nq * k);
            const Status s = device->TopK(d_rows->handle(), n, words, d_tomb->handle(), queries.data(), nq, k, got.data());
            ASSERT_TRUE(s.ok()) << s.ToString();
            for (size_t q = 0; q < nq; ++q) {
              auto want = ReferenceAll(&queries[q * words], rows, words, tombstones);
              want.resize(std::min(k, want.size()));
              want.resize(k);  // the tail: {kNoRow, kNoDistance}
              ASSERT_EQ(std::vector<kernels::Neighbor>(got.begin() + q * k, got.begin() + (q + 1) * k), want)
                  << device->kernel_for(nq) << " words=" << words << " n=" << n << " k=" << k << " q=" << q;
            }
          }
        }
        const uint32_t radius = static_cast<uint32_t>(words * 32 - words * 2);
        std::vector<std::vector<kernels::Neighbor>> within(8);
        ASSERT_TRUE(device->WithinRadius(d_rows->handle(), n, words, d_tomb->handle(), queries.data(), 8, radius, within.data()).ok());
        for (size_t q = 0; q < 8; ++q) {
          auto want = ReferenceAll(&queries[q * words], rows, words, tombstones);
          want.erase(std::remove_if(want.begin(), want.end(), [&](auto& h) { return h.distance > radius; }), want.end());
          EXPECT_EQ(within[q], want) << "radius, words=" << words << " n=" << n;
        }
      }
    }
  }
}

TEST_F(CudaSearchTest, StreamingOverlapsCopiesAndEqualsTheScalarScan) {
  std::mt19937_64 rng(ProcessSeed() + 6);
  auto* device = devices_.front().get();
  for (size_t queries_count : {size_t{5}, size_t{33}}) {  // TileTopK, BatchTopK
    // Emulated, fewer rows (under TSan, three chunks: both lanes, one reused).
    const size_t rows = !emulated_ ? 50000 : kThreadSanitizer ? 10000 : 20000;
    ExpectStreamingEqualsTheScalarScan(device, rows, queries_count, rng);
  }
}

void ExpectStreamingEqualsTheScalarScan(kernels::SearchDevice* device, size_t kN, size_t kQueries, std::mt19937_64& rng) {
  constexpr size_t kWords = 32, kK = 25;
  std::vector<uint64_t> rows(kN * kWords), queries(kQueries * kWords), tombstones((kN + 63) / 64, 0);
  for (auto& w : rows) w = rng();
  for (auto& w : queries) w = rng();
  for (size_t r = 0; r < kN; r += 97) std::copy_n(&queries[(r % kQueries) * kWords], kWords, &rows[r * kWords]);
  for (size_t r = 5; r < kN; r += 7) tombstones[r / 64] |= uint64_t{1} << (r % 64);
  std::vector<std::vector<kernels::Neighbor>> streamed(kQueries);
  uint64_t uploaded = 0;
  ASSERT_TRUE(device->StreamTopK(rows.data(), kN, kWords, tombstones.data(), 8192, queries.data(), kQueries, kK,
                                 &streamed, &uploaded)
                  .ok());
  EXPECT_EQ(uploaded, kN * kWords * 8);
  for (size_t q = 0; q < kQueries; ++q) {
    auto got = streamed[q];
    std::sort(got.begin(), got.end(), kernels::NearerFirst);
    got.resize(std::min(got.size(), kK));
    auto want = ReferenceAll(&queries[q * kWords], rows, kWords, tombstones);
    want.resize(kK);
    EXPECT_EQ(got, want) << device->kernel_for(kQueries) << " query " << q;
  }
}

// More queries than one launch takes (the emulation's grids hold 8 x 32
// queries for BatchTopK, 8 for radius; a GPU's 65535 times that) go in
// slices: resident, streamed and radius.
TEST_F(CudaSearchTest, ManyQueriesGoInSlices) {
  std::mt19937_64 rng(ProcessSeed() + 7);
  auto* device = devices_.front().get();
  constexpr size_t kWords = 2, kN = 63, kQueries = 300;
  std::vector<uint64_t> rows(kN * kWords), queries(kQueries * kWords), tombstones(1, 0b1001);
  for (auto& w : rows) w = rng();
  for (auto& w : queries) w = rng();
  auto d_rows = device->Allocate(rows.size() * 8);
  auto d_tomb = device->Allocate(8);
  ASSERT_TRUE(d_rows.ok() && d_tomb.ok());
  ASSERT_TRUE(device->Upload(d_rows->handle(), 0, rows.data(), rows.size() * 8).ok());
  ASSERT_TRUE(device->Upload(d_tomb->handle(), 0, tombstones.data(), 8).ok());
  constexpr size_t kK = 2;
  std::vector<kernels::Neighbor> got(kQueries * kK);
  ASSERT_TRUE(device->TopK(d_rows->handle(), kN, kWords, d_tomb->handle(), queries.data(), kQueries, kK, got.data()).ok());
  std::vector<std::vector<kernels::Neighbor>> streamed(kQueries), within(kQueries);
  uint64_t uploaded = 0;
  ASSERT_TRUE(device->StreamTopK(rows.data(), kN, kWords, tombstones.data(), 64, queries.data(), kQueries, kK,
                                 &streamed, &uploaded)
                  .ok());
  ASSERT_TRUE(device->WithinRadius(d_rows->handle(), kN, kWords, d_tomb->handle(), queries.data(), kQueries, 60,
                                   within.data())
                  .ok());
  for (size_t q = 0; q < kQueries; ++q) {
    const auto all = ReferenceAll(&queries[q * kWords], rows, kWords, tombstones);
    const std::vector<kernels::Neighbor> want(all.begin(), all.begin() + kK);
    ASSERT_EQ(std::vector<kernels::Neighbor>(got.begin() + q * kK, got.begin() + (q + 1) * kK), want) << "query " << q;
    std::sort(streamed[q].begin(), streamed[q].end(), kernels::NearerFirst);
    ASSERT_EQ(streamed[q], want) << "streamed, query " << q;
    std::vector<kernels::Neighbor> near;
    for (const auto& hit : all) {
      if (hit.distance <= 60) near.push_back(hit);
    }
    ASSERT_EQ(within[q], near) << "radius, query " << q;
  }
}

TEST_F(CudaSearchTest, BadArgumentsAndCalibration) {
  auto* device = devices_.front().get();
  std::vector<kernels::Neighbor> out(2000);
  std::vector<uint64_t> q(32, 1);
  EXPECT_TRUE(device->TopK(0, 10, 32, 0, q.data(), 1, 2000, out.data()).IsInvalidArgument());
  EXPECT_TRUE(device->Allocate(size_t{1} << 62).status().IsResourceExhausted());
  auto speed = device->Calibrate();
  ASSERT_TRUE(speed.ok()) << speed.status().ToString();
  EXPECT_GT(speed->pairs_per_s, 0);
  EXPECT_GT(speed->upload_bytes_per_s, 0);
}

}  // namespace
}  // namespace hvdb::testing
