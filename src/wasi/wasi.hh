// WASI preview1 (`wasi_snapshot_preview1`): the public face of src/wasi.
//
// Place in the pipeline: host functions. The runtime (Linker.define_wasi,
// Store.set_wasi, `ember run`) builds a `Context` from a `Config` and defines
// every entry of `preview1_imports(ctx)` under module `kModuleName`. Each
// import is an ordinary `rt::HostFn`; it finds the guest's linear memory
// through `HostCall::caller` (the export named "memory", else memory 0).
//
// Invariants:
//  - Every guest pointer/length is checked in 64-bit arithmetic against the
//    memory's current size before use; a bad one yields EFAULT, never a host
//    access outside linear memory.
//  - The guest reaches no host file outside its preopened directories: paths
//    are resolved one component at a time beneath a directory fd, with
//    O_NOFOLLOW, `..` handled by the resolver, absolute paths refused
//    (ENOTCAPABLE), symlinks expanded by the resolver itself.
//  - `proc_exit` stores the status in `StoreData::exit_code` and returns
//    TrapCode::Exit.
//  - A Context is used by one store (thread) at a time, like the store.
//
// Errno policy (see docs/wasi.md): sandbox escapes -> ENOTCAPABLE; operations
// a read-only preopen forbids -> EPERM (as wasmtime's DirPerms/FilePerms);
// reading/writing an fd opened without that access -> EBADF; other rights an
// fd lacks -> ENOTCAPABLE.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/types.hh"
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember::wasi {

inline constexpr const char* kModuleName = "wasi_snapshot_preview1";

// A host directory the guest sees under `guest_path` (e.g. "." or "/data";
// empty is allowed, as in wasmtime: fd_prestat_dir_name then gives "").
struct Preopen {
  std::string host_path;
  std::string guest_path;
  bool dir_read = true;    // lookups, readdir, stat
  bool dir_write = true;   // create / remove / rename / link / symlink / set times
  bool file_read = true;   // open files for reading
  bool file_write = true;  // open files for writing, truncate, set size
};

// A custom stdout/stderr sink. It receives the bytes of one write and
// returns how many it took (clamped to 0..n), or a negative value when it
// failed, which the guest sees as EIO. A callable returning void takes
// every byte.
class OutputFn {
 public:
  OutputFn() = default;
  template <typename F>
    requires(!std::same_as<std::decay_t<F>, OutputFn> && std::invocable<F&, const uint8_t*, size_t>)
  OutputFn(F f) {  // NOLINT: implicit, so a lambda can be assigned directly
    if constexpr (std::is_void_v<std::invoke_result_t<F&, const uint8_t*, size_t>>) {
      fn_ = [f = std::move(f)](const uint8_t* p, size_t n) mutable -> int64_t {
        f(p, n);
        return static_cast<int64_t>(n);
      };
    } else {
      fn_ = [f = std::move(f)](const uint8_t* p, size_t n) mutable -> int64_t {
        return static_cast<int64_t>(f(p, n));
      };
    }
  }
  explicit operator bool() const { return static_cast<bool>(fn_); }
  int64_t operator()(const uint8_t* p, size_t n) const { return fn_(p, n); }

 private:
  std::function<int64_t(const uint8_t*, size_t)> fn_;
};

// Everything a WASI program is given. Stdio sources, in priority order:
// stdin: stdin_bytes, stdin_file, inherit_stdin, else empty (EOF).
// stdout/stderr: *_custom, *_file (created/truncated), inherit_*, else
// discarded.
struct Config {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  bool inherit_argv = false;  // argv ignored; the host's own (needs set_host_argv)
  bool inherit_env = false;   // env ignored; the host's environment
  bool inherit_stdin = false, inherit_stdout = false, inherit_stderr = false;
  std::optional<std::string> stdin_file, stdout_file, stderr_file;
  std::optional<std::vector<uint8_t>> stdin_bytes;
  OutputFn stdout_custom, stderr_custom;
  std::vector<Preopen> preopens;
  // Host sockets given to the guest (e.g. a listening TCP socket for
  // sock_accept), numbered after the preopens. The context dup()s them.
  std::vector<int> sockets;
};

// The host's argv for `inherit_argv` (the CLI / Python call this once).
void set_host_argv(std::vector<std::string> argv);

// The fd table, preopens, stdio streams, argv/env. Opaque outside src/wasi.
class Context;

// Opens stdio files and preopened directories. Fails (ErrorKind::Internal,
// message naming the path) when a file or directory cannot be opened.
Expected<std::shared_ptr<Context>> make_context(const Config& config);

// One function of wasi_snapshot_preview1, bound to a context.
struct HostImport {
  std::string name;  // e.g. "fd_write"
  FuncType type;
  rt::HostFn fn;
};

// Every wasi_snapshot_preview1 function (the table in wasi_p1.def), bound to
// `ctx` (kept alive by the functions).
std::vector<HostImport> preview1_imports(std::shared_ptr<Context> ctx);

// The spec's name of an errno value ("badf"), or "unknown".
const char* errno_name(uint16_t errno_value);

}  // namespace ember::wasi
