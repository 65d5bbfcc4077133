/* Floating point: escape-time iteration of z = z^2 + c over a grid of the
 * complex plane, in double precision. The checksum folds every iteration
 * count, so a single differing rounding would show. */
#include "bench.h"

int main(int argc, char **argv) {
  long size = bench_size(argc, argv, 1800);
  const int max_iter = 200;
  uint64_t sum = 0;
  uint64_t inside = 0;
  for (long py = 0; py < size; py++) {
    double ci = -1.25 + 2.5 * (double)py / (double)size;
    uint32_t row = 0;
    for (long px = 0; px < size; px++) {
      double cr = -2.2 + 3.0 * (double)px / (double)size;
      double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0;
      int it = 0;
      while (it < max_iter && zr2 + zi2 <= 4.0) {
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        it++;
      }
      if (it == max_iter) inside++;
      row = row * 31u + (uint32_t)it;
    }
    sum = mix64(sum, row);
  }
  bench_report("mandel", mix64(sum, inside));
  return 0;
}
