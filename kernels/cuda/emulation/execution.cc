// Copyright hvdb authors. The CUDA emulation's execution: streams, events,
// kernels (cuda_runtime.h says what the emulation is).
//
// A stream is a thread that runs its queue in order. Kernels run one at a
// time (whichever stream launched them), their blocks one after another;
// each thread of a block is a thread of a pool, and __syncthreads is a
// barrier of the block's threads. Synchronization is by mutexes and atomics
// only, so ThreadSanitizer orders what CUDA orders and reports what it does
// not: shared memory written and read across a missing barrier, results read
// on the host before the stream that writes them was waited for.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "kernels/cuda/emulation/emulation.h"

thread_local uint3 threadIdx{};
thread_local uint3 blockIdx{};
thread_local dim3 blockDim{};
thread_local dim3 gridDim{};

struct CUstream_st {
  explicit CUstream_st(int d) : device(d), thread([this] { Run(); }) {}
  ~CUstream_st() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    thread.join();
  }

  void Enqueue(std::function<void()> op) {
    {
      std::lock_guard lock(mu);
      queue.push_back(std::move(op));
    }
    cv.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return queue.empty() && !busy; });
  }

  const int device;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  bool busy = false;
  bool stop = false;
  std::thread thread;  // last: starts once the rest is built

 private:
  void Run() {
    cudaSetDevice(device);
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;  // stop, and nothing left
      std::function<void()> op = std::move(queue.front());
      queue.pop_front();
      busy = true;
      lock.unlock();
      op();
      lock.lock();
      busy = false;
      cv.notify_all();
    }
  }
};

struct CUevent_st {
  std::mutex mu;
  std::condition_variable cv;
  int pending = 0;        // records queued and not yet reached
  bool recorded = false;  // a record was reached
  std::chrono::steady_clock::time_point when;
};

namespace hvdb::cuda_emulation {
namespace {

// The streams: each device's default stream (made when first used, kept for
// the life of the process, whose exit does not wait for it) and the ones
// cudaStreamCreateWithFlags made.
struct Streams {
  std::mutex mu;
  std::vector<cudaStream_t> defaults = std::vector<cudaStream_t>(8, nullptr);
  std::set<cudaStream_t> created;
};

Streams& AllStreams() {
  static Streams* streams = new Streams;
  return *streams;
}

cudaStream_t Resolve(cudaStream_t stream) {
  if (stream != nullptr) return stream;
  Streams& s = AllStreams();
  std::lock_guard lock(s.mu);
  cudaStream_t& d = s.defaults.at(static_cast<size_t>(CurrentDevice()));
  if (d == nullptr) d = new CUstream_st(CurrentDevice());
  return d;
}

// A block's barrier: the last thread to arrive opens it for the others.
// Acquire and release on generation order each thread's work before the
// barrier with every thread's work after it.
class BlockBarrier {
 public:
  explicit BlockBarrier(int threads) : threads_(threads), waiting_(threads) {}
  // other: the block's other barrier. A thread arriving here while some
  // thread of the block waits there, this barrier still closed, means a
  // barrier not every thread reaches (a __syncthreads in divergent code): a
  // GPU hangs or goes wrong, and this says so and dies. Arrivals are
  // sequentially consistent, so of two threads arriving at the two barriers
  // at least one sees the other. (Once this barrier has opened, the others
  // may already wait at the next one: that is no divergence.)
  void ArriveAndWait(const BlockBarrier& other, const char* kernel, const char* what) {
    const uint32_t generation = generation_.load(std::memory_order_acquire);
    const int before = waiting_.fetch_sub(1, std::memory_order_seq_cst);
    if (other.waiting_.load(std::memory_order_seq_cst) != other.threads_ &&
        generation_.load(std::memory_order_seq_cst) == generation) {
      std::fprintf(stderr,
                   "hvdb cuda emulation: %s block (%u, %u, %u): thread %u reached %s while another thread of the "
                   "block waits at %s (a __syncthreads not every thread reaches)\n",
                   kernel, blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x, what,
                   what[0] == '_' ? "the block's end" : "a __syncthreads");
      std::abort();
    }
    if (before == 1) {
      waiting_.store(threads_, std::memory_order_relaxed);
      generation_.store(generation + 1, std::memory_order_release);
      generation_.notify_all();
      return;
    }
    while (generation_.load(std::memory_order_acquire) == generation) generation_.wait(generation);
  }

 private:
  const int threads_;
  std::atomic<int> waiting_;
  std::atomic<uint32_t> generation_{0};
};

// The running kernel, as its block threads see it.
struct Grid {
  const char* name;
  dim3 grid, block;
  const KernelBody* body = nullptr;
  int threads = 0;
  std::unique_ptr<BlockBarrier> barrier;    // __syncthreads
  std::unique_ptr<BlockBarrier> block_end;  // every thread done with the block
};

thread_local const Grid* t_grid = nullptr;

// The block threads: thread i is threadIdx i of every block, of every kernel.
class BlockThreads {
 public:
  // Runs every block of the grid, one after another. One caller at a time.
  void Run(Grid* grid) {
    std::unique_lock lock(mu_);
    while (static_cast<int>(threads_.size()) < grid->threads) {
      const int index = static_cast<int>(threads_.size());
      threads_.emplace_back([this, index] { Work(index); });
      threads_.back().detach();  // lives as long as the process
    }
    grid_ = grid;
    running_ = grid->threads;
    ++kernel_;
    work_.notify_all();
    done_.wait(lock, [&] { return running_ == 0; });
    grid_ = nullptr;
  }

 private:
  void Work(int index) {
    uint64_t seen = 0;
    std::unique_lock lock(mu_);
    for (;;) {
      work_.wait(lock, [&] { return kernel_ != seen; });
      seen = kernel_;
      Grid* grid = grid_;
      if (grid == nullptr || index >= grid->threads) continue;  // woke after the kernel, or not one of its threads
      lock.unlock();
      RunBlocks(*grid, index);
      lock.lock();
      if (--running_ == 0) done_.notify_all();
    }
  }

  static void RunBlocks(const Grid& g, int index) {
    const unsigned bx = g.block.x, by = g.block.y, i = static_cast<unsigned>(index);
    threadIdx = {i % bx, (i / bx) % by, i / (bx * by)};
    blockDim = g.block;
    gridDim = g.grid;
    t_grid = &g;
    ForgetGlobalLoads();
    for (unsigned z = 0; z < g.grid.z; ++z) {
      for (unsigned y = 0; y < g.grid.y; ++y) {
        for (unsigned x = 0; x < g.grid.x; ++x) {
          blockIdx = {x, y, z};
          (*g.body)();
          // The next block's threads start once this one's are all done:
          // they share the block's storage (__shared__).
          g.block_end->ArriveAndWait(*g.barrier, g.name, "the block's end");
        }
      }
    }
    t_grid = nullptr;
  }

  std::mutex mu_;
  std::condition_variable work_, done_;
  std::vector<std::thread> threads_;
  Grid* grid_ = nullptr;
  uint64_t kernel_ = 0;
  int running_ = 0;
};

std::mutex& KernelMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

BlockThreads& Threads() {
  static BlockThreads* threads = new BlockThreads;
  return *threads;
}

}  // namespace

void SyncThreads() {
  if (t_grid == nullptr) {
    std::fprintf(stderr, "hvdb cuda emulation: __syncthreads outside a kernel\n");
    std::abort();
  }
  t_grid->barrier->ArriveAndWait(*t_grid->block_end, t_grid->name, "__syncthreads");
}

void Launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, KernelBody body) {
  // CUDA's limits: a bad configuration launches nothing and is the next
  // cudaGetLastError.
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535 ||
      threads == 0 || threads > 1024 || block.x > 1024 || block.y > 1024 || block.z > 64 || shared_bytes > 48 * 1024) {
    std::fprintf(stderr, "hvdb cuda emulation: %s: bad launch configuration grid (%u, %u, %u) block (%u, %u, %u)\n",
                 name, grid.x, grid.y, grid.z, block.x, block.y, block.z);
    Fail(cudaErrorInvalidConfiguration);
    return;
  }
  Enqueue(stream, [name, grid, block, threads, body = std::move(body)] {
    std::lock_guard lock(KernelMutex());
    DeviceAccess access;
    Grid g{name, grid, block, &body, static_cast<int>(threads), std::make_unique<BlockBarrier>(static_cast<int>(threads)),
           std::make_unique<BlockBarrier>(static_cast<int>(threads))};
    Threads().Run(&g);
  });
}

void Enqueue(cudaStream_t stream, std::function<void()> op) { Resolve(stream)->Enqueue(std::move(op)); }

void Wait(cudaStream_t stream) { Resolve(stream)->Wait(); }

void WaitForDevice(int device) {
  // Under the lock, so that no stream is destroyed while waited for. (No
  // stream's work takes it.)
  Streams& s = AllStreams();
  std::lock_guard lock(s.mu);
  for (cudaStream_t c : s.created) {
    if (c->device == device) c->Wait();
  }
  if (cudaStream_t d = s.defaults.at(static_cast<size_t>(device))) d->Wait();
}

}  // namespace hvdb::cuda_emulation

using hvdb::cuda_emulation::Fail;

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
  // Only non-blocking streams: the legacy default stream's implicit
  // ordering with blocking streams is not emulated, and nothing here uses it.
  if (flags != cudaStreamNonBlocking) return Fail(cudaErrorInvalidValue);
  *stream = new CUstream_st(hvdb::cuda_emulation::CurrentDevice());
  auto& s = hvdb::cuda_emulation::AllStreams();
  std::lock_guard lock(s.mu);
  s.created.insert(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  hvdb::cuda_emulation::Wait(stream);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  auto& s = hvdb::cuda_emulation::AllStreams();
  {
    std::lock_guard lock(s.mu);
    if (stream == nullptr || s.created.erase(stream) == 0) return Fail(cudaErrorInvalidResourceHandle);
  }
  delete stream;  // runs what is queued first
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  hvdb::cuda_emulation::WaitForDevice(hvdb::cuda_emulation::CurrentDevice());
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = new CUevent_st;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (event == nullptr) return Fail(cudaErrorInvalidResourceHandle);
  {
    std::lock_guard lock(event->mu);
    ++event->pending;
  }
  hvdb::cuda_emulation::Enqueue(stream, [event] {
    std::lock_guard lock(event->mu);
    event->when = std::chrono::steady_clock::now();
    event->recorded = true;
    --event->pending;
    event->cv.notify_all();
  });
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (event == nullptr) return Fail(cudaErrorInvalidResourceHandle);
  std::unique_lock lock(event->mu);
  event->cv.wait(lock, [&] { return event->pending == 0; });
  return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop) {
  if (start == nullptr || stop == nullptr) return Fail(cudaErrorInvalidResourceHandle);
  std::scoped_lock lock(start->mu, stop->mu);
  if (start->pending != 0 || stop->pending != 0) return Fail(cudaErrorNotReady);
  if (!start->recorded || !stop->recorded) return Fail(cudaErrorInvalidResourceHandle);
  *ms = std::chrono::duration<float, std::milli>(stop->when - start->when).count();
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  if (event == nullptr) return Fail(cudaErrorInvalidResourceHandle);
  cudaEventSynchronize(event);
  delete event;
  return cudaSuccess;
}
