/* Floating point with division and square root: a softened gravitational
 * simulation of a few dozen particles, all pairs per step, leapfrog-style
 * update. The checksum is the exact bit pattern of the final positions. */
#include <math.h>
#include <string.h>
#include "bench.h"

#define NP 48

typedef struct {
  double x[NP], y[NP], z[NP];
  double vx[NP], vy[NP], vz[NP];
  double m[NP];
} system_t;

static double unit(bench_rng *r) {
  return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static void step(system_t *s, double dt) {
  for (int i = 0; i < NP; i++) {
    double ax = 0, ay = 0, az = 0;
    for (int j = 0; j < NP; j++) {
      if (j == i) continue;
      double dx = s->x[j] - s->x[i];
      double dy = s->y[j] - s->y[i];
      double dz = s->z[j] - s->z[i];
      double d2 = dx * dx + dy * dy + dz * dz + 0.01;
      double inv = 1.0 / (d2 * sqrt(d2));
      ax += s->m[j] * dx * inv;
      ay += s->m[j] * dy * inv;
      az += s->m[j] * dz * inv;
    }
    s->vx[i] += ax * dt;
    s->vy[i] += ay * dt;
    s->vz[i] += az * dt;
  }
  for (int i = 0; i < NP; i++) {
    s->x[i] += s->vx[i] * dt;
    s->y[i] += s->vy[i] * dt;
    s->z[i] += s->vz[i] * dt;
  }
}

int main(int argc, char **argv) {
  long steps = bench_size(argc, argv, 48000);
  static system_t s;
  bench_rng r = {0x1234567887654321ULL};
  for (int i = 0; i < NP; i++) {
    s.x[i] = unit(&r) * 10 - 5;
    s.y[i] = unit(&r) * 10 - 5;
    s.z[i] = unit(&r) * 10 - 5;
    s.vx[i] = unit(&r) - 0.5;
    s.vy[i] = unit(&r) - 0.5;
    s.vz[i] = unit(&r) - 0.5;
    s.m[i] = 0.5 + unit(&r);
  }
  for (long k = 0; k < steps; k++) step(&s, 0.001);
  uint64_t sum = 0;
  for (int i = 0; i < NP; i++) {
    uint64_t bits;
    memcpy(&bits, &s.x[i], 8); sum = mix64(sum, bits);
    memcpy(&bits, &s.y[i], 8); sum = mix64(sum, bits);
    memcpy(&bits, &s.z[i], 8); sum = mix64(sum, bits);
  }
  bench_report("nbody", sum);
  return 0;
}
