// SIMD byte selection through SSSE3's pshufb when the CPU has it (see
// select_bytes in simd.hh). Only needed when the build does not already
// target SSSE3: the choice is made once, at static initialisation, so the
// dispatch loop never tests CPU features.
#include "interp/simd.hh"

#if !defined(__SSSE3__) && (defined(__x86_64__) || defined(__i386__))
#include <tmmintrin.h>
#define EMBER_SIMD_DETECT_SSSE3 1
#endif

namespace ember::simd {

#if !defined(__SSSE3__)

#if defined(EMBER_SIMD_DETECT_SSSE3)
namespace {
__attribute__((target("ssse3"))) V128 select_bytes_ssse3(V128 a, V128 b, V128 ma, V128 mb) {
  __m128i x = _mm_shuffle_epi8((__m128i)a, (__m128i)ma);
  __m128i y = _mm_shuffle_epi8((__m128i)b, (__m128i)mb);
  return (V128)_mm_or_si128(x, y);
}

SelectBytesFn choose() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("ssse3") ? select_bytes_ssse3 : select_bytes_generic;
}
}  // namespace

const SelectBytesFn select_bytes_impl = choose();
#else
const SelectBytesFn select_bytes_impl = select_bytes_generic;
#endif

#endif

}  // namespace ember::simd
