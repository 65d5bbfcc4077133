// Numeric semantics of every WebAssembly scalar operator, exactly per spec.
//
// One inline function per operator of ir/operators.def with kind Unary,
// Binary, Binary128 or BinaryWide, named after the operator (num::I32Add,
// ...). Operands and results use uint32_t (i32), uint64_t (i64), float
// (f32), double (f64); the two results of a Binary128/BinaryWide operator
// come back as one Halves. Operators that can trap set `trap` and return 0.
// Shared by the interpreter and (later) the JIT tier's constant folding and
// runtime helpers.
//
// NaN rules: arithmetic results may be any arithmetic NaN (hardware quiet
// NaNs); abs/neg/copysign act on the bits only; min/max return a NaN if
// either operand is NaN and order -0 below +0.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "ir/types.hh"

namespace ember::num {

inline uint32_t f32_bits(float f) {
  return std::bit_cast<uint32_t>(f);
}
inline uint64_t f64_bits(double f) {
  return std::bit_cast<uint64_t>(f);
}
inline float f32_from(uint32_t b) {
  return std::bit_cast<float>(b);
}
inline double f64_from(uint64_t b) {
  return std::bit_cast<double>(b);
}

#define EMBER_NUM_UN(name, T, R, expr) \
  inline R name(T a, TrapCode& trap) { \
    (void)trap;                        \
    return expr;                       \
  }
#define EMBER_NUM_BIN(name, T, R, expr)     \
  inline R name(T a, T b, TrapCode& trap) { \
    (void)trap;                             \
    return expr;                            \
  }

using u32 = uint32_t;
using u64 = uint64_t;
using i32 = int32_t;
using i64 = int64_t;

// ---- comparisons ------------------------------------------------------------
EMBER_NUM_UN(I32Eqz, u32, u32, a == 0)
EMBER_NUM_BIN(I32Eq, u32, u32, a == b)
EMBER_NUM_BIN(I32Ne, u32, u32, a != b)
EMBER_NUM_BIN(I32LtS, u32, u32, i32(a) < i32(b))
EMBER_NUM_BIN(I32LtU, u32, u32, a < b)
EMBER_NUM_BIN(I32GtS, u32, u32, i32(a) > i32(b))
EMBER_NUM_BIN(I32GtU, u32, u32, a > b)
EMBER_NUM_BIN(I32LeS, u32, u32, i32(a) <= i32(b))
EMBER_NUM_BIN(I32LeU, u32, u32, a <= b)
EMBER_NUM_BIN(I32GeS, u32, u32, i32(a) >= i32(b))
EMBER_NUM_BIN(I32GeU, u32, u32, a >= b)
EMBER_NUM_UN(I64Eqz, u64, u32, a == 0)
EMBER_NUM_BIN(I64Eq, u64, u32, a == b)
EMBER_NUM_BIN(I64Ne, u64, u32, a != b)
EMBER_NUM_BIN(I64LtS, u64, u32, i64(a) < i64(b))
EMBER_NUM_BIN(I64LtU, u64, u32, a < b)
EMBER_NUM_BIN(I64GtS, u64, u32, i64(a) > i64(b))
EMBER_NUM_BIN(I64GtU, u64, u32, a > b)
EMBER_NUM_BIN(I64LeS, u64, u32, i64(a) <= i64(b))
EMBER_NUM_BIN(I64LeU, u64, u32, a <= b)
EMBER_NUM_BIN(I64GeS, u64, u32, i64(a) >= i64(b))
EMBER_NUM_BIN(I64GeU, u64, u32, a >= b)
EMBER_NUM_BIN(F32Eq, float, u32, a == b)
EMBER_NUM_BIN(F32Ne, float, u32, a != b)
EMBER_NUM_BIN(F32Lt, float, u32, a < b)
EMBER_NUM_BIN(F32Gt, float, u32, a > b)
EMBER_NUM_BIN(F32Le, float, u32, a <= b)
EMBER_NUM_BIN(F32Ge, float, u32, a >= b)
EMBER_NUM_BIN(F64Eq, double, u32, a == b)
EMBER_NUM_BIN(F64Ne, double, u32, a != b)
EMBER_NUM_BIN(F64Lt, double, u32, a < b)
EMBER_NUM_BIN(F64Gt, double, u32, a > b)
EMBER_NUM_BIN(F64Le, double, u32, a <= b)
EMBER_NUM_BIN(F64Ge, double, u32, a >= b)

// ---- integer arithmetic -------------------------------------------------------
template <typename U, typename S>
inline U div_s(U a, U b, TrapCode& trap) {
  if (b == 0) {
    trap = TrapCode::IntegerDivideByZero;
    return 0;
  }
  if (S(a) == std::numeric_limits<S>::min() && S(b) == -1) {
    trap = TrapCode::IntegerOverflow;
    return 0;
  }
  return U(S(a) / S(b));
}
template <typename U>
inline U div_u(U a, U b, TrapCode& trap) {
  if (b == 0) {
    trap = TrapCode::IntegerDivideByZero;
    return 0;
  }
  return a / b;
}
template <typename U, typename S>
inline U rem_s(U a, U b, TrapCode& trap) {
  if (b == 0) {
    trap = TrapCode::IntegerDivideByZero;
    return 0;
  }
  if (S(b) == -1) return 0;
  return U(S(a) % S(b));
}
template <typename U>
inline U rem_u(U a, U b, TrapCode& trap) {
  if (b == 0) {
    trap = TrapCode::IntegerDivideByZero;
    return 0;
  }
  return a % b;
}

EMBER_NUM_UN(I32Clz, u32, u32, u32(std::countl_zero(a)))
EMBER_NUM_UN(I32Ctz, u32, u32, u32(std::countr_zero(a)))
EMBER_NUM_UN(I32Popcnt, u32, u32, u32(std::popcount(a)))
EMBER_NUM_BIN(I32Add, u32, u32, a + b)
EMBER_NUM_BIN(I32Sub, u32, u32, a - b)
EMBER_NUM_BIN(I32Mul, u32, u32, a* b)
EMBER_NUM_BIN(I32DivS, u32, u32, (div_s<u32, i32>(a, b, trap)))
EMBER_NUM_BIN(I32DivU, u32, u32, div_u<u32>(a, b, trap))
EMBER_NUM_BIN(I32RemS, u32, u32, (rem_s<u32, i32>(a, b, trap)))
EMBER_NUM_BIN(I32RemU, u32, u32, rem_u<u32>(a, b, trap))
EMBER_NUM_BIN(I32And, u32, u32, a& b)
EMBER_NUM_BIN(I32Or, u32, u32, a | b)
EMBER_NUM_BIN(I32Xor, u32, u32, a ^ b)
EMBER_NUM_BIN(I32Shl, u32, u32, a << (b & 31))
EMBER_NUM_BIN(I32ShrS, u32, u32, u32(i32(a) >> (b & 31)))
EMBER_NUM_BIN(I32ShrU, u32, u32, a >> (b & 31))
EMBER_NUM_BIN(I32Rotl, u32, u32, std::rotl(a, int(b & 31)))
EMBER_NUM_BIN(I32Rotr, u32, u32, std::rotr(a, int(b & 31)))
EMBER_NUM_UN(I64Clz, u64, u64, u64(std::countl_zero(a)))
EMBER_NUM_UN(I64Ctz, u64, u64, u64(std::countr_zero(a)))
EMBER_NUM_UN(I64Popcnt, u64, u64, u64(std::popcount(a)))
EMBER_NUM_BIN(I64Add, u64, u64, a + b)
EMBER_NUM_BIN(I64Sub, u64, u64, a - b)
EMBER_NUM_BIN(I64Mul, u64, u64, a* b)
EMBER_NUM_BIN(I64DivS, u64, u64, (div_s<u64, i64>(a, b, trap)))
EMBER_NUM_BIN(I64DivU, u64, u64, div_u<u64>(a, b, trap))
EMBER_NUM_BIN(I64RemS, u64, u64, (rem_s<u64, i64>(a, b, trap)))
EMBER_NUM_BIN(I64RemU, u64, u64, rem_u<u64>(a, b, trap))
EMBER_NUM_BIN(I64And, u64, u64, a& b)
EMBER_NUM_BIN(I64Or, u64, u64, a | b)
EMBER_NUM_BIN(I64Xor, u64, u64, a ^ b)
EMBER_NUM_BIN(I64Shl, u64, u64, a << (b & 63))
EMBER_NUM_BIN(I64ShrS, u64, u64, u64(i64(a) >> (b & 63)))
EMBER_NUM_BIN(I64ShrU, u64, u64, a >> (b & 63))
EMBER_NUM_BIN(I64Rotl, u64, u64, std::rotl(a, int(b & 63)))
EMBER_NUM_BIN(I64Rotr, u64, u64, std::rotr(a, int(b & 63)))

// ---- 128-bit integers as (low, high) halves (wide arithmetic) -------------------
using u128 = unsigned __int128;
using i128 = __int128;
struct Halves {
  u64 lo, hi;
};
inline Halves halves(u128 v) {
  return {u64(v), u64(v >> 64)};
}
inline u128 join(u64 lo, u64 hi) {
  return u128(hi) << 64 | lo;
}
// Modulo 2^128.
inline Halves I64Add128(u64 alo, u64 ahi, u64 blo, u64 bhi) {
  return halves(join(alo, ahi) + join(blo, bhi));
}
inline Halves I64Sub128(u64 alo, u64 ahi, u64 blo, u64 bhi) {
  return halves(join(alo, ahi) - join(blo, bhi));
}
// The full product (it always fits in 128 bits).
inline Halves I64MulWideS(u64 a, u64 b) {
  return halves(u128(i128(i64(a)) * i128(i64(b))));
}
inline Halves I64MulWideU(u64 a, u64 b) {
  return halves(u128(a) * b);
}

// ---- float arithmetic -----------------------------------------------------------
template <typename F>
inline F fmin(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;  // a quiet NaN
  if (a == b) return std::signbit(a) ? a : b;        // min(-0, +0) = -0
  return a < b ? a : b;
}
template <typename F>
inline F fmax(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

EMBER_NUM_UN(F32Abs, float, float, f32_from(f32_bits(a) & 0x7FFFFFFFu))
EMBER_NUM_UN(F32Neg, float, float, f32_from(f32_bits(a) ^ 0x80000000u))
// libm's rounding functions may return a signalling NaN unchanged; wasm
// requires an arithmetic (quiet) NaN, so NaNs take the `a + a` path.
EMBER_NUM_UN(F32Ceil, float, float, std::isnan(a) ? a + a : std::ceil(a))
EMBER_NUM_UN(F32Floor, float, float, std::isnan(a) ? a + a : std::floor(a))
EMBER_NUM_UN(F32Trunc, float, float, std::isnan(a) ? a + a : std::trunc(a))
EMBER_NUM_UN(F32Nearest, float, float, std::isnan(a) ? a + a : std::nearbyint(a))
EMBER_NUM_UN(F32Sqrt, float, float, std::sqrt(a))
EMBER_NUM_BIN(F32Add, float, float, a + b)
EMBER_NUM_BIN(F32Sub, float, float, a - b)
EMBER_NUM_BIN(F32Mul, float, float, a* b)
EMBER_NUM_BIN(F32Div, float, float, a / b)
EMBER_NUM_BIN(F32Min, float, float, fmin(a, b))
EMBER_NUM_BIN(F32Max, float, float, fmax(a, b))
EMBER_NUM_BIN(F32Copysign, float, float,
              f32_from((f32_bits(a) & 0x7FFFFFFFu) | (f32_bits(b) & 0x80000000u)))
EMBER_NUM_UN(F64Abs, double, double, f64_from(f64_bits(a) & 0x7FFFFFFFFFFFFFFFull))
EMBER_NUM_UN(F64Neg, double, double, f64_from(f64_bits(a) ^ 0x8000000000000000ull))
EMBER_NUM_UN(F64Ceil, double, double, std::isnan(a) ? a + a : std::ceil(a))
EMBER_NUM_UN(F64Floor, double, double, std::isnan(a) ? a + a : std::floor(a))
EMBER_NUM_UN(F64Trunc, double, double, std::isnan(a) ? a + a : std::trunc(a))
EMBER_NUM_UN(F64Nearest, double, double, std::isnan(a) ? a + a : std::nearbyint(a))
EMBER_NUM_UN(F64Sqrt, double, double, std::sqrt(a))
EMBER_NUM_BIN(F64Add, double, double, a + b)
EMBER_NUM_BIN(F64Sub, double, double, a - b)
EMBER_NUM_BIN(F64Mul, double, double, a* b)
EMBER_NUM_BIN(F64Div, double, double, a / b)
EMBER_NUM_BIN(F64Min, double, double, fmin(a, b))
EMBER_NUM_BIN(F64Max, double, double, fmax(a, b))
EMBER_NUM_BIN(F64Copysign, double, double,
              f64_from((f64_bits(a) & 0x7FFFFFFFFFFFFFFFull) |
                       (f64_bits(b) & 0x8000000000000000ull)))

// ---- conversions ------------------------------------------------------------------
// Trapping truncation: `lo` and `hi` are exclusive bounds of the valid range.
template <typename R, typename F>
inline R trunc_checked(F a, F lo, F hi, TrapCode& trap) {
  if (std::isnan(a)) {
    trap = TrapCode::InvalidConversionToInteger;
    return 0;
  }
  if (!(a > lo && a < hi)) {
    trap = TrapCode::IntegerOverflow;
    return 0;
  }
  return R(a);
}
// Saturating truncation to integer type I (returned as its unsigned bits).
template <typename I, typename F>
inline I trunc_sat(F a) {
  if (std::isnan(a)) return 0;
  constexpr F lo = F(std::numeric_limits<I>::min());  // exact: a power of two or 0
  if (a <= lo) return std::numeric_limits<I>::min();
  // 2^bits (unsigned) or 2^(bits-1) (signed) is exactly representable.
  constexpr F limit = std::numeric_limits<I>::is_signed
                          ? -F(std::numeric_limits<I>::min())
                          : F(2) * F(std::numeric_limits<I>::max() / 2 + 1);
  if (a >= limit) return std::numeric_limits<I>::max();
  return I(a);
}

EMBER_NUM_UN(I32WrapI64, u64, u32, u32(a))
EMBER_NUM_UN(I32TruncF32S, float, u32,
             u32(trunc_checked<i32>(a, -2147483904.0f, 2147483648.0f, trap)))
EMBER_NUM_UN(I32TruncF32U, float, u32, trunc_checked<u32>(a, -1.0f, 4294967296.0f, trap))
EMBER_NUM_UN(I32TruncF64S, double, u32,
             u32(trunc_checked<i32>(a, -2147483649.0, 2147483648.0, trap)))
EMBER_NUM_UN(I32TruncF64U, double, u32, trunc_checked<u32>(a, -1.0, 4294967296.0, trap))
EMBER_NUM_UN(I64ExtendI32S, u32, u64, u64(i64(i32(a))))
EMBER_NUM_UN(I64ExtendI32U, u32, u64, u64(a))
EMBER_NUM_UN(I64TruncF32S, float, u64,
             u64(trunc_checked<i64>(a, -9223373136366403584.0f, 9223372036854775808.0f, trap)))
EMBER_NUM_UN(I64TruncF32U, float, u64, trunc_checked<u64>(a, -1.0f, 18446744073709551616.0f, trap))
EMBER_NUM_UN(I64TruncF64S, double, u64,
             u64(trunc_checked<i64>(a, -9223372036854777856.0, 9223372036854775808.0, trap)))
EMBER_NUM_UN(I64TruncF64U, double, u64, trunc_checked<u64>(a, -1.0, 18446744073709551616.0, trap))
EMBER_NUM_UN(F32ConvertI32S, u32, float, float(i32(a)))
EMBER_NUM_UN(F32ConvertI32U, u32, float, float(a))
EMBER_NUM_UN(F32ConvertI64S, u64, float, float(i64(a)))
EMBER_NUM_UN(F32ConvertI64U, u64, float, float(a))
EMBER_NUM_UN(F32DemoteF64, double, float, float(a))
EMBER_NUM_UN(F64ConvertI32S, u32, double, double(i32(a)))
EMBER_NUM_UN(F64ConvertI32U, u32, double, double(a))
EMBER_NUM_UN(F64ConvertI64S, u64, double, double(i64(a)))
EMBER_NUM_UN(F64ConvertI64U, u64, double, double(a))
EMBER_NUM_UN(F64PromoteF32, float, double, double(a))
EMBER_NUM_UN(I32ReinterpretF32, float, u32, f32_bits(a))
EMBER_NUM_UN(I64ReinterpretF64, double, u64, f64_bits(a))
EMBER_NUM_UN(F32ReinterpretI32, u32, float, f32_from(a))
EMBER_NUM_UN(F64ReinterpretI64, u64, double, f64_from(a))
EMBER_NUM_UN(I32Extend8S, u32, u32, u32(i32(int8_t(a))))
EMBER_NUM_UN(I32Extend16S, u32, u32, u32(i32(int16_t(a))))
EMBER_NUM_UN(I64Extend8S, u64, u64, u64(i64(int8_t(a))))
EMBER_NUM_UN(I64Extend16S, u64, u64, u64(i64(int16_t(a))))
EMBER_NUM_UN(I64Extend32S, u64, u64, u64(i64(int32_t(a))))
EMBER_NUM_UN(I32TruncSatF32S, float, u32, u32(trunc_sat<i32>(a)))
EMBER_NUM_UN(I32TruncSatF32U, float, u32, trunc_sat<u32>(a))
EMBER_NUM_UN(I32TruncSatF64S, double, u32, u32(trunc_sat<i32>(a)))
EMBER_NUM_UN(I32TruncSatF64U, double, u32, trunc_sat<u32>(a))
EMBER_NUM_UN(I64TruncSatF32S, float, u64, u64(trunc_sat<i64>(a)))
EMBER_NUM_UN(I64TruncSatF32U, float, u64, trunc_sat<u64>(a))
EMBER_NUM_UN(I64TruncSatF64S, double, u64, u64(trunc_sat<i64>(a)))
EMBER_NUM_UN(I64TruncSatF64U, double, u64, trunc_sat<u64>(a))

#undef EMBER_NUM_UN
#undef EMBER_NUM_BIN

// ---- memory access (little-endian host) -----------------------------------------
template <typename T>
inline T load_le(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T>
inline void store_le(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

}  // namespace ember::num
