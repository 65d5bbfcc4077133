/* Matrix multiply: dense double-precision C = A * B in i-k-j order (row
 * streaming), then an integer matrix product with i-j-k order and a
 * transposed operand. Exercises address arithmetic and loads in loops. */
#include <string.h>
#include "bench.h"

int main(int argc, char **argv) {
  long n = bench_size(argc, argv, 864);
  double *a = malloc(sizeof(double) * n * n);
  double *b = malloc(sizeof(double) * n * n);
  double *c = calloc((size_t)(n * n), sizeof(double));
  uint32_t *ia = malloc(sizeof(uint32_t) * n * n);
  uint32_t *ibt = malloc(sizeof(uint32_t) * n * n);
  if (!a || !b || !c || !ia || !ibt) return 1;
  bench_rng r = {42};
  for (long i = 0; i < n * n; i++) {
    a[i] = (double)(rng_next(&r) % 2001) / 1000.0 - 1.0;
    b[i] = (double)(rng_next(&r) % 2001) / 1000.0 - 1.0;
    ia[i] = (uint32_t)rng_next(&r);
    ibt[i] = (uint32_t)rng_next(&r);
  }
  for (long i = 0; i < n; i++)
    for (long k = 0; k < n; k++) {
      double aik = a[i * n + k];
      for (long j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  uint64_t sum = 0;
  for (long i = 0; i < n * n; i++) {
    uint64_t bits;
    memcpy(&bits, &c[i], 8);
    sum = mix64(sum, bits);
  }
  for (long i = 0; i < n; i++)
    for (long j = 0; j < n; j++) {
      uint32_t acc = 0;
      for (long k = 0; k < n; k++) acc += ia[i * n + k] * ibt[j * n + k];
      sum = mix64(sum, acc);
    }
  bench_report("matmul", sum);
  return 0;
}
