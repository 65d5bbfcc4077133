/* The "must show" program: lists and reads the files of the preopened
 * directory holding INPUT, combines INPUT with argv, the environment and
 * stdin, writes a result file, and checks clocks and random. stdout and the
 * result file are deterministic: of clock values and random bytes only
 * properties are printed.
 * Usage: report INPUT OUTPUT EXIT_CODE   (directory preopened as "/data") */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned checksum(const char* s, size_t n) {
  unsigned h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static int by_name(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s INPUT OUTPUT EXIT_CODE\n", argv[0]);
    return 2;
  }
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  const char* greeting = getenv("GREETING");
  printf("GREETING=%s\n", greeting ? greeting : "(unset)");
  printf("MISSING=%s\n", getenv("MISSING") ? "set" : "(unset)");

  /* Every regular file beside INPUT, in name order. */
  char dir[256];
  snprintf(dir, sizeof dir, "%s", argv[1]);
  char* slash = strrchr(dir, '/');
  if (slash) *(slash == dir ? slash + 1 : slash) = 0;
  else strcpy(dir, ".");
  DIR* d = opendir(dir);
  if (!d) { perror("open directory"); return 3; }
  char* names[64];
  int count = 0;
  struct dirent* ent;
  while ((ent = readdir(d)) && count < 64) {
    if (ent->d_name[0] != '.') names[count++] = strdup(ent->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof names[0], by_name);
  printf("%s: %d entries\n", dir, count);
  for (int i = 0; i < count; ++i) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    struct stat st;
    if (stat(path, &st) != 0) { printf("  %s: cannot stat\n", names[i]); continue; }
    if (S_ISDIR(st.st_mode)) { printf("  %s/\n", names[i]); continue; }
    FILE* f = fopen(path, "rb");
    if (!f) { printf("  %s: cannot open\n", names[i]); continue; }
    char data[4096];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    printf("  %s: %zu bytes, checksum %08x\n", names[i], len, checksum(data, len));
  }
  for (int i = 0; i < count; ++i) free(names[i]);

  FILE* in = fopen(argv[1], "r");
  if (!in) { perror("open input"); return 3; }
  char line[256];
  int lines = 0;
  long total = 0;
  while (fgets(line, sizeof line, in)) {
    ++lines;
    total += strtol(line, NULL, 10);
  }
  fclose(in);
  printf("input lines=%d sum=%ld\n", lines, total);

  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf, stdin);
  printf("stdin bytes=%zu checksum=%08x\n", n, checksum(buf, n));

  struct timespec a, b, r;
  clock_gettime(CLOCK_MONOTONIC, &a);
  clock_gettime(CLOCK_MONOTONIC, &b);
  clock_gettime(CLOCK_REALTIME, &r);
  printf("monotonic ok=%d realtime after 2020=%d\n",
         (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)),
         r.tv_sec > 1577836800);
  unsigned char rnd[32];
  arc4random_buf(rnd, sizeof rnd);
  int nonzero = 0;
  for (int i = 0; i < 32; ++i) nonzero += rnd[i] != 0;
  printf("random ok=%d\n", nonzero > 16);

  FILE* out = fopen(argv[2], "w");
  if (!out) { perror("open output"); return 4; }
  fprintf(out, "lines %d\nsum %ld\nstdin %zu\ngreeting %s\n", lines, total, n,
          greeting ? greeting : "");
  fclose(out);
  printf("wrote %s\n", argv[2]);
  fflush(stdout);
  return atoi(argv[3]);
}
