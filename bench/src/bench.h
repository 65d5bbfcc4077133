/* Shared helpers for Ember's benchmark programs.
 *
 * Every program takes one optional argument, a size parameter whose meaning
 * is its own (iterations, elements, ...); without it the full size is used.
 * Every program prints a single line "<name> <checksum>" so the harness can
 * compare the result of each engine with the native build of the same
 * source. Only integer arithmetic and IEEE basic operations (no libm beyond
 * sqrt) feed the checksums, so wasm and native agree bit for bit.
 */
#ifndef EMBER_BENCH_H
#define EMBER_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline long bench_size(int argc, char **argv, long full) {
  if (argc < 2) return full;
  long n = strtol(argv[1], NULL, 10);
  if (n <= 0) {
    fprintf(stderr, "size must be a positive integer\n");
    exit(2);
  }
  return n;
}

/* A 64-bit xorshift-multiply generator: deterministic input data. */
typedef struct { uint64_t s; } bench_rng;

static inline uint64_t rng_next(bench_rng *r) {
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* FNV-1a over bytes, and a 64-bit mixing step for folding words. */
static inline uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

static inline uint64_t mix64(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

static inline void bench_report(const char *name, uint64_t sum) {
  printf("%s %016llx\n", name, (unsigned long long)sum);
}

#endif
