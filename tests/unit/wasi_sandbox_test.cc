// WASI sandbox regressions: one test per escape class. Each layout puts a
// secret next to the preopened directory (outside it) and checks that no
// path the guest can write reaches it.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "wasi_harness.hh"

namespace ember::wasi::test {
namespace {

// <tmp>/secret (outside) and <tmp>/box (the preopen) with box/sub/.
struct Layout {
  TempDir root;
  std::string box;
  Layout() : box(root / "box") {
    mkdir(box.c_str(), 0755);
    mkdir((box + "/sub").c_str(), 0755);
    root.write("secret", "OUTSIDE");
    root.write("box/inside", "INSIDE");
  }
};

void expect_denied(Harness& h, uint32_t dirfd, const std::string& path, uint32_t want) {
  uint32_t fd;
  EXPECT_EQ(h.open(dirfd, path, 0, kReadRights, &fd), want) << path;
  h.put(Harness::kScratch, path);
  EXPECT_EQ(h.call("path_filestat_get",
                   {dirfd, kLookupSymlinkFollow, Harness::kScratch, path.size(), 3000}),
            want)
      << path;
}

TEST(WasiSandbox, DotDotCannotClimbAboveThePreopen) {
  Layout l;
  Harness h(config_with_dir(l.box));
  expect_denied(h, kDirFd, "../secret", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "sub/../../secret", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "sub/../sub/../../secret", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "..", E(Errno::Notcapable));
  uint32_t fd;
  EXPECT_EQ(h.open(kDirFd, "sub/../inside", 0, kReadRights, &fd), 0u);  // stays inside: fine
  EXPECT_EQ(h.open(kDirFd, "./sub/./..//inside", 0, kReadRights, &fd), 0u);
  EXPECT_EQ(h.path_op("path_create_directory", kDirFd, "../made"), E(Errno::Notcapable));
  EXPECT_FALSE(std::filesystem::exists(l.root / "made"));
}

TEST(WasiSandbox, AbsolutePathsAreRefused) {
  Layout l;
  Harness h(config_with_dir(l.box));
  expect_denied(h, kDirFd, l.root / "secret", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "/etc/passwd", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "/", E(Errno::Notcapable));
  EXPECT_EQ(h.path_op("path_unlink_file", kDirFd, l.root / "secret"), E(Errno::Notcapable));
  EXPECT_EQ(l.root.read("secret"), "OUTSIDE");
}

TEST(WasiSandbox, HostSymlinksPointingOutAreNotFollowed) {
  Layout l;
  ASSERT_EQ(symlink((l.root / "secret").c_str(), (l.box + "/abs").c_str()), 0);
  ASSERT_EQ(symlink("../secret", (l.box + "/rel").c_str()), 0);
  ASSERT_EQ(symlink("..", (l.box + "/up").c_str()), 0);
  ASSERT_EQ(symlink("/", (l.box + "/sub/root").c_str()), 0);
  Harness h(config_with_dir(l.box));
  expect_denied(h, kDirFd, "abs", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "rel", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "up/secret", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "sub/root/etc/passwd", E(Errno::Notcapable));
  // Writing through them is refused too.
  uint32_t fd;
  EXPECT_EQ(h.open(kDirFd, "rel", kOflagTrunc, kRwRights, &fd), E(Errno::Notcapable));
  EXPECT_EQ(h.open(kDirFd, "up/new", kOflagCreat, kRwRights, &fd), E(Errno::Notcapable));
  EXPECT_EQ(l.root.read("secret"), "OUTSIDE");
  EXPECT_FALSE(std::filesystem::exists(l.root / "new"));
}

TEST(WasiSandbox, GuestCreatedSymlinksCannotEscape) {
  Layout l;
  Harness h(config_with_dir(l.box));
  auto symlink_ = [&](const std::string& target, const std::string& name) {
    h.put(1000, target);
    h.put(1500, name);
    return h.call("path_symlink", {1000, target.size(), kDirFd, 1500, name.size()});
  };
  EXPECT_EQ(symlink_(l.root / "secret", "abs"), E(Errno::Notcapable));  // absolute target
  ASSERT_EQ(symlink_("../secret", "esc"), 0u);  // may exist, but never resolves
  ASSERT_EQ(symlink_("../../secret", "sub/esc2"), 0u);
  ASSERT_EQ(symlink_("sub", "s"), 0u);
  expect_denied(h, kDirFd, "esc", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "sub/esc2", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "s/esc2", E(Errno::Notcapable));
  expect_denied(h, kDirFd, "s/../../secret", E(Errno::Notcapable));
  uint32_t fd;
  EXPECT_EQ(h.open(kDirFd, "esc", kOflagCreat, kRwRights, &fd), E(Errno::Notcapable));
  // Without follow, opening the link itself is ELOOP (never its target).
  EXPECT_EQ(h.open(kDirFd, "esc", 0, kReadRights, &fd, 0), E(Errno::Loop));
  // Loops end.
  ASSERT_EQ(symlink_("loop2", "loop1"), 0u);
  ASSERT_EQ(symlink_("loop1", "loop2"), 0u);
  expect_denied(h, kDirFd, "loop1", E(Errno::Loop));
  EXPECT_EQ(l.root.read("secret"), "OUTSIDE");
}

TEST(WasiSandbox, HardLinksCannotReachOutside) {
  Layout l;
  Harness h(config_with_dir(l.box));
  h.put(1000, "../secret");
  h.put(1100, "stolen");
  EXPECT_EQ(h.call("path_link", {kDirFd, 0, 1000, 9, kDirFd, 1100, 6}), E(Errno::Notcapable));
  // Link a guest symlink that points out, following it: refused.
  h.put(1200, "esc");
  ASSERT_EQ(h.call("path_symlink", {1000, 9, kDirFd, 1200, 3}), 0u);
  EXPECT_EQ(h.call("path_link", {kDirFd, kLookupSymlinkFollow, 1200, 3, kDirFd, 1100, 6}),
            E(Errno::Notcapable));
  // Without follow the link is to the symlink itself, which still cannot be followed out.
  ASSERT_EQ(h.call("path_link", {kDirFd, 0, 1200, 3, kDirFd, 1100, 6}), 0u);
  expect_denied(h, kDirFd, "stolen", E(Errno::Notcapable));
  // Link target outside.
  h.put(1300, "inside");
  h.put(1400, "../copy");
  EXPECT_EQ(h.call("path_link", {kDirFd, 0, 1300, 6, kDirFd, 1400, 7}), E(Errno::Notcapable));
  EXPECT_FALSE(std::filesystem::exists(l.root / "copy"));
}

TEST(WasiSandbox, RenameOutOrOverOutsideIsRefused) {
  Layout l;
  Harness h(config_with_dir(l.box));
  h.put(1000, "inside");
  h.put(1100, "../secret");
  EXPECT_EQ(h.call("path_rename", {kDirFd, 1000, 6, kDirFd, 1100, 9}), E(Errno::Notcapable));
  EXPECT_EQ(h.call("path_rename", {kDirFd, 1100, 9, kDirFd, 1000, 6}), E(Errno::Notcapable));
  EXPECT_EQ(l.root.read("secret"), "OUTSIDE");
  EXPECT_EQ(l.root.read("box/inside"), "INSIDE");
}

TEST(WasiSandbox, OpenedSubdirectoryIsItsOwnRoot) {
  Layout l;
  Harness h(config_with_dir(l.box));
  uint32_t sub;
  ASSERT_EQ(h.open(kDirFd, "sub", kOflagDirectory, kReadRights, &sub), 0u);
  expect_denied(h, sub, "../inside", E(Errno::Notcapable));
  expect_denied(h, sub, "../../secret", E(Errno::Notcapable));
}

TEST(WasiSandbox, BadPathBytes) {
  Layout l;
  Harness h(config_with_dir(l.box));
  uint32_t fd;
  EXPECT_EQ(h.open(kDirFd, std::string("inside\0x", 8), 0, kReadRights, &fd), E(Errno::Ilseq));
  EXPECT_EQ(h.open(kDirFd, "", 0, kReadRights, &fd), E(Errno::Noent));
  EXPECT_EQ(h.call("path_open", {kDirFd, 1, Harness::kMemSize - 3, 10, 0, kReadRights, 0, 0, 64}),
            E(Errno::Fault));
  EXPECT_EQ(h.call("path_open", {kDirFd, 1, 100, 6, 0, kReadRights, 0, 0, Harness::kMemSize}),
            E(Errno::Fault));
}

// A host thread keeps swapping box/a between a real directory and a symlink
// that points outside while the guest opens a/secret: the guest must never
// read the outside file.
TEST(WasiSandbox, RenameRacingALookupNeverEscapes) {
  Layout l;
  mkdir((l.root / "outdir").c_str(), 0755);
  l.root.write("outdir/secret", "OUTSIDE");
  mkdir((l.box + "/a_dir").c_str(), 0755);
  l.root.write("box/a_dir/secret", "INSIDE");
  ASSERT_EQ(symlink("../outdir", (l.box + "/a_link").c_str()), 0);
  Harness h(config_with_dir(l.box));
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    std::string a = l.box + "/a", dir = l.box + "/a_dir", link = l.box + "/a_link";
    while (!stop.load()) {
      rename(dir.c_str(), a.c_str());
      rename(a.c_str(), dir.c_str());
      rename(link.c_str(), a.c_str());
      rename(a.c_str(), link.c_str());
    }
  });
  // Keep opening until both outcomes have been seen (the race really ran
  // against a live directory and a live symlink), bounded in time.
  int inside = 0, denied = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((inside < 50 || denied < 50) && std::chrono::steady_clock::now() < deadline) {
    uint32_t fd;
    if (h.open(kDirFd, "a/secret", 0, kReadRights, &fd) != 0) {
      ++denied;
      continue;
    }
    std::string got;
    ASSERT_EQ(h.read(fd, 16, &got), 0u);
    EXPECT_EQ(got, "INSIDE");
    ++inside;
    h.call("fd_close", {fd});
  }
  stop = true;
  swapper.join();
  EXPECT_GT(inside, 0);
  EXPECT_GT(denied, 0);
}

}  // namespace
}  // namespace ember::wasi::test
