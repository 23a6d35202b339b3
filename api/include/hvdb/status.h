// Copyright hvdb authors. Errors returned by value across the whole API.
#ifndef HVDB_STATUS_H_
#define HVDB_STATUS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace hvdb {

// The outcome of an operation: ok, or a code and a message that names what was
// wrong ("collection 'x' has dim 2048, query has 1024"). No exception crosses the
// public API; every fallible call returns a Status or a Result<T>.
//
// Thread safety: a Status is a value; distinct objects may be used from
// distinct threads, one object needs external synchronization to be mutated.
class [[nodiscard]] Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kNotFound = 1,
    kInvalidArgument = 2,
    kCorruption = 3,
    kIOError = 4,
    kResourceExhausted = 5,
    kUnavailable = 6,
    kAlreadyExists = 7,  // what was to be created is there already
  };

  // An ok status.
  Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string message) { return Status(Code::kNotFound, std::move(message)); }
  static Status InvalidArgument(std::string message) {
    return Status(Code::kInvalidArgument, std::move(message));
  }
  static Status Corruption(std::string message) { return Status(Code::kCorruption, std::move(message)); }
  static Status IOError(std::string message) { return Status(Code::kIOError, std::move(message)); }
  static Status ResourceExhausted(std::string message) {
    return Status(Code::kResourceExhausted, std::move(message));
  }
  static Status Unavailable(std::string message) { return Status(Code::kUnavailable, std::move(message)); }
  static Status AlreadyExists(std::string message) { return Status(Code::kAlreadyExists, std::move(message)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsResourceExhausted() const { return code_ == Code::kResourceExhausted; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }

  Code code() const { return code_; }
  // Empty for an ok status.
  const std::string& message() const { return message_; }

  // "OK", or "<CodeName>: <message>".
  std::string ToString() const {
    if (ok()) return "OK";
    return std::string(CodeName(code_)) + ": " + message_;
  }

  // The same status with `context` in front of its message ("loading x.npy: ...").
  // An ok status is returned unchanged.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

  static const char* CodeName(Code code) {
    switch (code) {
      case Code::kOk: return "OK";
      case Code::kNotFound: return "NotFound";
      case Code::kInvalidArgument: return "InvalidArgument";
      case Code::kCorruption: return "Corruption";
      case Code::kIOError: return "IOError";
      case Code::kResourceExhausted: return "ResourceExhausted";
      case Code::kUnavailable: return "Unavailable";
      case Code::kAlreadyExists: return "AlreadyExists";
    }
    return "Unknown";
  }

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace hvdb

// Returns from the enclosing function when `expr` yields a non-ok Status.
#define HVDB_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::hvdb::Status hvdb_status_ = (expr);          \
    if (!hvdb_status_.ok()) return hvdb_status_;   \
  } while (0)

#endif  // HVDB_STATUS_H_
