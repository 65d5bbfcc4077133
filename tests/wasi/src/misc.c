/* Clocks (incl. CPU time), sleeping through poll_oneoff, poll() on stdin,
 * sched_yield, random, and an exit code from argv[1]. */
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c) {
  struct timespec t;
  if (clock_gettime(c, &t) != 0) return -1;
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char** argv) {
  struct timespec res;
  printf("res monotonic ok=%d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_nsec > 0);
  /* CPU-time clocks: on stderr (not every runtime provides them). */
  fprintf(stderr, "cputime ok=%d\n", ns(CLOCK_PROCESS_CPUTIME_ID) >= 0 && ns(CLOCK_THREAD_CPUTIME_ID) >= 0);
  long long t0 = ns(CLOCK_MONOTONIC);
  struct timespec nap = {0, 30 * 1000 * 1000};
  nanosleep(&nap, NULL);
  long long slept = ns(CLOCK_MONOTONIC) - t0;
  printf("slept >= 30ms: %d\n", slept >= 30000000LL);
  struct pollfd p = {0, POLLIN, 0};
  int r = poll(&p, 1, 1000);
  printf("poll stdin: r=%d readable=%d\n", r, (p.revents & POLLIN) != 0);
  char line[64] = {0};
  if (fgets(line, sizeof line, stdin)) printf("stdin: %s", line);
  printf("sched_yield=%d\n", sched_yield());
  unsigned char b[16];
  printf("getentropy=%d\n", getentropy(b, sizeof b));
  fflush(stdout);
  int code = argc > 1 ? atoi(argv[1]) : 0;
  if (argc > 2 && strcmp(argv[2], "exit") == 0) exit(code); /* proc_exit from inside */
  return code;
}
