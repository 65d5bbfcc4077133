/* A small WASI command for the CLI and Python tests.
 *   echo [ARGS...]          prints argv (argv[0] included) and the whole
 *                           environment, copies stdin to stdout, writes one
 *                           line to stderr; exits with $EXIT_CODE (default 0)
 *   echo cat PATH...        prints each file
 *   echo write PATH TEXT    creates or truncates PATH holding TEXT
 *   echo ls DIR             lists DIR, sorted
 *   echo trap               executes `unreachable` */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static int cat(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) {
    perror(path);
    return 1;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  return 0;
}

static int cmp(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static int ls(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) {
    perror(dir);
    return 1;
  }
  char* names[256];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 256) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  for (int i = 0; i < n; ++i) printf("%s\n", names[i]);
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "cat") == 0) {
    int bad = 0;
    for (int i = 2; i < argc; ++i) bad |= cat(argv[i]);
    return bad;
  }
  if (argc == 4 && strcmp(argv[1], "write") == 0) {
    FILE* f = fopen(argv[2], "w");
    if (!f) {
      perror(argv[2]);
      return 1;
    }
    fputs(argv[3], f);
    return fclose(f) == 0 ? 0 : 1;
  }
  if (argc == 3 && strcmp(argv[1], "ls") == 0) return ls(argv[2]);
  if (argc == 2 && strcmp(argv[1], "trap") == 0) __builtin_trap();
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  for (char** e = environ; *e; ++e) printf("env %s\n", *e);
  char buf[4096];
  size_t n, total = 0;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    fwrite(buf, 1, n, stdout);
    total += n;
  }
  printf("stdin bytes=%zu\n", total);
  fflush(stdout);
  fprintf(stderr, "to stderr\n");
  const char* code = getenv("EXIT_CODE");
  return code ? atoi(code) : 0;
}
