// Copyright hvdb authors. Mutexes whose lock rules the compiler checks.
//
// Clang's thread-safety analysis (-Wthread-safety; `make thread-safety`
// builds every source with it as an error) checks, at compile time, that a
// field marked HVDB_GUARDED_BY(mu) is only touched with mu held, that a
// function marked HVDB_REQUIRES(mu) is only called with mu held, and that
// every lock taken is released. On GCC the macros expand to nothing and these
// classes are thin wrappers over the std ones.
//
// Usage:
//
//   #include "base/mutex.h"
//
//   class Counter {
//    public:
//     void Add(int n) HVDB_EXCLUDES(mu_) {
//       hvdb::MutexLock lock(mu_);  // held to the end of the scope
//       AddLocked(n);
//     }
//     int Wait(int at_least) HVDB_EXCLUDES(mu_) {
//       hvdb::MutexLock lock(mu_);
//       while (value_ < at_least) changed_.Wait(mu_);  // never a predicate lambda:
//       return value_;                                 // its body is not seen as locked
//     }
//    private:
//     void AddLocked(int n) HVDB_REQUIRES(mu_) {
//       value_ += n;
//       changed_.SignalAll();
//     }
//     hvdb::Mutex mu_;
//     hvdb::CondVar changed_;
//     int value_ HVDB_GUARDED_BY(mu_) = 0;
//   };
//
//   hvdb::SharedMutex mu_;  // readers share it, a writer has it alone:
//   { hvdb::ReaderLock lock(mu_); ... }  // HVDB_GUARDED_BY fields read only
//   { hvdb::WriterLock lock(mu_); ... }  // read and written
//   void Helper() HVDB_REQUIRES_SHARED(mu_);  // called under either lock
//
// Rules of thumb: put HVDB_GUARDED_BY on every field a mutex protects (the
// comment "guarded by mu_" becomes the annotation); HVDB_REQUIRES on private
// helpers that expect the lock ("REQUIRES: mu_ held"); HVDB_EXCLUDES on public
// methods that take it (catches self-deadlock in callers that hold it).
// Constructors and destructors are not checked. A pointer whose pointee is
// guarded: HVDB_PT_GUARDED_BY. Where the analysis cannot follow (a lock
// handed between functions, ordering established by other means), prefer
// restructuring; HVDB_NO_THREAD_SAFETY_ANALYSIS on one small function with a
// comment saying why is the last resort.
//
// The std-style lower-case names (lock, unlock, lock_shared, ...) exist so
// that code not yet converted (std::lock_guard, std::shared_lock) still
// compiles against these types; such code is invisible to the analysis, so
// fields it touches cannot be HVDB_GUARDED_BY until it uses the classes below.
#ifndef HVDB_BASE_MUTEX_H_
#define HVDB_BASE_MUTEX_H_

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define HVDB_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define HVDB_THREAD_ANNOTATION_(x)
#endif

#define HVDB_CAPABILITY(x) HVDB_THREAD_ANNOTATION_(capability(x))
#define HVDB_SCOPED_CAPABILITY HVDB_THREAD_ANNOTATION_(scoped_lockable)
#define HVDB_GUARDED_BY(x) HVDB_THREAD_ANNOTATION_(guarded_by(x))
#define HVDB_PT_GUARDED_BY(x) HVDB_THREAD_ANNOTATION_(pt_guarded_by(x))
#define HVDB_ACQUIRED_BEFORE(...) HVDB_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#define HVDB_ACQUIRED_AFTER(...) HVDB_THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))
#define HVDB_REQUIRES(...) HVDB_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define HVDB_REQUIRES_SHARED(...) HVDB_THREAD_ANNOTATION_(requires_shared_capability(__VA_ARGS__))
#define HVDB_ACQUIRE(...) HVDB_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define HVDB_ACQUIRE_SHARED(...) HVDB_THREAD_ANNOTATION_(acquire_shared_capability(__VA_ARGS__))
#define HVDB_RELEASE(...) HVDB_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define HVDB_RELEASE_SHARED(...) HVDB_THREAD_ANNOTATION_(release_shared_capability(__VA_ARGS__))
#define HVDB_RELEASE_GENERIC(...) HVDB_THREAD_ANNOTATION_(release_generic_capability(__VA_ARGS__))
#define HVDB_TRY_ACQUIRE(...) HVDB_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#define HVDB_TRY_ACQUIRE_SHARED(...) HVDB_THREAD_ANNOTATION_(try_acquire_shared_capability(__VA_ARGS__))
#define HVDB_EXCLUDES(...) HVDB_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define HVDB_ASSERT_CAPABILITY(x) HVDB_THREAD_ANNOTATION_(assert_capability(x))
#define HVDB_ASSERT_SHARED_CAPABILITY(x) HVDB_THREAD_ANNOTATION_(assert_shared_capability(x))
#define HVDB_RETURN_CAPABILITY(x) HVDB_THREAD_ANNOTATION_(lock_returned(x))
#define HVDB_NO_THREAD_SAFETY_ANALYSIS HVDB_THREAD_ANNOTATION_(no_thread_safety_analysis)

namespace hvdb {

class CondVar;

// An exclusive lock (std::mutex).
class HVDB_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() HVDB_ACQUIRE() { mu_.lock(); }
  void Unlock() HVDB_RELEASE() { mu_.unlock(); }
  bool TryLock() HVDB_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Tells the analysis the caller holds it (where it cannot see so itself).
  void AssertHeld() const HVDB_ASSERT_CAPABILITY(this) {}

  // BasicLockable, for code not yet converted.
  void lock() HVDB_ACQUIRE() { mu_.lock(); }
  void unlock() HVDB_RELEASE() { mu_.unlock(); }
  bool try_lock() HVDB_TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Readers share it, a writer holds it alone (std::shared_mutex).
class HVDB_CAPABILITY("shared mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() HVDB_ACQUIRE() { mu_.lock(); }
  void Unlock() HVDB_RELEASE() { mu_.unlock(); }
  bool TryLock() HVDB_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  void ReaderLock() HVDB_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void ReaderUnlock() HVDB_RELEASE_SHARED() { mu_.unlock_shared(); }
  bool ReaderTryLock() HVDB_TRY_ACQUIRE_SHARED(true) { return mu_.try_lock_shared(); }
  void AssertHeld() const HVDB_ASSERT_CAPABILITY(this) {}
  void AssertReaderHeld() const HVDB_ASSERT_SHARED_CAPABILITY(this) {}

  // SharedLockable, for code not yet converted.
  void lock() HVDB_ACQUIRE() { mu_.lock(); }
  void unlock() HVDB_RELEASE() { mu_.unlock(); }
  bool try_lock() HVDB_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  void lock_shared() HVDB_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() HVDB_RELEASE_SHARED() { mu_.unlock_shared(); }
  bool try_lock_shared() HVDB_TRY_ACQUIRE_SHARED(true) { return mu_.try_lock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Holds a Mutex from construction to the end of the scope.
class HVDB_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) HVDB_ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() HVDB_RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// Holds a SharedMutex shared from construction to the end of the scope.
class HVDB_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) HVDB_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.ReaderLock(); }
  ~ReaderLock() HVDB_RELEASE_GENERIC() { mu_.ReaderUnlock(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Holds a SharedMutex exclusively from construction to the end of the scope.
class HVDB_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) HVDB_ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~WriterLock() HVDB_RELEASE() { mu_.Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

// A condition variable over a Mutex. Wait in a loop that re-tests the
// condition in the caller's own body (where the analysis sees the lock):
//   while (!ready_) cv_.Wait(mu_);
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases mu, waits for a signal (or wakes spuriously), takes mu again.
  void Wait(Mutex& mu) HVDB_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: it is the caller's
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace hvdb

#endif  // HVDB_BASE_MUTEX_H_
