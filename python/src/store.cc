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
  store.reset();  // externref payloads drop their Python references here
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
      .def("__init__",  // Engine() without a Config: the defaults
           [](EngineHandle* self, nb::dict settings) {
             if (settings.size() != 0) raise_type("expected a ConfigHandle");
             new (self) EngineHandle{Engine(Config())};
           })
      .def("increment_epoch", [](EngineHandle& h) { h.engine.increment_epoch(); })
      .def("same", [](EngineHandle& a, EngineHandle& b) { return a.engine == b.engine; });

  nb::class_<PyStore>(m, "Store", nb::is_weak_referenceable(),
                      "A unit of isolation owning instances and their state.")
      .def(nb::init<nb::handle, nb::handle>(), nb::arg("engine").none() = nb::none(),
           nb::arg("data").none() = nb::none())
      .def_prop_ro("engine",
                   [](PyStore& s) {
                     if (!s.store) raise_value("store is closed");
                     return s.engine;
                   })
      .def("data",
           [](PyStore& s) {
             if (!s.store) raise_value("store is closed");
             return s.user_data;
           })
      .def("gc",
           [](PyStore& s) {
             StoreScope scope(s);
             collect_externs(s);
           })
      .def("set_fuel",
           [](PyStore& s, nb::handle fuel) {
             StoreScope scope(s);
             uint64_t n = checked_u64(fuel, "fuel");
             s.api().set_fuel(n);
           })
      .def("get_fuel",
           [](PyStore& s) {
             StoreScope scope(s);
             return s.api().get_fuel();
           })
      .def("set_epoch_deadline",
           [](PyStore& s, nb::handle ticks) {
             StoreScope scope(s);
             s.api().set_epoch_deadline(checked_u64(ticks, "epoch deadline"));
           })
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
          nb::arg("tables") = -1, nb::arg("memories") = -1)
      .def("close", [](PyStore& s) { s.close(); })
      .def("ptr",
           [](PyStore& s) {
             if (!s.store) raise_value("already closed");
             return s.id;
           })
      .def("__enter__", [](nb::handle self) { return nb::borrow(self); })
      .def("__exit__", [](PyStore& s, nb::args) { s.close(); })
      .def("_id", [](PyStore& s) { return s.id; });

  nb::class_<PyCaller>(m, "Caller", "The calling instance during a host function call.")
      .def("get", &caller_get, nb::arg("name"))
      .def("__getitem__",
           [](PyCaller& c, const std::string& name) {
             nb::object r = caller_get(c, name);
             if (r.is_none()) throw nb::key_error(name.c_str());
             return r;
           })
      .def("_store",
           [](PyCaller& c) {
             if (!c.valid || !c.store->store) raise_value("caller is no longer valid");
             return nb::find(c.store);
           })
      .def_prop_ro("engine", [](PyCaller& c) {
        if (!c.valid || !c.store->store) raise_value("caller is no longer valid");
        return c.store->engine;
      });
}

}  // namespace ember::py
