// Test harness for the WASI host functions without the interpreter: a
// hand-built store and instance whose linear memory is a plain buffer, and
// helpers to call a wasi_snapshot_preview1 function by name with raw slots.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "runtime/store_data.hh"
#include "wasi/abi.hh"
#include "wasi/wasi.hh"

namespace ember::wasi::test {

// A temporary directory removed with its contents at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ember-wasi-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& rel) const { return path + "/" + rel; }
  void write(const std::string& rel, const std::string& text) const {
    std::ofstream(path + "/" + rel, std::ios::binary) << text;
  }
  std::string read(const std::string& rel) const {
    std::ifstream f(path + "/" + rel, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
};

class Harness {
 public:
  static constexpr uint32_t kMemSize = 65536;
  static constexpr uint32_t kScratch = 1024;  // where helpers put strings
  static constexpr uint32_t kOut = 512;       // where helpers get results

  explicit Harness(const Config& config) : buf_(kMemSize, 0) {
    auto ctx = make_context(config);
    EXPECT_TRUE(ctx.ok()) << (ctx.ok() ? "" : ctx.error().describe());
    if (!ctx.ok()) return;
    for (auto& imp : preview1_imports(*ctx)) fns_[imp.name] = std::move(imp);
    mem_.base = buf_.data();
    mem_.size = buf_.size();
    inst_.memories.push_back(&mem_);
    call_.store = &store_;
    call_.caller = &inst_;
  }
  ~Harness() { mem_.base = nullptr; }  // the buffer is not a reservation

  uint8_t* mem() { return buf_.data(); }
  rt::StoreData& store() { return store_; }
  TrapCode last_trap() const { return trap_; }
  bool has(const std::string& name) const { return fns_.count(name) != 0; }
  const HostImport& import(const std::string& name) { return fns_.at(name); }

  // Calls `name` with raw arguments; returns the errno (or 0xFFFF if the
  // function has no result / trapped).
  uint32_t call(const std::string& name, std::vector<uint64_t> args) {
    auto it = fns_.find(name);
    EXPECT_TRUE(it != fns_.end()) << name;
    if (it == fns_.end()) return 0xFFFF;
    EXPECT_EQ(args.size(), it->second.type.params.size()) << name;
    std::vector<rt::Slot> slots(std::max<size_t>(args.size(), 1));
    std::copy(args.begin(), args.end(), slots.begin());
    trap_ = it->second.fn(call_, slots.data());
    if (trap_ != TrapCode::None || it->second.type.results.empty()) return 0xFFFF;
    return static_cast<uint32_t>(slots[0]);
  }

  void put(uint32_t addr, const std::string& s) {
    std::memcpy(buf_.data() + addr, s.data(), s.size());
  }
  std::string get(uint32_t addr, uint32_t len) {
    return std::string(reinterpret_cast<char*>(buf_.data() + addr), len);
  }
  uint32_t u32(uint32_t addr) {
    uint32_t v;
    std::memcpy(&v, buf_.data() + addr, 4);
    return v;
  }
  uint64_t u64(uint32_t addr) {
    uint64_t v;
    std::memcpy(&v, buf_.data() + addr, 8);
    return v;
  }
  void set32(uint32_t addr, uint32_t v) { std::memcpy(buf_.data() + addr, &v, 4); }

  // path_open relative to `dirfd`; returns errno, the new fd in *fd.
  uint32_t open(uint32_t dirfd, const std::string& path, uint32_t oflags, uint64_t rights,
                uint32_t* fd, uint32_t lookup = kLookupSymlinkFollow, uint32_t fdflags = 0) {
    put(kScratch, path);
    uint32_t e = call("path_open", {dirfd, lookup, kScratch, path.size(), oflags, rights,
                                    kRightsAll, fdflags, kOut});
    if (fd) *fd = e == 0 ? u32(kOut) : UINT32_MAX;
    return e;
  }
  // Calls a (fd, path_ptr, path_len) function.
  uint32_t path_op(const std::string& fn, uint32_t dirfd, const std::string& path) {
    put(kScratch, path);
    return call(fn, {dirfd, kScratch, path.size()});
  }
  // fd_write of `text` through one iovec; returns errno.
  uint32_t write(uint32_t fd, const std::string& text, uint32_t* n = nullptr) {
    put(kScratch + 64, text);
    set32(kScratch, kScratch + 64);
    set32(kScratch + 4, static_cast<uint32_t>(text.size()));
    uint32_t e = call("fd_write", {fd, kScratch, 1, kOut});
    if (n) *n = u32(kOut);
    return e;
  }
  // fd_read of up to `max` bytes; returns errno, data in *out.
  uint32_t read(uint32_t fd, uint32_t max, std::string* out) {
    set32(kScratch, kScratch + 64);
    set32(kScratch + 4, max);
    uint32_t e = call("fd_read", {fd, kScratch, 1, kOut});
    if (e == 0) *out = get(kScratch + 64, u32(kOut));
    return e;
  }

 private:
  std::vector<uint8_t> buf_;
  rt::MemoryInst mem_;
  rt::ModuleInst inst_;
  rt::StoreData store_;
  rt::HostCall call_;
  std::map<std::string, HostImport> fns_;
  TrapCode trap_ = TrapCode::None;
};

inline Config config_with_dir(const std::string& host, bool writable = true) {
  Config c;
  Preopen p;
  p.host_path = host;
  p.guest_path = "/sandbox";
  p.dir_write = writable;
  p.file_write = writable;
  c.preopens.push_back(p);
  return c;
}

constexpr uint32_t kDirFd = 3;  // the first preopen
constexpr uint64_t kReadRights =
    kRightFdRead | kRightFdSeek | kRightFdTell | kRightFdFilestatGet | kRightFdReaddir | kRightsDir;
constexpr uint64_t kRwRights = kRightsAll;

inline uint32_t E(Errno e) {
  return static_cast<uint32_t>(e);
}

}  // namespace ember::wasi::test
