/* Tight integer loops: Collatz trajectories of every start value below a
 * bound (data-dependent branches, 64-bit shifts and multiplies), then a
 * loop of integer divisions computing digit sums. No memory traffic. */
#include "bench.h"

int main(int argc, char **argv) {
  long limit = bench_size(argc, argv, 2000000);
  uint64_t total_steps = 0, best_start = 1, best_len = 0;
  for (uint64_t start = 1; start < (uint64_t)limit; start++) {
    uint64_t x = start, steps = 0;
    while (x != 1) {
      x = (x & 1) ? 3 * x + 1 : x >> 1;
      steps++;
    }
    total_steps += steps;
    if (steps > best_len) {
      best_len = steps;
      best_start = start;
    }
  }
  uint32_t digits = 0;
  for (uint32_t v = 1; v < (uint32_t)limit * 4u; v += 3) {
    uint32_t w = v;
    while (w) {
      digits += w % 10;
      w /= 10;
    }
  }
  uint64_t sum = mix64(mix64(mix64(0, total_steps), best_start), best_len);
  bench_report("collatz", mix64(sum, digits));
  return 0;
}
