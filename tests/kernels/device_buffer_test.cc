// Copyright hvdb authors. DeviceBuffer owns device memory: freed when it
// goes, when another buffer is moved over it, and at reset; a moved-from one
// holds nothing. Counted on the fake device.
#include <gtest/gtest.h>

#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/device/fake_device.h"
#include "kernels/device/search_device.h"

namespace hvdb::testing {
namespace {

using kernels::DeviceBuffer;
using kernels::FakeDevice;

static_assert(!std::is_copy_constructible_v<DeviceBuffer> && !std::is_copy_assignable_v<DeviceBuffer>);
static_assert(std::is_nothrow_move_constructible_v<DeviceBuffer> && std::is_nothrow_move_assignable_v<DeviceBuffer>);

TEST(DeviceBufferTest, FreedOnDestruction) {
  FakeDevice device(0, {});
  {
    auto a = device.Allocate(800);
    auto b = device.Allocate(64);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(*a);
    EXPECT_NE(a->handle(), 0u);
    EXPECT_NE(a->handle(), b->handle());
    EXPECT_EQ(a->bytes(), 800u);
    EXPECT_EQ(a->device(), &device);
    EXPECT_EQ(device.live_buffers(), 2u);
    EXPECT_EQ(device.allocated_bytes(), 864u);
  }
  EXPECT_EQ(device.live_buffers(), 0u);
  EXPECT_EQ(device.allocated_bytes(), 0u);
}

TEST(DeviceBufferTest, FreedOnMoveAssignmentAndReset) {
  FakeDevice device(0, {});
  auto a = device.Allocate(80);
  auto b = device.Allocate(160);
  ASSERT_TRUE(a.ok() && b.ok());
  DeviceBuffer x = std::move(*a);
  DeviceBuffer y = std::move(*b);
  EXPECT_FALSE(*a);  // moved from: holds nothing
  EXPECT_EQ(a->handle(), 0u);
  EXPECT_EQ(a->bytes(), 0u);
  EXPECT_EQ(device.live_buffers(), 2u);

  const auto kept = y.handle();
  x = std::move(y);  // x's old memory goes; y's moves over
  EXPECT_EQ(device.live_buffers(), 1u);
  EXPECT_EQ(device.allocated_bytes(), 160u);
  EXPECT_EQ(x.handle(), kept);
  EXPECT_EQ(x.bytes(), 160u);
  EXPECT_FALSE(y);

  x = DeviceBuffer();  // an empty one over it frees it too
  EXPECT_EQ(device.live_buffers(), 0u);
  EXPECT_FALSE(x);

  auto c = device.Allocate(8);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(device.live_buffers(), 1u);
  c->reset();
  EXPECT_FALSE(*c);
  EXPECT_EQ(device.live_buffers(), 0u);
  c->reset();  // twice: nothing
  EXPECT_EQ(device.live_buffers(), 0u);
}

TEST(DeviceBufferTest, BuffersInAContainerAndUploads) {
  FakeDevice device(0, {});
  std::vector<DeviceBuffer> held;
  for (int i = 0; i < 10; ++i) {
    auto b = device.Allocate(64);
    ASSERT_TRUE(b.ok());
    held.push_back(std::move(*b));  // growth moves them; none is freed twice
  }
  EXPECT_EQ(device.live_buffers(), 10u);
  const std::vector<uint64_t> words(8, 7);
  EXPECT_TRUE(device.Upload(held[3].handle(), 0, words.data(), 64).ok());
  EXPECT_TRUE(device.Upload(held[3].handle(), 8, words.data(), 64).IsInvalidArgument());  // past its end
  held.erase(held.begin() + 3);
  EXPECT_EQ(device.live_buffers(), 9u);
  held.clear();
  EXPECT_EQ(device.live_buffers(), 0u);
}

TEST(DeviceBufferTest, OutOfMemoryHoldsNothingAndStreamingFreesItsStaging) {
  kernels::FakeDeviceOptions options;
  options.memory_bytes = 4096;
  FakeDevice device(0, options);
  EXPECT_TRUE(device.Allocate(8192).status().IsResourceExhausted());
  EXPECT_EQ(device.live_buffers(), 0u);
  // StreamTopK's staging buffers are DeviceBuffers too.
  constexpr size_t kWords = 1, kN = 200;
  std::vector<uint64_t> rows(kN * kWords), query(kWords, 0);
  for (size_t r = 0; r < kN; ++r) rows[r] = r;
  std::vector<std::vector<kernels::Neighbor>> out(1);
  uint64_t uploaded = 0;
  ASSERT_TRUE(device.StreamTopK(rows.data(), kN, kWords, nullptr, 64, query.data(), 1, 3, &out, &uploaded).ok());
  EXPECT_EQ(uploaded, kN * kWords * 8);
  EXPECT_EQ(device.live_buffers(), 0u);
  EXPECT_EQ(device.allocated_bytes(), 0u);
}

}  // namespace
}  // namespace hvdb::testing
