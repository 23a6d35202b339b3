// Copyright hvdb authors. HVDB_SIMD forces the default kernel. ctest runs this
// binary once per value of HVDB_SIMD (see tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "hvdb/system.h"
#include "kernels/hamming.h"

namespace hvdb::kernels {
namespace {

std::string EnvSimd() {
  const char* env = std::getenv("HVDB_SIMD");
  return env == nullptr ? "" : env;
}

TEST(SimdEnvironment, ForcesOrRejectsClearly) {
  const std::string env = EnvSimd();
  Result<Simd> chosen = DefaultSimd();
  Result<std::string> reported = CpuKernelInUse();
  if (env.empty() || env == "auto") {
    ASSERT_TRUE(chosen.ok());
    EXPECT_EQ(*chosen, BestSupportedSimd());
    return;
  }
  Result<Simd> wanted = ParseSimd(env);
  if (!wanted.ok() || !SimdSupported(*wanted)) {
    ASSERT_FALSE(chosen.ok()) << "HVDB_SIMD=" << env << " should be refused";
    EXPECT_NE(chosen.status().message().find("HVDB_SIMD"), std::string::npos) << chosen.status().ToString();
    ASSERT_FALSE(reported.ok());
    // A scan that relies on the default kernel reports the same error instead of running.
    const uint64_t word = 1;
    Neighbor out;
    const Status s = TopK({&word, 1, {&word, 1, 1, nullptr}}, 1, &out);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("HVDB_SIMD"), std::string::npos) << s.ToString();
    return;
  }
  ASSERT_TRUE(chosen.ok()) << chosen.status().ToString();
  EXPECT_EQ(*chosen, *wanted);
  ASSERT_TRUE(reported.ok());
  EXPECT_EQ(*reported, env);
}

}  // namespace
}  // namespace hvdb::kernels
