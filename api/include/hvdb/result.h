// Copyright hvdb authors. A value or the Status that explains its absence.
#ifndef HVDB_RESULT_H_
#define HVDB_RESULT_H_

#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "hvdb/status.h"

namespace hvdb {

// Result<T> holds either a T or a non-ok Status.
//
//   Result<Hypervector> hv = Hypervector::FromHex(text);
//   if (!hv.ok()) return hv.status();
//   Use(*hv);
//
// Accessing the value of an error Result is a programming error: it prints the
// status and aborts rather than returning garbage.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "Result<Status> is meaningless; return Status");

 public:
  // A value. Implicit so that `return value;` works in a function returning Result<T>.
  Result(T value) : state_(std::in_place_index<1>, std::move(value)) {}  // NOLINT(runtime/explicit)
  // An error. REQUIRES: !status.ok(); an ok status without a value is turned into
  // an InvalidArgument error saying so, because there is no value to hold.
  Result(Status status) : state_(std::in_place_index<0>, std::move(status)) {  // NOLINT(runtime/explicit)
    if (std::get<0>(state_).ok()) {
      state_.template emplace<0>(Status::InvalidArgument("internal: Result built from an OK Status with no value"));
    }
  }

  bool ok() const { return state_.index() == 1; }

  // OK when a value is held, else the error.
  Status status() const { return ok() ? Status::OK() : std::get<0>(state_); }

  // REQUIRES: ok().
  const T& value() const& { CheckOk(); return std::get<1>(state_); }
  T& value() & { CheckOk(); return std::get<1>(state_); }
  T&& value() && { CheckOk(); return std::get<1>(std::move(state_)); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return ok() ? std::get<1>(state_) : std::move(fallback); }

 private:
  void CheckOk() const {
    if (!ok()) {
      std::fprintf(stderr, "hvdb: Result::value() on an error: %s\n", std::get<0>(state_).ToString().c_str());
      std::abort();
    }
  }

  std::variant<Status, T> state_;
};

}  // namespace hvdb

// Evaluates `rexpr` (a Result<T>); on error returns its Status from the
// enclosing function, else moves the value into `lhs` (a declaration or lvalue).
#define HVDB_ASSIGN_OR_RETURN(lhs, rexpr) \
  HVDB_ASSIGN_OR_RETURN_IMPL_(HVDB_CONCAT_(hvdb_result_, __LINE__), lhs, rexpr)
#define HVDB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
#define HVDB_CONCAT_(a, b) HVDB_CONCAT_INNER_(a, b)
#define HVDB_CONCAT_INNER_(a, b) a##b

#endif  // HVDB_RESULT_H_
