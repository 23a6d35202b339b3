// Copyright hvdb authors. The CUDA emulation itself (built only with
// -DHVDB_CUDA_EMULATION=ON): it catches what a GPU would not forgive (a copy
// whose pointers are not of the kinds its direction names, a range past an
// allocation, host code touching device memory, a kernel reading past an
// allocation or given host memory, __ldg of shared memory, a __syncthreads
// not every thread reaches, a bad launch), it orders what CUDA orders
// (barriers, streams, events), and device auto never chooses it.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <random>

#include "hvdb/db.h"
#include "hvdb/system.h"
#include "kernels/cuda/launch.h"
#include "kernels/device/search_device.h"
#include "tests/db/db_test_util.h"

namespace hvdb::testing {
namespace {

// Each thread writes its slot of shared memory, waits at the barrier, and
// reads its neighbour's: wrong without the barrier (and a race TSan names).
__global__ void RotateThroughShared(const int* in, int* out) {
  __shared__ int slots[256];
  const unsigned t = threadIdx.x, base = blockIdx.x * blockDim.x;
  slots[t] = in[base + t];
  __syncthreads();
  out[base + t] = slots[(t + 1) % blockDim.x];
}

// Reads one element past what it was given.
__global__ void ReadOnePast(const uint64_t* in, size_t n, uint64_t* out) {
  if (threadIdx.x == 0) out[0] = in[n];
}

__global__ void AddOne(int* values, int n) {
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < n; i += static_cast<int>(gridDim.x * blockDim.x)) {
    values[i] += 1;
  }
}

// Half the threads wait at a barrier the other half never reach.
__global__ void DivergentBarrier(int* out) {
  if (threadIdx.x < 16) __syncthreads();
  out[threadIdx.x] = 1;
}

// Reads shared memory through __ldg, which reads global memory only.
__global__ void LdgOfShared(uint64_t* out) {
  __shared__ uint64_t staged[32];
  staged[threadIdx.x] = threadIdx.x;
  __syncthreads();
  if (threadIdx.x == 0) out[0] = __ldg(&staged[1]);
}

template <typename T>
T* DeviceArray(size_t n) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, n * sizeof(T)), cudaSuccess);
  return static_cast<T*>(p);
}

TEST(CudaEmulationTest, BarriersOrderSharedMemoryAcrossAThreadBlock) {
  constexpr int kBlocks = 3, kThreads = 256, kN = kBlocks * kThreads;
  std::vector<int> in(kN), out(kN, -1);
  for (int i = 0; i < kN; ++i) in[i] = i * 7 + 1;
  int* d_in = DeviceArray<int>(kN);
  int* d_out = DeviceArray<int>(kN);
  ASSERT_EQ(cudaMemcpy(d_in, in.data(), kN * sizeof(int), cudaMemcpyHostToDevice), cudaSuccess);
  HVDB_LAUNCH(RotateThroughShared, kBlocks, kThreads, 0, nullptr)(d_in, d_out);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(out.data(), d_out, kN * sizeof(int), cudaMemcpyDeviceToHost), cudaSuccess);
  for (int b = 0; b < kBlocks; ++b) {
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(out[b * kThreads + t], in[b * kThreads + (t + 1) % kThreads]);
  }
  EXPECT_EQ(cudaFree(d_in), cudaSuccess);
  EXPECT_EQ(cudaFree(d_out), cudaSuccess);
}

TEST(CudaEmulationTest, CopiesCheckThePointersAgainstTheirDirection) {
  std::vector<uint64_t> host(16, 5);
  uint64_t* device = DeviceArray<uint64_t>(16);
  // Wrong kinds: host where device belongs and the reverse.
  EXPECT_EQ(cudaMemcpy(host.data(), device, 128, cudaMemcpyHostToDevice), cudaErrorInvalidMemcpyDirection);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidMemcpyDirection);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);  // read once, then cleared
  EXPECT_EQ(cudaMemcpy(device, host.data(), 128, cudaMemcpyDeviceToHost), cudaErrorInvalidMemcpyDirection);
  EXPECT_EQ(cudaMemcpy(device, host.data(), 128, cudaMemcpyDeviceToDevice), cudaErrorInvalidMemcpyDirection);
  EXPECT_EQ(cudaMemcpy(device, host.data(), 128, cudaMemcpyDefault), cudaErrorInvalidMemcpyDirection);
  // Past the allocation, or from inside it past its end.
  EXPECT_EQ(cudaMemcpy(device, host.data(), 136, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(device + 8, host.data(), 72, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemset(device + 1, 0, 128), cudaErrorInvalidValue);
  // Freeing what is not a device allocation's start.
  EXPECT_EQ(cudaFree(device + 1), cudaErrorInvalidDevicePointer);
  EXPECT_EQ(cudaFree(host.data()), cudaErrorInvalidDevicePointer);
  EXPECT_EQ(cudaFreeHost(host.data()), cudaErrorInvalidValue);
  cudaGetLastError();
  // The right ones.
  EXPECT_EQ(cudaMemcpy(device, host.data(), 128, cudaMemcpyHostToDevice), cudaSuccess);
  std::vector<uint64_t> back(16, 0);
  EXPECT_EQ(cudaMemcpy(back.data(), device, 128, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(back, host);
  EXPECT_EQ(cudaFree(device), cudaSuccess);
  size_t free_bytes = 0, total = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total), cudaSuccess);
  EXPECT_EQ(free_bytes, total);
  void* huge = nullptr;
  EXPECT_EQ(cudaMalloc(&huge, total + 1), cudaErrorMemoryAllocation);
  cudaGetLastError();
}

TEST(CudaEmulationTest, BadLaunchesAreTheNextError) {
  int* d = DeviceArray<int>(4);
  HVDB_LAUNCH(AddOne, 1, 2048, 0, nullptr)(d, 4);  // more than 1024 threads a block
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  HVDB_LAUNCH(AddOne, 0, 32, 0, nullptr)(d, 4);  // an empty grid
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  EXPECT_EQ(cudaFree(d), cudaSuccess);
}

TEST(CudaEmulationTest, StreamsRunInOrderAndEventsTime) {
  constexpr int kN = 1000;
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  int* pinned = nullptr;
  ASSERT_EQ(cudaMallocHost(reinterpret_cast<void**>(&pinned), kN * sizeof(int)), cudaSuccess);
  for (int i = 0; i < kN; ++i) pinned[i] = i;
  int* d = DeviceArray<int>(kN);
  cudaEvent_t start, stop;
  ASSERT_EQ(cudaEventCreate(&start), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&stop), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(start, stream), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(d, pinned, kN * sizeof(int), cudaMemcpyHostToDevice, stream), cudaSuccess);
  for (int i = 0; i < 3; ++i) HVDB_LAUNCH(AddOne, 2, 64, 0, stream)(d, kN);
  ASSERT_EQ(cudaMemcpyAsync(pinned, d, kN * sizeof(int), cudaMemcpyDeviceToHost, stream), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(stop, stream), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);  // only now may the host read pinned
  for (int i = 0; i < kN; ++i) ASSERT_EQ(pinned[i], i + 3);
  float ms = -1;
  ASSERT_EQ(cudaEventSynchronize(stop), cudaSuccess);
  ASSERT_EQ(cudaEventElapsedTime(&ms, start, stop), cudaSuccess);
  EXPECT_GE(ms, 0.0f);
  EXPECT_EQ(cudaEventDestroy(start), cudaSuccess);
  EXPECT_EQ(cudaEventDestroy(stop), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(stream), cudaErrorInvalidResourceHandle);
  cudaGetLastError();
  EXPECT_EQ(cudaFree(d), cudaSuccess);
  EXPECT_EQ(cudaFreeHost(pinned), cudaSuccess);
}

using CudaEmulationDeathTest = ::testing::Test;

TEST_F(CudaEmulationDeathTest, HostCodeTouchingDeviceMemoryFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        uint64_t* d = DeviceArray<uint64_t>(8);
        std::fprintf(stderr, "read %llu\n", static_cast<unsigned long long>(d[0]));
      },
      "host code touched device memory");
}

TEST_F(CudaEmulationDeathTest, AKernelReadingPastAnAllocationFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        uint64_t* in = DeviceArray<uint64_t>(5);
        uint64_t* out = DeviceArray<uint64_t>(1);
        HVDB_LAUNCH(ReadOnePast, 1, 32, 0, nullptr)(in, size_t{5}, out);
        cudaDeviceSynchronize();
      },
      "an access outside every device allocation");
}

TEST_F(CudaEmulationDeathTest, ABarrierNotEveryThreadReachesDies) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        int* d = DeviceArray<int>(64);
        HVDB_LAUNCH(DivergentBarrier, 1, 64, 0, nullptr)(d);
        cudaDeviceSynchronize();
      },
      "a __syncthreads not every thread reaches");
}

TEST_F(CudaEmulationDeathTest, AKernelGivenHostMemoryDies) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        std::vector<int> host(64);
        HVDB_LAUNCH(AddOne, 1, 32, 0, nullptr)(host.data(), 64);
        cudaDeviceSynchronize();
      },
      "AddOne launched with 0x[0-9a-f]+, which is not device memory");
}

TEST_F(CudaEmulationDeathTest, LdgOfSharedMemoryDies) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        uint64_t* out = DeviceArray<uint64_t>(1);
        HVDB_LAUNCH(LdgOfShared, 1, 32, 0, nullptr)(out);
        cudaDeviceSynchronize();
      },
      "__ldg of 0x[0-9a-f]+, which is not device memory");
}

TEST(CudaEmulationTest, AutoNeverChoosesTheEmulatedDevice) {
  std::string why;
  const auto& devices = kernels::SearchDevices(&why);
  ASSERT_FALSE(devices.empty()) << why;
  EXPECT_FALSE(devices.front()->chosen_by_auto());
  EXPECT_NE(devices.front()->name().find("cuda-emulated"), std::string::npos) << devices.front()->name();
  // What `hvdb info` prints.
  const SystemInfo info = GetSystemInfo();
  EXPECT_TRUE(info.cuda_built);
  ASSERT_EQ(info.cuda_devices.size(), 1u) << info.cuda_status;
  EXPECT_EQ(info.cuda_devices[0].name, "cuda-emulated (CPU threads, test machinery)");
  ASSERT_EQ(info.search_devices.size(), 1u) << info.search_devices_status;
  EXPECT_NE(info.search_devices[0].find("cuda-emulated"), std::string::npos) << info.search_devices[0];
  TempDir dir;
  auto db = OpenOrDie(dir / "db");
  ASSERT_TRUE(db->CreateCollection("c", {.dim = 256}).ok());
  Collection* c = GetOrDie(db.get(), "c");
  std::mt19937_64 rng(5);
  WriteBatch batch;
  for (int i = 0; i < 3000; ++i) batch.Put("k" + std::to_string(i), Hypervector::Random(256, rng()).value());
  ASSERT_TRUE(c->Write(batch).ok());
  std::vector<Hypervector> queries;
  for (int i = 0; i < 16; ++i) queries.push_back(Hypervector::Random(256, rng()).value());
  // Auto does not weigh it at all: the CPU.
  SearchStats stats;
  auto cpu = c->SearchBatch(queries, {.k = 5}, &stats);
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  EXPECT_EQ(stats.plan.device, Device::kCpu);
  EXPECT_NE(stats.plan.reason.find("test machinery"), std::string::npos) << stats.plan.reason;
  // Asked for by name, it answers, the same.
  auto gpu = c->SearchBatch(queries, {.k = 5, .device = Device::kGpu}, &stats);
  ASSERT_TRUE(gpu.ok()) << gpu.status().ToString();
  EXPECT_EQ(stats.plan.device, Device::kGpu);
  EXPECT_EQ(stats.plan.kernel, "cuda-emulated-batch-topk");  // 16 queries: rows read once per group
  EXPECT_EQ(*gpu, *cpu);
  auto one = c->Search(queries[0], {.k = 5, .device = Device::kGpu}, &stats);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(stats.plan.kernel, "cuda-emulated-tile-topk");  // one query: a block per tile
  EXPECT_EQ(*one, (*cpu)[0]);
}

}  // namespace
}  // namespace hvdb::testing
