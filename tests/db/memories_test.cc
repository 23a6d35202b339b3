// Copyright hvdb authors. Accumulators (persistent bundles) and cleanup.
#include <gtest/gtest.h>

#include <cmath>

#include <limits>

#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

constexpr size_t kDim = 2048;

class MemoriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenOrDie(dir_ / "db");
    ASSERT_TRUE(db_->CreateCollection("c", {.dim = kDim, .item_memory_seed = 7}).ok());
    c_ = GetOrDie(db_.get(), "c");
    rng_.seed(DbTestSeed() + 21);
  }
  Hypervector Rand() { return Hypervector::Random(kDim, rng_()).value(); }
  TempDir dir_;
  std::unique_ptr<DB> db_;
  Collection* c_ = nullptr;
  std::mt19937_64 rng_;
};

TEST_F(MemoriesTest, AccumulatorIsTheBundleOfItsMembers) {
  std::vector<Hypervector> members = {Rand(), Rand(), Rand(), Rand()};
  ASSERT_TRUE(c_->Accumulate("fruit", std::span(members).subspan(0, 1)).ok());
  ASSERT_TRUE(c_->Accumulate("fruit", std::span(members).subspan(1, 3)).ok());
  EXPECT_EQ(c_->AccumulatorMembers("fruit").value(), 4);
  // Even count: ties broken as hdc::Bundle (default tie seed) breaks them.
  EXPECT_TRUE(c_->ReadAccumulator("fruit").value() == hdc::Bundle(members).value());
  // Subtracting a member gives the bundle of the rest.
  ASSERT_TRUE(c_->Accumulate("fruit", std::span(members).subspan(3, 1), -1).ok());
  members.pop_back();
  EXPECT_TRUE(c_->ReadAccumulator("fruit").value() == hdc::Bundle(members).value());
  EXPECT_EQ(c_->AccumulatorMembers("fruit").value(), 3);
  // Weights count as repeated members.
  ASSERT_TRUE(c_->Accumulate("heavy", std::span(members).subspan(0, 1), 5).ok());
  ASSERT_TRUE(c_->Accumulate("heavy", std::span(members).subspan(1, 2), 2).ok());
  EXPECT_TRUE(c_->ReadAccumulator("heavy").value() == members[0]);

  // Durable, listed, dropped.
  db_.reset();
  db_ = OpenOrDie(dir_ / "db");
  c_ = GetOrDie(db_.get(), "c");
  EXPECT_TRUE(c_->ReadAccumulator("fruit").value() == hdc::Bundle(members).value());
  EXPECT_EQ(c_->ListAccumulators(), (std::vector<std::string>{"fruit", "heavy"}));
  ASSERT_TRUE(c_->DropAccumulator("heavy").ok());
  EXPECT_TRUE(c_->ReadAccumulator("heavy").status().IsNotFound());
  EXPECT_TRUE(c_->DropAccumulator("heavy").ok());
  EXPECT_EQ(c_->ListAccumulators(), (std::vector<std::string>{"fruit"}));
  // Dropping the collection drops its accumulators.
  ASSERT_TRUE(db_->DropCollection("c").ok());
  ASSERT_TRUE(db_->CreateCollection("c", {.dim = kDim}).ok());
  EXPECT_TRUE(GetOrDie(db_.get(), "c")->ListAccumulators().empty());
}

TEST_F(MemoriesTest, AccumulatorPrototypeFindsItsClass) {
  // Three classes of noisy copies; each prototype's nearest stored vectors are its own.
  std::vector<Hypervector> centres = {Rand(), Rand(), Rand()};
  for (int cls = 0; cls < 3; ++cls) {
    std::vector<Hypervector> members;
    for (int i = 0; i < 9; ++i) {
      members.push_back(Near(centres[cls], kDim * 3 / 10, rng_));
      ASSERT_TRUE(c_->Put("c" + std::to_string(cls) + "-" + std::to_string(i), members.back(), {.sync = false}).ok());
    }
    ASSERT_TRUE(c_->Accumulate("class" + std::to_string(cls), members).ok());
  }
  for (int cls = 0; cls < 3; ++cls) {
    auto hits = c_->Search(c_->ReadAccumulator("class" + std::to_string(cls)).value(), {.k = 9});
    ASSERT_TRUE(hits.ok());
    for (const auto& h : *hits) EXPECT_EQ(h.key.substr(0, 2), "c" + std::to_string(cls)) << h.key;
  }
}

TEST_F(MemoriesTest, AccumulatorErrors) {
  const std::vector<Hypervector> one = {Rand()};
  EXPECT_TRUE(c_->Accumulate("a", one, 0).IsInvalidArgument());
  EXPECT_TRUE(c_->Accumulate("a", std::span<const Hypervector>()).IsInvalidArgument());
  const std::vector<Hypervector> wrong = {Hypervector::Random(1024, 1).value()};
  const Status s = c_->Accumulate("a", wrong);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("has dim 2048"), std::string::npos) << s.ToString();
  EXPECT_TRUE(c_->Accumulate("", one).IsInvalidArgument());
  EXPECT_TRUE(c_->Accumulate(std::string(1025, 'x'), one).IsInvalidArgument());
  EXPECT_TRUE(c_->ReadAccumulator("never").status().IsNotFound());
  EXPECT_NE(c_->ReadAccumulator("never").status().message().find("'never'"), std::string::npos);
  EXPECT_TRUE(c_->ListAccumulators().empty());  // nothing was written by the failures
  // A counter past 2^31 is refused and changes nothing.
  ASSERT_TRUE(c_->Accumulate("big", one, std::numeric_limits<int32_t>::max()).ok());
  EXPECT_TRUE(c_->Accumulate("big", one, 1).IsResourceExhausted());
  EXPECT_EQ(c_->AccumulatorMembers("big").value(), std::numeric_limits<int32_t>::max());
}

TEST_F(MemoriesTest, CleanupAnswersNotFoundForNoise) {
  const Hypervector peso = Rand();
  ASSERT_TRUE(c_->Put("peso", peso).ok());
  ASSERT_TRUE(c_->Put("dollar", Rand()).ok());
  auto hit = c_->Cleanup(Near(peso, kDim * 2 / 5, rng_));  // 40% noise: still ~9 sigma
  ASSERT_TRUE(hit.ok()) << hit.status().ToString();
  EXPECT_EQ(hit->key, "peso");
  const auto noise = c_->Cleanup(Rand());
  EXPECT_TRUE(noise.status().IsNotFound());
  EXPECT_NE(noise.status().message().find("cleanup needs distance <= 933 (4 sigma)"), std::string::npos)
      << noise.status().ToString();
  EXPECT_TRUE(c_->Cleanup(Rand(), NAN).status().IsInvalidArgument());
  // At 2048 bits, 4 sigma is distance 933.49: 933 passes, 934 (3.98 sigma,
  // which once printed as "4.0 sigma (needs 4.0)") does not, and says so.
  EXPECT_TRUE(c_->Cleanup(Near(peso, 933, rng_)).ok());
  const auto just_past = c_->Cleanup(Near(peso, 934, rng_));
  ASSERT_TRUE(just_past.status().IsNotFound());
  EXPECT_NE(just_past.status().message().find("'peso', is at distance 934 (3.98 sigma); cleanup needs distance <= 933"),
            std::string::npos)
      << just_past.status().ToString();
  // A threshold that lands on a whole distance passes at it: z(900) exactly.
  const double at_900 = (1024.0 - 900) / (std::sqrt(2048.0) / 2);
  EXPECT_TRUE(c_->Cleanup(Near(peso, 900, rng_), at_900).ok());
  EXPECT_FALSE(c_->Cleanup(Near(peso, 901, rng_), at_900).ok());
  EXPECT_NE(c_->Cleanup(peso, 100).status().message().find("no distance reaches 100 sigma"), std::string::npos);
}

}  // namespace
}  // namespace hvdb::testing
