// SIMD semantics, part two: floating-point lanes, float/int conversions and
// the relaxed SIMD operators. Included at the end of simd.hh (same
// conventions: see there).
//
// NaN rules as for scalars (numeric.hh): arithmetic results are whatever
// quiet NaN the hardware gives (an arithmetic NaN, canonical when the inputs
// are); min/max return the canonical NaN; abs/neg act on bits.
#pragma once

#include "interp/simd.hh"

namespace ember::EMBER_SIMD_NS {

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

// ---- arithmetic ---------------------------------------------------------------------
EMBER_V_UN(F32x4Abs, u32x4, a & 0x7FFFFFFFu)
EMBER_V_UN(F32x4Neg, u32x4, a ^ 0x80000000u)
EMBER_V_UN(F64x2Abs, u64x2, a & 0x7FFFFFFFFFFFFFFFull)
EMBER_V_UN(F64x2Neg, u64x2, a ^ 0x8000000000000000ull)
EMBER_V_BIN(F32x4Add, f32x4, a + b)
EMBER_V_BIN(F32x4Sub, f32x4, a - b)
EMBER_V_BIN(F32x4Mul, f32x4, a* b)
EMBER_V_BIN(F32x4Div, f32x4, a / b)
EMBER_V_BIN(F64x2Add, f64x2, a + b)
EMBER_V_BIN(F64x2Sub, f64x2, a - b)
EMBER_V_BIN(F64x2Mul, f64x2, a* b)
EMBER_V_BIN(F64x2Div, f64x2, a / b)
// Pseudo-min/max: exactly `b < a ? b : a` and `a < b ? b : a`.
EMBER_V_BIN(F32x4Pmin, f32x4, b < a ? b : a)
EMBER_V_BIN(F32x4Pmax, f32x4, a < b ? b : a)
EMBER_V_BIN(F64x2Pmin, f64x2, b < a ? b : a)
EMBER_V_BIN(F64x2Pmax, f64x2, a < b ? b : a)

inline V128 F32x4Sqrt(V128 a) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_sqrt_ps(mf(a));
#else
  f32x4 x = (f32x4)a;
  for (int i = 0; i < 4; i++) x[i] = std::sqrt(x[i]);
  return (V128)x;
#endif
}
inline V128 F64x2Sqrt(V128 a) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_sqrt_pd(md(a));
#else
  f64x2 x = (f64x2)a;
  for (int i = 0; i < 2; i++) x[i] = std::sqrt(x[i]);
  return (V128)x;
#endif
}

// min/max: a NaN operand gives the canonical NaN; -0 orders below +0.
// Both operand orders of the hardware min/max are combined (OR for min, AND
// for max) so that zeros of either sign come out right.
#if EMBER_SIMD_SSE2
inline V128 F32x4Min(V128 a, V128 b) {
  __m128 x = mf(a), y = mf(b);
  __m128 m = _mm_or_ps(_mm_min_ps(x, y), _mm_min_ps(y, x));
  __m128 nan = _mm_cmpunord_ps(x, y);
  __m128 canon = _mm_castsi128_ps(_mm_set1_epi32(0x7FC00000));
  return (V128)_mm_or_ps(_mm_andnot_ps(nan, m), _mm_and_ps(nan, canon));
}
inline V128 F32x4Max(V128 a, V128 b) {
  __m128 x = mf(a), y = mf(b);
  __m128 m = _mm_and_ps(_mm_max_ps(x, y), _mm_max_ps(y, x));
  __m128 nan = _mm_cmpunord_ps(x, y);
  __m128 canon = _mm_castsi128_ps(_mm_set1_epi32(0x7FC00000));
  return (V128)_mm_or_ps(_mm_andnot_ps(nan, m), _mm_and_ps(nan, canon));
}
inline V128 F64x2Min(V128 a, V128 b) {
  __m128d x = md(a), y = md(b);
  __m128d m = _mm_or_pd(_mm_min_pd(x, y), _mm_min_pd(y, x));
  __m128d nan = _mm_cmpunord_pd(x, y);
  __m128d canon = _mm_castsi128_pd(_mm_set1_epi64x(0x7FF8000000000000ll));
  return (V128)_mm_or_pd(_mm_andnot_pd(nan, m), _mm_and_pd(nan, canon));
}
inline V128 F64x2Max(V128 a, V128 b) {
  __m128d x = md(a), y = md(b);
  __m128d m = _mm_and_pd(_mm_max_pd(x, y), _mm_max_pd(y, x));
  __m128d nan = _mm_cmpunord_pd(x, y);
  __m128d canon = _mm_castsi128_pd(_mm_set1_epi64x(0x7FF8000000000000ll));
  return (V128)_mm_or_pd(_mm_andnot_pd(nan, m), _mm_and_pd(nan, canon));
}
#else
#define EMBER_V_FMINMAX(name, F, N, fn)                \
  inline V128 name(V128 va, V128 vb) {                 \
    F a = (F)va, b = (F)vb;                            \
    for (int i = 0; i < N; i++) a[i] = fn(a[i], b[i]); \
    return (V128)a;                                    \
  }
EMBER_V_FMINMAX(F32x4Min, f32x4, 4, num::fmin)
EMBER_V_FMINMAX(F32x4Max, f32x4, 4, num::fmax)
EMBER_V_FMINMAX(F64x2Min, f64x2, 2, num::fmin)
EMBER_V_FMINMAX(F64x2Max, f64x2, 2, num::fmax)
#undef EMBER_V_FMINMAX
#endif

// ---- rounding to integral values -------------------------------------------------------
// Exact for every input without libm: below 2^mantissa, nearest(|x|) is
// (|x| + 2^m) - 2^m in the default rounding mode, and trunc/ceil of |x| are
// one step from it; floor/ceil of negative x swap the two. The result takes
// x's sign (so ceil(-0.5) = -0). Larger magnitudes are integral already;
// `x + 0` quiets NaNs (and keeps every other value).
enum class Round { Nearest, Floor, Ceil, Trunc };

#define EMBER_V_ROUND(fname, F, U, S, sign_bit, one_bits, magic)       \
  template <Round R>                                                   \
  inline V128 fname(V128 v) {                                          \
    F x = (F)v;                                                        \
    U bits = (U)v, sgn = bits & (sign_bit);                            \
    F ax = (F)(bits & ~(sign_bit));                                    \
    F m = F{} + (magic);                                               \
    F n = (ax + m) - m;                                                \
    F up = n + (F)((U)(n < ax) & (one_bits));   /* ceil(|x|) */        \
    F down = n - (F)((U)(n > ax) & (one_bits)); /* trunc(|x|) */       \
    U neg = (U)((S)bits < 0);                                          \
    F r = R == Round::Nearest ? n                                      \
          : R == Round::Trunc ? down                                   \
          : R == Round::Floor ? (F)((neg & (U)up) | (~neg & (U)down))  \
                              : (F)((neg & (U)down) | (~neg & (U)up)); \
    U small = (U)(ax < m);                                             \
    return (V128)((small & ((U)r | sgn)) | (~small & (U)(x + 0)));     \
  }
EMBER_V_ROUND(round_f32x4, f32x4, u32x4, i32x4, 0x80000000u, 0x3F800000u, 8388608.0f)
EMBER_V_ROUND(round_f64x2, f64x2, u64x2, i64x2, 0x8000000000000000ull, 0x3FF0000000000000ull,
              4503599627370496.0)
#undef EMBER_V_ROUND

#if EMBER_SIMD_SSE41
inline V128 F32x4Ceil(V128 a) {
  return (V128)_mm_round_ps(mf(a), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
}
inline V128 F32x4Floor(V128 a) {
  return (V128)_mm_round_ps(mf(a), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
inline V128 F32x4Trunc(V128 a) {
  return (V128)_mm_round_ps(mf(a), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
inline V128 F32x4Nearest(V128 a) {
  return (V128)_mm_round_ps(mf(a), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
inline V128 F64x2Ceil(V128 a) {
  return (V128)_mm_round_pd(md(a), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
}
inline V128 F64x2Floor(V128 a) {
  return (V128)_mm_round_pd(md(a), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
inline V128 F64x2Trunc(V128 a) {
  return (V128)_mm_round_pd(md(a), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
inline V128 F64x2Nearest(V128 a) {
  return (V128)_mm_round_pd(md(a), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
#else
inline V128 F32x4Ceil(V128 a) {
  return round_f32x4<Round::Ceil>(a);
}
inline V128 F32x4Floor(V128 a) {
  return round_f32x4<Round::Floor>(a);
}
inline V128 F32x4Trunc(V128 a) {
  return round_f32x4<Round::Trunc>(a);
}
inline V128 F32x4Nearest(V128 a) {
  return round_f32x4<Round::Nearest>(a);
}
inline V128 F64x2Ceil(V128 a) {
  return round_f64x2<Round::Ceil>(a);
}
inline V128 F64x2Floor(V128 a) {
  return round_f64x2<Round::Floor>(a);
}
inline V128 F64x2Trunc(V128 a) {
  return round_f64x2<Round::Trunc>(a);
}
inline V128 F64x2Nearest(V128 a) {
  return round_f64x2<Round::Nearest>(a);
}
#endif

// ---- conversions --------------------------------------------------------------------------
inline V128 F32x4DemoteF64x2Zero(V128 a) {
  return join(__builtin_convertvector((f64x2)a, f32x2), f32x2{});
}
inline V128 F64x2PromoteLowF32x4(V128 a) {
  return (V128) __builtin_convertvector(low_half<f32x2>(a), f64x2);
}
EMBER_V_UN(F32x4ConvertI32x4S, i32x4, __builtin_convertvector(a, f32x4))
EMBER_V_UN(F32x4ConvertI32x4U, u32x4, __builtin_convertvector(a, f32x4))
inline V128 F64x2ConvertLowI32x4S(V128 a) {
  return (V128) __builtin_convertvector(low_half<i32x2>(a), f64x2);
}
inline V128 F64x2ConvertLowI32x4U(V128 a) {
  return (V128) __builtin_convertvector(low_half<u32x2>(a), f64x2);
}

inline V128 I32x4TruncSatF32x4S(V128 a) {
#if EMBER_SIMD_SSE2
  // cvttps2dq gives 0x80000000 for NaN and out-of-range lanes: NaNs are
  // zeroed first, and positive overflow flips 0x80000000 to 0x7FFFFFFF.
  __m128 x = mf(a);
  x = _mm_and_ps(x, _mm_cmpord_ps(x, x));
  __m128i r = _mm_cvttps_epi32(x);
  __m128i over = _mm_castps_si128(_mm_cmpge_ps(x, _mm_set1_ps(2147483648.0f)));
  return (V128)_mm_xor_si128(r, over);
#else
  f32x4 x = (f32x4)a;
  i32x4 r;
  for (int i = 0; i < 4; i++) r[i] = num::trunc_sat<int32_t>(x[i]);
  return (V128)r;
#endif
}
inline V128 I32x4TruncSatF32x4U(V128 a) {
  f32x4 x = (f32x4)a;
  u32x4 r;
  for (int i = 0; i < 4; i++) r[i] = num::trunc_sat<uint32_t>(x[i]);
  return (V128)r;
}
inline V128 I32x4TruncSatF64x2SZero(V128 a) {
  f64x2 x = (f64x2)a;
  return (V128)i32x4{num::trunc_sat<int32_t>(x[0]), num::trunc_sat<int32_t>(x[1]), 0, 0};
}
inline V128 I32x4TruncSatF64x2UZero(V128 a) {
  f64x2 x = (f64x2)a;
  return (V128)u32x4{num::trunc_sat<uint32_t>(x[0]), num::trunc_sat<uint32_t>(x[1]), 0, 0};
}

// ---- relaxed SIMD: the native choices ------------------------------------------------------
// Swizzle with the pshufb rule: an index with the top bit set gives 0,
// otherwise its low four bits select the lane.
inline V128 I8x16RelaxedSwizzle(V128 a, V128 s) {
  return select_bytes(a, V128{}, s, none_selected());
}

// Truncation with the cvttps2dq / cvttpd2dq rule: NaN and out-of-range
// lanes give INT32_MIN. The unsigned forms saturate.
inline int32_t cvtt_s32(double x) {
  return (x > -2147483649.0 && x < 2147483648.0) ? int32_t(x) : INT32_MIN;
}
inline V128 I32x4RelaxedTruncF32x4S(V128 a) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_cvttps_epi32(mf(a));
#else
  f32x4 x = (f32x4)a;
  return (V128)i32x4{cvtt_s32(x[0]), cvtt_s32(x[1]), cvtt_s32(x[2]), cvtt_s32(x[3])};
#endif
}
inline V128 I32x4RelaxedTruncF64x2SZero(V128 a) {
#if EMBER_SIMD_SSE2
  return (V128)_mm_cvttpd_epi32(md(a));
#else
  f64x2 x = (f64x2)a;
  return (V128)i32x4{cvtt_s32(x[0]), cvtt_s32(x[1]), 0, 0};
#endif
}
inline V128 I32x4RelaxedTruncF32x4U(V128 a) {
  return I32x4TruncSatF32x4U(a);
}
inline V128 I32x4RelaxedTruncF64x2UZero(V128 a) {
  return I32x4TruncSatF64x2UZero(a);
}

// Multiply-add, unfused (two roundings), in both modes: the fused form has
// no fast path on the baseline target. The build is ISO C++, so the
// compiler does not contract `a * b + c` either.
inline V128 F32x4RelaxedMadd(V128 a, V128 b, V128 c) {
  return (V128)((f32x4)a * (f32x4)b + (f32x4)c);
}
inline V128 F32x4RelaxedNmadd(V128 a, V128 b, V128 c) {
  return (V128)(-(f32x4)a * (f32x4)b + (f32x4)c);
}
inline V128 F64x2RelaxedMadd(V128 a, V128 b, V128 c) {
  return (V128)((f64x2)a * (f64x2)b + (f64x2)c);
}
inline V128 F64x2RelaxedNmadd(V128 a, V128 b, V128 c) {
  return (V128)(-(f64x2)a * (f64x2)b + (f64x2)c);
}

inline V128 I8x16RelaxedLaneselect(V128 a, V128 b, V128 m) {
  return V128Bitselect(a, b, m);
}
inline V128 I16x8RelaxedLaneselect(V128 a, V128 b, V128 m) {
  return V128Bitselect(a, b, m);
}
inline V128 I32x4RelaxedLaneselect(V128 a, V128 b, V128 m) {
  return V128Bitselect(a, b, m);
}
inline V128 I64x2RelaxedLaneselect(V128 a, V128 b, V128 m) {
  return V128Bitselect(a, b, m);
}

// minps/maxps rule: the second operand when either is NaN or both are zero.
EMBER_V_BIN(F32x4RelaxedMin, f32x4, a < b ? a : b)
EMBER_V_BIN(F32x4RelaxedMax, f32x4, a > b ? a : b)
EMBER_V_BIN(F64x2RelaxedMin, f64x2, a < b ? a : b)
EMBER_V_BIN(F64x2RelaxedMax, f64x2, a > b ? a : b)

// The pmulhrsw rule: like q15mulr_sat_s but -32768 * -32768 wraps to -32768
// (the same on every build: the fallback computes it exactly).
inline V128 I16x8RelaxedQ15mulrS(V128 a, V128 b) {
#if EMBER_SIMD_SSSE3
  return (V128)_mm_mulhrs_epi16(mi(a), mi(b));
#elif EMBER_SIMD_SSE2
  __m128i lo = _mm_mullo_epi16(mi(a), mi(b)), hi = _mm_mulhi_epi16(mi(a), mi(b));
  __m128i round = _mm_set1_epi32(0x4000);
  __m128i p0 = _mm_srai_epi32(_mm_add_epi32(_mm_unpacklo_epi16(lo, hi), round), 15);
  __m128i p1 = _mm_srai_epi32(_mm_add_epi32(_mm_unpackhi_epi16(lo, hi), round), 15);
  // Keep the low 16 bits of each 32-bit lane (wrapping), then pack them.
  p0 = _mm_srai_epi32(_mm_slli_epi32(p0, 16), 16);
  p1 = _mm_srai_epi32(_mm_slli_epi32(p1, 16), 16);
  return (V128)_mm_packs_epi32(p0, p1);
#else
  i16x8 x = (i16x8)a, y = (i16x8)b;
  u16x8 r;
  for (int i = 0; i < 8; i++) r[i] = uint16_t((int32_t(x[i]) * y[i] + 0x4000) >> 15);
  return (V128)r;
#endif
}

// Dot products of i8 pairs, both operands signed (as the deterministic
// profile), summed in wrapping i16 lanes.
inline V128 I16x8RelaxedDotI8x16I7x16S(V128 a, V128 b) {
  i16x8 x = (i16x8)a, y = (i16x8)b;
  u16x8 even = (u16x8)((i16x8)(x << 8) >> 8) * (u16x8)((i16x8)(y << 8) >> 8);
  u16x8 odd = (u16x8)(x >> 8) * (u16x8)(y >> 8);
  return (V128)(even + odd);
}
inline V128 I32x4RelaxedDotI8x16I7x16AddS(V128 a, V128 b, V128 c) {
  V128 pairs = I16x8RelaxedDotI8x16I7x16S(a, b);
  return (V128)((u32x4)I32x4ExtaddPairwiseI16x8S(pairs) + (u32x4)c);
}

#undef EMBER_V_UN
#undef EMBER_V_BIN

}  // namespace ember::EMBER_SIMD_NS
