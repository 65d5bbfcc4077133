/* Deep recursion: the doubly recursive Fibonacci function, plus a
 * three-argument recursive function that calls itself in its arguments.
 * Measures call and return cost with shallow frames. */
#include "bench.h"

static uint32_t fib(uint32_t n) {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}

/* Nested-call recursion in the style of Takeuchi's function. */
static int32_t nest(int32_t x, int32_t y, int32_t z) {
  if (y >= x) return z;
  return nest(nest(x - 1, y, z), nest(y - 1, z, x), nest(z - 1, x, y));
}

int main(int argc, char **argv) {
  long n = bench_size(argc, argv, 40);
  uint64_t sum = fib((uint32_t)n);
  int32_t t = (int32_t)(n / 2);
  sum = mix64(sum, (uint64_t)(uint32_t)nest(t, t / 2, 0));
  bench_report("fib", sum);
  return 0;
}
