// WASI preview1 (`wasi_snapshot_preview1`) for embedders.
//
// As in wasmtime, the WASI context belongs to the store, not to the linker:
// set_wasi() builds a context (argv, environment, stdio, preopened
// directories) from a WasiConfig and makes it the store's current one. The
// functions a store gives out (wasi_func, Linker::define_wasi) forward each call to
// the store's current context, so a module may be linked and instantiated
// before set_wasi(), and the context may be replaced between calls.
//
//   ember::Store store(engine);
//   ember::WasiConfig wasi;
//   wasi.argv = {"prog", "--verbose"};
//   wasi.inherit_stdout = true;
//   wasi.preopens.push_back({"/srv/data", "/data"});
//   ember::set_wasi(store, wasi);
//   ember::Linker linker(engine);
//   linker.define_wasi();
//   ember::Instance inst = linker.instantiate(store, module);
//
// Invariants:
//  - The guest reaches no host file outside its preopened directories, and
//    every guest pointer is checked against its linear memory (the export
//    "memory" of the calling instance, else its memory 0); docs/wasi.md has
//    the sandbox and the errno policy.
//  - A store's WASI functions are created once: wasi_func() gives the same
//    Func for the same store and name every time. Like everything a store
//    creates, they live as long as the store.
//  - Calling a WASI function of a store that has no context fails the call
//    with WasmError (ErrorKind::Internal) saying so.
//  - `proc_exit` ends the call with a Trap whose code() is TrapCode::Exit and
//    whose exit_code() is the status.
//  - A context is used by its store only, from the store's thread.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/objects.hh"
#include "ember/store.hh"
#include "ember/types.hh"

namespace ember {

// The module name the preview1 functions are imported from.
inline constexpr const char* kWasiModule = "wasi_snapshot_preview1";

// A host directory the guest sees under `guest_path` (e.g. "." or "/data";
// empty is allowed, as in wasmtime: fd_prestat_dir_name then gives "").
// The permissions are wasmtime's DirPerms / FilePerms; what they forbid
// fails with EPERM.
struct WasiPreopen {
  std::string host_path;
  std::string guest_path;
  bool dir_read = true;    // lookups, readdir, stat
  bool dir_write = true;   // create / remove / rename / link / symlink / set times
  bool file_read = true;   // open files for reading
  bool file_write = true;  // open files for writing, truncate, set size
};

// A custom stdout/stderr sink. It receives the bytes of one write and
// returns how many it took (clamped to 0..n; the guest sees a short write),
// or a negative value when it failed, which the guest sees as EIO; a
// callable returning void takes every byte. It runs on the thread calling
// wasm, inside the guest's fd_write; an exception it throws fails that call
// and reaches the embedder as itself.
class WasiOutput {
 public:
  WasiOutput() = default;
  template <typename F>
    requires(!std::same_as<std::decay_t<F>, WasiOutput> &&
             std::invocable<F&, const uint8_t*, size_t>)
  WasiOutput(F f) {  // NOLINT: implicit, so a lambda can be assigned directly
    using R = std::invoke_result_t<F&, const uint8_t*, size_t>;
    if constexpr (std::is_same_v<R, int64_t>) {
      fn_ = std::move(f);  // (as given: target<F>() finds it)
    } else if constexpr (std::is_void_v<R>) {
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
  // The callable this sink was made from when it is a T whose result is
  // int64_t (a callable with another result is wrapped); null otherwise.
  // For embedders that look into their own sinks, e.g. a language
  // binding's garbage collector (for_each_wasi_output).
  template <typename T>
  const T* target() const noexcept {
    return fn_.template target<T>();
  }

 private:
  std::function<int64_t(const uint8_t*, size_t)> fn_;
};

// Everything a WASI program is given. Stdio sources, in priority order:
// stdin: stdin_bytes, stdin_file, inherit_stdin, else empty (EOF).
// stdout/stderr: *_custom, *_file (created/truncated), inherit_*, else
// discarded.
struct WasiConfig {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  bool inherit_argv = false;  // argv ignored; the host's own (see set_wasi_host_argv)
  bool inherit_env = false;   // env ignored; the host's environment
  bool inherit_stdin = false, inherit_stdout = false, inherit_stderr = false;
  std::optional<std::string> stdin_file, stdout_file, stderr_file;
  std::optional<std::vector<uint8_t>> stdin_bytes;
  WasiOutput stdout_custom, stderr_custom;  // empty: not used
  // Numbered from fd 3 in this order.
  std::vector<WasiPreopen> preopens;
  // Host sockets given to the guest (e.g. a listening TCP socket for
  // sock_accept), numbered after the preopens. The context dup()s them, so
  // the caller keeps (and closes) its own descriptors.
  std::vector<int> sockets;
};

// The host's argv, which `inherit_argv` gives the guest (process-wide; call
// it once at start-up, e.g. with main's argv).
void set_wasi_host_argv(std::vector<std::string> argv);

// Builds a context from `config` and makes it the store's current one,
// replacing any previous one (whose files and directories are closed once
// nothing uses it). Throws WasmError (ErrorKind::Internal, the message
// naming the path, or the fd of a socket) when a stdio file, a preopened
// directory or a socket cannot be opened, and while the store is executing
// (Store::executing: from a host function or an output callback); the
// store's context is then unchanged.
void set_wasi(Store& store, const WasiConfig& config);

// Visits the custom stdout/stderr sinks (WasiConfig::stdout_custom,
// stderr_custom) of the store's current WASI context: once for each of the
// guest's descriptors that writes to one (the guest may renumber them).
// Each set_wasi() makes a context of its own, used by this store only.
// Call it only while the store is not executing: the guest changes its
// descriptors.
void for_each_wasi_output(const Store& store, const std::function<void(const WasiOutput&)>& visit);

// The store's function `name` of wasi_snapshot_preview1 (e.g. "fd_write"),
// forwarding to the store's current context. Throws WasmError
// (ErrorKind::Internal) when preview1 has no function of that name.
Func wasi_func(Store& store, std::string_view name);

// The name and type of every wasi_snapshot_preview1 function, in the order
// of the preview1 table.
std::vector<std::pair<std::string, FuncType>> wasi_imports();

}  // namespace ember
