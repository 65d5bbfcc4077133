/* Sandbox escape attempts from a preopened directory ("/box"). The host puts
 * a file named "secret" next to the preopened directory. Every attempt must
 * fail; prints one line per attempt and exits 0 only if all were denied. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int escaped = 0;

static void try_open(const char* what, const char* path) {
  int fd = open(path, O_RDONLY);
  char buf[16] = {0};
  if (fd >= 0 && read(fd, buf, 7) == 7 && strcmp(buf, "OUTSIDE") == 0) {
    printf("ESCAPED %s (%s)\n", what, path);
    ++escaped;
  } else {
    printf("denied %s\n", what);
  }
  if (fd >= 0) close(fd);
}

static void try_create(const char* what, const char* path) {
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) {
    printf("ESCAPED %s (%s)\n", what, path);
    ++escaped;
    close(fd);
  } else {
    printf("denied %s\n", what);
  }
}

int main(void) {
  try_open("dotdot", "/box/../secret");
  try_open("dotdot-deep", "/box/sub/../../secret");
  try_open("absolute", "/secret");
  try_open("etc-passwd", "/etc/passwd");
  try_create("create-outside", "/box/../created");
  /* Symlinks the guest makes. */
  symlink("../secret", "/box/rel-link");
  try_open("symlink-relative", "/box/rel-link");
  symlink("../../secret", "/box/sub/deep-link");
  try_open("symlink-deep", "/box/sub/deep-link");
  symlink("..", "/box/up");
  try_open("symlink-dir", "/box/up/secret");
  try_create("create-through-symlink", "/box/up/created");
  int r = symlink("/secret", "/box/abs-link");
  try_open("symlink-absolute", "/box/abs-link");
  (void)r;
  /* Hard links. */
  if (link("/box/rel-link", "/box/hard") == 0) try_open("hardlink-to-symlink", "/box/hard");
  else printf("denied hardlink-to-symlink\n");
  if (linkat(AT_FDCWD, "/box/../secret", AT_FDCWD, "/box/hard2", 0) == 0) {
    printf("ESCAPED hardlink-outside\n");
    ++escaped;
  } else {
    printf("denied hardlink-outside\n");
  }
  /* Rename out. */
  if (rename("/box/inside", "/box/../moved") == 0) {
    printf("ESCAPED rename-out\n");
    ++escaped;
  } else {
    printf("denied rename-out\n");
  }
  struct stat st;
  if (stat("/box/../secret", &st) == 0) {
    printf("ESCAPED stat\n");
    ++escaped;
  } else {
    printf("denied stat\n");
  }
  unlink("/box/rel-link");
  unlink("/box/sub/deep-link");
  unlink("/box/up");
  unlink("/box/abs-link");
  unlink("/box/hard");
  printf("escaped=%d\n", escaped);
  return escaped ? 1 : 0;
}
