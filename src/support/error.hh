// Cheap errors inside the engine.
//
// Every fallible internal step returns `Expected<T>` (or `Status`): either a
// value or a pointer to a heap-allocated `ErrorInfo`. The success path costs a
// pointer-sized test; constructing an error is cold. Errors carry the category
// the spec's script assertions distinguish (malformed, invalid, unlinkable,
// trap, exhaustion) plus a place: a byte offset into the binary or a
// line:column into text. Exceptions appear only at the public API edge.
// The categories (ErrorKind) are the public API's (include/ember/types.hh).
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "ember/types.hh"  // ErrorKind: the public API's error categories

namespace ember {

struct ErrorInfo {
  ErrorKind kind;
  std::string message;
  // Where: a byte offset (binary), or line/column (text; line 0 = none).
  uint64_t offset = UINT64_MAX;
  uint32_t line = 0, column = 0;

  // "malformed: <message> (at byte 0x1c)" etc.
  std::string describe() const;
};

class Error {
 public:
  Error() = default;
  [[gnu::cold]] Error(ErrorKind k, std::string msg, uint64_t offset = UINT64_MAX)
      : info_(new ErrorInfo{k, std::move(msg), offset}) {}
  [[gnu::cold]] static Error at_text(ErrorKind k, std::string msg, uint32_t line, uint32_t col) {
    Error e(k, std::move(msg));
    e.info_->line = line;
    e.info_->column = col;
    return e;
  }
  explicit operator bool() const { return info_ != nullptr; }
  const ErrorInfo& info() const { return *info_; }
  ErrorInfo& info() { return *info_; }
  ErrorKind kind() const { return info_->kind; }
  const std::string& message() const { return info_->message; }
  std::string describe() const { return info_ ? info_->describe() : "ok"; }

 private:
  std::unique_ptr<ErrorInfo> info_;
};

// A value or an Error. Move-only when T is.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T v) : has_(true) { new (&val_) T(std::move(v)); }
  Expected(Error e) : has_(false), err_(std::move(e)) {}
  Expected(Expected&& o) noexcept : has_(o.has_), err_(std::move(o.err_)) {
    if (has_) new (&val_) T(std::move(o.val_));
  }
  Expected& operator=(Expected&& o) noexcept {
    if (this != &o) {
      reset();
      has_ = o.has_;
      err_ = std::move(o.err_);
      if (has_) new (&val_) T(std::move(o.val_));
    }
    return *this;
  }
  ~Expected() { reset(); }

  bool ok() const { return has_; }
  explicit operator bool() const { return has_; }
  T& value() { return val_; }
  const T& value() const { return val_; }
  T& operator*() { return val_; }
  T* operator->() { return &val_; }
  const T* operator->() const { return &val_; }
  Error& error() { return err_; }
  Error take_error() { return std::move(err_); }

 private:
  void reset() {
    if (has_) val_.~T();
    has_ = false;
  }
  bool has_;
  union {
    T val_;
  };
  Error err_;
};

// Success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : err_(std::move(e)) {}
  static Status Ok() { return Status(); }
  bool ok() const { return !err_; }
  explicit operator bool() const { return !err_; }
  Error& error() { return err_; }
  Error take_error() { return std::move(err_); }

 private:
  Error err_;
};

// Propagate an error from an Expected/Status expression.
#define EMBER_TRY(expr)                              \
  do {                                               \
    auto&& ember_try_ = (expr);                      \
    if (!ember_try_) return ember_try_.take_error(); \
  } while (0)

#define EMBER_CONCAT_(a, b) a##b
#define EMBER_CONCAT(a, b) EMBER_CONCAT_(a, b)
// EMBER_ASSIGN(auto x, expr): declare x from an Expected or return its error.
#define EMBER_ASSIGN(decl, expr) EMBER_ASSIGN_(EMBER_CONCAT(ember_e_, __LINE__), decl, expr)
#define EMBER_ASSIGN_(tmp, decl, expr) \
  auto tmp = (expr);                   \
  if (!tmp) return tmp.take_error();   \
  decl = std::move(*tmp)

}  // namespace ember
