// Copyright hvdb authors. The search planner (db/planner.h): which index and
// which device a search gets, and the reason it says, for each index kind,
// request and set of devices; and a collection's ExplainSearch saying the
// plan its search then runs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "db/planner.h"
#include "index/index.h"
#include "kernels/device/fake_device.h"
#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

constexpr size_t kWords = 4;

class PlanSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("HVDB_DEVICE");  // read once, at the first plan: the reasons below are for an unset one
    std::mt19937_64 rng(DbTestSeed() + 31);
    rows_.resize(kRows * kWords);
    for (auto& w : rows_) w = rng();
    query_.assign(rows_.begin(), rows_.begin() + kWords);
  }
  index::RowsView View() const { return {rows_.data(), kRows, kWords, nullptr, nullptr}; }
  std::unique_ptr<index::Index> Build(IndexKind kind) {
    IndexOptions options;
    options.kind = kind;
    options.prefix_bits = 64;
    options.ivf_nlist = 4;
    options.hnsw_m = 8;
    auto built = index::TypeOf(kind).build(options, View(), {kernels::Simd::kScalar, 1, 0}, nullptr);
    EXPECT_TRUE(built.ok()) << built.status().ToString();
    return std::move(*built);
  }
  Result<db::SearchPlan> Plan(const index::Index& index, Device device, size_t k = 10, bool exact = false,
                              size_t nq = 1) {
    request_.queries = query_.data();
    request_.nq = nq;
    request_.k = k;
    request_.max_distance = k == 0 ? std::optional<uint32_t>(100) : std::nullopt;
    db::PlanInput input;
    input.index = &index;
    input.rows = View();
    input.request = &request_;
    input.exact = exact;
    input.requested = device;
    input.simd = kernels::Simd::kScalar;
    input.resident = 1.0;
    input.devices = [this]() -> const db::PlanInput::Devices& {
      ++devices_asked_;
      return devices_;
    };
    return db::PlanSearch(input);
  }

  static constexpr size_t kRows = 200;
  std::vector<uint64_t> rows_, query_;
  index::SearchRequest request_;
  kernels::FakeDevice device_{0, {}};
  std::vector<kernels::SearchDevice*> devices_;
  int devices_asked_ = 0;
};

bool Says(const db::SearchPlan& plan, const std::string& words) {
  return plan.reason.find(words) != std::string::npos;
}

TEST_F(PlanSearchTest, TheIndexAnswersUnlessExactOrItDeclines) {
  const auto ivf = Build(IndexKind::kIvf);
  auto plan = Plan(*ivf, Device::kAuto);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->index, ivf.get());
  EXPECT_EQ(plan->device, Device::kCpu);
  EXPECT_EQ(plan->kernel, "scalar");
  EXPECT_EQ(plan->reason, "ivf index (nlist 4); an index answers on the CPU unless device gpu is asked");
  EXPECT_EQ(plan->Describe().index, IndexKind::kIvf);

  plan = Plan(*ivf, Device::kAuto, 10, /*exact=*/true);
  EXPECT_EQ(plan->index->kind(), IndexKind::kFlat);
  EXPECT_TRUE(Says(*plan, "exact asked")) << plan->reason;

  const auto hnsw = Build(IndexKind::kHnsw);
  plan = Plan(*hnsw, Device::kAuto, /*k=*/0);  // radius only: hnsw declines
  EXPECT_EQ(plan->index->kind(), IndexKind::kFlat);
  EXPECT_TRUE(Says(*plan, "radius search")) << plan->reason;

  const auto prefix = Build(IndexKind::kPrefix);
  plan = Plan(*prefix, Device::kAuto, 10);
  EXPECT_EQ(plan->index, prefix.get());  // 10 x 16 candidates < 200 rows
  plan = Plan(*prefix, Device::kAuto, 20);
  EXPECT_EQ(plan->index->kind(), IndexKind::kFlat);  // 320 candidates cover every row
  EXPECT_TRUE(Says(*plan, "cover every live row")) << plan->reason;

  IndexOptions untrained;
  untrained.kind = IndexKind::kIvf;
  untrained.ivf_nlist = 100;  // needs 400 rows
  auto small = index::TypeOf(IndexKind::kIvf).build(untrained, View(), {}, nullptr);
  plan = Plan(**small, Device::kAuto);
  EXPECT_EQ(plan->index->kind(), IndexKind::kFlat);
  EXPECT_TRUE(Says(*plan, "not trained yet")) << plan->reason;
}

TEST_F(PlanSearchTest, TheDeviceAskedForWinsAndAnIndexWithoutOneScansFlatThere) {
  const auto flat = Build(IndexKind::kFlat);
  EXPECT_TRUE(Plan(*flat, Device::kGpu).status().IsUnavailable());  // no device here
  devices_ = {&device_};
  auto plan = Plan(*flat, Device::kGpu);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->device, Device::kGpu);
  EXPECT_EQ(plan->kernel, "fake");
  EXPECT_EQ(plan->devices.size(), 1u);
  EXPECT_TRUE(Says(*plan, "device gpu asked")) << plan->reason;

  const auto ivf = Build(IndexKind::kIvf);  // scans its lists on the device
  plan = Plan(*ivf, Device::kGpu);
  EXPECT_EQ(plan->index, ivf.get());
  EXPECT_EQ(plan->device, Device::kGpu);
  plan = Plan(*ivf, Device::kAuto);  // an index answers on the CPU unless asked
  EXPECT_EQ(plan->index, ivf.get());
  EXPECT_EQ(plan->device, Device::kCpu);
  plan = Plan(*ivf, Device::kCpu);
  EXPECT_EQ(plan->device, Device::kCpu);
  EXPECT_TRUE(Says(*plan, "device cpu asked")) << plan->reason;

  const auto hnsw = Build(IndexKind::kHnsw);  // no device search: the exact scan on the device
  plan = Plan(*hnsw, Device::kGpu);
  EXPECT_EQ(plan->index->kind(), IndexKind::kFlat);
  EXPECT_EQ(plan->device, Device::kGpu);
  EXPECT_TRUE(Says(*plan, "no device search")) << plan->reason;
}

// The devices are opened (a CUDA context each) only by a plan that may use
// them: not for device cpu, an index answering on the CPU, or nothing to scan.
TEST_F(PlanSearchTest, DevicesAreAskedForOnlyWhenTheyMayAnswer) {
  devices_ = {&device_};
  const auto flat = Build(IndexKind::kFlat);
  const auto ivf = Build(IndexKind::kIvf);
  ASSERT_TRUE(Plan(*flat, Device::kCpu).ok());
  ASSERT_TRUE(Plan(*ivf, Device::kAuto).ok());
  ASSERT_TRUE(Plan(*flat, Device::kGpu, 10, false, /*nq=*/0).ok());
  EXPECT_EQ(devices_asked_, 0);
  ASSERT_TRUE(Plan(*flat, Device::kAuto).ok());
  EXPECT_EQ(devices_asked_, 1);
  // Nothing to scan: no device needed, none opened, the CPU answers (empty).
  devices_.clear();
  auto plan = Plan(*flat, Device::kGpu, 10, false, /*nq=*/0);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->device, Device::kCpu);
  EXPECT_TRUE(Says(*plan, "nothing to scan")) << plan->reason;
}

TEST_F(PlanSearchTest, AutoWeighsTheCostModel) {
  devices_ = {&device_};
  const auto flat = Build(IndexKind::kFlat);
  auto plan = Plan(*flat, Device::kAuto);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(Says(*plan, "cost model: cpu ")) << plan->reason;
  plan = Plan(*flat, Device::kAuto, 10, false, /*nq=*/0);
  EXPECT_EQ(plan->device, Device::kCpu);
  EXPECT_TRUE(Says(*plan, "nothing to scan")) << plan->reason;
}

// Through a collection: ExplainSearch says what SearchBatch then runs.
class ExplainSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("HVDB_DEVICE");
    kernels::OverrideSearchDevicesForTesting(&devices_);
  }
  void TearDown() override { kernels::OverrideSearchDevicesForTesting(nullptr); }
  TempDir dir_;
  kernels::FakeDevice device_{0, {}};
  std::vector<kernels::SearchDevice*> devices_{&device_};
};

TEST_F(ExplainSearchTest, ThePlanExplainedIsThePlanRun) {
  auto db = OpenOrDie(dir_ / "db");
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 256, .index = {.kind = IndexKind::kIvf, .ivf_nlist = 4}}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  std::mt19937_64 rng(DbTestSeed() + 32);
  WriteBatch batch;
  for (int i = 0; i < 100; ++i) batch.Put("k" + std::to_string(i), Hypervector::Random(256, rng()).value());
  ASSERT_TRUE(c->Write(batch).ok());
  const Hypervector q = Hypervector::Random(256, rng()).value();
  for (const SearchOptions& options :
       {SearchOptions{}, SearchOptions{.device = Device::kGpu}, SearchOptions{.device = Device::kCpu},
        SearchOptions{.exact = true}, SearchOptions{.k = 0, .max_distance = 120, .device = Device::kGpu}}) {
    auto explained = c->ExplainSearch(1, options);
    ASSERT_TRUE(explained.ok()) << explained.status().ToString();
    SearchStats stats;
    ASSERT_TRUE(c->Search(q, options, &stats).ok());
    EXPECT_EQ(stats.plan.index, explained->index) << explained->reason;
    EXPECT_EQ(stats.plan.device, explained->device) << explained->reason;
    EXPECT_EQ(stats.plan.kernel, explained->kernel);
    EXPECT_EQ(stats.plan.reason, explained->reason);
  }
  EXPECT_EQ(c->ExplainSearch(1, {.device = Device::kGpu})->index, IndexKind::kIvf);
  EXPECT_TRUE(c->ExplainSearch(1, {.k = 0}).status().IsInvalidArgument());  // k 0 needs max_distance
}

}  // namespace
}  // namespace hvdb::testing
