/* Cellular automaton: Conway's rules on a 384x384 torus stored one byte per
 * cell, neighbour counts from three row pointers, generation after
 * generation with two buffers. Byte loads and stores with small offsets. */
#include <string.h>
#include "bench.h"

#define W 384
#define H 384

int main(int argc, char **argv) {
  long gens = bench_size(argc, argv, 600);
  static unsigned char a[H][W], b[H][W];
  bench_rng r = {555};
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) a[y][x] = (rng_next(&r) % 100) < 30;
  unsigned char (*cur)[W] = a, (*next)[W] = b;
  uint64_t sum = 0;
  for (long g = 0; g < gens; g++) {
    for (int y = 0; y < H; y++) {
      const unsigned char *up = cur[(y + H - 1) % H];
      const unsigned char *mid = cur[y];
      const unsigned char *dn = cur[(y + 1) % H];
      for (int x = 0; x < W; x++) {
        int l = x == 0 ? W - 1 : x - 1;
        int rr = x == W - 1 ? 0 : x + 1;
        int n = up[l] + up[x] + up[rr] + mid[l] + mid[rr] + dn[l] + dn[x] + dn[rr];
        next[y][x] = (unsigned char)(n == 3 || (n == 2 && mid[x]));
      }
    }
    unsigned char (*t)[W] = cur; cur = next; next = t;
    /* Keep the board busy: seed a glider-like pattern every 64 generations. */
    if ((g & 63) == 63) {
      int y0 = (int)(rng_next(&r) % (H - 3)), x0 = (int)(rng_next(&r) % (W - 3));
      cur[y0][x0 + 1] = 1; cur[y0 + 1][x0 + 2] = 1;
      cur[y0 + 2][x0] = 1; cur[y0 + 2][x0 + 1] = 1; cur[y0 + 2][x0 + 2] = 1;
    }
    if ((g & 15) == 0) {
      uint32_t live = 0;
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) live += cur[y][x];
      sum = mix64(sum, live);
    }
  }
  sum = fnv1a(sum, cur, sizeof(a));
  bench_report("life", sum);
  return 0;
}
