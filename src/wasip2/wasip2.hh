// WASI 0.2 for components: the host side of wasi:io, wasi:cli,
// wasi:clocks, wasi:random, wasi:filesystem and (refusing) wasi:sockets.
//
// Place in the pipeline: host functions, on the component runtime
// (src/canon). Linker::add_wasip2() defines every interface as an instance
// of host functions and host resource types (link.cc). Each function finds
// the calling store's state through its StoreContext: the preview-1
// context the store's set_wasi() made (stdio, argv, environment,
// preopened directories and their permissions, all shared with preview 1)
// and the store's tables of WASI 0.2 resources (descriptors, streams,
// pollables, errors, directory listings), whose representation is the
// table key.
//
// Invariants:
//  - Every path goes through the preview-1 sandbox resolver (wasi/sandbox.hh)
//    beneath a descriptor's directory fd; nothing outside a preopen is
//    reachable, and a read-only preopen refuses writes (not-permitted).
//  - A handle the guest passes names an entry of the right table or the
//    call traps ("unknown handle"); the component runtime has checked its
//    type already.
//  - Enum and flag cases are found by name in the function's own type, so
//    one implementation serves every 0.2.x version a component imports.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "canon/canon.hh"
#include "wasi/context.hh"

namespace ember::wasip2 {

using component::FuncType;
using component::StoreContext;
using component::Type;
using component::Value;

// The resource types of WASI 0.2, one table each.
enum class Res : uint8_t {
  Error,
  Pollable,
  InputStream,
  OutputStream,
  Descriptor,
  DirEntries,
  TerminalInput,
  TerminalOutput,
  Network,
  TcpSocket,
  UdpSocket,
  IncomingDatagrams,
  OutgoingDatagrams,
  ResolveAddresses,
  // wasi:http/types (http.cc)
  Fields,
  IncomingRequest,
  OutgoingRequest,
  RequestOptions,
  ResponseOutparam,
  IncomingResponse,
  IncomingBody,
  FutureTrailers,
  OutgoingResponse,
  OutgoingBody,
  FutureIncomingResponse,
  Count,
};

// A file or directory the guest holds.
struct Descriptor {
  std::shared_ptr<wasi::HostFd> fd;
  bool dir = false;
  bool read = false, write = false;  // descriptor-flags read / write
  wasi::Perms perms;                 // the preopen's, narrowed by open-at
};

// Bytes between a guest stream and an HTTP exchange, whose other end runs
// on the exchange's thread: a request body the guest writes, a response
// body it reads.
struct Pipe {
  std::mutex m;
  std::condition_variable cv;
  std::string data;          // written and not yet read
  uint64_t written = 0;      // in all
  bool eof = false;          // the writer finished
  bool reader_gone = false;  // the reader dropped its end
  std::string error;         // non-empty: the writer failed
};

// Where a stream reads or writes: a file at a position, a stdio entry of
// the preview-1 context (fd 0, 1 or 2), or a pipe of an HTTP body.
struct Stream {
  std::shared_ptr<wasi::HostFd> file;  // null: stdio or pipe
  std::shared_ptr<Pipe> pipe;
  bool pipe_output = false;  // the guest writes the pipe
  int stdio = -1;
  uint64_t position = 0;
  bool append = false;
  bool closed = false;
};

struct Pollable {
  uint64_t deadline = 0;        // CLOCK_MONOTONIC ns; 0: always ready
  std::function<bool()> ready;  // set: ready when it says so (deadline unused)
};

struct DirEntries {
  std::vector<wasi::DirListing::Item> items;
  size_t next = 0;
};

struct Http;  // wasi:http's tables (http.hh)

// One store's WASI 0.2 state.
struct State {
  std::shared_ptr<wasi::Context> ctx;
  uint32_t next_rep = 1;
  std::map<uint32_t, Descriptor> descriptors;
  std::map<uint32_t, Stream> streams;  // input and output streams
  std::map<uint32_t, Pollable> pollables;
  std::map<uint32_t, std::string> errors;
  std::map<uint32_t, DirEntries> dir_entries;
  std::shared_ptr<Http> http;  // made by the first wasi:http call

  // At most this many WASI resources live in one store at a time (a guest
  // that never drops its handles cannot grow host memory without bound).
  static constexpr size_t kMaxLive = size_t{1} << 20;

  // Representations are unique across the tables (never reused).
  uint32_t rep() {
    size_t live = descriptors.size() + streams.size() + pollables.size() + errors.size() +
                  dir_entries.size() + http_live();
    if (live >= kMaxLive) throw Trap("wasi: too many WASI resources alive in this store");
    if (next_rep == UINT32_MAX) throw Trap("wasi: too many resources made in this store");
    return next_rep++;
  }
  size_t http_live() const;  // http.cc
};

// The calling store's state; WasmError when the store has no WASI context
// (set_wasi was not called).
State& state(StoreContext cx);

// A new owned handle of `r` with representation `rep`, as a return value.
Value own(Res r, uint32_t rep);
// The representation of a handle argument.
uint32_t rep_of(const Value& v);
// The resource type of `r` (for the linker).
const std::shared_ptr<component::RType>& resource_type(Res r);

// Values.
Value ok(Value v);
Value ok();
Value err(Value v);
Value some(Value v);
Value none();
Value u64(uint64_t n);
Value str(std::string s);
Value tuple(std::vector<Value> items);
// The index of case `name` of an enum, variant or flags type; WasmError
// when it has none.
uint64_t case_of(const Type& t, const std::string& name);
// The error payload type of a function returning result<_, E>.
Type err_type(const FuncType& ft);
// err(error-code) of a filesystem function, from a preview-1 errno.
Value fs_error(const FuncType& ft, wasi::Errno e);
// A stream-error: last-operation-failed(error) with `message`, or closed.
Value stream_failed(State& s, std::string message);
Value stream_closed();

[[noreturn]] void unknown_handle(const char* what, uint32_t rep);

// The entry of table `t` that `handle` names (a trap naming `what` when
// the table has none); take() also removes it.
template <typename T>
T& entry(std::map<uint32_t, T>& t, const Value& handle, const char* what) {
  auto it = t.find(rep_of(handle));
  if (it == t.end()) unknown_handle(what, rep_of(handle));
  return it->second;
}
template <typename T>
T take(std::map<uint32_t, T>& t, const Value& handle, const char* what) {
  T v = std::move(entry(t, handle, what));
  t.erase(rep_of(handle));
  return v;
}

// Argument `i` of a call. A component declares its imports' types itself,
// so a WASI function may be called with fewer parameters than WASI gives
// it: that is a trap, never a read past the arguments. (Values of the
// wrong kind are harmless: a number where a string was expected reads as
// empty, a missing resource is an error, and representations are unique
// across all of a store's tables, so a handle of another resource type
// names nothing.)
const Value& arg(std::span<const Value> a, size_t i);

// What each interface defines, by function name.
using Funcs = std::vector<std::pair<std::string, component::HostFunc>>;
Funcs io_error_funcs();
Funcs io_poll_funcs();
Funcs io_streams_funcs();
Funcs cli_funcs(const std::string& iface);  // "environment", "exit", "stdout", ...
Funcs clock_funcs(const std::string& iface);
Funcs random_funcs(const std::string& iface);
Funcs filesystem_types_funcs();
Funcs filesystem_preopens_funcs();
// wasi:http/types and wasi:http/outgoing-handler (http.cc).
Funcs http_types_funcs();
Funcs http_outgoing_funcs();
// Forgets wasi:http resource `r` (a guest dropped its handle).
void http_forget(State& s, Res r, uint32_t rep);
// CLOCK_MONOTONIC in ns: wasi:clocks' monotonic clock and every deadline (io.cc).
uint64_t monotonic_now();
// A new pollable ready when `ready` says so (io.cc).
Value pollable_when(State& s, std::function<bool()> ready);
// A new input or output stream over `pipe` (io.cc).
Value pipe_stream(State& s, std::shared_ptr<Pipe> pipe, bool output);

// An answer for a function Ember does not implement: err(unsupported) (or
// the error type's `not-supported`, `access-denied`) when its result has
// such a case; else a trap naming the function.
component::HostFunc refuse(const std::string& name);

}  // namespace ember::wasip2
