/* Memory-bound copying: block copies between two buffers of up to 4 MiB
 * with the C library (memcpy, memmove over overlapping ranges, memset), a
 * hand-written word loop with a stride, and a byte-wise rotation. Checksum:
 * FNV-1a of the final buffers. The size is the number of passes; the
 * buffers shrink with it (64 KiB per pass, a power of two, at least 128 KiB)
 * so that a tiny run stays tiny. */
#include <string.h>
#include "bench.h"

int main(int argc, char **argv) {
  long passes = bench_size(argc, argv, 256);
  uint32_t BUF = 128u << 10;
  while (BUF < (4u << 20) && (long)(BUF / (64u << 10)) * 2 <= passes) BUF *= 2;
  unsigned char *src = malloc(BUF), *dst = malloc(BUF);
  if (!src || !dst) return 1;
  bench_rng r = {7};
  for (uint32_t i = 0; i < BUF; i += 8) {
    uint64_t v = rng_next(&r);
    memcpy(src + i, &v, 8);
  }
  memset(dst, 0, BUF);
  for (long p = 0; p < passes; p++) {
    /* Whole-buffer copy, then block copies at pseudo-random places. */
    memcpy(dst, src, BUF);
    for (int k = 0; k < 64; k++) {
      uint32_t len = 1024 + (uint32_t)(rng_next(&r) % 32768);
      uint32_t from = (uint32_t)(rng_next(&r) % (BUF - len));
      uint32_t to = (uint32_t)(rng_next(&r) % (BUF - len));
      memmove(dst + to, dst + from, len);
    }
    /* Word loop with a stride of three words, wrapping. */
    uint32_t *ws = (uint32_t *)dst, *wd = (uint32_t *)src;
    uint32_t words = BUF / 4;
    for (uint32_t i = 0; i < words; i++) {
      uint32_t j = (i * 3u) & (words - 1);
      wd[i] = ws[j] ^ (uint32_t)p;
    }
    /* Byte-wise rotation of a 64 KiB window by a varying amount. */
    uint32_t base = (uint32_t)(rng_next(&r) % (BUF - 65536));
    uint32_t shift = 1 + (uint32_t)p % 255;
    unsigned char tmp[256];
    memcpy(tmp, src + base, shift);
    for (uint32_t i = 0; i + shift < 65536; i++) src[base + i] = src[base + i + shift];
    memcpy(src + base + 65536 - shift, tmp, shift);
    memset(dst + (p * 4096) % (BUF - 4096), (int)p, 4096);
  }
  uint64_t sum = fnv1a(FNV_INIT, src, BUF);
  sum = fnv1a(sum, dst, BUF);
  bench_report("memcopy", sum);
  return 0;
}
