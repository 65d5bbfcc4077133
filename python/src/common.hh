// Shared declarations of the `_ember` extension (the nanobind layer).
//
// Place: between Python and the public C++ API (include/ember), the one
// embedding layer: every rule about a value and every engine message lives
// there, once. This layer adds only what is Python's: argument types and
// wasmtime-py's calling forms, the thread guard (decision 23), the GIL, the
// identity of Python objects passed as externrefs, and the translation of
// the API's exceptions into the package's (`translate_exception`).
//
// The pure-Python part of the package (python/ember/*.py) defines the
// exception classes and the type descriptions; it hands them to the
// extension once at import (`_init`), and the extension keeps them in `Py`
// for the lifetime of the process.
//
// Invariants:
//  - every Python-visible handle to a store entity (Func, Memory, Table,
//    Global, Tag, instance) is (store id, API handle). The handle is only used
//    after `Handle::get` proved that the store passed in is open, held by
//    this thread (StoreScope) and has that id, so a handle outliving or
//    crossing its store raises instead of crashing;
//  - API exceptions become Python exceptions only at the edge;
//  - Python exceptions raised by host functions travel through wasm as the
//    API's host errors and are re-raised unchanged at the outermost call.
#pragma once

#include <nanobind/nanobind.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ember/ember.hh"

namespace nb = nanobind;

namespace ember::py {

// Python objects from the pure-Python package, set by `_init`.
struct PyRefs {
  nb::object WasmtimeError, Trap, ExitTrap;
  nb::object ValType, FuncType, GlobalType, TableType, MemoryType, TagType, Limits;
  nb::object Val, Engine, Module, WasiConfig;
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

// The exception translator (registered once): ember::Trap becomes `Trap`
// (TrapCode::Exit `ExitTrap`), any other ember::WasmError `WasmtimeError`
// with the bare message, std::invalid_argument `ValueError`.
void translate_exception(const std::exception_ptr& p, void*);

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
  Engine engine;
};

struct ModuleHandle {
  Module module;
};

// ---- the store ---------------------------------------------------------------

struct PyStore {
  std::optional<Store> store;  // empty once closed
  uint64_t id = 0;             // the API store's id (unique, never reused)
  nb::object engine;           // the Python Engine
  nb::object user_data;
  // Externref interning: one extern per Python object identity, so the
  // same object passed twice is the same reference (identity kept): the
  // externref slot of each Python object passed to wasm. Not a root:
  // Store.gc() frees the extern once wasm holds it no more, and
  // collect_externs forgets it here.
  std::unordered_map<PyObject*, uint64_t> externs;
  // The callables of the component host functions instantiated in this
  // store, one reference per function (cm::Linker::define_func_per_store):
  // the functions borrow them, and run only in this store.
  std::vector<nb::object> component_hosts;
  // Live externrefs above which a call first collects (collect_externs).
  size_t extern_threshold = kMinExternThreshold;
  static constexpr size_t kMinExternThreshold = 10000;
  // Single-thread guard: the thread inside the store and its depth.
  std::atomic<std::thread::id> owner{};
  int depth = 0;

  PyStore(nb::handle engine, nb::handle data);
  ~PyStore();
  void close();
  Store& api() { return *store; }
};

// A Caller: the store plus the calling instance, valid during one host call.
struct PyCaller {
  PyStore* store = nullptr;
  std::optional<Instance> instance;
  bool valid = true;
};

// Drops the externrefs that no table, global or element segment holds
// (their Python objects lose the store's reference) and returns how many
// went. Does nothing while the store executes (frames are not scanned).
size_t collect_externs(PyStore& s);
// Before a call: collects once the live externrefs passed the threshold
// (then set to twice what survived), so temporaries passed to wasm do not
// accumulate in a store that never calls Store.gc().
void maybe_collect_externs(PyStore& s);

// Accepts a Store or a live Caller; returns the open store or raises
// (closed store → ValueError, invalid caller → ValueError, other → TypeError).
PyStore& store_of(nb::handle storelike);

// Marks the store in use by this thread for the scope; raises WasmtimeError
// when another thread is inside it.
class StoreGuard {
 public:
  explicit StoreGuard(PyStore& s);
  ~StoreGuard();
  StoreGuard(const StoreGuard&) = delete;
  StoreGuard& operator=(const StoreGuard&) = delete;

 private:
  PyStore& s_;
};

// The open store behind a Store or a live Caller, held by this thread for the
// scope. Every binding method that reads or changes a store's state opens
// one first, so while wasm runs in a store (with the GIL released) any other
// thread's use of that store raises WasmtimeError instead of racing with it.
class StoreScope {
 public:
  explicit StoreScope(nb::handle storelike) : store(store_of(storelike)), guard_(store) {}
  explicit StoreScope(PyStore& s);  // a Store object itself (ValueError if closed)
  StoreScope(const StoreScope&) = delete;
  StoreScope& operator=(const StoreScope&) = delete;

  PyStore& store;

 private:
  StoreGuard guard_;
};

// ---- entity handles ------------------------------------------------------------

template <typename T>
struct Handle {
  uint64_t store_id = 0;
  T h{nullptr, nullptr};
  // The entity, after checking that the scope's store is its store.
  const T& get(const StoreScope& scope) const {
    if (scope.store.id != store_id) raise_wasmtime("object used with the wrong store");
    return h;
  }
  bool same(const Handle& o) const { return store_id == o.store_id && h.raw() == o.h.raw(); }
};

struct FuncHandle : Handle<Func> {
  // The function's type, owned by its store (valid while the handle passes
  // `get`): read on every call without a copy.
  const FuncType* type = nullptr;
};
struct MemoryHandle : Handle<Memory> {};
struct TableHandle : Handle<Table> {};
struct GlobalHandle : Handle<Global> {};
struct TagHandle : Handle<Tag> {};
struct InstanceHandle : Handle<Instance> {};

FuncHandle func_handle(const PyStore& s, const Func& f);

// A GC value held from Python (`AnyRef`, gcref.cc): its Val roots it.
struct GcRefHandle {
  uint64_t store_id = 0;
  Val val;
  bool externalized = false;  // an externref wasm made (extern.convert_any)
};
// The AnyRef for a non-null value of type `t` in `in`.
nb::object gc_ref_object(PyStore& s, ValType t, const uint64_t* in, bool externalized);
// The slot of `v` when it is an AnyRef of this hierarchy (`externref`: one
// wasm externalized); false for anything else. WasmtimeError for another
// store's.
bool gc_ref_slot(PyStore& s, nb::handle v, bool externref, uint64_t* out);

// A host function body calling the Python callable `fn` (TypeError if it is
// not callable); a `Caller` comes first when `access_caller`. It finds its
// PyStore through Caller::data(), so one body serves every store (Linker).
HostCallback python_host(FuncType type, nb::handle fn, bool access_caller);
// The same for a Linker's definition: each store gets its own context (and
// reference to `fn`) when the definition first becomes one of its Funcs.
HostCallbackFactory python_host_factory(FuncType type, nb::handle fn, bool access_caller);

// A Python callable kept by native code, which may drop it on any thread:
// released with the GIL held (and not at all once the interpreter is gone).
struct PyCallable {
  nb::object fn;
  explicit PyCallable(nb::handle f) : fn(nb::borrow(f)) {}
  PyCallable(const PyCallable&) = delete;
  PyCallable& operator=(const PyCallable&) = delete;
  ~PyCallable() {
    if (!Py_IsInitialized()) {
      (void)fn.release();  // nothing left to free it in
      return;
    }
    PyGILState_STATE g = PyGILState_Ensure();
    fn.reset();
    PyGILState_Release(g);
  }
};

// Garbage-collector support: the Python objects one holder (a store, a
// linker) refers to through shared native contexts (`Ctx`, whose member
// `Obj` holds the object), each context with the holder's references to it
// and all of them (use_count). Only a context the holder alone refers to
// has its object visited: one also held elsewhere (where the collector
// cannot see) keeps its object alive, and an object is never visited more
// often than it is referenced.
template <typename Ctx, nb::object Ctx::* Obj>
class HeldContexts {
 public:
  // (A template: converting to shared_ptr<const Ctx> would count a
  // reference more.)
  template <typename C>
  void add(const std::shared_ptr<C>& ctx) {
    auto& [ours, all] = uses_[ctx.get()];
    ++ours;
    all = ctx.use_count();
  }
  int visit(visitproc visit, void* arg) const {
    for (const auto& [ctx, counts] : uses_)
      if (counts.first == counts.second) Py_VISIT((ctx->*Obj).ptr());
    return 0;
  }

 private:
  std::unordered_map<const Ctx*, std::pair<long, long>> uses_;
};

// Garbage-collector support (tp_traverse): visits the callable of every
// Python host function of `store` / defined in `linker` that the holder
// alone refers to. Call only while the store is not in use.
int visit_host_callables(const Store& store, visitproc visit, void* arg);
int visit_host_callables(const Linker& linker, visitproc visit, void* arg);
// The same for the custom stdout/stderr callables of the store's WASI
// context (wasi.cc).
int visit_wasi_outputs(const Store& store, visitproc visit, void* arg);

// The Python object for an extern of store `s`.
nb::object wrap_extern(PyStore& s, const Extern& e);
// The extern behind a Python Func/Memory/Table/Global/Tag of store `s`;
// TypeError for anything else.
Extern unwrap_extern(PyStore& s, nb::handle obj);

// `Store.set_wasi(wasi)`: consumes the WasiConfig and gives the store the
// WASI context its settings describe (wasi.cc).
void store_set_wasi(PyStore& s, nb::handle wasi);

// ---- values ------------------------------------------------------------------

// Python value → slot(s) for type `t`; TypeError when it does not convert.
void to_slot(PyStore& s, ValType t, nb::handle v, uint64_t* out);
// Slot(s) of type `t` → a new Python value (null refs → None).
nb::object from_slot(PyStore& s, ValType t, const uint64_t* in);
// The Python `Val` for a slot (used where wasmtime returns `Val`).
nb::object val_object(PyStore& s, ValType t, const uint64_t* in);
// Python value → API value of type `t` (to_slot's rules).
Val to_val(PyStore& s, ValType t, nb::handle v);

// ---- types -------------------------------------------------------------------

ValType valtype_of(nb::handle py_valtype);  // TypeError if not a ValType
nb::object py_valtype(ValType t);
// ValType._code: the one-byte encoding, or 2^32 + ValType::bits() for a
// type that has none (`(ref $t)`, `(ref func)`).
int64_t py_code(ValType t);
bool code_to_valtype(int64_t code, ValType* out);
FuncType functype_of(nb::handle py_functype);
nb::object py_functype(const FuncType& t);
nb::object py_globaltype(const GlobalType& t);
nb::object py_tabletype(const TableType& t);
nb::object py_memorytype(const MemoryType& t);
nb::object py_tagtype(const TagType& t);
nb::object py_externtype(const ExternType& t);
GlobalType globaltype_of(nb::handle py);
TableType tabletype_of(nb::handle py);
MemoryType memorytype_of(nb::handle py);
// TypeError if not a TagType, ValueError if it was closed.
TagType tagtype_of(nb::handle py);

// ---- binding entry points (one per source file) ---------------------------------

void bind_config(nb::module_& m);
void bind_store(nb::module_& m);
void bind_module(nb::module_& m);
void bind_func(nb::module_& m);
void bind_externs(nb::module_& m);
void bind_wasi(nb::module_& m);
void bind_linker(nb::module_& m);
void bind_shared_memory(nb::module_& m);
void bind_gcref(nb::module_& m);
void bind_component(nb::module_& m);
// shared_memory.cc: an `ember.SharedMemory` for a shared memory, and back.
nb::object wrap_shared_memory(const SharedMemory& mem);
std::optional<SharedMemory> unwrap_shared_memory(nb::handle obj);

}  // namespace ember::py
