/* Crypto-style bit twiddling: a 512-bit add-rotate-xor permutation on
 * sixteen 32-bit words, a message expansion with shifted and rotated
 * mixing, a compression step with choice/majority boolean functions, and a
 * 64-bit lane mixer. The constants and rotation amounts are arbitrary
 * choices of ours; this is a workload, not a cipher. */
#include <string.h>
#include "bench.h"

static inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline void quad(uint32_t *s, int a, int b, int c, int d) {
  s[a] += s[b]; s[d] = rotl32(s[d] ^ s[a], 11);
  s[c] += s[d]; s[b] = rotl32(s[b] ^ s[c], 5);
  s[a] += s[b]; s[d] = rotl32(s[d] ^ s[a], 19);
  s[c] += s[d]; s[b] = rotl32(s[b] ^ s[c], 3);
}

static void permute(uint32_t s[16], int rounds) {
  for (int r = 0; r < rounds; r++) {
    quad(s, 0, 5, 10, 15);
    quad(s, 1, 6, 11, 12);
    quad(s, 2, 7, 8, 13);
    quad(s, 3, 4, 9, 14);
    quad(s, 0, 4, 8, 12);
    quad(s, 1, 5, 9, 13);
    quad(s, 2, 6, 10, 14);
    quad(s, 3, 7, 11, 15);
    s[r & 15] ^= 0x6b43a9b5u + (uint32_t)r;
  }
}

static void compress(uint32_t h[8], const uint32_t block[16]) {
  uint32_t w[48];
  memcpy(w, block, 64);
  for (int i = 16; i < 48; i++)
    w[i] = rotl32(w[i - 3] ^ w[i - 9], 7) + (w[i - 13] >> 3) + rotl32(w[i - 16], 13);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 48; i++) {
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t1 = k + (rotl32(e, 9) ^ rotl32(e, 20) ^ (e >> 4)) + ch + w[i] + 0x3c6ef372u * (uint32_t)(i + 1);
    uint32_t t2 = (rotl32(a, 3) ^ rotl32(a, 15) ^ rotl32(a, 27)) + maj;
    k = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d;
  h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static uint64_t lanes(uint64_t v[4], uint64_t m) {
  v[0] += m; v[1] ^= rotl64(v[0], 17);
  v[2] += v[1]; v[3] ^= rotl64(v[2], 41);
  v[0] += v[3]; v[1] = rotl64(v[1], 29) + v[0];
  v[2] ^= v[1] * 0xff51afd7ed558ccdULL; v[3] += rotl64(v[2], 7);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int main(int argc, char **argv) {
  long blocks = bench_size(argc, argv, 1100000);
  uint32_t state[16], h[8];
  uint64_t v[4] = {1, 2, 3, 4};
  for (int i = 0; i < 16; i++) state[i] = 0x01000193u * (uint32_t)(i + 1);
  for (int i = 0; i < 8; i++) h[i] = 0x9e3779b9u ^ (uint32_t)(i * 0x85ebca6bu);
  uint64_t acc = 0;
  for (long n = 0; n < blocks; n++) {
    state[0] ^= (uint32_t)n;
    permute(state, 10);
    compress(h, state);
    acc ^= lanes(v, ((uint64_t)h[n & 7] << 32) | state[n & 15]);
  }
  uint64_t sum = acc;
  for (int i = 0; i < 8; i++) sum = mix64(sum, h[i]);
  for (int i = 0; i < 16; i++) sum = mix64(sum, state[i]);
  bench_report("arx", sum);
  return 0;
}
