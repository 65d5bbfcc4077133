// A bounds-checked cursor over WebAssembly binary bytes.
//
// Used by the module decoder and by the function-body pass (validate +
// translate). Every read checks bounds and reports a Malformed error with the
// byte offset; nothing here allocates by an untrusted count.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "ir/types.hh"
#include "support/error.hh"
#include "support/utf8.hh"

namespace ember {

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, uint64_t base_offset = 0)
      : p_(data), end_(data + size), start_(data), base_(base_offset) {}

  bool at_end() const { return p_ >= end_; }
  size_t remaining() const { return size_t(end_ - p_); }
  uint64_t offset() const { return base_ + uint64_t(p_ - start_); }
  const uint8_t* pos() const { return p_; }
  void skip(size_t n) { p_ += n; }  // caller checked remaining()

  [[gnu::cold]] Error fail(std::string msg) const {
    return Error(ErrorKind::Malformed, std::move(msg), offset());
  }
  [[gnu::cold]] Error fail_at(std::string msg, uint64_t off) const {
    return Error(ErrorKind::Malformed, std::move(msg), off);
  }

  Expected<uint8_t> u8() {
    if (p_ >= end_) return fail("unexpected end");
    return *p_++;
  }
  Expected<uint32_t> u32_fixed() {
    if (remaining() < 4) return fail("unexpected end");
    uint32_t v;
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return v;
  }
  Expected<uint64_t> u64_fixed() {
    if (remaining() < 8) return fail("unexpected end");
    uint64_t v;
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }

  // Unsigned LEB128 of at most `bits` bits ("integer representation too long"
  // / "integer too large" as the spec's binary tests expect).
  Expected<uint64_t> uleb(unsigned bits) {
    uint64_t result = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0;; i++) {
      if (p_ >= end_) return fail("unexpected end");
      uint8_t b = *p_++;
      if (i == max_bytes - 1) {
        // Last permitted byte: no continuation, unused bits must be zero.
        if (b & 0x80) return fail("integer representation too long");
        unsigned used = bits - shift;
        if (used < 7 && (b >> used) != 0) return fail("integer too large");
        return result | (uint64_t(b) << shift);
      }
      result |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  }
  Expected<uint32_t> u32() {
    auto r = uleb(32);
    if (!r) return r.take_error();
    return uint32_t(*r);
  }

  // Signed LEB128 of at most `bits` bits.
  Expected<int64_t> sleb(unsigned bits) {
    uint64_t result = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0;; i++) {
      if (p_ >= end_) return fail("unexpected end");
      uint8_t b = *p_++;
      if (i == max_bytes - 1) {
        if (b & 0x80) return fail("integer representation too long");
        // Remaining bits beyond `bits` must be a sign extension.
        unsigned used = bits - shift;  // 1..7
        if (used < 7) {
          int8_t sb = int8_t(b << 1) >> 1;  // sign-extend 7-bit payload
          int8_t top = int8_t(sb >> (used - 1));
          if (top != 0 && top != -1) return fail("integer too large");
        }
        result |= uint64_t(b & 0x7F) << shift;
        shift += 7;
        if (shift < 64 && (b & 0x40)) result |= ~uint64_t(0) << shift;
        return int64_t(result);
      }
      result |= uint64_t(b & 0x7F) << shift;
      shift += 7;
      if (!(b & 0x80)) {
        if (shift < 64 && (b & 0x40)) result |= ~uint64_t(0) << shift;
        return int64_t(result);
      }
    }
  }
  Expected<int32_t> s32() {
    auto r = sleb(32);
    if (!r) return r.take_error();
    return int32_t(*r);
  }
  Expected<int64_t> s64() { return sleb(64); }
  // The 33-bit signed block type index.
  Expected<int64_t> s33() { return sleb(33); }

  // A length-prefixed UTF-8 name.
  Expected<std::string> name();

  // A byte range of `n` bytes (checked).
  Expected<const uint8_t*> bytes(size_t n) {
    if (remaining() < n) return fail("unexpected end");
    const uint8_t* r = p_;
    p_ += n;
    return r;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* start_;
  uint64_t base_;
};

}  // namespace ember
