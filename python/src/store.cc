// Engine handles and the Store: `_ember.EngineHandle`, `_ember.Store`,
// `_ember.Caller`, and the single-thread guard.
//
// A Store owns an rt::StoreData. Closing it destroys the StoreData (every
// entity goes at once, as the lifetime rule says) and drops the externref
// objects; handles to its entities then fail the store check in
// Handle::get. Store ids come from a process-wide counter and are never
// reused, so a stale handle can never match a newer store.
#include <nanobind/stl/string.h>

#include <algorithm>
#include <iterator>

#include "common.hh"

namespace ember::py {

namespace {
std::atomic<uint64_t> g_next_store_id{1};

bool is_engine(nb::handle h) {
  return PyObject_IsInstance(h.ptr(), refs().Engine.ptr()) == 1;
}

}  // namespace

Store::Store(nb::handle engine_obj, nb::handle data_obj) {
  nb::object eng = nb::borrow(engine_obj);
  if (eng.is_none()) eng = refs().Engine();
  if (!is_engine(eng)) raise_type("expected an Engine");
  EngineHandle& h = nb::cast<EngineHandle&>(eng.attr("ptr")());
  data = std::make_unique<rt::StoreData>();
  data->engine = h.data;
  id = g_next_store_id.fetch_add(1);
  engine = eng;
  // wasmtime-py keeps only truthy data.
  user_data = PyObject_IsTrue(data_obj.ptr()) == 1 ? nb::borrow(data_obj) : nb::none();
}

Store::~Store() {
  close();
}

void Store::close() {
  if (!data) return;
  {
    StoreGuard guard(*this);  // refuses while another thread is inside
    if (depth > 1) raise_wasmtime("cannot close a store while it is executing");
  }
  externs.clear();
  data.reset();  // externref payloads drop their Python references here
  wasi.reset();  // and the WASI context its output callbacks
  user_data = nb::none();
}

Store& store_of(nb::handle h) {
  if (nb::isinstance<Store>(h)) {
    Store& s = nb::cast<Store&>(h);
    if (!s.data) raise_value("store is closed");
    return s;
  }
  if (nb::isinstance<Caller>(h)) {
    Caller& c = nb::cast<Caller&>(h);
    if (!c.valid || !c.store->data) raise_value("caller is no longer valid");
    return *c.store;
  }
  raise_type("expected a Store or a Caller");
}

StoreGuard::StoreGuard(Store& s) : s_(s) {
  std::thread::id me = std::this_thread::get_id();
  std::thread::id none{};
  if (!s.owner.compare_exchange_strong(none, me) && none != me)
    raise_wasmtime("store is in use by another thread; a Store is single-threaded");
  ++s.depth;
}

StoreGuard::~StoreGuard() {
  if (--s_.depth == 0) s_.owner.store(std::thread::id{});
}

size_t collect_externs(Store& s) {
  if (s.depth > 1) return 0;
  std::vector<std::shared_ptr<void>> released = rt::collect_externs(*s.data);
  // Forget the objects before their payloads go: a freed PyObject's address
  // may be reused by a new object, which must not find a stale entry.
  for (auto it = s.externs.begin(); it != s.externs.end();)
    it = it->second->live ? std::next(it) : s.externs.erase(it);
  return released.size();  // the payloads drop their references here
}

void maybe_collect_externs(Store& s) {
  size_t live = s.data->externs.size() - s.data->free_externs.size();
  if (live < s.extern_threshold || s.depth > 1) return;
  live -= collect_externs(s);
  s.extern_threshold = std::max(Store::kMinExternThreshold, 2 * live);
}

StoreScope::StoreScope(Store& s) : store(s), guard_(s) {
  if (!s.data) raise_value("store is closed");
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

static nb::object caller_get(Caller& c, const std::string& name) {
  if (!c.valid || !c.store->data || !c.instance) return nb::none();
  StoreGuard guard(*c.store);  // a Caller used from another thread is refused
  auto e = rt::find_export(*c.instance, name);
  if (!e) return nb::none();
  return wrap_extern(*c.store, *e);
}

void bind_store(nb::module_& m) {
  nb::class_<EngineHandle>(m, "EngineHandle")
      .def("__init__",
           [](EngineHandle* self, const ConfigHandle& config) {
             new (self) EngineHandle{Engine(config.config).raw()};
           })
      .def("__init__",  // Engine() without a Config: the defaults
           [](EngineHandle* self, nb::dict settings) {
             if (settings.size() != 0) raise_type("expected a ConfigHandle");
             new (self) EngineHandle{Engine(Config()).raw()};
           })
      .def("increment_epoch", [](EngineHandle& h) { h.data->epoch.fetch_add(1); })
      .def("same", [](EngineHandle& a, EngineHandle& b) { return a.data == b.data; });

  nb::class_<Store>(m, "Store", nb::is_weak_referenceable(),
                    "A unit of isolation owning instances and their state.")
      .def(nb::init<nb::handle, nb::handle>(), nb::arg("engine").none() = nb::none(),
           nb::arg("data").none() = nb::none())
      .def_prop_ro("engine",
                   [](Store& s) {
                     if (!s.data) raise_value("store is closed");
                     return s.engine;
                   })
      .def("data",
           [](Store& s) {
             if (!s.data) raise_value("store is closed");
             return s.user_data;
           })
      .def("gc",
           [](Store& s) {
             StoreScope scope(s);
             collect_externs(s);
           })
      .def("set_fuel",
           [](Store& s, nb::handle fuel) {
             StoreScope scope(s);
             uint64_t n = checked_u64(fuel, "fuel");
             if (!s.data->engine->config.consume_fuel)
               raise_wasmtime("fuel is not configured in this store");
             rt::set_fuel(*s.data, n);
           })
      .def("get_fuel",
           [](Store& s) {
             StoreScope scope(s);
             if (!s.data->engine->config.consume_fuel)
               raise_wasmtime("fuel is not configured in this store");
             return rt::fuel_remaining(*s.data);
           })
      .def("set_epoch_deadline",
           [](Store& s, nb::handle ticks) {
             StoreScope scope(s);
             rt::set_epoch_deadline(*s.data, checked_u64(ticks, "epoch deadline"));
           })
      .def(
          "set_limits",
          [](Store& s, nb::handle memory_size, nb::handle table_elements, nb::handle instances,
             nb::handle tables, nb::handle memories) {
            StoreScope scope(s);
            // Check every value before changing anything.
            rt::StoreLimits l{checked_limit(memory_size, "memory_size"),
                              checked_limit(table_elements, "table_elements"),
                              checked_limit(instances, "instances"),
                              checked_limit(tables, "tables"), checked_limit(memories, "memories")};
            s.data->limits = l;
          },
          nb::arg("memory_size") = -1, nb::arg("table_elements") = -1, nb::arg("instances") = -1,
          nb::arg("tables") = -1, nb::arg("memories") = -1)
      .def("close", [](Store& s) { s.close(); })
      .def("ptr",
           [](Store& s) {
             if (!s.data) raise_value("already closed");
             return s.id;
           })
      .def("__enter__", [](nb::handle self) { return nb::borrow(self); })
      .def("__exit__", [](Store& s, nb::args) { s.close(); })
      .def("_id", [](Store& s) { return s.id; });

  nb::class_<Caller>(m, "Caller", "The calling instance during a host function call.")
      .def("get", &caller_get, nb::arg("name"))
      .def("__getitem__",
           [](Caller& c, const std::string& name) {
             nb::object r = caller_get(c, name);
             if (r.is_none()) throw nb::key_error(name.c_str());
             return r;
           })
      .def("_store",
           [](Caller& c) {
             if (!c.valid || !c.store->data) raise_value("caller is no longer valid");
             return nb::find(c.store);
           })
      .def_prop_ro("engine", [](Caller& c) {
        if (!c.valid || !c.store->data) raise_value("caller is no longer valid");
        return c.store->engine;
      });
}

}  // namespace ember::py
