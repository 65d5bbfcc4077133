// Engine handles and the Store: `_ember.EngineHandle`, `_ember.Store`,
// `_ember.Caller`, and the single-thread guard.
//
// A Store (PyStore) owns an ember::Store. Closing it destroys that store
// (every entity goes at once, as the lifetime rule says) and drops the
// externref objects; handles to its entities then fail the store check in
// Handle::get. Store ids are the API's (Store::id): never reused, so a stale
// handle can never match a newer store.
#include <nanobind/stl/string.h>

#include <algorithm>
#include <iterator>
#include <unordered_set>

#include "common.hh"

namespace ember::py {

namespace {

bool is_engine(nb::handle h) {
  return PyObject_IsInstance(h.ptr(), refs().Engine.ptr()) == 1;
}

}  // namespace

PyStore::PyStore(nb::handle engine_obj, nb::handle data_obj) {
  nb::object eng = nb::borrow(engine_obj);
  if (eng.is_none()) eng = refs().Engine();
  if (!is_engine(eng)) raise_type("expected an Engine");
  EngineHandle& h = nb::cast<EngineHandle&>(eng.attr("ptr")());
  store.emplace(h.engine);
  store->set_data(this);  // host functions find this object through their Caller
  id = store->id();
  engine = eng;
  // wasmtime-py keeps only truthy data.
  user_data = PyObject_IsTrue(data_obj.ptr()) == 1 ? nb::borrow(data_obj) : nb::none();
}

PyStore::~PyStore() {
  close();
}

void PyStore::close() {
  if (!store) return;
  {
    StoreGuard guard(*this);  // refuses while another thread is inside
    if (store->executing()) raise_wasmtime("cannot close a store while it is executing");
  }
  externs.clear();
  store.reset();            // externref payloads drop their Python references here
  component_hosts.clear();  // (no function of the store is left to call them)
  user_data = nb::none();
}

PyStore& store_of(nb::handle h) {
  if (nb::isinstance<PyStore>(h)) {
    PyStore& s = nb::cast<PyStore&>(h);
    if (!s.store) raise_value("store is closed");
    return s;
  }
  if (nb::isinstance<PyCaller>(h)) {
    PyCaller& c = nb::cast<PyCaller&>(h);
    if (!c.valid || !c.store->store) raise_value("caller is no longer valid");
    return *c.store;
  }
  raise_type("expected a Store or a Caller");
}

StoreGuard::StoreGuard(PyStore& s) : s_(s) {
  std::thread::id me = std::this_thread::get_id();
  std::thread::id none{};
  if (!s.owner.compare_exchange_strong(none, me) && none != me)
    raise_wasmtime("store is in use by another thread; a Store is single-threaded");
  ++s.depth;
}

StoreGuard::~StoreGuard() {
  if (--s_.depth == 0) s_.owner.store(std::thread::id{});
}

size_t collect_externs(PyStore& s) {
  std::vector<std::shared_ptr<void>> released = s.api().gc();
  if (released.empty()) return 0;
  // Forget the objects before their payloads go: a freed PyObject's address
  // may be reused by a new object, which must not find a stale entry.
  std::unordered_set<const void*> gone;
  for (const std::shared_ptr<void>& p : released) gone.insert(p.get());
  for (auto it = s.externs.begin(); it != s.externs.end();)
    it = gone.count(it->first) ? s.externs.erase(it) : std::next(it);
  return released.size();  // the payloads drop their references here
}

void maybe_collect_externs(PyStore& s) {
  size_t live = s.api().externref_count();
  if (live < s.extern_threshold || s.api().executing()) return;
  live -= collect_externs(s);
  s.extern_threshold = std::max(PyStore::kMinExternThreshold, 2 * live);
}

namespace {

// Garbage-collector support. A store refers to its engine, its data, the
// objects passed to wasm as externrefs (one reference each, while the
// store keeps them), the callables of its component host functions and,
// through its host functions and its WASI context's custom stdout/stderr
// sinks, their callables: a host function that refers back to the store
// (a bound method of an object holding it) makes a cycle the collector can
// now free. The native
// parts are read only while no thread uses the store: a store in use is
// reachable anyway (the running call holds it), and calls change them.
bool store_idle(const PyStore& s) {
  return s.store && s.owner.load() == std::thread::id{} && !s.store->executing();
}

int store_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(nb::handle(self))) return 0;
  PyStore& s = *nb::inst_ptr<PyStore>(nb::handle(self));
  Py_VISIT(s.engine.ptr());
  Py_VISIT(s.user_data.ptr());
  for (const nb::object& fn : s.component_hosts) Py_VISIT(fn.ptr());  // (changed with the GIL)
  if (!store_idle(s)) return 0;
  for (const auto& entry : s.externs) Py_VISIT(entry.first);
  if (int r = visit_host_callables(*s.store, visit, arg)) return r;
  return visit_wasi_outputs(*s.store, visit, arg);
}

// Breaking a cycle closes the store (what dropping its last reference
// does); one in use is never garbage.
int store_clear(PyObject* self) {
  if (!nb::inst_ready(nb::handle(self))) return 0;
  PyStore& s = *nb::inst_ptr<PyStore>(nb::handle(self));
  if (s.store && !store_idle(s)) return 0;
  try {
    s.close();
  } catch (...) {  // not expected of an idle store; a slot must not throw
    PyErr_Clear();
  }
  return 0;
}

PyType_Slot kStoreSlots[] = {
    {Py_tp_traverse, reinterpret_cast<void*>(store_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(store_clear)},
    {0, nullptr},
};

}  // namespace

StoreScope::StoreScope(PyStore& s) : store(s), guard_(s) {
  if (!s.store) raise_value("store is closed");
}

uint64_t checked_u64(nb::handle v, const char* what) {
  if (!PyLong_Check(v.ptr())) raise_type(std::string("expected an int for ") + what);
  int overflow = 0;
  long long x = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
  if (overflow < 0 || (overflow == 0 && x < 0))
    raise_value(std::string(what) + " must not be negative");
  if (overflow == 0) return uint64_t(x);
  unsigned long long u = PyLong_AsUnsignedLongLong(v.ptr());
  if (u == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    raise_value(std::string(what) + " must be less than 2**64");
  }
  return u;
}

// A store limit: negative means unlimited; TypeError for non-ints,
// ValueError beyond 2^63 - 1.
static int64_t checked_limit(nb::handle v, const char* what) {
  if (!PyLong_Check(v.ptr())) raise_type(std::string("expected an int for ") + what);
  int overflow = 0;
  long long x = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
  if (overflow < 0) return -1;
  if (overflow > 0) raise_value(std::string(what) + " limit must be less than 2**63");
  return x < 0 ? -1 : int64_t(x);
}

static nb::object caller_get(PyCaller& c, const std::string& name) {
  if (!c.valid || !c.store->store || !c.instance) return nb::none();
  StoreGuard guard(*c.store);  // a Caller used from another thread is refused
  std::optional<Extern> e = c.instance->get_export(name);
  if (!e) return nb::none();
  return wrap_extern(*c.store, *e);
}

void bind_store(nb::module_& m) {
  nb::class_<EngineHandle>(m, "EngineHandle")
      .def("__init__",
           [](EngineHandle* self, const ConfigHandle& config) {
             new (self) EngineHandle{Engine(config.config)};
           })
      .def(
          "__init__",  // Engine() without a Config: the defaults
          [](EngineHandle* self, nb::dict settings) {
            if (settings.size() != 0) raise_type("expected a ConfigHandle");
            new (self) EngineHandle{Engine(Config())};
          },
          nb::sig("def __init__(self, settings: dict[str, typing.Any], /) -> None"))
      .def("increment_epoch", [](EngineHandle& h) { h.engine.increment_epoch(); })
      .def("same", [](EngineHandle& a, EngineHandle& b) { return a.engine == b.engine; });

  nb::class_<PyStore>(m, "Store", nb::is_weak_referenceable(), nb::type_slots(kStoreSlots),
                      R"(A unit of isolation: owns every instance, function, memory, table and
global made in it, and frees them all at once when it is closed.

A Store is single-threaded: while one thread uses it (or runs wasm in
it), a call from another thread raises WasmtimeError. Once it is closed,
its methods other than `close` raise ValueError.

Args:
    engine: The engine; None makes a new default Engine.
    data: Any object, returned by `data()` (a falsy one is not kept, as
        in wasmtime).

Raises:
    TypeError: If `engine` is not an Engine.
    ValueError: If `engine` was closed.)")
      .def(nb::init<nb::handle, nb::handle>(), nb::arg("engine").none() = nb::none(),
           nb::arg("data").none() = nb::none(),
           nb::sig("def __init__(self, engine: ember.Engine | None = None, "
                   "data: typing.Any = None) -> None"))
      .def_prop_ro(
          "engine",
          [](PyStore& s) {
            if (!s.store) raise_value("store is closed");
            return s.engine;
          },
          nb::sig("def engine(self) -> ember.Engine"), "The Engine the store was made with.")
      .def(
          "data",
          [](PyStore& s) {
            if (!s.store) raise_value("store is closed");
            return s.user_data;
          },
          nb::sig("def data(self) -> typing.Any"),
          R"(Returns the data given to the constructor (None if it was falsy).

Raises:
    ValueError: If the store was closed.)")
      .def(
          "gc",
          [](PyStore& s) {
            StoreScope scope(s);
            collect_externs(s);
          },
          nb::sig("def gc(self) -> None"),
          R"(Collects garbage: the GC objects and externrefs nothing holds any more.

Roots are tables, globals, element segments, Python-held values and the
frames of wasm running in the store (so a host function may call it). The
store drops its references to the Python objects of released externrefs,
so their finalizers can run. Ember also collects by itself: before an
allocation once the heap has grown, and before a call once many
externrefs are alive.

Raises:
    WasmtimeError: If another thread is using the store.
    ValueError: If the store was closed.)")
      .def(
          "set_fuel",
          [](PyStore& s, nb::handle fuel) {
            StoreScope scope(s);
            uint64_t n = checked_u64(fuel, "fuel");
            s.api().set_fuel(n);
          },
          nb::arg("fuel"), nb::sig("def set_fuel(self, fuel: int) -> None"),
          R"(Sets the fuel left (needs `Config.consume_fuel`).

Wasm traps with `TrapCode.OUT_OF_FUEL` when it runs out.

Args:
    fuel: The new amount, in [0, 2**64).

Raises:
    WasmtimeError: If fuel is not enabled in the engine's config.
    TypeError: If `fuel` is not an int.
    ValueError: If `fuel` is negative or too large, or the store was
        closed.)")
      .def(
          "get_fuel",
          [](PyStore& s) {
            StoreScope scope(s);
            return s.api().get_fuel();
          },
          nb::sig("def get_fuel(self) -> int"),
          R"(Returns the fuel left (needs `Config.consume_fuel`).

Raises:
    WasmtimeError: If fuel is not enabled in the engine's config.
    ValueError: If the store was closed.)")
      .def(
          "set_epoch_deadline",
          [](PyStore& s, nb::handle ticks) {
            StoreScope scope(s);
            s.api().set_epoch_deadline(checked_u64(ticks, "epoch deadline"));
          },
          nb::arg("ticks_after_current"),
          nb::sig("def set_epoch_deadline(self, ticks_after_current: int) -> None"),
          R"(Makes wasm in this store trap once the engine's epoch passes a deadline.

With `Config.epoch_interruption` on, wasm traps with
`TrapCode.INTERRUPT` at its next function entry or loop header after
`Engine.increment_epoch` has been called `ticks_after_current` times.

Args:
    ticks_after_current: Epoch ticks from now.

Raises:
    TypeError: If `ticks_after_current` is not an int.
    ValueError: If it is negative or too large, or the store was closed.)")
      // No StoreScope: the one method meant for another thread while wasm
      // runs (the GIL orders it against close()).
      .def(
          "interrupt",
          [](PyStore& s) {
            if (!s.store) raise_value("store is closed");
            s.api().interrupt();
          },
          nb::sig("def interrupt(self) -> None"),
          R"(Makes the wasm running in this store trap with `TrapCode.INTERRUPT`.

The one method meant to be called from another thread. The wasm stops
at its next function entry or loop header; if none runs, the next call
traps. The engine's epoch and other stores are not touched, and the
deadline set with `set_epoch_deadline` stays. An Ember extension
(needs `Config.epoch_interruption`).

Raises:
    WasmtimeError: If epoch interruption is not enabled.
    ValueError: If the store was closed.)")
      .def(
          "set_limits",
          [](PyStore& s, nb::handle memory_size, nb::handle table_elements, nb::handle instances,
             nb::handle tables, nb::handle memories) {
            StoreScope scope(s);
            // Check every value before changing anything.
            int64_t l[5] = {checked_limit(memory_size, "memory_size"),
                            checked_limit(table_elements, "table_elements"),
                            checked_limit(instances, "instances"), checked_limit(tables, "tables"),
                            checked_limit(memories, "memories")};
            s.api().set_limits(l[0], l[1], l[2], l[3], l[4]);
          },
          nb::arg("memory_size") = -1, nb::arg("table_elements") = -1, nb::arg("instances") = -1,
          nb::arg("tables") = -1, nb::arg("memories") = -1,
          nb::sig("def set_limits(self, memory_size: int = -1, table_elements: int = -1, "
                  "instances: int = -1, tables: int = -1, memories: int = -1) -> None"),
          R"(Limits the resources wasm may use in this store; negative means no limit.

Creating an entity beyond a limit raises WasmtimeError; growing a
memory or table beyond one fails (-1 in wasm, WasmtimeError from
`Memory.grow` / `Table.grow`).

Args:
    memory_size: Bytes per linear memory.
    table_elements: Elements per table.
    instances: Instances in the store.
    tables: Tables in the store.
    memories: Linear memories in the store.

Raises:
    TypeError: If a limit is not an int.
    ValueError: If a limit is 2**63 or more, or the store was closed.)")
      .def("set_wasi", &store_set_wasi, nb::arg("wasi").none(),
           nb::sig("def set_wasi(self, wasi: ember.WasiConfig) -> None"),
           R"(Gives the store a WASI preview1 context built from `wasi`.

Replaces the store's previous context, if any. The functions that
`Linker.define_wasi` defines use the context of the store they run in.

Args:
    wasi: The settings; consumed (later use of it raises ValueError).

Raises:
    TypeError: If `wasi` is not a WasiConfig.
    WasmtimeError: If a file or directory of the config cannot be opened.
    ValueError: If the store was closed or `wasi` already consumed.)")
      .def(
          "set_wasi_http", [](PyStore& s) { StoreScope scope(s); },
          nb::sig("def set_wasi_http(self) -> None"),
          R"(Readies the store for wasi:http (`component.Linker.add_wasi_http`).

Ember's wasi:http needs nothing beyond the store's WASI context
(`set_wasi`), so this only checks the store; it is here so that code
written for the `wasmtime` package runs unchanged.

Raises:
    ValueError: If the store was closed.)")
      .def(
          "close", [](PyStore& s) { s.close(); }, nb::sig("def close(self) -> None"),
          R"(Frees the store and everything in it; later use raises ValueError.

Closing twice does nothing. Handles to the store's functions, memories
and the like then raise on use.

Raises:
    WasmtimeError: If wasm is running in the store, or another thread is
        using it.)")
      .def(
          "ptr",
          [](PyStore& s) {
            if (!s.store) raise_value("already closed");
            return s.id;
          },
          nb::sig("def ptr(self) -> int"),
          R"(Returns the store's id (unique in the process, never reused).

Raises:
    ValueError: If the store was closed.)")
      .def(
          "__enter__", [](nb::handle self) { return nb::borrow(self); },
          nb::sig("def __enter__(self) -> Store"), "Returns the store, closed when the block ends.")
      .def(
          "__exit__", [](PyStore& s, nb::args) { s.close(); },
          nb::sig("def __exit__(self, *exc: object) -> None"), "Closes the store.")
      .def(
          "_id", [](PyStore& s) { return s.id; }, nb::sig("def _id(self) -> int"),
          "The store's id, also after it is closed.");

  nb::class_<PyCaller>(m, "Caller",
                       R"(The calling instance, given to a host function made with
`access_caller=True` as its first argument.

A Caller can stand in for the store in any call (`memory.read(caller)`).
It is valid only during the host call; afterwards `get` returns None and
using it as a store raises ValueError.)")
      .def("get", &caller_get, nb::arg("name"), nb::sig("def get(self, name: str) -> typing.Any"),
           R"(Looks up an export of the calling instance.

Args:
    name: The export's name.

Returns:
    The Func, Memory, Table, Global or Tag, or None if there is no such
    export or the caller is no longer valid.

Raises:
    WasmtimeError: If another thread is using the store.)")
      .def(
          "__getitem__",
          [](PyCaller& c, const std::string& name) {
            nb::object r = caller_get(c, name);
            if (r.is_none()) throw nb::key_error(name.c_str());
            return r;
          },
          nb::arg("name"), nb::sig("def __getitem__(self, name: str) -> typing.Any"),
          R"(Returns the export `name` of the calling instance.

Raises:
    KeyError: If there is no such export or the caller is no longer valid.)")
      .def(
          "_store",
          [](PyCaller& c) {
            if (!c.valid || !c.store->store) raise_value("caller is no longer valid");
            return nb::find(c.store);
          },
          nb::sig("def _store(self) -> Store"), "The caller's Store.")
      .def_prop_ro(
          "engine",
          [](PyCaller& c) {
            if (!c.valid || !c.store->store) raise_value("caller is no longer valid");
            return c.store->engine;
          },
          nb::sig("def engine(self) -> ember.Engine"),
          "The Engine of the caller's store (ValueError once the caller is invalid).");
}

}  // namespace ember::py
