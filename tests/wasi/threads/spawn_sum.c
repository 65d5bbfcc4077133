/* spawn_sum.wat's computation with real pthreads, built natively by
 * tests/python/test_wasi_threads.py: 4 threads each sum k*k over a range of
 * 500000 numbers, adding 1 to a shared atomic counter for every k; the main
 * thread waits until all are done, then prints each sum, the total and the
 * counter. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 4
#define PER_THREAD 500000

struct range {
  int index;
  uint64_t lo, hi;
};

static uint64_t sums[THREADS];
static uint32_t counter;

static void* work(void* p) {
  const struct range* r = p;
  uint64_t sum = 0;
  for (uint64_t k = r->lo; k < r->hi; k++) {
    sum += k * k;
    __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
  }
  sums[r->index] = sum;
  return NULL;
}

int main(void) {
  pthread_t threads[THREADS];
  struct range ranges[THREADS];
  for (int i = 0; i < THREADS; i++) {
    ranges[i] = (struct range){i, (uint64_t)i * PER_THREAD + 1, (uint64_t)(i + 1) * PER_THREAD + 1};
    if (pthread_create(&threads[i], NULL, work, &ranges[i]) != 0) {
      fputs("thread-spawn failed\n", stdout);
      return 1;
    }
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  uint64_t total = 0;
  for (int i = 0; i < THREADS; i++) {
    total += sums[i];
    printf("thread %d: sum=%llu\n", i, (unsigned long long)sums[i]);
  }
  printf("total=%llu counter=%u\n", (unsigned long long)total, counter);
  return 0;
}
