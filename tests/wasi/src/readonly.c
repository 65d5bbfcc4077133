/* A read-only preopen ("/ro" holding "data.txt"): reads work, every write,
 * create, remove and rename fails. Exits 0 when all writes were refused. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int allowed = 0;
#define MUST_FAIL(expr)                                   \
  do {                                                    \
    int r_ = (expr);                                      \
    printf("%s: %s\n", r_ < 0 ? "refused" : "ALLOWED", #expr); \
    if (r_ >= 0) ++allowed;                               \
  } while (0)

int main(void) {
  char buf[32] = {0};
  int fd = open("/ro/data.txt", O_RDONLY);
  printf("read: %d %s\n", fd >= 0 ? (int)read(fd, buf, sizeof buf - 1) : -1, buf);
  if (fd >= 0) MUST_FAIL((int)write(fd, "x", 1));
  MUST_FAIL(open("/ro/data.txt", O_WRONLY));
  MUST_FAIL(open("/ro/data.txt", O_RDWR | O_TRUNC));
  MUST_FAIL(open("/ro/new.txt", O_CREAT | O_WRONLY, 0644));
  MUST_FAIL(mkdir("/ro/dir", 0755));
  MUST_FAIL(unlink("/ro/data.txt"));
  MUST_FAIL(rename("/ro/data.txt", "/ro/other.txt"));
  MUST_FAIL(symlink("data.txt", "/ro/link"));
  printf("allowed=%d\n", allowed);
  return allowed ? 1 : 0;
}
