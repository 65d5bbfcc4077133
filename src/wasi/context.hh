// WASI internals shared by the implementation files: the fd table (Context),
// the per-call environment with checked guest-memory access (Env), and the
// prototypes of every function in wasi_p1.def.
//
// Invariants:
//  - Env never hands out a pointer into guest memory without checking
//    [ptr, ptr+len) against the memory size in 64-bit arithmetic.
//  - A host fd held by an FdEntry is closed exactly once, when the entry goes
//    (unless it is an inherited stdio fd, which is never closed).
//  - Directory entries are resolved only through sandbox.hh.
#pragma once

#include <time.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wasi/abi.hh"
#include "wasi/wasi.hh"

namespace ember::wasi {

// A host file descriptor owned by its holder (move-only).
class HostFd {
 public:
  HostFd() = default;
  explicit HostFd(int fd) : fd_(fd) {}
  HostFd(HostFd&& o) noexcept : fd_(o.release()) {}
  HostFd& operator=(HostFd&& o) noexcept;
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;
  ~HostFd();
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

enum class FdKind : uint8_t {
  File,        // host regular file (or device) opened through path_open / stdio file
  Dir,         // host directory (preopen or path_open)
  HostStream,  // inherited stdio: host fd 0/1/2, never closed
  Bytes,       // stdin from an in-memory buffer
  Sink,        // output discarded / input at EOF
  Callback,    // output passed to a host callback
};

struct DirListing {
  struct Item {
    std::string name;
    uint64_t ino;
    uint8_t type;
  };
  std::vector<Item> items;
  bool valid = false;
};

// What a preopen allows; inherited by everything opened beneath it.
struct Perms {
  bool dir_read = true, dir_write = true, file_read = true, file_write = true;
};

struct FdEntry {
  FdKind kind = FdKind::Sink;
  HostFd fd;           // File / Dir
  int stream_fd = -1;  // HostStream: the host's 0/1/2
  uint8_t filetype = kFiletypeUnknown;
  uint16_t fdflags = 0;
  uint64_t rights_base = 0, rights_inheriting = 0;
  bool readable = false, writable = false;  // access the fd was opened with
  Perms perms;
  std::string preopen_name;  // the guest's name of a preopen (may be empty)
  bool is_preopen = false;
  std::shared_ptr<const std::vector<uint8_t>> bytes;  // Bytes
  uint64_t bytes_pos = 0;
  OutputFn callback;   // Callback
  DirListing listing;  // fd_readdir snapshot, refreshed at cookie 0

  int host() const { return kind == FdKind::HostStream ? stream_fd : fd.get(); }
};

class Context {
 public:
  std::vector<std::string> args;
  std::vector<std::string> env;  // "NAME=VALUE"
  std::map<uint32_t, std::unique_ptr<FdEntry>> fds;

  FdEntry* find(uint32_t fd) {
    auto it = fds.find(fd);
    return it == fds.end() ? nullptr : it->second.get();
  }
  // Installs at the lowest free number; EMFILE past the table limit.
  Errno insert(std::unique_ptr<FdEntry> e, uint32_t* out);

  static constexpr size_t kMaxFds = 4096;
};

// One host call: the context and the caller's linear memory.
struct Env {
  rt::HostCall& call;
  Context& ctx;
  uint8_t* base = nullptr;
  uint64_t size = 0;
  TrapCode trap = TrapCode::None;  // set by proc_exit / proc_raise

  bool in_range(uint64_t ptr, uint64_t len) const { return ptr <= size && len <= size - ptr; }
  // A checked pointer to [ptr, ptr+len), or null.
  uint8_t* at(uint64_t ptr, uint64_t len) const {
    return in_range(ptr, len) ? base + ptr : nullptr;
  }
  template <typename T>
  bool load(uint64_t ptr, T* out) const {
    const uint8_t* p = at(ptr, sizeof(T));
    if (!p) return false;
    std::memcpy(out, p, sizeof(T));
    return true;
  }
  template <typename T>
  bool store(uint64_t ptr, T v) const {
    uint8_t* p = at(ptr, sizeof(T));
    if (!p) return false;
    std::memcpy(p, &v, sizeof(T));
    return true;
  }
  // Reads a guest string (path) of `len` bytes; EFAULT / ENAMETOOLONG / EILSEQ.
  Errno string(uint32_t ptr, uint32_t len, std::string* out) const;
  // The fd, which must hold all of `rights` (else ENOTCAPABLE; EBADF if absent).
  Errno fd(uint32_t fd, uint64_t rights, FdEntry** out) const;
};

// A resolved iovec list: checked (pointer, length) pairs in guest memory.
struct IoSpan {
  uint8_t* ptr;
  uint32_t len;
};
Errno read_iovecs(const Env& env, uint32_t iovs, uint32_t count, std::vector<IoSpan>* out);

// Reads into / writes from `spans` on any readable / writable entry (host
// file or stream, in-memory stdin, sink, output callback); `offset` < 0:
// at the current position. `*n` is how many bytes moved.
Errno entry_read(FdEntry& e, const std::vector<IoSpan>& spans, int64_t offset, uint64_t* n);
Errno entry_write(FdEntry& e, const std::vector<IoSpan>& spans, int64_t offset, uint64_t* n);
// A fresh snapshot of directory `dirfd`: ".", "..", then the entries by name.
Errno list_dir(int dirfd, DirListing* out);

// Host errno of the last failed call, as WASI errno.
Errno last_error();

// struct stat -> filestat record at guest `ptr` (already range-checked).
uint8_t filetype_of_mode(uint32_t st_mode);
void write_filestat(uint8_t* p, const void* host_stat);
// atim/mtim/fstflags -> the two timespecs of futimens/utimensat.
Errno times_from(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec out[2]);

// Prototypes: Errno fn_<name>(Env&, const rt::Slot* args).
#define EMBER_WASI_FN(name, params, results) Errno fn_##name(Env& env, const rt::Slot* a);
#include "wasi/wasi_p1.def"

inline uint32_t arg32(const rt::Slot* a, int i) {
  return static_cast<uint32_t>(a[i]);
}
inline uint64_t arg64(const rt::Slot* a, int i) {
  return a[i];
}

}  // namespace ember::wasi
