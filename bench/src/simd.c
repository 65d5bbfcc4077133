/* Vector-friendly kernels, built for wasm with -msimd128 so the compiler's
 * auto-vectoriser emits v128 code (natively it uses SSE from the same
 * source): an i16 dot product, a sum of absolute byte differences, an
 * elementwise f32 a*x+y and an i32 clamp-and-shift, over arrays that stay in
 * cache. Every reduction is in integers and every float operation is
 * elementwise, so vectorised and scalar builds agree bit for bit. */
#include <string.h>
#include "bench.h"

#define N 4096

static int16_t a16[N], b16[N];
static uint8_t p8[N], q8[N];
static float x32[N], y32[N];
static int32_t s32[N], t32[N];

static int32_t dot16(void) {
  int32_t acc = 0;
  for (int i = 0; i < N; i++) acc += (int32_t)a16[i] * (int32_t)b16[i];
  return acc;
}

static uint32_t sad8(void) {
  uint32_t acc = 0;
  for (int i = 0; i < N; i++) {
    int d = (int)p8[i] - (int)q8[i];
    acc += (uint32_t)(d < 0 ? -d : d);
  }
  return acc;
}

static void axpy(float alpha) {
  for (int i = 0; i < N; i++) y32[i] = alpha * x32[i] + y32[i];
}

static void clamp_shift(int32_t lo, int32_t hi) {
  for (int i = 0; i < N; i++) {
    int32_t v = s32[i] + t32[i];
    v = v < lo ? lo : v > hi ? hi : v;
    t32[i] = v >> 1;
  }
}

int main(int argc, char **argv) {
  long reps = bench_size(argc, argv, 80000);
  bench_rng r = {7};
  for (int i = 0; i < N; i++) {
    a16[i] = (int16_t)(rng_next(&r) & 0xFFFF);
    b16[i] = (int16_t)(rng_next(&r) & 0xFFFF);
    p8[i] = (uint8_t)rng_next(&r);
    q8[i] = (uint8_t)rng_next(&r);
    x32[i] = (float)(rng_next(&r) % 2001) / 1000.0f - 1.0f;
    y32[i] = (float)(rng_next(&r) % 2001) / 1000.0f - 1.0f;
    s32[i] = (int32_t)(rng_next(&r) % 200001) - 100000;
    t32[i] = (int32_t)(rng_next(&r) % 200001) - 100000;
  }
  uint64_t h = FNV_INIT;
  for (long k = 0; k < reps; k++) {
    h = mix64(h, (uint32_t)dot16());
    h = mix64(h, sad8());
    axpy(k & 1 ? 0.5f : -0.25f);
    clamp_shift(-70000, 70000);
    a16[k % N] ^= (int16_t)k;  /* keep each round's inputs different */
    p8[(k * 7) % N] += (uint8_t)k;
  }
  h = fnv1a(h, y32, sizeof y32);
  h = fnv1a(h, t32, sizeof t32);
  bench_report("simd", h);
  return 0;
}
