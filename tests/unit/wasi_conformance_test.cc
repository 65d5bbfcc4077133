// WASI preview1 behaviours the WASI testsuite and the `wasmtime` package
// (the reference, 50.0) expect, each found to differ once: trailing slashes
// on the new name of path_link / path_symlink, directories opened with
// fd_write, sock_* on fds that are not sockets, and a preopen with an empty
// guest path. tests/python/test_wasi_conformance.py runs the same calls under
// wasmtime and Ember and compares the errnos.
#include <sys/stat.h>

#include "wasi_harness.hh"

namespace ember::wasi::test {
namespace {

// path_link from `from` to `to`, both beneath the first preopen.
uint32_t link(Harness& h, const std::string& from, const std::string& to) {
  h.put(1000, from);
  h.put(1100, to);
  return h.call("path_link", {kDirFd, 0, 1000, from.size(), kDirFd, 1100, to.size()});
}

// path_symlink creating `to` with contents `target`.
uint32_t symlink(Harness& h, const std::string& target, const std::string& to) {
  h.put(1000, target);
  h.put(1100, to);
  return h.call("path_symlink", {1000, target.size(), kDirFd, 1100, to.size()});
}

// A preopen holding a file, a directory, a symlink to each and a dangling one.
struct Tree {
  TempDir d;
  Tree() {
    d.write("file", "x");
    EXPECT_EQ(mkdir((d / "dir").c_str(), 0755), 0);
    EXPECT_EQ(::symlink("dir", (d / "dirlink").c_str()), 0);
    EXPECT_EQ(::symlink("nowhere", (d / "dangling").c_str()), 0);
  }
  bool exists(const std::string& rel) const {
    struct stat st;
    return lstat((d / rel).c_str(), &st) == 0;
  }
};

TEST(WasiConformance, LinkToNameWithTrailingSlashFails) {
  Tree t;
  Harness h(config_with_dir(t.d.path));
  EXPECT_EQ(link(h, "file", "new/"), E(Errno::Noent));
  EXPECT_EQ(link(h, "file", "file/"), E(Errno::Notdir));
  EXPECT_EQ(link(h, "file", "dir/"), E(Errno::Exist));
  EXPECT_EQ(link(h, "file", "dir//"), E(Errno::Exist));
  EXPECT_EQ(link(h, "file", "dirlink/"), E(Errno::Exist));
  EXPECT_EQ(link(h, "file", "dangling/"), E(Errno::Noent));
  EXPECT_EQ(link(h, "file", "new/."), E(Errno::Noent));
  EXPECT_FALSE(t.exists("new"));
  EXPECT_FALSE(t.exists("nowhere"));
  // The source may not end with '/' unless it is a directory (never linked).
  EXPECT_EQ(link(h, "file/", "new"), E(Errno::Notdir));
  EXPECT_EQ(link(h, "dir/", "new"), E(Errno::Perm));
  EXPECT_FALSE(t.exists("new"));
  EXPECT_EQ(link(h, "file", "new"), 0u);
}

TEST(WasiConformance, SymlinkToNameWithTrailingSlashFails) {
  Tree t;
  Harness h(config_with_dir(t.d.path));
  EXPECT_EQ(symlink(h, "file", "new/"), E(Errno::Noent));
  EXPECT_EQ(symlink(h, "dir", "new/"), E(Errno::Noent));
  EXPECT_EQ(symlink(h, "file", "file/"), E(Errno::Notdir));
  EXPECT_EQ(symlink(h, "dir", "dir/"), E(Errno::Exist));
  EXPECT_EQ(symlink(h, "file", "dirlink/"), E(Errno::Exist));
  EXPECT_EQ(symlink(h, "file", "dangling/"), E(Errno::Noent));
  EXPECT_EQ(symlink(h, "file", "dir/./"), E(Errno::Exist));
  EXPECT_FALSE(t.exists("new"));
  EXPECT_FALSE(t.exists("nowhere"));
  // A trailing slash in the link's contents is fine.
  EXPECT_EQ(symlink(h, "dir/", "new"), 0u);
  EXPECT_EQ(symlink(h, "file", "dangling"), E(Errno::Exist));
}

TEST(WasiConformance, DirectoryOpenedWithFdWriteIsEisdir) {
  Tree t;
  Harness h(config_with_dir(t.d.path));
  uint32_t fd;
  EXPECT_EQ(h.open(kDirFd, "dir", kOflagDirectory, kRightFdWrite, &fd), E(Errno::Isdir));
  EXPECT_EQ(h.open(kDirFd, "dir", kOflagDirectory, kRwRights, &fd), E(Errno::Isdir));
  EXPECT_EQ(h.open(kDirFd, "dir", 0, kRightFdWrite, &fd), E(Errno::Isdir));
  EXPECT_EQ(h.open(kDirFd, "dir/", 0, kRightFdWrite, &fd), E(Errno::Isdir));
  EXPECT_EQ(h.open(kDirFd, "dirlink", kOflagDirectory, kRightFdWrite, &fd), E(Errno::Isdir));
  EXPECT_EQ(h.open(kDirFd, ".", kOflagDirectory, kRightFdWrite, &fd), E(Errno::Isdir));
  EXPECT_EQ(h.call("fd_close", {4}), E(Errno::Badf));  // nothing was left open
  // What is checked first: a missing path, a file, a read-only preopen.
  EXPECT_EQ(h.open(kDirFd, "missing", kOflagDirectory, kRightFdWrite, &fd), E(Errno::Noent));
  EXPECT_EQ(h.open(kDirFd, "file", kOflagDirectory, kRightFdWrite, &fd), E(Errno::Notdir));
  Harness ro(config_with_dir(t.d.path, /*writable=*/false));
  EXPECT_EQ(ro.open(kDirFd, "dir", kOflagDirectory, kRightFdWrite, &fd), E(Errno::Perm));
  // Without fd_write a directory opens; the other write rights are dropped.
  const uint64_t others = kRightFdDatasync | kRightFdAllocate | kRightFdFilestatSetSize;
  ASSERT_EQ(h.open(kDirFd, "dir", kOflagDirectory, kReadRights | others, &fd), 0u);
  ASSERT_EQ(h.call("fd_fdstat_get", {fd, 64}), 0u);
  EXPECT_EQ(h.mem()[64], kFiletypeDirectory);
  EXPECT_EQ(h.u64(72) & (others | kRightFdWrite), 0u);
  ASSERT_EQ(h.open(kDirFd, "dir", 0, others, &fd), 0u);
}

TEST(WasiConformance, SockFunctionsOnNonSocketsAreEnotsock) {
  TempDir d;
  d.write("file", "x");
  Harness h(config_with_dir(d.path));
  uint32_t file;
  ASSERT_EQ(h.open(kDirFd, "file", 0, kRwRights, &file), 0u);
  h.set32(16, 100);
  h.set32(20, 4);
  for (uint64_t fd : {uint64_t{0}, uint64_t{1}, uint64_t{kDirFd}, uint64_t{file}}) {
    SCOPED_TRACE(fd);
    EXPECT_EQ(h.call("sock_shutdown", {fd, kSdRd | kSdWr}), E(Errno::Notsock));
    EXPECT_EQ(h.call("sock_shutdown", {fd, kSdWr}), E(Errno::Notsock));
    EXPECT_EQ(h.call("sock_shutdown", {fd, 0}), E(Errno::Notsock));
    EXPECT_EQ(h.call("sock_accept", {fd, 0, 64}), E(Errno::Notsock));
    EXPECT_EQ(h.call("sock_recv", {fd, 16, 1, 0, 64, 68}), E(Errno::Notsock));
    EXPECT_EQ(h.call("sock_send", {fd, 16, 1, 0, 64}), E(Errno::Notsock));
    EXPECT_EQ(h.call("sock_send", {fd, 16, 1, 5, 64}), E(Errno::Notsock));
  }
  EXPECT_EQ(h.call("sock_shutdown", {99, kSdWr}), E(Errno::Badf));
}

TEST(WasiConformance, EmptyGuestPathIsAnUnnamedPreopen) {
  TempDir d;
  d.write("file", "data");
  Config c = config_with_dir(d.path);
  c.preopens[0].guest_path = "";
  Harness h(c);
  ASSERT_EQ(h.call("fd_prestat_get", {kDirFd, 64}), 0u);
  EXPECT_EQ(h.mem()[64], kPreopenTypeDir);
  EXPECT_EQ(h.u32(68), 0u);
  h.put(100, "unchanged");
  EXPECT_EQ(h.call("fd_prestat_dir_name", {kDirFd, 100, 0}), 0u);
  EXPECT_EQ(h.call("fd_prestat_dir_name", {kDirFd, 100, 9}), 0u);
  EXPECT_EQ(h.get(100, 9), "unchanged");
  uint32_t fd;
  ASSERT_EQ(h.open(kDirFd, "file", 0, kReadRights, &fd), 0u);
  std::string got;
  ASSERT_EQ(h.read(fd, 10, &got), 0u);
  EXPECT_EQ(got, "data");
}

}  // namespace
}  // namespace ember::wasi::test
