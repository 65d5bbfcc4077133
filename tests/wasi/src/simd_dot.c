// SIMD test and benchmark program: dot products written with the wasm SIMD
// intrinsics (f32x4 multiply-add, i32x4.dot_i16x8_s, i8x16 widening
// multiplies, shuffles for the horizontal sums), each checked against a
// plain scalar loop. The inputs are small integers, so every float sum is
// exact and the output is the same whatever the summation order.
//   simd_dot [REPS]   (default 20) prints the sums and "ok", exits 0 when
//                     every SIMD result matches its scalar reference.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <wasm_simd128.h>

#define N 4096

static float xs[N], ys[N];
static int16_t as[N], bs[N];
static int8_t cs[N], ds[N];

static float hsum_f32x4(v128_t v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

static int32_t hsum_i32x4(v128_t v) {
  v = wasm_i32x4_add(v, wasm_i64x2_shuffle(v, v, 1, 0));
  v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_i32x4_extract_lane(v, 0);
}

static float dot_f32(const float* a, const float* b, int n) {
  v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  float s = hsum_f32x4(wasm_f32x4_add(acc0, acc1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

static int32_t dot_i16(const int16_t* a, const int16_t* b, int n) {
  v128_t acc = wasm_i32x4_splat(0);
  int i = 0;
  for (; i + 8 <= n; i += 8)
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  int32_t s = hsum_i32x4(acc);
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

static int32_t dot_i8(const int8_t* a, const int8_t* b, int n) {
  v128_t acc = wasm_i32x4_splat(0);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(b + i);
    v128_t lo = wasm_i16x8_extmul_low_i8x16(x, y), hi = wasm_i16x8_extmul_high_i8x16(x, y);
    acc = wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(lo));
    acc = wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(hi));
  }
  int32_t s = hsum_i32x4(acc);
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

// References: kept scalar so they check the SIMD kernels.
#define SCALAR_LOOP _Pragma("clang loop vectorize(disable) interleave(disable)")

static float ref_f32(const float* a, const float* b, int n) {
  float s = 0;
  SCALAR_LOOP for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static int32_t ref_int(const int16_t* a, const int16_t* b, const int8_t* c, const int8_t* d, int n,
                       int32_t* i8_sum) {
  int32_t s = 0, t = 0;
  SCALAR_LOOP for (int i = 0; i < n; i++) {
    s += a[i] * b[i];
    t += c[i] * d[i];
  }
  *i8_sum = t;
  return s;
}

int main(int argc, char** argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 20;
  for (int i = 0; i < N; i++) {
    xs[i] = (float)(i % 17 - 8);
    ys[i] = (float)(i % 13 - 6);
    as[i] = (int16_t)((i * 7919) % 2001 - 1000);
    bs[i] = (int16_t)((i * 104729) % 3001 - 1500);
    cs[i] = (int8_t)((i * 31) % 256 - 128);
    ds[i] = (int8_t)((i * 17) % 255 - 127);
  }
  float f = 0;
  int32_t h = 0, b = 0;
  uint32_t checksum = 0;
  // Read through volatile pointers: every repetition really runs.
  float* volatile vx = xs;
  int16_t* volatile va = as;
  int8_t* volatile vc = cs;
  for (int r = 0; r < reps; r++) {
    // An odd length exercises the scalar tails too.
    f = dot_f32(vx, ys, N - r % 3);
    h = dot_i16(va, bs, N - r % 3);
    b = dot_i8(vc, ds, N - r % 3);
    checksum = checksum * 31 + (uint32_t)(int32_t)f + (uint32_t)h + (uint32_t)b;
  }
  int n = N - (reps - 1) % 3;
  int32_t rb;
  int32_t rh = ref_int(as, bs, cs, ds, n, &rb);
  float rf = ref_f32(xs, ys, n);
  printf("f32 dot: %d (scalar %d)\n", (int)f, (int)rf);
  printf("i16 dot: %d (scalar %d)\n", (int)h, (int)rh);
  printf("i8 dot: %d (scalar %d)\n", (int)b, (int)rb);
  printf("checksum over %d repetitions: %u\n", reps, (unsigned)checksum);
  int ok = f == rf && h == rh && b == rb;
  puts(ok ? "ok" : "MISMATCH");
  return ok ? 0 : 1;
}
