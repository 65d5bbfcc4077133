/* Hash table: open addressing with linear probing over 64-bit keys, with
 * inserts, updates, lookups that hit and miss, and deletions with backward
 * shift (no tombstones). Random access over a table of a few MiB. */
#include "bench.h"

typedef struct {
  uint64_t *keys; /* 0 means empty */
  uint32_t *vals;
  uint32_t mask;
  uint32_t count;
} table_t;

static uint32_t slot_of(const table_t *t, uint64_t key) {
  uint64_t h = key * 0x9E3779B97F4A7C15ULL;
  return (uint32_t)(h >> 40) & t->mask;
}

static void put(table_t *t, uint64_t key, uint32_t add) {
  uint32_t i = slot_of(t, key);
  while (t->keys[i] != 0 && t->keys[i] != key) i = (i + 1) & t->mask;
  if (t->keys[i] == 0) {
    t->keys[i] = key;
    t->vals[i] = 0;
    t->count++;
  }
  t->vals[i] += add;
}

static int get(const table_t *t, uint64_t key, uint32_t *out) {
  uint32_t i = slot_of(t, key);
  while (t->keys[i] != 0) {
    if (t->keys[i] == key) {
      *out = t->vals[i];
      return 1;
    }
    i = (i + 1) & t->mask;
  }
  return 0;
}

static void del(table_t *t, uint64_t key) {
  uint32_t i = slot_of(t, key);
  while (t->keys[i] != key) {
    if (t->keys[i] == 0) return;
    i = (i + 1) & t->mask;
  }
  /* Shift later members of the probe run back into the hole. */
  uint32_t hole = i;
  for (uint32_t j = (i + 1) & t->mask; t->keys[j] != 0; j = (j + 1) & t->mask) {
    uint32_t home = slot_of(t, t->keys[j]);
    if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
      t->keys[hole] = t->keys[j];
      t->vals[hole] = t->vals[j];
      hole = j;
    }
  }
  t->keys[hole] = 0;
  t->count--;
}

int main(int argc, char **argv) {
  long ops = bench_size(argc, argv, 16000000);
  table_t t;
  t.mask = (1u << 19) - 1;
  t.count = 0;
  t.keys = calloc(t.mask + 1, sizeof(uint64_t));
  t.vals = calloc(t.mask + 1, sizeof(uint32_t));
  if (!t.keys || !t.vals) return 1;
  bench_rng r = {99};
  uint64_t sum = 0, hits = 0;
  for (long k = 0; k < ops; k++) {
    uint64_t x = rng_next(&r);
    /* Keys from a range of about 300k values keep the load near 0.5. */
    uint64_t key = 1 + (x >> 8) % 300000;
    uint32_t v;
    switch (x & 7) {
      case 0: case 1: case 2:
        put(&t, key, (uint32_t)k);
        break;
      case 3: case 4: case 5:
        if (get(&t, key, &v)) {
          hits++;
          sum += v;
        }
        break;
      case 6:
        if (get(&t, key + 1000000, &v)) sum ^= v; /* always misses */
        break;
      default:
        del(&t, key);
        break;
    }
  }
  for (uint32_t i = 0; i <= t.mask; i++)
    if (t.keys[i]) sum = mix64(sum, t.keys[i] ^ ((uint64_t)t.vals[i] << 32));
  sum = mix64(mix64(sum, hits), t.count);
  bench_report("hashtab", sum);
  return 0;
}
