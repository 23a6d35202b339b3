// Copyright hvdb authors. GPU search without a GPU: the shard manager, the
// delta uploads, streaming beyond the memory budget, several devices, the
// planner and the fall back to the CPU, all on fake devices (host memory,
// answers by the CPU kernels), against the CPU's exact scan. The CUDA
// device's own tests run where one is present (scripts/gpu-check.sh).
#include <gtest/gtest.h>

#include "db/gpu_mirror.h"
#include "db/planner.h"
#include "kernels/device/fake_device.h"
#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

constexpr size_t kDim = 1024;  // 128-byte rows
constexpr uint64_t kBudget = 64 << 10;  // per device: 320 resident rows, 128-row staging

class GpuSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rng_.seed(DbTestSeed() + 90);
    OverrideSearchDevicesForTesting(&devices_);
    Options options;
    options.gpu_memory_bytes = kBudget;
    db_ = OpenOrDie(dir_ / "db", options);
    ASSERT_TRUE(db_->CreateCollection("c", {.dim = kDim}).ok());
    c_ = GetOrDie(db_.get(), "c");
    for (int i = 0; i < 5; ++i) queries_.push_back(Rand());
  }
  void TearDown() override {
    db_.reset();
    kernels::OverrideSearchDevicesForTesting(nullptr);
  }
  static void OverrideSearchDevicesForTesting(const std::vector<kernels::SearchDevice*>* d) {
    kernels::OverrideSearchDevicesForTesting(d);
  }
  Hypervector Rand() { return Hypervector::Random(kDim, rng_()).value(); }
  void Fill(size_t n, const std::string& prefix) {
    WriteBatch batch;
    const Hypervector twin = Rand();
    for (size_t i = 0; i < n; ++i) {
      // Planted neighbours, two at equal distance; duplicates (ties); noise.
      Hypervector v = i < 10 ? Near(queries_[i % 5], 20, rng_) : i % 37 == 3 ? twin : Rand();
      batch.Put(prefix + std::to_string(i), v);
    }
    ASSERT_TRUE(c_->Write(batch, {.sync = false}).ok());
  }
  // The GPU's answers equal the CPU's exact scan: k below and above a
  // shard's rows, and radius.
  void ExpectSameAsCpu(const char* where) {
    for (const auto& q : queries_) {
      for (size_t k : {1, 10, 700}) {
        SearchStats stats;
        auto gpu = c_->Search(q, {.k = k, .device = Device::kGpu}, &stats);
        ASSERT_TRUE(gpu.ok()) << gpu.status().ToString();
        EXPECT_EQ(stats.plan.device, hvdb::Device::kGpu) << where;
        EXPECT_EQ(stats.plan.kernel, "fake");
        EXPECT_EQ(*gpu, c_->Search(q, {.k = k, .device = Device::kCpu, .exact = true}).value()) << where << " k=" << k;
      }
      const SearchOptions radius{.k = 0, .max_distance = kDim / 2 - 16};
      SearchOptions on_gpu = radius;
      on_gpu.device = Device::kGpu;
      EXPECT_EQ(c_->Search(q, on_gpu).value(), c_->Search(q, radius).value()) << where;
    }
    auto batch = c_->SearchBatch(queries_, {.k = 10, .device = Device::kGpu});
    ASSERT_TRUE(batch.ok());
    for (size_t i = 0; i < queries_.size(); ++i) {
      EXPECT_EQ((*batch)[i], c_->Search(queries_[i], {.k = 10, .device = Device::kCpu}).value()) << where;
    }
  }

  kernels::FakeDevice d0_{0, {.memory_bytes = kBudget}};
  kernels::FakeDevice d1_{1, {.memory_bytes = kBudget}};
  std::vector<kernels::SearchDevice*> devices_{&d0_, &d1_};
  TempDir dir_;
  std::unique_ptr<DB> db_;
  Collection* c_ = nullptr;
  std::mt19937_64 rng_;
  std::vector<Hypervector> queries_;
};

TEST_F(GpuSearchTest, SameAnswersAsTheCpuThroughWritesShardsAndStreaming) {
  Fill(300, "a");  // fits the first device's shard
  ExpectSameAsCpu("one shard");
  Fill(1700, "b");  // two shards of 320 rows, the rest streamed in 128-row chunks
  ExpectSameAsCpu("two devices and streaming");
  EXPECT_GT(d1_.calls(), 0u);
  // Deletes (compaction renumbers everything), replaces, inserts, a bulk load.
  for (int i = 0; i < 2000; i += 3) ASSERT_TRUE(c_->Delete("b" + std::to_string(i), {.sync = false}).ok());
  for (int i = 1; i < 300; i += 7) ASSERT_TRUE(c_->Put("a" + std::to_string(i), Rand(), {.sync = false}).ok());
  ASSERT_TRUE(c_->Put("near", Near(queries_[2], 3, rng_)).ok());
  std::vector<Hypervector> more;
  for (int i = 0; i < 333; ++i) more.push_back(Rand());
  WriteNpy(dir_ / "more.npy", more, kDim);
  ASSERT_TRUE(c_->BulkLoad(dir_ / "more.npy").ok());
  ExpectSameAsCpu("after writes");
  EXPECT_EQ(c_->Search(queries_[2], {.k = 1, .device = Device::kGpu}).value()[0].key, "near");
}

TEST_F(GpuSearchTest, FallsBackToTheCpuWithTheSameAnswerWhenTheDeviceFails) {
  kernels::FakeDevice failing{0, {.memory_bytes = kBudget, .fail_after = 3}};
  std::vector<kernels::SearchDevice*> one{&failing};
  OverrideSearchDevicesForTesting(&one);
  db_.reset();
  db_ = OpenOrDie(dir_ / "db2");
  CollectionOptions options{.dim = kDim};
  options.index = {.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 4, .ivf_nprobe = 1};
  ASSERT_TRUE(db_->CreateCollection("c", options).ok());
  ASSERT_TRUE(db_->CreateCollection("flat", {.dim = kDim}).ok());
  c_ = GetOrDie(db_.get(), "c");
  Collection* flat = GetOrDie(db_.get(), "flat");
  Fill(500, "r");
  for (const auto& q : queries_) ASSERT_TRUE(flat->Put("q" + std::to_string(flat->Count()), Near(q, 30, rng_)).ok());
  for (int round = 0; round < 3; ++round) {  // the device dies during these
    for (const auto& q : queries_) {
      SearchStats stats;
      // ivf: its lists on the device, or on the CPU: the same answer.
      auto gpu = c_->Search(q, {.k = 10, .device = Device::kGpu}, &stats);
      ASSERT_TRUE(gpu.ok()) << gpu.status().ToString();
      EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kIvf);
      EXPECT_EQ(*gpu, c_->Search(q, {.k = 10, .device = Device::kCpu}).value());
      // flat: the exact scan, on the device or the CPU.
      auto exact = flat->Search(q, {.k = 3, .device = Device::kGpu});
      ASSERT_TRUE(exact.ok());
      EXPECT_EQ(*exact, flat->Search(q, {.k = 3, .device = Device::kCpu}).value());
    }
  }
  SearchStats stats;
  ASSERT_TRUE(c_->Search(queries_[0], {.k = 10, .device = Device::kGpu}, &stats).ok());
  EXPECT_EQ(stats.plan.device, hvdb::Device::kCpu);
  ASSERT_TRUE(flat->Search(queries_[0], {.k = 3, .device = Device::kGpu}, &stats).ok());
  EXPECT_EQ(stats.plan.device, hvdb::Device::kCpu);
  EXPECT_GT(failing.calls(), 3u);
  db_.reset();  // before `failing` goes: devices outlive the DBs that use them
}

TEST_F(GpuSearchTest, IvfListsOnTheDeviceGiveTheCpuIvfAnswers) {
  kernels::FakeDevice roomy{0, {.memory_bytes = 8 << 20}};
  std::vector<kernels::SearchDevice*> one{&roomy};
  OverrideSearchDevicesForTesting(&one);
  db_.reset();
  db_ = OpenOrDie(dir_ / "ivf");
  CollectionOptions options{.dim = kDim};
  options.index = {.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 8, .ivf_nprobe = 2};
  ASSERT_TRUE(db_->CreateCollection("c", options).ok());
  c_ = GetOrDie(db_.get(), "c");
  Fill(1500, "r");
  auto expect_same = [&](const char* where) {
    for (size_t nprobe : {1, 2, 8}) {
      for (const auto& q : queries_) {
        SearchStats stats;
        auto gpu = c_->Search(q, {.k = 10, .device = Device::kGpu, .nprobe = nprobe}, &stats);
        ASSERT_TRUE(gpu.ok()) << gpu.status().ToString();
        EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kIvf);
        EXPECT_EQ(stats.plan.device, hvdb::Device::kGpu);
        EXPECT_EQ(*gpu, c_->Search(q, {.k = 10, .device = Device::kCpu, .nprobe = nprobe}).value()) << where;
        SearchOptions radius{.k = 0, .max_distance = kDim / 2 - 20, .nprobe = nprobe};
        auto cpu_radius = c_->Search(q, radius).value();
        radius.device = Device::kGpu;
        EXPECT_EQ(c_->Search(q, radius).value(), cpu_radius) << where;
      }
    }
  };
  expect_same("trained");
  // Lists change: inserts, replaces, deletes (their device copies are redone).
  for (int i = 0; i < 1500; i += 5) ASSERT_TRUE(c_->Delete("r" + std::to_string(i), {.sync = false}).ok());
  for (int i = 1; i < 1500; i += 9) ASSERT_TRUE(c_->Put("r" + std::to_string(i), Rand(), {.sync = false}).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c_->Put("p" + std::to_string(i), Near(queries_[i], 4, rng_)).ok());
  expect_same("after writes");
  EXPECT_EQ(c_->Search(queries_[3], {.k = 1, .device = Device::kGpu}).value()[0].key, "p3");
  EXPECT_GT(roomy.allocated_bytes(), 0u);
  db_.reset();  // before `roomy` goes
}

TEST_F(GpuSearchTest, NoDeviceMeansUnavailableWhenAskedAndTheCpuOtherwise) {
  std::vector<kernels::SearchDevice*> none;
  OverrideSearchDevicesForTesting(&none);
  Fill(50, "r");
  const Status s = c_->Search(queries_[0], {.k = 5, .device = Device::kGpu}).status();
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("device gpu"), std::string::npos) << s.ToString();
  SearchStats stats;
  ASSERT_TRUE(c_->Search(queries_[0], {.k = 5}, &stats).ok());
  EXPECT_EQ(stats.plan.device, hvdb::Device::kCpu);
}

TEST_F(GpuSearchTest, AutoSendsLargeBatchesToTheDeviceAndSingleQueriesToTheCpu) {
  // One device with a launch cost of 0.5 ms, so the choice does not hang on
  // the CPU speed the planner measures: one query (2,000 rows) goes to the
  // CPU at any speed above 4e6 pairs/s (ASan on a loaded machine measured
  // about 1e8 and once chose the default fake's 20 us launch), 4,096
  // queries go to the device at any CPU speed below 8e9.
  kernels::FakeDevice slow_launch{0, {.memory_bytes = kBudget, .launch_s = 5e-4}};
  std::vector<kernels::SearchDevice*> one{&slow_launch};
  OverrideSearchDevicesForTesting(&one);
  db_.reset();
  db_ = OpenOrDie(dir_ / "db", Options{.gpu_memory_bytes = kBudget});
  c_ = GetOrDie(db_.get(), "c");
  Fill(2000, "r");
  std::vector<Hypervector> many;
  for (int i = 0; i < 4096; ++i) many.push_back(Rand());
  SearchStats stats;
  ASSERT_TRUE(c_->Search(queries_[0], {.k = 5}, &stats).ok());
  EXPECT_EQ(stats.plan.device, hvdb::Device::kCpu);  // one query: the launch cost dominates
  ASSERT_TRUE(c_->SearchBatch(many, {.k = 5}, &stats).ok());
  EXPECT_EQ(stats.plan.device, hvdb::Device::kGpu);  // 4096 x 2000 pairs at the fake's 1e11 pairs/s
  db_.reset();  // before `slow_launch` goes
}

// The same checks on the machine's real devices (CUDA), with a budget small
// enough for several shards and streaming; skips where there are none.
TEST(RealDeviceTest, SameAnswersAsTheCpuWithShardsAndStreaming) {
  std::string why;
  if (kernels::SearchDevices(&why).empty()) GTEST_SKIP() << "no search device: " << why;
  std::printf("[ device   ] %s\n", kernels::SearchDevices().front()->name().c_str());
  // The CUDA emulation (test machinery) runs the same code on CPU threads:
  // fewer rows, still more than fit.
  const int rows = kernels::SearchDevices().front()->chosen_by_auto() ? 30000 : 9000;
  TempDir dir;
  Options options;
  options.gpu_memory_bytes = 1 << 20;  // 1 MiB a device: 192 KiB staging, about 6000 rows of 128 bytes
  auto db = OpenOrDie(dir / "db", options);
  ASSERT_TRUE(db->CreateCollection("c", {.dim = kDim}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  std::mt19937_64 rng(DbTestSeed() + 92);
  std::vector<Hypervector> queries;
  for (int i = 0; i < 8; ++i) queries.push_back(Hypervector::Random(kDim, rng()).value());
  const Hypervector twin = Hypervector::Random(kDim, rng()).value();
  WriteBatch batch;
  for (int i = 0; i < rows; ++i) {
    batch.Put("r" + std::to_string(i), i < 16 ? Near(queries[i % 8], 12, rng) : i % 41 == 7 ? twin
                                                                               : Hypervector::Random(kDim, rng()).value());
  }
  ASSERT_TRUE(c->Write(batch, {.sync = false}).ok());
  for (int i = 100; i < rows; i += 9) ASSERT_TRUE(c->Delete("r" + std::to_string(i), {.sync = false}).ok());
  for (size_t k : {1, 10, 1000}) {
    SearchStats stats;
    auto gpu = c->SearchBatch(queries, {.k = k, .device = Device::kGpu}, &stats);
    ASSERT_TRUE(gpu.ok()) << gpu.status().ToString();
    EXPECT_EQ(stats.plan.device, hvdb::Device::kGpu);
    auto cpu = c->SearchBatch(queries, {.k = k, .device = Device::kCpu});
    EXPECT_EQ(*gpu, *cpu) << "k=" << k;
  }
  auto gpu = c->SearchBatch(queries, {.k = 0, .max_distance = 470, .device = Device::kGpu});
  ASSERT_TRUE(gpu.ok());
  EXPECT_EQ(*gpu, c->SearchBatch(queries, {.k = 0, .max_distance = 470, .device = Device::kCpu}).value());
  // The ivf index with its lists on the device: the CPU ivf's answers.
  ASSERT_TRUE(c->SetIndex({.kind = hvdb::IndexKind::kIvf, .ivf_nlist = 16, .ivf_nprobe = 3}).ok());
  SearchStats stats;
  auto ivf_gpu = c->SearchBatch(queries, {.k = 10, .device = Device::kGpu}, &stats);
  ASSERT_TRUE(ivf_gpu.ok()) << ivf_gpu.status().ToString();
  EXPECT_EQ(stats.plan.device, hvdb::Device::kGpu);
  EXPECT_EQ(stats.plan.index, hvdb::IndexKind::kIvf);
  EXPECT_EQ(*ivf_gpu, c->SearchBatch(queries, {.k = 10, .device = Device::kCpu}).value());
}

TEST(GpuMirrorTest, UploadsOnlyWhatChangedBetweenSearches) {
  constexpr size_t kWords = 16, kRows = 200;
  kernels::FakeDevice device{0, {.memory_bytes = 1 << 20}};
  db::GpuMirror mirror({&device}, kWords, 0);
  std::mt19937_64 rng(DbTestSeed() + 91);
  std::vector<uint64_t> rows(kRows * kWords), query(kWords);
  for (auto& w : rows) w = rng();
  for (auto& w : query) w = rng();
  std::vector<uint64_t> tombstones((kRows + 63) / 64, 0);
  std::vector<kernels::Neighbor> out(10), want(10);
  auto search = [&](size_t n) {
    db::GpuSearchInfo info;
    EXPECT_TRUE(mirror.TopK({rows.data(), n, kWords, tombstones.data()}, query.data(), 1, 10, out.data(), &info).ok());
    EXPECT_TRUE(kernels::TopK({query.data(), 1, {rows.data(), n, kWords, tombstones.data()}}, 10, want.data()).ok());
    EXPECT_EQ(out, want);
    return info.uploaded_bytes;
  };
  EXPECT_GE(search(kRows), kRows * kWords * 8);  // first search: everything
  EXPECT_EQ(search(kRows), 0u);                  // nothing changed
  rows[7 * kWords] ^= 1;
  mirror.RowsChanged(7, 1);
  EXPECT_EQ(search(kRows), kWords * 8);  // one row
  tombstones[0] |= 1 << 3;
  mirror.TombstonesChanged();
  EXPECT_EQ(search(kRows), (kRows + 63) / 64 * 8);  // the tombstone words
  mirror.Renumbered();
  EXPECT_GE(search(kRows), kRows * kWords * 8);  // everything again
}

TEST(PlannerTest, CostModelAndOverrides) {
  db::SearchCosts costs;
  costs.cpu_pairs_per_s = 1e9;
  costs.gpu = {.pairs_per_s = 1e11, .launch_s = 1e-3, .upload_bytes_per_s = 1e10};
  costs.gpu_devices = 1;
  std::string reason;
  const size_t words = 32;
  EXPECT_EQ(db::ChooseDevice(Device::kAuto, Device::kAuto, costs, 1, 10000, words, 1.0, &reason), Device::kCpu);
  EXPECT_EQ(db::ChooseDevice(Device::kAuto, Device::kAuto, costs, 10000, 1000000, words, 1.0, &reason), Device::kGpu);
  EXPECT_NE(reason.find("cost model"), std::string::npos);
  // Not resident: 256 MB to upload first tips a middling batch to the CPU.
  EXPECT_EQ(db::ChooseDevice(Device::kAuto, Device::kAuto, costs, 16, 1000000, words, 1.0, &reason), Device::kGpu);
  EXPECT_EQ(db::ChooseDevice(Device::kAuto, Device::kAuto, costs, 16, 1000000, words, 0.0, &reason), Device::kCpu);
  // An explicit request wins, then HVDB_DEVICE.
  EXPECT_EQ(db::ChooseDevice(Device::kCpu, Device::kGpu, costs, 10000, 1000000, words, 1.0, &reason), Device::kCpu);
  EXPECT_EQ(db::ChooseDevice(Device::kAuto, Device::kCpu, costs, 10000, 1000000, words, 1.0, &reason), Device::kCpu);
  EXPECT_EQ(reason, "HVDB_DEVICE");
  costs.gpu_devices = 0;
  EXPECT_EQ(db::ChooseDevice(Device::kAuto, Device::kAuto, costs, 10000, 1000000, words, 1.0, &reason), Device::kCpu);
  // Predicted times scale with the work.
  costs.gpu_devices = 2;
  EXPECT_NEAR(db::GpuSeconds(costs, 1000, 1000000, words, 1.0), 1e-3 + 1e9 / 2e11, 1e-9);
  EXPECT_NEAR(db::CpuSeconds(costs, 1000, 1000000, 64), 2.0, 1e-9);
}

TEST(FakeDeviceTest, OptionsParseAndBadOnesAreNamed) {
  size_t devices = 0;
  auto o = kernels::ParseFakeDeviceOptions("devices=2,memory=4096,fail_after=9,pairs_per_s=5e12", &devices);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(devices, 2u);
  EXPECT_EQ(o->memory_bytes, 4096u);
  EXPECT_EQ(o->fail_after, 9u);
  EXPECT_EQ(o->pairs_per_s, 5e12);
  EXPECT_TRUE(kernels::ParseFakeDeviceOptions("1", &devices).ok());
  auto bad = kernels::ParseFakeDeviceOptions("memory=lots", &devices);
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_NE(bad.status().message().find("memory=lots"), std::string::npos);
  EXPECT_TRUE(kernels::ParseFakeDeviceOptions("gpus=2", &devices).status().IsInvalidArgument());
  // Out of memory is ResourceExhausted.
  kernels::FakeDevice small{0, {.memory_bytes = 100}};
  EXPECT_TRUE(small.Allocate(200).status().IsResourceExhausted());
}

}  // namespace
}  // namespace hvdb::testing
