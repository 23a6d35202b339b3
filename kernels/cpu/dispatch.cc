// Copyright hvdb authors. Which CPU kernels this machine can run, and which one
// runs when the caller does not say.
#include <cstdlib>
#include <string>
#include <thread>

#include "kernels/hamming.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace hvdb::kernels {
namespace {

#if defined(__x86_64__)
struct CpuFeatures {
  bool avx2 = false;
  bool avx512_popcnt = false;
  bool amx_int8 = false;  // includes the OS's permission to use tile data
};

// Linux hands out AMX tile state only on request (arch_prctl, kernel 5.16+).
bool RequestAmxPermission() {
#if defined(__linux__) && defined(SYS_arch_prctl)
  constexpr int kArchReqXcompPerm = 0x1023;
  constexpr int kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

uint64_t ReadXcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}

CpuFeatures Probe() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1u;
  const bool avx = (c >> 28) & 1u;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = ReadXcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;            // SSE and AVX state
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;          // plus opmask and ZMM state
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.avx2 = os_ymm && ((b >> 5) & 1u);
  const bool avx512f = (b >> 16) & 1u, avx512dq = (b >> 17) & 1u, avx512bw = (b >> 30) & 1u,
             avx512vl = (b >> 31) & 1u, vpopcntdq = (c >> 14) & 1u;
  f.avx512_popcnt = os_zmm && avx512f && avx512dq && avx512bw && avx512vl && vpopcntdq;
  const bool amx_tile = (d >> 24) & 1u, amx_int8 = (d >> 25) & 1u;
  const bool os_tiles = ((xcr0 >> 17) & 3u) == 3u;  // XTILECFG and XTILEDATA
  f.amx_int8 = f.avx512_popcnt && amx_tile && amx_int8 && os_tiles && RequestAmxPermission();
  return f;
}

const CpuFeatures& Features() {
  static const CpuFeatures features = Probe();
  return features;
}
#endif

const char* Requirement(Simd simd) {
  switch (simd) {
    case Simd::kAvx2: return "it needs AVX2";
    case Simd::kAvx512: return "it needs AVX-512 F/BW/DQ/VL and VPOPCNTDQ";
    case Simd::kAmx: return "it needs AMX-TILE, AMX-INT8, the AVX-512 kernel's features and the OS's permission";
    default: return "it is always available";
  }
}

Result<Simd> ReadDefaultSimd() {
  const char* env = std::getenv("HVDB_SIMD");
  if (env == nullptr || *env == '\0' || std::string_view(env) == "auto") return BestSupportedSimd();
  Result<Simd> forced = ParseSimd(env);
  if (!forced.ok()) return forced.status().WithContext("environment variable HVDB_SIMD");
  if (!SimdSupported(*forced)) {
    return Status::InvalidArgument(std::string("HVDB_SIMD=") + env + " but this CPU cannot run that kernel (" +
                                   Requirement(*forced) + ")");
  }
  return *forced;
}

}  // namespace

const char* SimdName(Simd simd) {
  switch (simd) {
    case Simd::kScalar: return "scalar";
    case Simd::kAvx2: return "avx2";
    case Simd::kAvx512: return "avx512";
    case Simd::kAmx: return "amx";
  }
  return "unknown";
}

Result<Simd> ParseSimd(std::string_view name) {
  for (Simd simd : kAllSimd) {
    if (name == SimdName(simd)) return simd;
  }
  return Status::InvalidArgument("unknown CPU kernel '" + std::string(name) +
                                 "' (expected scalar, avx2, avx512 or amx)");
}

bool SimdSupported(Simd simd) {
  switch (simd) {
    case Simd::kScalar: return true;
#if defined(__x86_64__)
    case Simd::kAvx2: return Features().avx2;
    case Simd::kAvx512: return Features().avx512_popcnt;
    case Simd::kAmx: return Features().amx_int8;
#else
    case Simd::kAvx2:
    case Simd::kAvx512:
    case Simd::kAmx: return false;
#endif
  }
  return false;
}

Simd BestSupportedSimd() {
  if (SimdSupported(Simd::kAmx)) return Simd::kAmx;
  if (SimdSupported(Simd::kAvx512)) return Simd::kAvx512;
  if (SimdSupported(Simd::kAvx2)) return Simd::kAvx2;
  return Simd::kScalar;
}

Result<Simd> DefaultSimd() {
  static const Result<Simd> chosen = ReadDefaultSimd();
  return chosen;
}

unsigned DefaultThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

}  // namespace hvdb::kernels
