// The portable fallbacks of the SIMD semantics (simd.hh built with
// EMBER_SIMD_PORTABLE: no intrinsics, in namespace simd_portable) against
// the paths the interpreter runs on this machine, operator by operator on
// edge-case and random inputs. The spec testsuite checks the latter; this
// keeps the former, which x86-64 builds never execute, honest.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <span>
#include <string>

#define EMBER_SIMD_PORTABLE 1
#include "interp/simd.hh"
#include "simd_ops_table.inc"

namespace ember::simd_test {

std::span<const OpEntry> native_ops();

namespace {

// Lanes worth hitting: zeros, ones, extremes, NaNs (canonical, payload,
// negative, signalling), infinities, subnormals, halves and rounding edges.
const uint32_t kF32[] = {0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7fc00000, 0xffc00000,
                         0x7fa00001, 0x7f800001, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff,
                         0x3f000000, 0xbf000000, 0x3fc00000, 0x4f000000, 0xcf000000, 0x4f800000,
                         0x4b000001, 0xcb7fffff, 0x7f7fffff, 0x5f000000, 0x3effffff, 0x40200000};
const uint64_t kF64[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
    0x7ff8000000000000, 0xfff8000000000000, 0x7ff4000000000001, 0x7ff0000000000000,
    0xfff0000000000000, 0x0000000000000001, 0x3fe0000000000000, 0xbfe8000000000000,
    0x41e0000000000000, 0xc1e0000000000000, 0x41f0000000000000, 0x4330000000000001,
    0x7fefffffffffffff, 0xc3e0000000000000, 0x3fdfffffffffffff, 0x4004000000000000};
const uint64_t kInt[] = {0,
                         1,
                         ~0ull,
                         0x8000000000000000,
                         0x7fffffffffffffff,
                         0x8080808080808080,
                         0x7f7f7f7f7f7f7f7f,
                         0x8000800080008000,
                         0x7fff7fff7fff7fff,
                         0x0000ffff0000ffff,
                         0x8000000080000000,
                         0x0102030405060708,
                         0x00ff00ff00ff00ff,
                         0x1f1f1f1f10101010};

Vec from(uint64_t lo, uint64_t hi) {
  return Vec{lo, hi};
}

Vec random_vec(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: return from(rng(), rng());
    case 1: {
      uint32_t l[4];
      for (uint32_t& x : l) x = kF32[rng() % std::size(kF32)];
      Vec v;
      std::memcpy(&v, l, 16);
      return v;
    }
    case 2: return from(kF64[rng() % std::size(kF64)], kF64[rng() % std::size(kF64)]);
    default: return from(kInt[rng() % std::size(kInt)], kInt[rng() % std::size(kInt)]);
  }
}

// Both results equal, lane by lane, NaNs matching any NaN (the spec lets
// NaN bits vary; both paths give canonical NaNs where the spec demands it,
// which the spec tests check).
bool same(const std::string& name, Vec x, Vec y) {
  if (x[0] == y[0] && x[1] == y[1]) return true;
  bool f32 = name.rfind("F32x4", 0) == 0 || name == "V128Load32Splat";
  bool f64 = name.rfind("F64x2", 0) == 0;
  if (!f32 && !f64) return false;
  if (f32) {
    float a[4], b[4];
    std::memcpy(a, &x, 16);
    std::memcpy(b, &y, 16);
    for (int i = 0; i < 4; i++) {
      bool eq = std::memcmp(&a[i], &b[i], 4) == 0 || (std::isnan(a[i]) && std::isnan(b[i]));
      if (!eq) return false;
    }
    return true;
  }
  double a[2], b[2];
  std::memcpy(a, &x, 16);
  std::memcpy(b, &y, 16);
  for (int i = 0; i < 2; i++) {
    bool eq = std::memcmp(&a[i], &b[i], 8) == 0 || (std::isnan(a[i]) && std::isnan(b[i]));
    if (!eq) return false;
  }
  return true;
}

TEST(SimdPortable, EveryOperatorMatchesTheNativePath) {
  std::span<const OpEntry> native = native_ops();
  std::span<const OpEntry> portable = simd_portable::kOps;
  ASSERT_EQ(native.size(), portable.size());
  ASSERT_GT(native.size(), 200u);
  std::mt19937_64 rng(0x5eed);
  for (size_t k = 0; k < native.size(); k++) {
    std::string name = native[k].name;
    ASSERT_EQ(name, portable[k].name);
    int failures = 0;
    for (int trial = 0; trial < 3000 && failures < 3; trial++) {
      Vec a = random_vec(rng), b = random_vec(rng), c = random_vec(rng);
      if (trial % 3 == 0) c[0] = rng() % 70;  // small shift counts and lane indices
      Vec want = native[k].fn(a, b, c), got = portable[k].fn(a, b, c);
      if (!same(name, want, got)) {
        failures++;
        ADD_FAILURE() << name << " a=" << std::hex << a[1] << ":" << a[0] << " b=" << b[1] << ":"
                      << b[0] << " c=" << c[1] << ":" << c[0] << " native=" << want[1] << ":"
                      << want[0] << " portable=" << got[1] << ":" << got[0];
      }
    }
  }
}

}  // namespace
}  // namespace ember::simd_test
