// Copyright hvdb authors. The batch forms on a device give the CPU's bits:
// bind (with broadcast), permute (shifts within and across words, negative),
// bundle (odd and even groups, ties). On fake devices always; on the CUDA
// devices where there are some (scripts/gpu-check.sh) or emulated (make
// cuda-emulation, make tsan), skipping elsewhere.
#include <gtest/gtest.h>

#include <random>

#include "hvdb/hdc.h"
#include "kernels/device/fake_device.h"
#include "tests/test_seed.h"

namespace hvdb::testing {
namespace {

void ExpectDeviceFormsEqualCpu(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t dim : {64, 1024, 10048}) {
    const size_t words = dim / 64, n = 37;
    std::vector<uint64_t> a(n * words), b(n * words), cpu(n * words), gpu(n * words);
    for (auto& w : a) w = rng();
    for (auto& w : b) w = rng();
    for (bool broadcast : {false, true}) {
      ASSERT_TRUE(hdc::BindBatch(a.data(), b.data(), n, dim, cpu.data(), broadcast, 0, Device::kCpu).ok());
      ASSERT_TRUE(hdc::BindBatch(a.data(), b.data(), n, dim, gpu.data(), broadcast, 0, Device::kGpu).ok());
      EXPECT_EQ(gpu, cpu) << "bind dim=" << dim;
    }
    for (int64_t shift : {int64_t{0}, int64_t{1}, int64_t{63}, int64_t{64}, int64_t{65}, static_cast<int64_t>(dim) - 1,
                          int64_t{-7}, static_cast<int64_t>(3 * dim + 5)}) {
      ASSERT_TRUE(hdc::PermuteBatch(a.data(), n, dim, shift, cpu.data(), 0, Device::kCpu).ok());
      ASSERT_TRUE(hdc::PermuteBatch(a.data(), n, dim, shift, gpu.data(), 0, Device::kGpu).ok());
      EXPECT_EQ(gpu, cpu) << "permute dim=" << dim << " shift=" << shift;
    }
    for (size_t members : {1, 2, 3, 4, 9}) {
      const size_t groups = n / members;
      // Even groups share rows so exact halves (ties) occur.
      std::vector<uint64_t> in(groups * members * words);
      for (size_t i = 0; i < in.size(); ++i) in[i] = members % 2 == 0 && (i / words) % 2 ? ~in[i - words] : rng();
      std::vector<uint64_t> c(groups * words), g(groups * words);
      ASSERT_TRUE(hdc::BundleBatch(in.data(), groups, members, dim, c.data(), 77, 0, Device::kCpu).ok());
      ASSERT_TRUE(hdc::BundleBatch(in.data(), groups, members, dim, g.data(), 77, 0, Device::kGpu).ok());
      EXPECT_EQ(g, c) << "bundle dim=" << dim << " members=" << members;
    }
  }
}

TEST(BatchDeviceTest, FakeDeviceFormsEqualTheCpu) {
  kernels::FakeDevice fake{0, {}};
  std::vector<kernels::SearchDevice*> devices{&fake};
  kernels::OverrideSearchDevicesForTesting(&devices);
  ExpectDeviceFormsEqualCpu(ProcessSeed() + 1);
  kernels::OverrideSearchDevicesForTesting(nullptr);
}

TEST(BatchDeviceTest, NoDeviceMeansUnavailableWhenAsked) {
  std::vector<kernels::SearchDevice*> none;
  kernels::OverrideSearchDevicesForTesting(&none);
  std::vector<uint64_t> a(16, 1), out(16);
  const Status s = hdc::BindBatch(a.data(), a.data(), 1, 1024, out.data(), false, 0, Device::kGpu);
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_TRUE(hdc::BindBatch(a.data(), a.data(), 1, 1024, out.data(), false, 0, Device::kAuto).ok());
  kernels::OverrideSearchDevicesForTesting(nullptr);
}

TEST(BatchDeviceTest, CudaDeviceFormsEqualTheCpu) {
  std::string why;
  if (kernels::SearchDevices(&why).empty()) GTEST_SKIP() << "no search device: " << why;
  std::printf("[ device   ] %s\n", kernels::SearchDevices().front()->name().c_str());
  ExpectDeviceFormsEqualCpu(ProcessSeed() + 2);
}

}  // namespace
}  // namespace hvdb::testing
