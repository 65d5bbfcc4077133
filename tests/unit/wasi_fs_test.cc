// WASI file-system functions inside a preopened directory: open/read/write,
// seek/tell, pread/pwrite, stat and times, readdir cookies, directory and
// link operations, rights and read-only preopens.
#include <sys/stat.h>

#include <algorithm>

#include "wasi_harness.hh"

namespace ember::wasi::test {
namespace {

TEST(WasiFs, PrestatNamesThePreopen) {
  TempDir d;
  Harness h(config_with_dir(d.path));
  ASSERT_EQ(h.call("fd_prestat_get", {kDirFd, 64}), 0u);
  EXPECT_EQ(h.mem()[64], 0);
  EXPECT_EQ(h.u32(68), 8u);
  ASSERT_EQ(h.call("fd_prestat_dir_name", {kDirFd, 100, 8}), 0u);
  EXPECT_EQ(h.get(100, 8), "/sandbox");
  EXPECT_EQ(h.call("fd_prestat_dir_name", {kDirFd, 100, 4}), E(Errno::Nametoolong));
  EXPECT_EQ(h.call("fd_prestat_get", {kDirFd + 1, 64}), E(Errno::Badf));
  ASSERT_EQ(h.call("fd_fdstat_get", {kDirFd, 64}), 0u);
  EXPECT_EQ(h.mem()[64], kFiletypeDirectory);
}

TEST(WasiFs, CreateWriteSeekReadStat) {
  TempDir d;
  Harness h(config_with_dir(d.path));
  uint32_t fd;
  ASSERT_EQ(h.open(kDirFd, "f.txt", kOflagCreat | kOflagTrunc, kRwRights, &fd), 0u);
  EXPECT_EQ(fd, 4u);
  ASSERT_EQ(h.write(fd, "hello world"), 0u);
  EXPECT_EQ(d.read("f.txt"), "hello world");
  ASSERT_EQ(h.call("fd_tell", {fd, 64}), 0u);
  EXPECT_EQ(h.u64(64), 11u);
  ASSERT_EQ(h.call("fd_seek", {fd, static_cast<uint64_t>(-5), kWhenceCur, 64}), 0u);
  EXPECT_EQ(h.u64(64), 6u);
  std::string got;
  ASSERT_EQ(h.read(fd, 100, &got), 0u);
  EXPECT_EQ(got, "world");
  ASSERT_EQ(h.call("fd_seek", {fd, 0, kWhenceSet, 64}), 0u);
  ASSERT_EQ(h.read(fd, 5, &got), 0u);
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(h.call("fd_seek", {fd, 0, 7, 64}), E(Errno::Inval));
  EXPECT_EQ(h.call("fd_seek", {fd, static_cast<uint64_t>(-100), kWhenceSet, 64}), E(Errno::Inval));
  // pwrite/pread leave the position alone.
  h.put(3000, "HELLO");
  h.set32(16, 3000);
  h.set32(20, 5);
  ASSERT_EQ(h.call("fd_pwrite", {fd, 16, 1, 0, 64}), 0u);
  EXPECT_EQ(h.u32(64), 5u);
  h.set32(16, 3100);
  h.set32(20, 3);
  ASSERT_EQ(h.call("fd_pread", {fd, 16, 1, 8, 64}), 0u);
  EXPECT_EQ(h.get(3100, 3), "rld");
  ASSERT_EQ(h.call("fd_tell", {fd, 64}), 0u);
  EXPECT_EQ(h.u64(64), 5u);
  EXPECT_EQ(d.read("f.txt"), "HELLO world");
  // Stat, resize, times.
  ASSERT_EQ(h.call("fd_filestat_get", {fd, 200}), 0u);
  EXPECT_EQ(h.mem()[216], kFiletypeRegularFile);
  EXPECT_EQ(h.u64(232), 11u);
  EXPECT_EQ(h.u64(224), 1u);
  ASSERT_EQ(h.call("fd_filestat_set_size", {fd, 3}), 0u);
  EXPECT_EQ(d.read("f.txt"), "HEL");
  ASSERT_EQ(h.call("fd_filestat_set_times",
                   {fd, 1000000000ull * 5, 1000000000ull * 7 + 3, kFstAtim | kFstMtim}),
            0u);
  struct stat st;
  ASSERT_EQ(stat((d / "f.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_atim.tv_sec, 5);
  EXPECT_EQ(st.st_mtim.tv_sec, 7);
  EXPECT_EQ(h.call("fd_filestat_set_times", {fd, 0, 0, kFstAtim | kFstAtimNow}), E(Errno::Inval));
  EXPECT_EQ(h.call("fd_allocate", {fd, 0, 100}), 0u);
  ASSERT_EQ(stat((d / "f.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 100);
  EXPECT_EQ(h.call("fd_advise", {fd, 0, 10, 2}), 0u);
  EXPECT_EQ(h.call("fd_advise", {fd, 0, 10, 9}), E(Errno::Inval));
  EXPECT_EQ(h.call("fd_sync", {fd}), 0u);
  EXPECT_EQ(h.call("fd_datasync", {fd}), 0u);
  ASSERT_EQ(h.call("fd_close", {fd}), 0u);
  EXPECT_EQ(h.call("fd_close", {fd}), E(Errno::Badf));
}

TEST(WasiFs, OpenFlags) {
  TempDir d;
  d.write("a", "abc");
  Harness h(config_with_dir(d.path));
  uint32_t fd;
  EXPECT_EQ(h.open(kDirFd, "a", kOflagCreat | kOflagExcl, kRwRights, &fd), E(Errno::Exist));
  EXPECT_EQ(h.open(kDirFd, "missing", 0, kRwRights, &fd), E(Errno::Noent));
  EXPECT_EQ(h.open(kDirFd, "a", kOflagDirectory, kReadRights, &fd), E(Errno::Notdir));
  EXPECT_EQ(h.open(kDirFd, "a/", 0, kReadRights, &fd), E(Errno::Notdir));
  EXPECT_EQ(h.open(kDirFd, "a", 0x10, kReadRights, &fd), E(Errno::Inval));
  // Append.
  ASSERT_EQ(h.open(kDirFd, "a", 0, kRwRights, &fd, kLookupSymlinkFollow, kFdflagAppend), 0u);
  ASSERT_EQ(h.write(fd, "def"), 0u);
  EXPECT_EQ(d.read("a"), "abcdef");
  ASSERT_EQ(h.call("fd_fdstat_get", {fd, 64}), 0u);
  EXPECT_EQ(h.mem()[66] & kFdflagAppend, kFdflagAppend);
  ASSERT_EQ(h.call("fd_fdstat_set_flags", {fd, 0}), 0u);
  ASSERT_EQ(h.call("fd_seek", {fd, 0, kWhenceSet, 64}), 0u);
  ASSERT_EQ(h.write(fd, "X"), 0u);
  EXPECT_EQ(d.read("a"), "Xbcdef");
  EXPECT_EQ(h.call("fd_fdstat_set_flags", {fd, kFdflagSync}), E(Errno::Notsup));
  // Truncate.
  ASSERT_EQ(h.open(kDirFd, "a", kOflagTrunc, kRwRights, &fd), 0u);
  EXPECT_EQ(d.read("a"), "");
  // Read-only open: writes are refused.
  ASSERT_EQ(h.open(kDirFd, "a", 0, kReadRights, &fd), 0u);
  EXPECT_EQ(h.write(fd, "x"), E(Errno::Badf));
  // A directory.
  ASSERT_EQ(mkdir((d / "sub").c_str(), 0755), 0);
  ASSERT_EQ(h.open(kDirFd, "sub", kOflagDirectory, kReadRights, &fd), 0u);
  ASSERT_EQ(h.call("fd_fdstat_get", {fd, 64}), 0u);
  EXPECT_EQ(h.mem()[64], kFiletypeDirectory);
  std::string got;
  EXPECT_EQ(h.read(fd, 4, &got), E(Errno::Badf));
}

TEST(WasiFs, ReaddirWithCookies) {
  TempDir d;
  for (const char* n : {"alpha", "beta", "gamma", "delta"}) d.write(n, "x");
  ASSERT_EQ(mkdir((d / "dir").c_str(), 0755), 0);
  Harness h(config_with_dir(d.path));
  // Read everything with a big buffer.
  auto parse = [&](uint32_t buf, uint32_t used,
                   std::vector<std::pair<std::string, uint64_t>>* out) {
    uint32_t p = 0;
    while (p + kDirentSize <= used) {
      uint64_t next = h.u64(buf + p);
      uint32_t len = h.u32(buf + p + 16);
      if (p + kDirentSize + len > used) break;  // truncated entry
      out->emplace_back(h.get(buf + p + kDirentSize, len), next);
      p += kDirentSize + len;
    }
  };
  ASSERT_EQ(h.call("fd_readdir", {kDirFd, 4096, 4096, 0, 64}), 0u);
  std::vector<std::pair<std::string, uint64_t>> all;
  parse(4096, h.u32(64), &all);
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all[0].first, ".");
  EXPECT_EQ(all[1].first, "..");
  EXPECT_EQ(all[2].first, "alpha");
  EXPECT_EQ(all[6].first, "gamma");
  EXPECT_LT(h.u32(64), 4096u);
  // Small buffer, resuming from the last complete entry's cookie.
  std::vector<std::string> names;
  uint64_t cookie = 0;
  for (int rounds = 0; rounds < 50; ++rounds) {
    ASSERT_EQ(h.call("fd_readdir", {kDirFd, 4096, 40, cookie, 64}), 0u);
    uint32_t used = h.u32(64);
    std::vector<std::pair<std::string, uint64_t>> part;
    parse(4096, used, &part);
    for (auto& [n, next] : part) {
      names.push_back(n);
      cookie = next;
    }
    if (used < 40) break;
  }
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(names[4], "delta");
  // Type of the subdirectory entry.
  ASSERT_EQ(h.call("fd_readdir", {kDirFd, 4096, 4096, 3, 64}),
            0u);  // cookie 3: ".", "..", "alpha" skipped
  EXPECT_EQ(h.get(4096 + kDirentSize, 4), "beta");
  ASSERT_EQ(h.call("fd_readdir", {kDirFd, 4096, 4096, 99, 64}), 0u);
  EXPECT_EQ(h.u32(64), 0u);
  EXPECT_EQ(h.call("fd_readdir", {kDirFd, Harness::kMemSize - 10, 40, 0, 64}), E(Errno::Fault));
}

TEST(WasiFs, DirectoriesLinksRenames) {
  TempDir d;
  Harness h(config_with_dir(d.path));
  ASSERT_EQ(h.path_op("path_create_directory", kDirFd, "sub"), 0u);
  EXPECT_EQ(h.path_op("path_create_directory", kDirFd, "sub"), E(Errno::Exist));
  ASSERT_EQ(h.path_op("path_create_directory", kDirFd, "sub/inner"), 0u);
  EXPECT_EQ(h.path_op("path_remove_directory", kDirFd, "sub"), E(Errno::Notempty));
  ASSERT_EQ(h.path_op("path_remove_directory", kDirFd, "sub/inner"), 0u);
  d.write("sub/file", "data");
  EXPECT_EQ(h.path_op("path_unlink_file", kDirFd, "sub"), E(Errno::Isdir));
  EXPECT_EQ(h.path_op("path_remove_directory", kDirFd, "sub/file"), E(Errno::Notdir));
  // rename
  h.put(1000, "sub/file");
  h.put(1100, "moved");
  ASSERT_EQ(h.call("path_rename", {kDirFd, 1000, 8, kDirFd, 1100, 5}), 0u);
  EXPECT_EQ(d.read("moved"), "data");
  // symlink + readlink
  h.put(1000, "moved");
  h.put(1100, "ln");
  ASSERT_EQ(h.call("path_symlink", {1000, 5, kDirFd, 1100, 2}), 0u);
  ASSERT_EQ(h.call("path_readlink", {kDirFd, 1100, 2, 2000, 100, 64}), 0u);
  EXPECT_EQ(h.get(2000, h.u32(64)), "moved");
  ASSERT_EQ(h.call("path_readlink", {kDirFd, 1100, 2, 2000, 3, 64}), 0u);
  EXPECT_EQ(h.u32(64), 3u);  // truncated
  EXPECT_EQ(h.call("path_readlink", {kDirFd, 1000, 5, 2000, 100, 64}), E(Errno::Inval));
  uint32_t fd;
  ASSERT_EQ(h.open(kDirFd, "ln", 0, kReadRights, &fd), 0u);
  std::string got;
  ASSERT_EQ(h.read(fd, 10, &got), 0u);
  EXPECT_EQ(got, "data");
  EXPECT_EQ(h.open(kDirFd, "ln", 0, kReadRights, &fd, 0), E(Errno::Loop));  // no follow
  // filestat: follow vs not
  ASSERT_EQ(h.call("path_filestat_get", {kDirFd, 0, 1100, 2, 3000}), 0u);
  EXPECT_EQ(h.mem()[3016], kFiletypeSymlink);
  ASSERT_EQ(h.call("path_filestat_get", {kDirFd, kLookupSymlinkFollow, 1100, 2, 3000}), 0u);
  EXPECT_EQ(h.mem()[3016], kFiletypeRegularFile);
  EXPECT_EQ(h.u64(3032), 4u);
  // hard link
  h.put(1200, "hard");
  ASSERT_EQ(h.call("path_link", {kDirFd, 0, 1000, 5, kDirFd, 1200, 4}), 0u);
  ASSERT_EQ(h.call("path_filestat_get", {kDirFd, 0, 1200, 4, 3000}), 0u);
  EXPECT_EQ(h.u64(3024), 2u);  // nlink
  // set times by path
  ASSERT_EQ(h.call("path_filestat_set_times", {kDirFd, 0, 1200, 4, 0, 9000000000ull, kFstMtim}),
            0u);
  struct stat st;
  ASSERT_EQ(stat((d / "hard").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 9);
  ASSERT_EQ(h.path_op("path_unlink_file", kDirFd, "hard"), 0u);
  EXPECT_EQ(h.path_op("path_unlink_file", kDirFd, "hard"), E(Errno::Noent));
  ASSERT_EQ(h.path_op("path_unlink_file", kDirFd, "ln"), 0u);  // removes the link only
  EXPECT_EQ(d.read("moved"), "data");
  // Bad path pointers.
  EXPECT_EQ(h.call("path_unlink_file", {kDirFd, Harness::kMemSize - 2, 5}), E(Errno::Fault));
  EXPECT_EQ(h.call("path_create_directory", {kDirFd, 0xFFFFFFFF, 2}), E(Errno::Fault));
  EXPECT_EQ(h.path_op("path_create_directory", 1, "x"), E(Errno::Notdir));
  EXPECT_EQ(h.path_op("path_create_directory", 50, "x"), E(Errno::Badf));
}

TEST(WasiFs, RenumberAndRights) {
  TempDir d;
  d.write("a", "12345");
  Harness h(config_with_dir(d.path));
  uint32_t fd;
  ASSERT_EQ(h.open(kDirFd, "a", 0, kRwRights, &fd), 0u);
  uint32_t fd2;
  ASSERT_EQ(h.open(kDirFd, "a", 0, kReadRights, &fd2), 0u);
  ASSERT_EQ(h.call("fd_renumber", {fd, fd2}), 0u);
  EXPECT_EQ(h.call("fd_close", {fd}), E(Errno::Badf));
  ASSERT_EQ(h.write(fd2, "ab"), 0u);  // fd2 is now the read-write one
  EXPECT_EQ(d.read("a"), "ab345");
  EXPECT_EQ(h.call("fd_renumber", {fd2, 77}), E(Errno::Badf));
  // Dropping rights; they cannot come back.
  ASSERT_EQ(h.call("fd_fdstat_set_rights", {fd2, kRightFdRead | kRightFdTell, 0}), 0u);
  EXPECT_EQ(h.write(fd2, "x"), E(Errno::Badf));
  EXPECT_EQ(h.call("fd_seek", {fd2, 1, kWhenceSet, 64}), E(Errno::Notcapable));
  EXPECT_EQ(h.call("fd_tell", {fd2, 64}), 0u);
  EXPECT_EQ(h.call("fd_fdstat_set_rights", {fd2, kRightFdWrite, 0}), E(Errno::Notcapable));
  ASSERT_EQ(h.call("fd_fdstat_get", {fd2, 64}), 0u);
  EXPECT_EQ(h.u64(72), kRightFdRead | kRightFdTell);
  // A directory whose PATH_OPEN right was dropped cannot open.
  ASSERT_EQ(h.call("fd_fdstat_set_rights", {kDirFd, kRightFdReaddir, kRightsDir | kRightsFile}),
            0u);
  EXPECT_EQ(h.open(kDirFd, "a", 0, kReadRights, &fd), E(Errno::Notcapable));
}

TEST(WasiFs, ReadOnlyPreopenDeniesWrites) {
  TempDir d;
  d.write("a", "keep");
  ASSERT_EQ(mkdir((d / "sub").c_str(), 0755), 0);
  Harness h(config_with_dir(d.path, /*writable=*/false));
  uint32_t fd;
  ASSERT_EQ(h.open(kDirFd, "a", 0, kReadRights, &fd), 0u);
  std::string got;
  ASSERT_EQ(h.read(fd, 10, &got), 0u);
  EXPECT_EQ(got, "keep");
  EXPECT_EQ(h.write(fd, "x"), E(Errno::Badf));
  EXPECT_EQ(h.open(kDirFd, "a", 0, kRwRights, &fd), E(Errno::Perm));
  EXPECT_EQ(h.open(kDirFd, "a", kOflagTrunc, kReadRights, &fd), E(Errno::Perm));
  EXPECT_EQ(h.open(kDirFd, "new", kOflagCreat, kReadRights, &fd), E(Errno::Perm));
  EXPECT_EQ(h.path_op("path_create_directory", kDirFd, "d2"), E(Errno::Perm));
  EXPECT_EQ(h.path_op("path_unlink_file", kDirFd, "a"), E(Errno::Perm));
  EXPECT_EQ(h.path_op("path_remove_directory", kDirFd, "sub"), E(Errno::Perm));
  h.put(1000, "a");
  h.put(1100, "b");
  EXPECT_EQ(h.call("path_rename", {kDirFd, 1000, 1, kDirFd, 1100, 1}), E(Errno::Perm));
  EXPECT_EQ(h.call("path_symlink", {1000, 1, kDirFd, 1100, 1}), E(Errno::Perm));
  EXPECT_EQ(h.call("path_link", {kDirFd, 0, 1000, 1, kDirFd, 1100, 1}), E(Errno::Perm));
  EXPECT_EQ(h.call("path_filestat_set_times", {kDirFd, 0, 1000, 1, 0, 0, kFstMtimNow}),
            E(Errno::Perm));
  // Subdirectories opened from it stay read-only.
  uint32_t sub;
  ASSERT_EQ(h.open(kDirFd, "sub", kOflagDirectory, kReadRights, &sub), 0u);
  EXPECT_EQ(h.open(sub, "x", kOflagCreat, kRwRights, &fd), E(Errno::Perm));
  EXPECT_EQ(d.read("a"), "keep");
  EXPECT_FALSE(std::filesystem::exists(d / "new"));
}

}  // namespace
}  // namespace ember::wasi::test
