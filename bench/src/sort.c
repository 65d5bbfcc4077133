/* Sorting: an introspective-free quicksort (median of three, insertion sort
 * for short ranges), a bottom-up merge sort and a heap sort over the same
 * pseudo-random 32-bit keys; each result is verified and hashed. */
#include <string.h>
#include "bench.h"

static void insertion(uint32_t *a, long lo, long hi) {
  for (long i = lo + 1; i <= hi; i++) {
    uint32_t v = a[i];
    long j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void quick(uint32_t *a, long lo, long hi) {
  while (hi - lo > 16) {
    long mid = lo + (hi - lo) / 2;
    uint32_t x = a[lo], y = a[mid], z = a[hi];
    uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) {
        uint32_t t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    /* Recurse into the smaller side, loop on the larger. */
    if (j - lo < hi - i) {
      quick(a, lo, j);
      lo = i;
    } else {
      quick(a, i, hi);
      hi = j;
    }
  }
  insertion(a, lo, hi);
}

static void merge_sort(uint32_t *a, uint32_t *tmp, long n) {
  for (long width = 1; width < n; width *= 2) {
    for (long lo = 0; lo < n; lo += 2 * width) {
      long mid = lo + width < n ? lo + width : n;
      long hi = lo + 2 * width < n ? lo + 2 * width : n;
      long i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
      while (i < mid) tmp[k++] = a[i++];
      while (j < hi) tmp[k++] = a[j++];
    }
    uint32_t *t = a; a = tmp; tmp = t;
  }
  /* After an odd number of passes the result sits in the scratch array. */
  long passes = 0;
  for (long w = 1; w < n; w *= 2) passes++;
  if (passes & 1) memcpy(tmp, a, sizeof(uint32_t) * n);
}

static void sift(uint32_t *a, long root, long n) {
  uint32_t v = a[root];
  for (;;) {
    long child = 2 * root + 1;
    if (child >= n) break;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[child] <= v) break;
    a[root] = a[child];
    root = child;
  }
  a[root] = v;
}

static void heap_sort(uint32_t *a, long n) {
  for (long i = n / 2 - 1; i >= 0; i--) sift(a, i, n);
  for (long end = n - 1; end > 0; end--) {
    uint32_t t = a[0]; a[0] = a[end]; a[end] = t;
    sift(a, 0, end);
  }
}

static uint64_t check(const char *what, const uint32_t *a, long n) {
  for (long i = 1; i < n; i++)
    if (a[i - 1] > a[i]) {
      printf("%s: not sorted at %ld\n", what, i);
      exit(1);
    }
  return fnv1a(FNV_INIT, a, sizeof(uint32_t) * n);
}

int main(int argc, char **argv) {
  long n = bench_size(argc, argv, 1200000);
  uint32_t *orig = malloc(sizeof(uint32_t) * n);
  uint32_t *a = malloc(sizeof(uint32_t) * n);
  uint32_t *tmp = malloc(sizeof(uint32_t) * n);
  if (!orig || !a || !tmp) return 1;
  bench_rng r = {2024};
  for (long i = 0; i < n; i++) orig[i] = (uint32_t)(rng_next(&r) >> 20) * 977u;
  uint64_t sum = 0;
  memcpy(a, orig, sizeof(uint32_t) * n);
  quick(a, 0, n - 1);
  sum = mix64(sum, check("quick", a, n));
  memcpy(a, orig, sizeof(uint32_t) * n);
  merge_sort(a, tmp, n);
  sum = mix64(sum, check("merge", a, n));
  memcpy(a, orig, sizeof(uint32_t) * n);
  heap_sort(a, n);
  sum = mix64(sum, check("heap", a, n));
  bench_report("sort", sum);
  return 0;
}
