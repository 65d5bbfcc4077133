/* File-system functions in a preopened directory ("/work", empty, writable):
 * create/write/read, seek/tell, pread/pwrite, truncate, stat and times,
 * mkdir/rmdir, rename, unlink, symlink/readlink, link, readdir with cookies
 * (seekdir/telldir). Prints one line per check; exits 1 on any failure. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond)                                          \
  do {                                                       \
    int ok_ = (cond);                                        \
    printf("%s: %s\n", ok_ ? "ok" : "FAIL", #cond);          \
    if (!ok_) ++failures;                                    \
  } while (0)

static int cmp(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(void) {
  CHECK(chdir("/work") == 0);
  int fd = open("a.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "hello world", 11) == 11);
  CHECK(lseek(fd, 0, SEEK_CUR) == 11);
  CHECK(lseek(fd, 6, SEEK_SET) == 6);
  char buf[64] = {0};
  CHECK(read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0);
  CHECK(pwrite(fd, "HELLO", 5, 0) == 5);
  CHECK(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "HELLO", 5) == 0);
  CHECK(lseek(fd, 0, SEEK_CUR) == 11);
  CHECK(ftruncate(fd, 4) == 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size == 4 && S_ISREG(st.st_mode));
  struct timespec times[2] = {{100, 0}, {200, 500}};
  CHECK(futimens(fd, times) == 0);
  CHECK(stat("a.txt", &st) == 0 && st.st_mtim.tv_sec == 200 && st.st_atim.tv_sec == 100);
  CHECK(close(fd) == 0);

  CHECK(mkdir("d", 0755) == 0);
  CHECK(mkdir("d", 0755) == -1 && errno == EEXIST);
  CHECK(rename("a.txt", "d/b.txt") == 0);
  CHECK(access("a.txt", F_OK) == -1 && errno == ENOENT);
  CHECK(symlink("b.txt", "d/link") == 0);
  ssize_t n = readlink("d/link", buf, sizeof buf);
  CHECK(n == 5 && memcmp(buf, "b.txt", 5) == 0);
  CHECK(lstat("d/link", &st) == 0 && S_ISLNK(st.st_mode));
  CHECK(stat("d/link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);
  CHECK(link("d/b.txt", "hard") == 0);
  CHECK(stat("hard", &st) == 0 && st.st_nlink == 2);
  CHECK(unlink("hard") == 0);
  CHECK(stat("d/b.txt", &st) == 0 && st.st_nlink == 1);
  CHECK(rmdir("d") == -1 && errno == ENOTEMPTY);

  for (int i = 0; i < 20; ++i) {
    char name[32];
    snprintf(name, sizeof name, "d/f%02d", i);
    int f = open(name, O_CREAT | O_WRONLY, 0644);
    close(f);
  }
  DIR* dir = opendir("d");
  CHECK(dir != NULL);
  char* names[64];
  int count = 0;
  long mark = -1;
  char marked[64] = "";
  struct dirent* de;
  while ((de = readdir(dir)) && count < 64) {
    if (count == 10) {
      mark = telldir(dir);
    }
    if (count == 11) strcpy(marked, de->d_name);
    names[count++] = strdup(de->d_name);
  }
  CHECK(count == 24); /* . .. b.txt link f00..f19 */
  seekdir(dir, mark);
  de = readdir(dir);
  CHECK(de && strcmp(de->d_name, marked) == 0);
  closedir(dir);
  qsort(names, count, sizeof names[0], cmp);
  for (int i = 0; i < count; ++i) printf("entry %s\n", names[i]);

  for (int i = 0; i < 20; ++i) {
    char name[32];
    snprintf(name, sizeof name, "d/f%02d", i);
    unlink(name);
  }
  CHECK(unlink("d/link") == 0);
  CHECK(unlink("d/b.txt") == 0);
  CHECK(rmdir("d") == 0);
  printf("failures=%d\n", failures);
  return failures ? 1 : 0;
}
