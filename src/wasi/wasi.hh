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

#include "ember/wasi.hh"
#include "ir/types.hh"
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember::wasi {

inline constexpr const char* kModuleName = kWasiModule;

// What a WASI program is given: the public API's types (include/ember/wasi.hh
// documents them), so the API passes them through unchanged.
using Preopen = WasiPreopen;
using OutputFn = WasiOutput;
using Config = WasiConfig;

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
