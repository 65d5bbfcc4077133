// Shared declarations of the `_ember` extension (the nanobind layer).
//
// Place: between Python and the runtime (src/runtime). The pure-Python part of
// the package (python/ember/*.py) defines the exception classes and the type
// descriptions; it hands them to the extension once at import (`_init`), and
// the extension keeps them in `Py` for the lifetime of the process.
//
// Invariants:
//  - every Python-visible handle to a store entity (Func, Memory, Table,
//    Global, instance) is (store id, raw pointer). The pointer is only
//    dereferenced after `Handle::get` proved that the store passed in is
//    open, held by this thread (StoreScope) and has that id, so a handle outliving or crossing its
//    store raises instead of crashing;
//  - engine errors become Python exceptions only here, at the edge;
//  - Python exceptions raised by host functions travel through wasm as
//    TrapCode::HostError with the exception kept in StoreData::host_error,
//    and are re-raised unchanged at the outermost call.
#pragma once

#include <nanobind/nanobind.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ember/engine.hh"
#include "runtime/runtime.hh"
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace nb = nanobind;

namespace ember::py {

// Python objects from the pure-Python package, set by `_init`.
struct PyRefs {
  nb::object WasmtimeError, Trap, ExitTrap;
  nb::object ValType, FuncType, GlobalType, TableType, MemoryType, Limits;
  nb::object Val, Engine, Module;
  nb::object valtype_from_code;   // ValType._from_code
  nb::object trap_create;         // Trap._create(message, code, frames)
  nb::object ctypes_ubyte_ptr;    // helper: address -> POINTER(c_ubyte)
  nb::object ctypes_ubyte_array;  // helper: (address, size) -> (c_ubyte*size)
};
PyRefs& refs();

// Raise a Python exception of class `cls` with `msg` (never returns).
[[noreturn]] void raise(nb::handle cls, const std::string& msg);
[[noreturn]] void raise_wasmtime(const std::string& msg);
[[noreturn]] void raise_type(const std::string& msg);
[[noreturn]] void raise_value(const std::string& msg);
// An engine error: ErrorKind::Trap becomes `Trap` (with `code` if known),
// anything else `WasmtimeError`.
[[noreturn]] void raise_error(const Error& e, TrapCode code = TrapCode::None);
// The outcome of an invoke that did not return TrapCode::None.
[[noreturn]] void raise_trap(rt::StoreData& s, TrapCode code);

// An int in [0, 2^64) (bool counts as int, as in Python); TypeError for
// other types, ValueError when negative or too large.
uint64_t checked_u64(nb::handle v, const char* what);

// ---- config, engine and module handles (held by the Python Config / Engine /
// Module) ----------------------------------------------------------------------

// A Python Config's settings: the public ember::Config, whose setters hold
// every rule about a value (config.cc).
struct ConfigHandle {
  Config config;
};

struct EngineHandle {
  std::shared_ptr<rt::EngineData> data;
};

struct ModuleHandle {
  std::shared_ptr<rt::EngineData> engine;
  std::shared_ptr<const ModuleData> data;
};

// ---- the store ---------------------------------------------------------------

struct WasiState;  // the store's WASI context and functions (wasi.cc)

struct Store {
  std::unique_ptr<rt::StoreData> data;  // null once closed
  uint64_t id = 0;                      // unique per process, never reused
  nb::object engine;                    // the Python Engine
  nb::object user_data;
  // Externref interning: one ExternObj per Python object identity, so the
  // same object passed twice is the same reference (identity kept).
  std::unordered_map<PyObject*, rt::ExternObj*> externs;
  // Live externref objects above which a call first collects (collect_externs).
  size_t extern_threshold = kMinExternThreshold;
  static constexpr size_t kMinExternThreshold = 10000;
  // Single-thread guard: the thread inside the store and its depth.
  std::atomic<std::thread::id> owner{};
  int depth = 0;
  std::shared_ptr<WasiState> wasi;  // null until set_wasi / a WASI function is made

  Store(nb::handle engine, nb::handle data);
  ~Store();
  void close();
};

// A Caller: the store plus the calling instance, valid during one host call.
struct Caller {
  Store* store = nullptr;
  rt::ModuleInst* instance = nullptr;
  bool valid = true;
};

// Drops the externref objects that no table, global or element segment
// holds (their Python objects lose the store's reference) and returns how
// many went. Does nothing when wasm frames of the store may be live on this
// thread (called from inside a host function): frames are not scanned.
size_t collect_externs(Store& s);
// Before a call: collects once the live externrefs passed the threshold
// (then set to twice what survived), so temporaries passed to wasm do not
// accumulate in a store that never calls Store.gc().
void maybe_collect_externs(Store& s);

// Accepts a Store or a live Caller; returns the open Store or raises
// (closed store → ValueError, invalid caller → ValueError, other → TypeError).
Store& store_of(nb::handle storelike);

// Marks the store in use by this thread for the scope; raises WasmtimeError
// when another thread is inside it.
class StoreGuard {
 public:
  explicit StoreGuard(Store& s);
  ~StoreGuard();
  StoreGuard(const StoreGuard&) = delete;
  StoreGuard& operator=(const StoreGuard&) = delete;

 private:
  Store& s_;
};

// The open store behind a Store or a live Caller, held by this thread for the
// scope. Every binding method that reads or changes a store's state opens
// one first, so while wasm runs in a store (with the GIL released) any other
// thread's use of that store raises WasmtimeError instead of racing with it.
class StoreScope {
 public:
  explicit StoreScope(nb::handle storelike) : store(store_of(storelike)), guard_(store) {}
  explicit StoreScope(Store& s);  // a Store object itself (ValueError if closed)
  StoreScope(const StoreScope&) = delete;
  StoreScope& operator=(const StoreScope&) = delete;

  Store& store;

 private:
  StoreGuard guard_;
};

// ---- entity handles ------------------------------------------------------------

template <typename T>
struct Handle {
  uint64_t store_id = 0;
  T* ptr = nullptr;
  // The entity, after checking that the scope's store is its store.
  T* get(const StoreScope& scope) const {
    if (scope.store.id != store_id) raise_wasmtime("object used with the wrong store");
    return ptr;
  }
};

struct Func : Handle<rt::FuncInst> {};
struct Memory : Handle<rt::MemoryInst> {};
struct Table : Handle<rt::TableInst> {};
struct Global : Handle<rt::GlobalInst> {};
struct InstanceHandle : Handle<rt::ModuleInst> {};

// The Python object for an extern of store `s`.
nb::object wrap_extern(Store& s, const rt::Extern& e);
// The extern behind a Python Func/Memory/Table/Global of store `s`;
// TypeError for anything else.
rt::Extern unwrap_extern(Store& s, nb::handle obj);

// ---- values ------------------------------------------------------------------

// Python value → slot(s) for type `t`; TypeError when it does not convert.
void to_slot(Store& s, ValType t, nb::handle v, rt::Slot* out);
// Slot(s) of type `t` → a new Python value (null refs → None).
nb::object from_slot(Store& s, ValType t, const rt::Slot* in);
// The Python `Val` for a slot (used where wasmtime returns `Val`).
nb::object val_object(Store& s, ValType t, const rt::Slot* in);

// ---- types -------------------------------------------------------------------

ValType valtype_of(nb::handle py_valtype);  // TypeError if not a ValType
nb::object py_valtype(ValType t);
FuncType functype_of(nb::handle py_functype);
nb::object py_functype(const FuncType& t);
nb::object py_globaltype(const GlobalType& t);
nb::object py_tabletype(const TableType& t);
nb::object py_memorytype(const MemoryType& t);
GlobalType globaltype_of(nb::handle py);
TableType tabletype_of(nb::handle py);
MemoryType memorytype_of(nb::handle py);

// WAT text → binary (the engine's text parser; wat.cc).
Expected<std::vector<uint8_t>> parse_wat(std::string_view text);

// ---- binding entry points (one per source file) ---------------------------------

void bind_config(nb::module_& m);
void bind_store(nb::module_& m);
void bind_module(nb::module_& m);
void bind_func(nb::module_& m);
void bind_externs(nb::module_& m);
void bind_wasi(nb::module_& m);

}  // namespace ember::py
