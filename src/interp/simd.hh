// Semantics of the WebAssembly SIMD and relaxed SIMD operators, exactly per
// spec.
//
// One inline function per operator of ir/operators.def with a V* shape
// (except the lane accesses and memory forms, which dispatch_simd.inc does on
// the frame and memory bytes directly), named after the operator
// (simd::I8x16Add, ...). A v128 is a 16-byte GCC/Clang vector (`V128`);
// lane-typed views are casts of it. Code is written with the compilers'
// vector extensions, which lower to SSE2 on x86-64 (and to NEON or scalar
// code elsewhere); SSE2/SSSE3/SSE4.1 intrinsics are used where the generic
// lowering would be poor, always next to a portable fallback, chosen at
// compile time.
//
// Conventions: integer arithmetic is done on unsigned lanes (wrapping);
// float lanes never pass through arithmetic unless the operator is
// arithmetic (splat, lanes, abs, neg act on bits). Comparison results are
// all-ones / all-zeros lanes.
//
// Relaxed operators here give this engine's native choice (the fastest on
// the build's target); the translator substitutes the deterministic
// profile's operators when Config.wasm_relaxed_simd_deterministic asks.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

// EMBER_SIMD_PORTABLE (defined only by a test): the portable code alone, in
// namespace ember::simd_portable, so the test can check it against the
// intrinsic paths the interpreter uses.
#if defined(EMBER_SIMD_PORTABLE)
#define EMBER_SIMD_NS simd_portable
#define EMBER_SIMD_SSE2 0
#define EMBER_SIMD_SSSE3 0
#define EMBER_SIMD_SSE41 0
#else
#define EMBER_SIMD_NS simd
#if defined(__SSE2__)
#define EMBER_SIMD_SSE2 1
#else
#define EMBER_SIMD_SSE2 0
#endif
#if defined(__SSSE3__)
#define EMBER_SIMD_SSSE3 1
#else
#define EMBER_SIMD_SSSE3 0
#endif
#if defined(__SSE4_1__)
#define EMBER_SIMD_SSE41 1
#else
#define EMBER_SIMD_SSE41 0
#endif
#endif

#if EMBER_SIMD_SSE2
#include <emmintrin.h>
#endif
#if EMBER_SIMD_SSSE3
#include <tmmintrin.h>
#endif
#if EMBER_SIMD_SSE41
#include <smmintrin.h>
#endif

#include "interp/numeric.hh"

namespace ember::EMBER_SIMD_NS {

typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef int16_t i16x8 __attribute__((vector_size(16)));
typedef uint16_t u16x8 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));
typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef int64_t i64x2 __attribute__((vector_size(16)));
typedef uint64_t u64x2 __attribute__((vector_size(16)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef double f64x2 __attribute__((vector_size(16)));
// Half vectors, for widening and narrowing.
typedef int8_t i8x8 __attribute__((vector_size(8)));
typedef uint8_t u8x8 __attribute__((vector_size(8)));
typedef int16_t i16x4 __attribute__((vector_size(8)));
typedef uint16_t u16x4 __attribute__((vector_size(8)));
typedef int32_t i32x2 __attribute__((vector_size(8)));
typedef uint32_t u32x2 __attribute__((vector_size(8)));
typedef float f32x2 __attribute__((vector_size(8)));

using V128 = u64x2;

inline V128 load(const void* p) {
  V128 v;
  std::memcpy(&v, p, 16);
  return v;
}
inline void store(void* p, V128 v) {
  std::memcpy(p, &v, 16);
}

#if EMBER_SIMD_SSE2
inline __m128i mi(V128 v) {
  return (__m128i)v;
}
inline __m128 mf(V128 v) {
  return (__m128)v;
}
inline __m128d md(V128 v) {
  return (__m128d)v;
}
#endif

// The low and high 8-byte halves of a vector, as a half-vector type H.
template <typename H>
inline H low_half(V128 v) {
  H h;
  std::memcpy(&h, &v, 8);
  return h;
}
template <typename H>
inline H high_half(V128 v) {
  H h;
  std::memcpy(&h, reinterpret_cast<const char*>(&v) + 8, 8);
  return h;
}
template <typename H>
inline V128 join(H lo, H hi) {
  V128 v;
  std::memcpy(&v, &lo, 8);
  std::memcpy(reinterpret_cast<char*>(&v) + 8, &hi, 8);
  return v;
}

#define EMBER_V_UN(name, T, expr) \
  inline V128 name(V128 va) {     \
    T a = (T)va;                  \
    return (V128)(expr);          \
  }
#define EMBER_V_BIN(name, T, expr)     \
  inline V128 name(V128 va, V128 vb) { \
    T a = (T)va, b = (T)vb;            \
    return (V128)(expr);               \
  }

// ---- splats ---------------------------------------------------------------------
inline V128 I8x16Splat(uint32_t x) {
  return (V128)(u8x16{} + uint8_t(x));
}
inline V128 I16x8Splat(uint32_t x) {
  return (V128)(u16x8{} + uint16_t(x));
}
inline V128 I32x4Splat(uint32_t x) {
  return (V128)(u32x4{} + x);
}
inline V128 I64x2Splat(uint64_t x) {
  return V128{x, x};
}
inline V128 F32x4Splat(float x) {
  return I32x4Splat(num::f32_bits(x));
}
inline V128 F64x2Splat(double x) {
  return I64x2Splat(num::f64_bits(x));
}

// ---- shuffles -------------------------------------------------------------------
// Byte selection with the pshufb rule, from two vectors: lane i of the result
// is a[ma[i] & 15] unless ma[i] has its top bit set (then 0), OR-ed with the
// same from b and mb. SSSE3's pshufb where the CPU has it: inline when the
// build targets SSSE3, else through a pointer set once at startup (simd.cc).
inline V128 select_bytes_generic(V128 a, V128 b, V128 ma, V128 mb) {
  uint8_t x[16], y[16];
  std::memcpy(x, &a, 16);
  std::memcpy(y, &b, 16);
  u8x16 i = (u8x16)ma, j = (u8x16)mb, r;
  for (int k = 0; k < 16; k++) {
    r[k] = uint8_t((i[k] & 0x80 ? 0 : x[i[k] & 15]) | (j[k] & 0x80 ? 0 : y[j[k] & 15]));
  }
  return (V128)r;
}
#if EMBER_SIMD_SSSE3
inline V128 select_bytes(V128 a, V128 b, V128 ma, V128 mb) {
  return (V128)_mm_or_si128(_mm_shuffle_epi8(mi(a), mi(ma)), _mm_shuffle_epi8(mi(b), mi(mb)));
}
#elif defined(EMBER_SIMD_PORTABLE)
inline V128 select_bytes(V128 a, V128 b, V128 ma, V128 mb) {
  return select_bytes_generic(a, b, ma, mb);
}
#else
using SelectBytesFn = V128 (*)(V128, V128, V128, V128);
extern const SelectBytesFn select_bytes_impl;
inline V128 select_bytes(V128 a, V128 b, V128 ma, V128 mb) {
  return select_bytes_impl(a, b, ma, mb);
}
#endif

// `m` holds the two selection masks the translator derived from the 16 lane
// indices (ma then mb, 16 bytes each; see Translator::shuffle).
inline V128 I8x16Shuffle(V128 a, V128 b, const uint32_t* m) {
  return select_bytes(a, b, load(m), load(m + 4));
}

inline V128 none_selected() {
  return (V128)(u8x16{} + 0x80);
}

// Lane j of `a` for each index j of `s`; indices >= 16 give 0 (a saturating
// add sets their top bit and keeps the low four bits of the others).
inline V128 I8x16Swizzle(V128 a, V128 s) {
#if EMBER_SIMD_SSE2
  V128 idx = (V128)_mm_adds_epu8(mi(s), _mm_set1_epi8(0x70));
#else
  u8x16 j = (u8x16)s;
  V128 idx = (V128)(j < 16 ? j : 0x80);
#endif
  return select_bytes(a, V128{}, idx, none_selected());
}

// ---- bitwise ----------------------------------------------------------------------
EMBER_V_UN(V128Not, u64x2, ~a)
EMBER_V_BIN(V128And, u64x2, a& b)
EMBER_V_BIN(V128Andnot, u64x2, a & ~b)
EMBER_V_BIN(V128Or, u64x2, a | b)
EMBER_V_BIN(V128Xor, u64x2, a ^ b)
inline V128 V128Bitselect(V128 a, V128 b, V128 c) {
  return (a & c) | (b & ~c);
}
inline uint32_t V128AnyTrue(V128 a) {
  return (a[0] | a[1]) != 0;
}

// ---- comparisons ------------------------------------------------------------------
#define EMBER_V_CMP(prefix, S, U)     \
  EMBER_V_BIN(prefix##Eq, U, a == b)  \
  EMBER_V_BIN(prefix##Ne, U, a != b)  \
  EMBER_V_BIN(prefix##LtS, S, a < b)  \
  EMBER_V_BIN(prefix##LtU, U, a < b)  \
  EMBER_V_BIN(prefix##GtS, S, a > b)  \
  EMBER_V_BIN(prefix##GtU, U, a > b)  \
  EMBER_V_BIN(prefix##LeS, S, a <= b) \
  EMBER_V_BIN(prefix##LeU, U, a <= b) \
  EMBER_V_BIN(prefix##GeS, S, a >= b) \
  EMBER_V_BIN(prefix##GeU, U, a >= b)
EMBER_V_CMP(I8x16, i8x16, u8x16)
EMBER_V_CMP(I16x8, i16x8, u16x8)
EMBER_V_CMP(I32x4, i32x4, u32x4)
#undef EMBER_V_CMP
EMBER_V_BIN(I64x2Eq, i64x2, a == b)
EMBER_V_BIN(I64x2Ne, i64x2, a != b)
EMBER_V_BIN(I64x2LtS, i64x2, a < b)
EMBER_V_BIN(I64x2GtS, i64x2, a > b)
EMBER_V_BIN(I64x2LeS, i64x2, a <= b)
EMBER_V_BIN(I64x2GeS, i64x2, a >= b)
#define EMBER_V_FCMP(prefix, F)      \
  EMBER_V_BIN(prefix##Eq, F, a == b) \
  EMBER_V_BIN(prefix##Ne, F, a != b) \
  EMBER_V_BIN(prefix##Lt, F, a < b)  \
  EMBER_V_BIN(prefix##Gt, F, a > b)  \
  EMBER_V_BIN(prefix##Le, F, a <= b) \
  EMBER_V_BIN(prefix##Ge, F, a >= b)
EMBER_V_FCMP(F32x4, f32x4)
EMBER_V_FCMP(F64x2, f64x2)
#undef EMBER_V_FCMP

// ---- lane tests ---------------------------------------------------------------------
inline uint32_t I8x16AllTrue(V128 a) {
#if EMBER_SIMD_SSE2
  return _mm_movemask_epi8(_mm_cmpeq_epi8(mi(a), _mm_setzero_si128())) == 0;
#else
  u8x16 x = (u8x16)a;
  uint32_t r = 1;
  for (int i = 0; i < 16; i++) r &= x[i] != 0;
  return r;
#endif
}
inline uint32_t I16x8AllTrue(V128 a) {
#if EMBER_SIMD_SSE2
  return _mm_movemask_epi8(_mm_cmpeq_epi16(mi(a), _mm_setzero_si128())) == 0;
#else
  u16x8 x = (u16x8)a;
  uint32_t r = 1;
  for (int i = 0; i < 8; i++) r &= x[i] != 0;
  return r;
#endif
}
inline uint32_t I32x4AllTrue(V128 a) {
#if EMBER_SIMD_SSE2
  return _mm_movemask_epi8(_mm_cmpeq_epi32(mi(a), _mm_setzero_si128())) == 0;
#else
  u32x4 x = (u32x4)a;
  return (x[0] != 0) & (x[1] != 0) & (x[2] != 0) & (x[3] != 0);
#endif
}
inline uint32_t I64x2AllTrue(V128 a) {
  return (a[0] != 0) & (a[1] != 0);
}

inline uint32_t I8x16Bitmask(V128 a) {
#if EMBER_SIMD_SSE2
  return uint32_t(_mm_movemask_epi8(mi(a)));
#else
  u8x16 x = (u8x16)a;
  uint32_t r = 0;
  for (int i = 0; i < 16; i++) r |= uint32_t(x[i] >> 7) << i;
  return r;
#endif
}
inline uint32_t I16x8Bitmask(V128 a) {
#if EMBER_SIMD_SSE2
  return uint32_t(_mm_movemask_epi8(_mm_packs_epi16(mi(a), _mm_setzero_si128())));
#else
  u16x8 x = (u16x8)a;
  uint32_t r = 0;
  for (int i = 0; i < 8; i++) r |= uint32_t(x[i] >> 15) << i;
  return r;
#endif
}
inline uint32_t I32x4Bitmask(V128 a) {
#if EMBER_SIMD_SSE2
  return uint32_t(_mm_movemask_ps(mf(a)));
#else
  u32x4 x = (u32x4)a;
  return (x[0] >> 31) | (x[1] >> 31) << 1 | (x[2] >> 31) << 2 | (x[3] >> 31) << 3;
#endif
}
inline uint32_t I64x2Bitmask(V128 a) {
  return uint32_t(a[0] >> 63) | uint32_t(a[1] >> 63) << 1;
}

// ---- integer unary ------------------------------------------------------------------
#define EMBER_V_ABS_NEG(prefix, S, U, bits)    \
  inline V128 prefix##Abs(V128 va) {           \
    U a = (U)va, m = (U)((S)va >> (bits - 1)); \
    return (V128)((a ^ m) - m);                \
  }                                            \
  inline V128 prefix##Neg(V128 va) {           \
    return (V128)(U{} - (U)va);                \
  }
EMBER_V_ABS_NEG(I8x16, i8x16, u8x16, 8)
EMBER_V_ABS_NEG(I16x8, i16x8, u16x8, 16)
EMBER_V_ABS_NEG(I32x4, i32x4, u32x4, 32)
EMBER_V_ABS_NEG(I64x2, i64x2, u64x2, 64)
#undef EMBER_V_ABS_NEG

inline V128 I8x16Popcnt(V128 va) {
  u8x16 a = (u8x16)va;
  a = a - ((a >> 1) & 0x55);
  a = (a & 0x33) + ((a >> 2) & 0x33);
  return (V128)((a + (a >> 4)) & 0x0F);
}

// ---- shifts (count modulo the lane width) ---------------------------------------------
#define EMBER_V_SHIFTS(prefix, S, U, bits)       \
  inline V128 prefix##Shl(V128 a, uint32_t n) {  \
    return (V128)((U)a << int(n & (bits - 1)));  \
  }                                              \
  inline V128 prefix##ShrS(V128 a, uint32_t n) { \
    return (V128)((S)a >> int(n & (bits - 1)));  \
  }                                              \
  inline V128 prefix##ShrU(V128 a, uint32_t n) { \
    return (V128)((U)a >> int(n & (bits - 1)));  \
  }
EMBER_V_SHIFTS(I8x16, i8x16, u8x16, 8)
EMBER_V_SHIFTS(I16x8, i16x8, u16x8, 16)
EMBER_V_SHIFTS(I32x4, i32x4, u32x4, 32)
EMBER_V_SHIFTS(I64x2, i64x2, u64x2, 64)
#undef EMBER_V_SHIFTS

// ---- integer arithmetic -----------------------------------------------------------------
EMBER_V_BIN(I8x16Add, u8x16, a + b)
EMBER_V_BIN(I8x16Sub, u8x16, a - b)
EMBER_V_BIN(I16x8Add, u16x8, a + b)
EMBER_V_BIN(I16x8Sub, u16x8, a - b)
EMBER_V_BIN(I16x8Mul, u16x8, a* b)
EMBER_V_BIN(I32x4Add, u32x4, a + b)
EMBER_V_BIN(I32x4Sub, u32x4, a - b)
EMBER_V_BIN(I32x4Mul, u32x4, a* b)
EMBER_V_BIN(I64x2Add, u64x2, a + b)
EMBER_V_BIN(I64x2Sub, u64x2, a - b)
EMBER_V_BIN(I64x2Mul, u64x2, a* b)

#define EMBER_V_MINMAX(prefix, S, U)          \
  EMBER_V_BIN(prefix##MinS, S, a < b ? a : b) \
  EMBER_V_BIN(prefix##MinU, U, a < b ? a : b) \
  EMBER_V_BIN(prefix##MaxS, S, a > b ? a : b) \
  EMBER_V_BIN(prefix##MaxU, U, a > b ? a : b)
EMBER_V_MINMAX(I8x16, i8x16, u8x16)
EMBER_V_MINMAX(I16x8, i16x8, u16x8)
EMBER_V_MINMAX(I32x4, i32x4, u32x4)
#undef EMBER_V_MINMAX

// Saturating add/sub: computed in the double-width lanes, then clamped.
#if EMBER_SIMD_SSE2
inline V128 I8x16AddSatS(V128 a, V128 b) {
  return (V128)_mm_adds_epi8(mi(a), mi(b));
}
inline V128 I8x16AddSatU(V128 a, V128 b) {
  return (V128)_mm_adds_epu8(mi(a), mi(b));
}
inline V128 I8x16SubSatS(V128 a, V128 b) {
  return (V128)_mm_subs_epi8(mi(a), mi(b));
}
inline V128 I8x16SubSatU(V128 a, V128 b) {
  return (V128)_mm_subs_epu8(mi(a), mi(b));
}
inline V128 I16x8AddSatS(V128 a, V128 b) {
  return (V128)_mm_adds_epi16(mi(a), mi(b));
}
inline V128 I16x8AddSatU(V128 a, V128 b) {
  return (V128)_mm_adds_epu16(mi(a), mi(b));
}
inline V128 I16x8SubSatS(V128 a, V128 b) {
  return (V128)_mm_subs_epi16(mi(a), mi(b));
}
inline V128 I16x8SubSatU(V128 a, V128 b) {
  return (V128)_mm_subs_epu16(mi(a), mi(b));
}
inline V128 I8x16AvgrU(V128 a, V128 b) {
  return (V128)_mm_avg_epu8(mi(a), mi(b));
}
inline V128 I16x8AvgrU(V128 a, V128 b) {
  return (V128)_mm_avg_epu16(mi(a), mi(b));
}
#else
#define EMBER_V_SAT(name, T, W, N, lo, hi, op)  \
  inline V128 name(V128 va, V128 vb) {          \
    T a = (T)va, b = (T)vb, r;                  \
    for (int i = 0; i < N; i++) {               \
      W x = W(a[i]) op W(b[i]);                 \
      r[i] = x<(lo) ? (lo) : x>(hi) ? (hi) : x; \
    }                                           \
    return (V128)r;                             \
  }
EMBER_V_SAT(I8x16AddSatS, i8x16, int32_t, 16, -128, 127, +)
EMBER_V_SAT(I8x16AddSatU, u8x16, int32_t, 16, 0, 255, +)
EMBER_V_SAT(I8x16SubSatS, i8x16, int32_t, 16, -128, 127, -)
EMBER_V_SAT(I8x16SubSatU, u8x16, int32_t, 16, 0, 255, -)
EMBER_V_SAT(I16x8AddSatS, i16x8, int32_t, 8, -32768, 32767, +)
EMBER_V_SAT(I16x8AddSatU, u16x8, int32_t, 8, 0, 65535, +)
EMBER_V_SAT(I16x8SubSatS, i16x8, int32_t, 8, -32768, 32767, -)
EMBER_V_SAT(I16x8SubSatU, u16x8, int32_t, 8, 0, 65535, -)
#undef EMBER_V_SAT
inline V128 I8x16AvgrU(V128 va, V128 vb) {
  u8x16 a = (u8x16)va, b = (u8x16)vb;
  return (V128)((a >> 1) + (b >> 1) + ((a | b) & 1));
}
inline V128 I16x8AvgrU(V128 va, V128 vb) {
  u16x8 a = (u16x8)va, b = (u16x8)vb;
  return (V128)((a >> 1) + (b >> 1) + ((a | b) & 1));
}
#endif

// Rounding Q15 multiplication, saturated: (a*b + 2^14) >> 15.
inline V128 I16x8Q15mulrSatS(V128 a, V128 b) {
#if EMBER_SIMD_SSE2
  __m128i lo = _mm_mullo_epi16(mi(a), mi(b)), hi = _mm_mulhi_epi16(mi(a), mi(b));
  __m128i round = _mm_set1_epi32(0x4000);
  __m128i p0 = _mm_srai_epi32(_mm_add_epi32(_mm_unpacklo_epi16(lo, hi), round), 15);
  __m128i p1 = _mm_srai_epi32(_mm_add_epi32(_mm_unpackhi_epi16(lo, hi), round), 15);
  return (V128)_mm_packs_epi32(p0, p1);
#else
  i16x8 x = (i16x8)a, y = (i16x8)b, r;
  for (int i = 0; i < 8; i++) {
    int32_t p = (int32_t(x[i]) * y[i] + 0x4000) >> 15;
    r[i] = int16_t(p > 32767 ? 32767 : p);
  }
  return (V128)r;
#endif
}

// ---- widening and narrowing ---------------------------------------------------------------
#define EMBER_V_EXTEND(name, HalfIn, Out, half)                  \
  inline V128 name(V128 a) {                                     \
    return (V128) __builtin_convertvector(half<HalfIn>(a), Out); \
  }
EMBER_V_EXTEND(I16x8ExtendLowI8x16S, i8x8, i16x8, low_half)
EMBER_V_EXTEND(I16x8ExtendHighI8x16S, i8x8, i16x8, high_half)
EMBER_V_EXTEND(I16x8ExtendLowI8x16U, u8x8, u16x8, low_half)
EMBER_V_EXTEND(I16x8ExtendHighI8x16U, u8x8, u16x8, high_half)
EMBER_V_EXTEND(I32x4ExtendLowI16x8S, i16x4, i32x4, low_half)
EMBER_V_EXTEND(I32x4ExtendHighI16x8S, i16x4, i32x4, high_half)
EMBER_V_EXTEND(I32x4ExtendLowI16x8U, u16x4, u32x4, low_half)
EMBER_V_EXTEND(I32x4ExtendHighI16x8U, u16x4, u32x4, high_half)
EMBER_V_EXTEND(I64x2ExtendLowI32x4S, i32x2, i64x2, low_half)
EMBER_V_EXTEND(I64x2ExtendHighI32x4S, i32x2, i64x2, high_half)
EMBER_V_EXTEND(I64x2ExtendLowI32x4U, u32x2, u64x2, low_half)
EMBER_V_EXTEND(I64x2ExtendHighI32x4U, u32x2, u64x2, high_half)
#undef EMBER_V_EXTEND

// Extended multiplication: both operands widened, then a wrapping multiply
// (which cannot overflow at the doubled width).
#define EMBER_V_EXTMUL(name, ext, T)      \
  inline V128 name(V128 a, V128 b) {      \
    return (V128)((T)ext(a) * (T)ext(b)); \
  }
EMBER_V_EXTMUL(I16x8ExtmulLowI8x16S, I16x8ExtendLowI8x16S, u16x8)
EMBER_V_EXTMUL(I16x8ExtmulHighI8x16S, I16x8ExtendHighI8x16S, u16x8)
EMBER_V_EXTMUL(I16x8ExtmulLowI8x16U, I16x8ExtendLowI8x16U, u16x8)
EMBER_V_EXTMUL(I16x8ExtmulHighI8x16U, I16x8ExtendHighI8x16U, u16x8)
#undef EMBER_V_EXTMUL

// i16 x i16 -> i32 products of the low or high four lanes.
inline V128 i16_products(V128 a, V128 b, bool is_signed, bool high) {
#if EMBER_SIMD_SSE2
  __m128i lo = _mm_mullo_epi16(mi(a), mi(b));
  __m128i hi = is_signed ? _mm_mulhi_epi16(mi(a), mi(b)) : _mm_mulhi_epu16(mi(a), mi(b));
  return (V128)(high ? _mm_unpackhi_epi16(lo, hi) : _mm_unpacklo_epi16(lo, hi));
#else
  V128 x, y;
  if (is_signed) {
    x = high ? I32x4ExtendHighI16x8S(a) : I32x4ExtendLowI16x8S(a);
    y = high ? I32x4ExtendHighI16x8S(b) : I32x4ExtendLowI16x8S(b);
  } else {
    x = high ? I32x4ExtendHighI16x8U(a) : I32x4ExtendLowI16x8U(a);
    y = high ? I32x4ExtendHighI16x8U(b) : I32x4ExtendLowI16x8U(b);
  }
  return (V128)((u32x4)x * (u32x4)y);
#endif
}
inline V128 I32x4ExtmulLowI16x8S(V128 a, V128 b) {
  return i16_products(a, b, true, false);
}
inline V128 I32x4ExtmulHighI16x8S(V128 a, V128 b) {
  return i16_products(a, b, true, true);
}
inline V128 I32x4ExtmulLowI16x8U(V128 a, V128 b) {
  return i16_products(a, b, false, false);
}
inline V128 I32x4ExtmulHighI16x8U(V128 a, V128 b) {
  return i16_products(a, b, false, true);
}

inline V128 I64x2ExtmulLowI32x4S(V128 a, V128 b) {
  i32x4 x = (i32x4)a, y = (i32x4)b;
  return (V128)i64x2{int64_t(x[0]) * y[0], int64_t(x[1]) * y[1]};
}
inline V128 I64x2ExtmulHighI32x4S(V128 a, V128 b) {
  i32x4 x = (i32x4)a, y = (i32x4)b;
  return (V128)i64x2{int64_t(x[2]) * y[2], int64_t(x[3]) * y[3]};
}
inline V128 I64x2ExtmulLowI32x4U(V128 a, V128 b) {
  u32x4 x = (u32x4)a, y = (u32x4)b;
  return V128{uint64_t(x[0]) * y[0], uint64_t(x[1]) * y[1]};
}
inline V128 I64x2ExtmulHighI32x4U(V128 a, V128 b) {
  u32x4 x = (u32x4)a, y = (u32x4)b;
  return V128{uint64_t(x[2]) * y[2], uint64_t(x[3]) * y[3]};
}

// Pairwise sums of adjacent lanes, widened.
inline V128 I16x8ExtaddPairwiseI8x16S(V128 a) {
  i16x8 x = (i16x8)a;
  return (V128)((u16x8)((i16x8)(x << 8) >> 8) + (u16x8)(x >> 8));
}
inline V128 I16x8ExtaddPairwiseI8x16U(V128 a) {
  u16x8 x = (u16x8)a;
  return (V128)((x & 0xFF) + (x >> 8));
}
inline V128 I32x4ExtaddPairwiseI16x8S(V128 a) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_madd_epi16(mi(a), _mm_set1_epi16(1));
#else
  i32x4 x = (i32x4)a;
  return (V128)((u32x4)((i32x4)(x << 16) >> 16) + (u32x4)(x >> 16));
#endif
}
inline V128 I32x4ExtaddPairwiseI16x8U(V128 a) {
  u32x4 x = (u32x4)a;
  return (V128)((x & 0xFFFF) + (x >> 16));
}

// Dot product of signed i16 pairs into i32 lanes (wrapping).
inline V128 I32x4DotI16x8S(V128 a, V128 b) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_madd_epi16(mi(a), mi(b));
#else
  i32x4 x = (i32x4)a, y = (i32x4)b;
  i32x4 xe = (x << 16) >> 16, ye = (y << 16) >> 16, xo = x >> 16, yo = y >> 16;
  return (V128)((u32x4)xe * (u32x4)ye + (u32x4)xo * (u32x4)yo);
#endif
}

// Narrowing with signed or unsigned saturation.
template <typename W, typename H, int lo, int hi>
inline V128 narrow(V128 a, V128 b) {
  W x = (W)a, y = (W)b;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  y = y < lo ? lo : y;
  y = y > hi ? hi : y;
  return join(__builtin_convertvector(x, H), __builtin_convertvector(y, H));
}
inline V128 I8x16NarrowI16x8S(V128 a, V128 b) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_packs_epi16(mi(a), mi(b));
#else
  return narrow<i16x8, i8x8, -128, 127>(a, b);
#endif
}
inline V128 I8x16NarrowI16x8U(V128 a, V128 b) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_packus_epi16(mi(a), mi(b));
#else
  return narrow<i16x8, u8x8, 0, 255>(a, b);
#endif
}
inline V128 I16x8NarrowI32x4S(V128 a, V128 b) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_packs_epi32(mi(a), mi(b));
#else
  return narrow<i32x4, i16x4, -32768, 32767>(a, b);
#endif
}
inline V128 I16x8NarrowI32x4U(V128 a, V128 b) {
#if EMBER_SIMD_SSE41
  return (V128)_mm_packus_epi32(mi(a), mi(b));
#else
  return narrow<i32x4, u16x4, 0, 65535>(a, b);
#endif
}

// ---- memory forms (bounds already checked; `p` is the effective address) ------------------
inline V128 V128Load(const uint8_t* p) {
  return load(p);
}
inline V128 load64_low(const uint8_t* p) {
  return V128{num::load_le<uint64_t>(p), 0};
}
inline V128 V128Load8x8S(const uint8_t* p) {
  return I16x8ExtendLowI8x16S(load64_low(p));
}
inline V128 V128Load8x8U(const uint8_t* p) {
  return I16x8ExtendLowI8x16U(load64_low(p));
}
inline V128 V128Load16x4S(const uint8_t* p) {
  return I32x4ExtendLowI16x8S(load64_low(p));
}
inline V128 V128Load16x4U(const uint8_t* p) {
  return I32x4ExtendLowI16x8U(load64_low(p));
}
inline V128 V128Load32x2S(const uint8_t* p) {
  return I64x2ExtendLowI32x4S(load64_low(p));
}
inline V128 V128Load32x2U(const uint8_t* p) {
  return I64x2ExtendLowI32x4U(load64_low(p));
}
inline V128 V128Load8Splat(const uint8_t* p) {
  return I8x16Splat(p[0]);
}
inline V128 V128Load16Splat(const uint8_t* p) {
  return I16x8Splat(num::load_le<uint16_t>(p));
}
inline V128 V128Load32Splat(const uint8_t* p) {
  return I32x4Splat(num::load_le<uint32_t>(p));
}
inline V128 V128Load64Splat(const uint8_t* p) {
  return I64x2Splat(num::load_le<uint64_t>(p));
}
inline V128 V128Load32Zero(const uint8_t* p) {
  return V128{num::load_le<uint32_t>(p), 0};
}
inline V128 V128Load64Zero(const uint8_t* p) {
  return load64_low(p);
}
inline void V128Store(uint8_t* p, V128 v) {
  store(p, v);
}

#undef EMBER_V_UN
#undef EMBER_V_BIN

}  // namespace ember::EMBER_SIMD_NS

#include "interp/simd_float.hh"
