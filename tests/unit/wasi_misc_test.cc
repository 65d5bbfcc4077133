// WASI host functions without files: the import table, args/environ, clocks,
// random, stdio streams, process control, poll_oneoff, sockets, and wild
// guest pointers.
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <algorithm>
#include <set>

#include "wasi_harness.hh"

namespace ember::wasi::test {
namespace {

TEST(WasiImports, EveryPreview1FunctionWithItsSignature) {
  Config c;
  auto ctx = make_context(c);
  ASSERT_TRUE(ctx.ok());
  auto imports = preview1_imports(*ctx);
  EXPECT_EQ(imports.size(), 46u);
  std::set<std::string> names;
  for (const auto& i : imports) names.insert(i.name);
  EXPECT_EQ(names.size(), imports.size());
  for (const char* n : {"args_get", "fd_readdir", "path_open", "poll_oneoff", "proc_exit",
                        "sock_accept", "random_get", "fd_renumber", "path_symlink"})
    EXPECT_TRUE(names.count(n)) << n;
  for (const auto& i : imports) {
    if (i.name == "path_open") {
      EXPECT_EQ(i.type.to_string(), "(i32, i32, i32, i32, i32, i64, i64, i32, i32) -> (i32)");
    }
    if (i.name == "proc_exit") {
      EXPECT_TRUE(i.type.results.empty());
    }
  }
  EXPECT_STREQ(errno_name(8), "badf");
  EXPECT_STREQ(errno_name(76), "notcapable");
  EXPECT_STREQ(errno_name(1), "2big");
}

TEST(WasiArgs, SizesAndStrings) {
  Config c;
  c.argv = {"prog", "hello", ""};
  c.env = {{"A", "1"}, {"HOME", "/x"}};
  Harness h(c);
  ASSERT_EQ(h.call("args_sizes_get", {100, 104}), 0u);
  EXPECT_EQ(h.u32(100), 3u);
  EXPECT_EQ(h.u32(104), 5u + 6u + 1u);
  ASSERT_EQ(h.call("args_get", {200, 300}), 0u);
  EXPECT_EQ(h.u32(200), 300u);
  EXPECT_EQ(h.get(h.u32(204), 6), std::string("hello\0", 6));
  EXPECT_EQ(h.u32(208), 311u);
  ASSERT_EQ(h.call("environ_sizes_get", {100, 104}), 0u);
  EXPECT_EQ(h.u32(100), 2u);
  EXPECT_EQ(h.u32(104), 4u + 8u);
  ASSERT_EQ(h.call("environ_get", {200, 300}), 0u);
  EXPECT_EQ(h.get(h.u32(204), 8), std::string("HOME=/x\0", 8));
  // Out of memory bounds: no write, EFAULT.
  EXPECT_EQ(h.call("args_get", {Harness::kMemSize - 4, 300}), E(Errno::Fault));
  EXPECT_EQ(h.call("args_get", {200, Harness::kMemSize - 3}), E(Errno::Fault));
  EXPECT_EQ(h.call("args_sizes_get", {0xFFFFFFFF, 104}), E(Errno::Fault));
}

TEST(WasiClocks, AllFourClocksAndBadIds) {
  Harness h(Config{});
  for (uint32_t id = 0; id < 4; ++id) {
    EXPECT_EQ(h.call("clock_res_get", {id, 64}), 0u) << id;
    EXPECT_GT(h.u64(64), 0u);
    EXPECT_EQ(h.call("clock_time_get", {id, 1, 64}), 0u) << id;
  }
  ASSERT_EQ(h.call("clock_time_get", {0, 1, 64}), 0u);
  uint64_t now = static_cast<uint64_t>(time(nullptr)) * 1000000000ull;
  EXPECT_LT(h.u64(64) > now ? h.u64(64) - now : now - h.u64(64), 5000000000ull);
  ASSERT_EQ(h.call("clock_time_get", {1, 1, 64}), 0u);
  uint64_t t0 = h.u64(64);
  ASSERT_EQ(h.call("clock_time_get", {1, 1, 64}), 0u);
  EXPECT_GE(h.u64(64), t0);
  EXPECT_EQ(h.call("clock_time_get", {4, 1, 64}), E(Errno::Inval));
  EXPECT_EQ(h.call("clock_res_get", {99, 64}), E(Errno::Inval));
  EXPECT_EQ(h.call("clock_time_get", {0, 1, Harness::kMemSize - 7}), E(Errno::Fault));
}

TEST(WasiRandom, FillsAndChecksBounds) {
  Harness h(Config{});
  ASSERT_EQ(h.call("random_get", {1000, 256}), 0u);
  int nonzero = 0;
  for (int i = 0; i < 256; ++i) nonzero += h.mem()[1000 + i] != 0;
  EXPECT_GT(nonzero, 200);
  EXPECT_EQ(h.call("random_get", {Harness::kMemSize - 10, 11}), E(Errno::Fault));
  EXPECT_EQ(h.call("random_get", {0xFFFFFFF0u, 0x20}), E(Errno::Fault));
  EXPECT_EQ(h.call("random_get", {Harness::kMemSize, 0}), 0u);  // empty range at the end
}

TEST(WasiProc, ExitRaiseYield) {
  Harness h(Config{});
  h.call("proc_exit", {42});
  EXPECT_EQ(h.last_trap(), TrapCode::Exit);
  EXPECT_EQ(h.store().exit_code, 42);
  EXPECT_EQ(h.call("sched_yield", {}), 0u);
  EXPECT_EQ(h.call("proc_raise", {0}), 0u);
  EXPECT_EQ(h.call("proc_raise", {27}), 0u);  // winch: ignored by default
  EXPECT_EQ(h.call("proc_raise", {31}), E(Errno::Inval));
  h.call("proc_raise", {6});  // abrt ends the program
  EXPECT_EQ(h.last_trap(), TrapCode::Exit);
  EXPECT_EQ(h.store().exit_code, 134);
}

TEST(WasiStdio, CustomOutputBytesInputAndDefaults) {
  std::string out, err;
  Config c;
  c.stdout_custom = [&](const uint8_t* p, size_t n) {
    out.append(reinterpret_cast<const char*>(p), n);
  };
  c.stderr_custom = [&](const uint8_t* p, size_t n) {
    err.append(reinterpret_cast<const char*>(p), n);
  };
  c.stdin_bytes = std::vector<uint8_t>{'a', 'b', 'c', 'd', 'e'};
  Harness h(c);
  uint32_t n = 0;
  ASSERT_EQ(h.write(1, "hello", &n), 0u);
  EXPECT_EQ(n, 5u);
  ASSERT_EQ(h.write(2, "oops"), 0u);
  EXPECT_EQ(out, "hello");
  EXPECT_EQ(err, "oops");
  std::string got;
  ASSERT_EQ(h.read(0, 3, &got), 0u);
  EXPECT_EQ(got, "abc");
  ASSERT_EQ(h.read(0, 10, &got), 0u);
  EXPECT_EQ(got, "de");
  ASSERT_EQ(h.read(0, 10, &got), 0u);
  EXPECT_EQ(got, "");
  EXPECT_EQ(h.write(0, "x"), E(Errno::Badf));     // stdin is not writable
  EXPECT_EQ(h.read(1, 4, &got), E(Errno::Badf));  // stdout is not readable
  EXPECT_EQ(h.write(9, "x"), E(Errno::Badf));     // no such fd
  ASSERT_EQ(h.call("fd_fdstat_get", {1, 64}), 0u);
  EXPECT_EQ(h.mem()[64], kFiletypeCharDevice);
  EXPECT_EQ(h.call("fd_seek", {1, 0, 0, 64}), E(Errno::Notcapable));
  EXPECT_EQ(h.call("fd_prestat_get", {1, 64}), E(Errno::Badf));

  Harness quiet(Config{});  // defaults: empty stdin, discarded output
  ASSERT_EQ(quiet.write(1, "lost", &n), 0u);
  EXPECT_EQ(n, 4u);
  ASSERT_EQ(quiet.read(0, 4, &got), 0u);
  EXPECT_EQ(got, "");
}

TEST(WasiStdio, CustomOutputMayTakePartOrFail) {
  std::string out;
  Config c;
  // Takes at most 3 bytes a write.
  c.stdout_custom = [&](const uint8_t* p, size_t n) -> int64_t {
    size_t k = std::min<size_t>(n, 3);
    out.append(reinterpret_cast<const char*>(p), k);
    return static_cast<int64_t>(k);
  };
  c.stderr_custom = [](const uint8_t*, size_t) -> int64_t { return -1; };
  Harness h(c);
  uint32_t n = 0;
  ASSERT_EQ(h.write(1, "hello", &n), 0u);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(out, "hel");
  EXPECT_EQ(h.write(2, "oops"), E(Errno::Io));
  Config big;
  big.stdout_custom = [](const uint8_t*, size_t) -> int64_t { return 1000; };  // clamped
  Harness hb(big);
  ASSERT_EQ(hb.write(1, "ab", &n), 0u);
  EXPECT_EQ(n, 2u);
}

TEST(WasiStdio, FilesAndMissingFiles) {
  TempDir d;
  d.write("in.txt", "input!");
  Config c;
  c.stdin_file = d / "in.txt";
  c.stdout_file = d / "out.txt";
  {
    Harness h(c);
    std::string got;
    ASSERT_EQ(h.read(0, 100, &got), 0u);
    EXPECT_EQ(got, "input!");
    ASSERT_EQ(h.write(1, "written"), 0u);
  }
  EXPECT_EQ(d.read("out.txt"), "written");
  Config bad;
  bad.stdin_file = d / "missing.txt";
  auto ctx = make_context(bad);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().message().find("missing.txt"), std::string::npos);
  Config baddir;
  baddir.preopens.push_back(Preopen{d / "nodir", "/x"});
  EXPECT_FALSE(make_context(baddir).ok());
}

TEST(WasiBadPointers, IovecsAndLengthsAreChecked) {
  std::string out;
  Config c;
  c.stdout_custom = [&](const uint8_t* p, size_t n) {
    out.append(reinterpret_cast<const char*>(p), n);
  };
  Harness h(c);
  // iovec array outside memory.
  EXPECT_EQ(h.call("fd_write", {1, Harness::kMemSize - 4, 1, 64}), E(Errno::Fault));
  // iovec count that would wrap in 32 bits.
  EXPECT_EQ(h.call("fd_write", {1, 16, 0x20000000, 64}), E(Errno::Inval));
  EXPECT_EQ(h.call("fd_write", {1, Harness::kMemSize - 4000, 1000, 64}), E(Errno::Fault));
  // A buffer that runs past the end.
  h.set32(16, Harness::kMemSize - 8);
  h.set32(20, 9);
  EXPECT_EQ(h.call("fd_write", {1, 16, 1, 64}), E(Errno::Fault));
  h.set32(16, 0xFFFFFFF0u);
  h.set32(20, 0x20);
  EXPECT_EQ(h.call("fd_write", {1, 16, 1, 64}), E(Errno::Fault));
  // Result pointer outside memory.
  h.set32(16, 100);
  h.set32(20, 1);
  EXPECT_EQ(h.call("fd_write", {1, 16, 1, Harness::kMemSize - 2}), E(Errno::Fault));
  EXPECT_EQ(out, "");
  EXPECT_EQ(h.call("fd_fdstat_get", {1, Harness::kMemSize - 23}), E(Errno::Fault));
  EXPECT_EQ(h.call("poll_oneoff", {0, 0, 0x10000000, 64}), E(Errno::Fault));
  EXPECT_EQ(h.call("poll_oneoff", {0, 0, 0, 64}), E(Errno::Inval));
}

TEST(WasiBadPointers, NoMemoryMeansFault) {
  Config c;
  auto ctx = make_context(c);
  ASSERT_TRUE(ctx.ok());
  rt::StoreData store;
  rt::ModuleInst inst;  // no memories at all
  rt::HostCall call{&store, &inst};
  for (auto& imp : preview1_imports(*ctx)) {
    if (imp.name != "args_sizes_get") continue;
    rt::Slot slots[2] = {0, 4};
    EXPECT_EQ(imp.fn(call, slots), TrapCode::None);
    EXPECT_EQ(slots[0], E(Errno::Fault));
  }
}

// Writes one subscription record at `p`.
void put_sub(Harness& h, uint32_t p, uint64_t userdata, uint8_t tag, uint32_t a, uint64_t timeout,
             uint16_t flags) {
  std::memset(h.mem() + p, 0, kSubscriptionSize);
  std::memcpy(h.mem() + p, &userdata, 8);
  h.mem()[p + 8] = tag;
  std::memcpy(h.mem() + p + 16, &a, 4);
  std::memcpy(h.mem() + p + 24, &timeout, 8);
  std::memcpy(h.mem() + p + 40, &flags, 2);
}

TEST(WasiPoll, ClockTimeoutsAndReadyFds) {
  Config c;
  c.stdin_bytes = std::vector<uint8_t>{'x', 'y'};
  Harness h(c);
  // A relative 20 ms monotonic timeout.
  put_sub(h, 2000, 7, kEventClock, kClockMonotonic, 20000000, 0);
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ASSERT_EQ(h.call("poll_oneoff", {2000, 3000, 1, 64}), 0u);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  EXPECT_GE(ms, 19.0);
  EXPECT_EQ(h.u32(64), 1u);
  EXPECT_EQ(h.u64(3000), 7u);
  EXPECT_EQ(h.mem()[3010], kEventClock);
  // An absolute deadline in the past fires at once.
  put_sub(h, 2000, 8, kEventClock, kClockRealtime, 1, kSubclockAbstime);
  ASSERT_EQ(h.call("poll_oneoff", {2000, 3000, 1, 64}), 0u);
  EXPECT_EQ(h.u64(3000), 8u);
  // stdin (bytes) is readable now; the 10 s clock does not fire.
  put_sub(h, 2000, 1, kEventClock, kClockMonotonic, 10000000000ull, 0);
  put_sub(h, 2048, 2, kEventFdRead, 0, 0, 0);
  put_sub(h, 2096, 3, kEventFdWrite, 1, 0, 0);
  put_sub(h, 2144, 4, kEventFdRead, 77, 0, 0);
  ASSERT_EQ(h.call("poll_oneoff", {2000, 3000, 4, 64}), 0u);
  ASSERT_EQ(h.u32(64), 3u);
  EXPECT_EQ(h.u64(3000), 2u);
  EXPECT_EQ(h.u64(3016), 2u);  // nbytes
  EXPECT_EQ(h.u64(3032), 3u);
  EXPECT_EQ(h.u64(3064), 4u);
  EXPECT_EQ(h.mem()[3072], E(Errno::Badf));
  // A bad clock id is reported in the event.
  put_sub(h, 2000, 9, kEventClock, 17, 0, 0);
  ASSERT_EQ(h.call("poll_oneoff", {2000, 3000, 1, 64}), 0u);
  EXPECT_EQ(h.mem()[3008], E(Errno::Inval));
}

TEST(WasiSockets, AcceptSendRecvShutdown) {
  TempDir d;
  std::string sock_path = d / "s";
  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(ls, 1), 0);
  Config c;
  c.sockets.push_back(ls);
  Harness h(c);
  close(ls);  // the context holds its own copy
  int client = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(h.call("sock_accept", {3, 0, 64}), 0u);
  uint32_t conn = h.u32(64);
  EXPECT_EQ(conn, 4u);
  ASSERT_EQ(write(client, "ping", 4), 4);
  h.set32(16, 100);
  h.set32(20, 16);
  ASSERT_EQ(h.call("sock_recv", {conn, 16, 1, 0, 64, 68}), 0u);
  EXPECT_EQ(h.u32(64), 4u);
  EXPECT_EQ(h.get(100, 4), "ping");
  h.put(200, "pong");
  h.set32(16, 200);
  h.set32(20, 4);
  ASSERT_EQ(h.call("sock_send", {conn, 16, 1, 0, 64}), 0u);
  char buf[8] = {};
  ASSERT_EQ(read(client, buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "pong");
  ASSERT_EQ(h.call("sock_shutdown", {conn, kSdWr}), 0u);
  EXPECT_EQ(read(client, buf, 4), 0);  // EOF after the guest's shutdown
  EXPECT_EQ(h.call("sock_shutdown", {conn, 0}), E(Errno::Inval));
  EXPECT_EQ(h.call("sock_send", {1, 16, 1, 0, 64}), E(Errno::Notsock));
  EXPECT_EQ(h.call("sock_accept", {42, 0, 64}), E(Errno::Badf));
  close(client);
}

}  // namespace
}  // namespace ember::wasi::test
