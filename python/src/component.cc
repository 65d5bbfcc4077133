// Components: compile, instantiate, call (include/ember/component.hh).
//
// Values cross this layer in a plain "wire" form that the pure-Python
// `ember.component` types produce and read (python/ember/component/):
// bool as bool, integers as int (two's complement wraps, as in the
// `wasmtime` package), floats as float, char as a one-character str, string
// as str, list<u8> as bytes, other lists as list, records and tuples as
// tuple, variants, options and results as (case index, payload or None),
// enums as their case index, flags as an int of bits. Primitives, strings
// and list<u8> are the user's own values, checked here with the package's
// rules (direct_value), so a call of only those converts nothing in
// Python. The mapping to the package's Python values (Record, Variant, the
// disjoint-cases rule) is the Python side's.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <bit>
#include <cstring>
#include <iterator>

#include "common.hh"
#include "ember/component.hh"

namespace ember::py {
namespace {

namespace cm = ember::component;

struct ComponentHandle {
  cm::Component c;
};
struct CInstanceHandle {
  uint64_t store_id = 0;
  cm::Instance inst;
};
struct CFuncHandle {
  uint64_t store_id = 0;
  cm::Func f;
  cm::FuncType type;  // read once: every call converts by it
};
struct CTypeHandle {
  cm::Type t;
};

uint64_t wire_int(nb::handle v, const char* what) {
  if (!PyLong_Check(v.ptr())) raise_type(std::string("expected int for ") + what);
  uint64_t x = PyLong_AsUnsignedLongLongMask(v.ptr());
  if (x == uint64_t(-1) && PyErr_Occurred()) throw nb::python_error();
  return x;
}

cm::Value to_value(const cm::Type& t, nb::handle v);

cm::Value payload_value(const cm::Type& t, nb::handle v) {
  if (!PyTuple_Check(v.ptr()) || PyTuple_GET_SIZE(v.ptr()) != 2)
    raise_type("expected (case, payload) for a variant-like value");
  nb::handle disc = PyTuple_GET_ITEM(v.ptr(), 0), payload = PyTuple_GET_ITEM(v.ptr(), 1);
  cm::Value out = cm::Value::of(wire_int(disc, "a case index"));
  std::optional<cm::Type> pt;
  switch (t.kind()) {
    case cm::TypeKind::Variant:
      pt = out.num < t.child_count() ? t.child(out.num) : std::nullopt;
      break;
    case cm::TypeKind::Option: pt = out.num == 1 ? t.child(0) : std::nullopt; break;
    case cm::TypeKind::Result: pt = out.num == 0 ? t.ok() : t.err(); break;
    default: break;
  }
  if (pt) out.items.push_back(to_value(*pt, payload));
  return out;
}

// The names of the primitive kinds, as the Python value types are named.
const char* kind_name(cm::TypeKind k) {
  static const char* const kNames[] = {"Bool", "S8",  "U8",  "S16", "U16", "S32",
                                       "U32",  "S64", "U64", "F32", "F64", "Char"};
  return size_t(k) < std::size(kNames) ? kNames[size_t(k)] : "?";
}

// A primitive value, a string or a list<u8> straight from Python (the
// Python value types pass these through unconverted, `_direct`): the
// package's type rules and messages.
cm::Value direct_value(cm::TypeKind k, nb::handle v) {
  PyObject* o = v.ptr();
  switch (k) {
    case cm::TypeKind::Bool:
      if (!PyBool_Check(o)) raise_type("expected bool for Bool type");
      return cm::Value::of(o == Py_True);
    case cm::TypeKind::F32:
    case cm::TypeKind::F64: {
      if (!PyFloat_Check(o))
        raise_type(std::string("expected float for ") + kind_name(k) + " type");
      double d = PyFloat_AS_DOUBLE(o);
      if (k == cm::TypeKind::F64) return cm::Value::of(std::bit_cast<uint64_t>(d));
      return cm::Value::of(std::bit_cast<uint32_t>(float(d)));
    }
    case cm::TypeKind::Char:
      if (!PyUnicode_Check(o) || PyUnicode_GET_LENGTH(o) != 1)
        raise_type("expected single-character string for Char type");
      return cm::Value::of(PyUnicode_READ_CHAR(o, 0));
    case cm::TypeKind::String: {
      if (!PyUnicode_Check(o)) raise_type("expected string type");
      Py_ssize_t n = 0;
      const char* p = PyUnicode_AsUTF8AndSize(o, &n);
      if (!p) throw nb::python_error();
      return cm::Value::of_string(std::string(p, size_t(n)));
    }
    case cm::TypeKind::List: {
      if (!PyBytes_Check(o)) raise_type("expected bytes value");
      return cm::Value::of_string(std::string(PyBytes_AS_STRING(o), size_t(PyBytes_GET_SIZE(o))));
    }
    default: return cm::Value::of(wire_int(v, (std::string(kind_name(k)) + " type").c_str()));
  }
}

cm::Value to_value(const cm::Type& t, nb::handle v) {
  cm::TypeKind k = t.kind();
  if (k <= cm::TypeKind::String) return direct_value(k, v);
  switch (k) {
    case cm::TypeKind::List: {
      cm::Type e = *t.child(0);
      if (e.kind() == cm::TypeKind::U8) return direct_value(cm::TypeKind::List, v);
      cm::Value out;
      for (nb::handle x : v) out.items.push_back(to_value(e, x));
      return out;
    }
    case cm::TypeKind::Record:
    case cm::TypeKind::Tuple: {
      cm::Value out;
      size_t n = t.child_count(), i = 0;
      for (nb::handle x : v) {
        if (i == n) raise_type("too many fields");
        out.items.push_back(to_value(*t.child(i++), x));
      }
      if (i != n) raise_type("too few fields");
      return out;
    }
    case cm::TypeKind::Variant:
    case cm::TypeKind::Option:
    case cm::TypeKind::Result: return payload_value(t, v);
    case cm::TypeKind::Own:
    case cm::TypeKind::Borrow:
      if (!nb::isinstance<cm::Resource>(v)) raise_type("expected a resource handle");
      return cm::Value::of_resource(nb::cast<const cm::Resource&>(v));
    case cm::TypeKind::ErrorContext:
    case cm::TypeKind::Other:
      throw WasmError(ErrorKind::Unsupported, "values of this type are not supported yet");
    default: return cm::Value::of(wire_int(v, "an integer-like value"));
  }
}

nb::object from_value(const cm::Type& t, const cm::Value& v);

nb::object payload_object(const cm::Type& t, const cm::Value& v) {
  nb::object payload = nb::none();
  if (!v.items.empty()) {
    std::optional<cm::Type> pt;
    if (t.kind() == cm::TypeKind::Variant) pt = t.child(v.num);
    else if (t.kind() == cm::TypeKind::Option) pt = t.child(0);
    else pt = v.num == 0 ? t.ok() : t.err();
    payload = from_value(*pt, v.items[0]);
  }
  return nb::make_tuple(v.num, payload);
}

nb::object from_value(const cm::Type& t, const cm::Value& v) {
  switch (t.kind()) {
    case cm::TypeKind::Bool: return nb::bool_(v.num != 0);
    case cm::TypeKind::Char: {
      PyObject* c = PyUnicode_FromOrdinal(int(v.num));
      if (!c) throw nb::python_error();
      return nb::steal(c);
    }
    case cm::TypeKind::S8:
    case cm::TypeKind::S16:
    case cm::TypeKind::S32:
    case cm::TypeKind::S64: return nb::int_(int64_t(v.num));
    case cm::TypeKind::F32: {
      float f;
      uint32_t b = uint32_t(v.num);
      std::memcpy(&f, &b, 4);
      return nb::float_(f);
    }
    case cm::TypeKind::F64: {
      double d;
      std::memcpy(&d, &v.num, 8);
      return nb::float_(d);
    }
    case cm::TypeKind::String: return nb::str(v.bytes.data(), v.bytes.size());
    case cm::TypeKind::List: {
      cm::Type e = *t.child(0);
      if (e.kind() == cm::TypeKind::U8) return nb::bytes(v.bytes.data(), v.bytes.size());
      nb::list out;
      for (const cm::Value& x : v.items) out.append(from_value(e, x));
      return out;
    }
    case cm::TypeKind::Record:
    case cm::TypeKind::Tuple: {
      nb::list out;
      for (size_t i = 0; i < v.items.size(); i++) out.append(from_value(*t.child(i), v.items[i]));
      return nb::tuple(out);
    }
    case cm::TypeKind::Variant:
    case cm::TypeKind::Option:
    case cm::TypeKind::Result: return payload_object(t, v);
    case cm::TypeKind::Own:
    case cm::TypeKind::Borrow: return nb::cast(cm::Resource(v.resource));
    default: return nb::int_(v.num);
  }
}

ComponentHandle compile_text(const EngineHandle& e, const std::string& text) {
  nb::gil_scoped_release nogil;
  return ComponentHandle{cm::Component::from_text(e.engine, text)};
}

ComponentHandle compile(const EngineHandle& e, nb::bytes wasm) {
  std::vector<uint8_t> bytes(static_cast<const uint8_t*>(wasm.data()),
                             static_cast<const uint8_t*>(wasm.data()) + wasm.size());
  nb::gil_scoped_release nogil;
  return ComponentHandle{cm::Component::from_binary(e.engine, bytes)};
}

struct CLinkerHandle {
  cm::Linker linker;
};

// As in the `wasmtime` package, a trap in a component call is a
// WasmtimeError with wasmtime's report (backtrace, "Caused by:"); WASI's
// exit is an ExitTrap with its status.
[[noreturn]] void raise_component_trap(const Trap& t) {
  if (t.code() == TrapCode::Exit) throw t;  // translate_exception makes it an ExitTrap
  raise_wasmtime(t.code() == TrapCode::HostError ? t.what() : t.report());
}

// A Python callable kept by C++ code that may drop it without the GIL.
std::shared_ptr<PyCallable> keep_callable(nb::handle fn) {
  if (!PyCallable_Check(fn.ptr())) raise_type("expected a callable");
  return std::make_shared<PyCallable>(fn);
}

// Calls `fn(ctx, *args)` with the GIL held, `ctx` a Caller of the store
// `cx` that is valid for this call only, however it ends. A
// Python exception leaves as nb::python_error: it passes through wasm and
// is raised again at the outermost call.
template <typename... Args>
nb::object call_with_context(PyObject* fn, cm::StoreContext cx, Args... args) {
  PyStore& s = *static_cast<PyStore*>(cx.data());
  nb::object ctx = nb::cast(PyCaller{&s, std::nullopt, true});
  struct Invalidate {
    PyCaller* c;
    ~Invalidate() { c->valid = false; }
  } invalidate{nb::inst_ptr<PyCaller>(ctx)};
  nb::object r = nb::steal(PyObject_CallFunctionObjArgs(fn, ctx.ptr(), args.ptr()..., nullptr));
  if (!r.is_valid()) throw nb::python_error();
  return r;
}

// A store's host function calling `adapter`, the Python side's
// (ctx, param type handles, result type handle, wire args) -> wire
// result. The store keeps the adapter (PyStore::component_hosts), which
// this borrows: the function runs only in that store (cm::Func::call
// checks), and only while it is open.
struct PyComponentHost {
  PyObject* adapter;
  uint64_t store_id;

  std::optional<cm::Value> operator()(cm::StoreContext cx, const cm::FuncType& ty,
                                      std::span<const cm::Value> args) const {
    nb::gil_scoped_acquire gil;
    if (static_cast<PyStore*>(cx.data())->id != store_id)  // (not expected: see above)
      throw WasmError(ErrorKind::Internal, "the function belongs to another store");
    nb::list wire, params;
    for (size_t i = 0; i < args.size(); i++) {
      wire.append(from_value(ty.params[i].second, args[i]));
      params.append(nb::cast(CTypeHandle{ty.params[i].second}));
    }
    nb::object result = ty.result ? nb::cast(CTypeHandle{*ty.result}) : nb::none();
    nb::object r = call_with_context(adapter, cx, params, result, wire);
    if (!ty.result) return std::nullopt;
    return to_value(*ty.result, r);
  }
};

// A linker's host function definition: each store instantiating with it
// takes a reference to the adapter of its own, so that a cycle through
// the adapter (a bound method of the object holding the store) is one
// the collector sees -- the linker's reference is the linker's, and each
// store's the store's.
struct PyComponentHostFactory {
  std::shared_ptr<PyCallable> adapter;

  cm::HostFunc operator()(cm::StoreContext cx) const {
    nb::gil_scoped_acquire gil;  // (instantiation runs without it)
    PyStore& s = *static_cast<PyStore*>(cx.data());
    s.component_hosts.push_back(adapter->fn);
    return PyComponentHost{adapter->fn.ptr(), s.id};
  }
};

// A host resource destructor calling `dtor(ctx, rep)`.
cm::Linker::HostDtor python_dtor(nb::handle dtor) {
  std::shared_ptr<PyCallable> fn = keep_callable(dtor);
  return [fn](cm::StoreContext cx, uint32_t rep) {
    nb::gil_scoped_acquire gil;
    call_with_context(fn->fn.ptr(), cx, nb::int_(rep));
  };
}

// Garbage-collector support: a component linker refers to the adapters
// of its host functions (each store that instantiates with one gets its
// own reference), so a host function referring back to the linker makes a
// cycle the collector can free. Clearing drops every definition.
int clinker_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(nb::handle(self))) return 0;
  HeldContexts<PyCallable, &PyCallable::fn> held;
  nb::inst_ptr<CLinkerHandle>(nb::handle(self))
      ->linker.for_each_host_factory([&](const cm::HostFuncFactory& make) {
        if (const auto* f = make.target<PyComponentHostFactory>()) held.add(f->adapter);
      });
  return held.visit(visit, arg);
}

int clinker_clear(PyObject* self) {
  if (!nb::inst_ready(nb::handle(self))) return 0;
  cm::Linker& l = nb::inst_ptr<CLinkerHandle>(nb::handle(self))->linker;
  l = cm::Linker(l.engine());
  return 0;
}

PyType_Slot kComponentLinkerSlots[] = {
    {Py_tp_traverse, reinterpret_cast<void*>(clinker_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(clinker_clear)},
    {0, nullptr},
};

CInstanceHandle instantiate(nb::handle storelike, const ComponentHandle& c,
                            const CLinkerHandle* l) {
  StoreScope scope(storelike);
  PyStore& s = scope.store;
  uint64_t id = s.id;
  nb::gil_scoped_release nogil;
  if (l) return CInstanceHandle{id, cm::Instance::instantiate(s.api(), c.c, l->linker)};
  return CInstanceHandle{id, cm::Instance::instantiate(s.api(), c.c)};
}

void check_store(const StoreScope& scope, uint64_t id) {
  if (scope.store.id != id) raise_wasmtime("object used with the wrong store");
}

std::optional<CFuncHandle> get_func(const CInstanceHandle& h, nb::handle store,
                                    const std::vector<std::string>& path, const std::string& name) {
  StoreScope scope(store);
  check_store(scope, h.store_id);
  auto f = h.inst.get_func(path, name);
  if (!f) return std::nullopt;
  return CFuncHandle{h.store_id, *f, f->type()};
}

nb::object call(const CFuncHandle& h, nb::handle store, nb::handle args) {
  StoreScope scope(store);
  check_store(scope, h.store_id);
  const cm::FuncType& ty = h.type;
  nb::object seq = nb::steal(PySequence_Fast(args.ptr(), "expected a sequence of arguments"));
  if (!seq.is_valid()) throw nb::python_error();
  size_t n = size_t(PySequence_Fast_GET_SIZE(seq.ptr()));
  if (n != ty.params.size())
    raise_type("wrong number of parameters provided: given " + std::to_string(n) + ", expected " +
               std::to_string(ty.params.size()));
  std::vector<cm::Value> vals;
  vals.reserve(n);
  for (size_t i = 0; i < n; i++)
    vals.push_back(
        to_value(ty.params[i].second, PySequence_Fast_GET_ITEM(seq.ptr(), Py_ssize_t(i))));
  std::optional<cm::Value> r;
  try {
    nb::gil_scoped_release nogil;
    r = h.f.call(scope.store.api(), vals);
  } catch (const Trap& t) {
    raise_component_trap(t);
  }
  if (!r || !ty.result) return nb::none();
  return from_value(*ty.result, *r);
}

std::pair<std::vector<std::pair<std::string, CTypeHandle>>, std::optional<CTypeHandle>> func_type(
    const CFuncHandle& h) {
  cm::FuncType ty = h.f.type();
  std::vector<std::pair<std::string, CTypeHandle>> params;
  for (auto& [n, t] : ty.params) params.emplace_back(n, CTypeHandle{t});
  std::optional<CTypeHandle> result;
  if (ty.result) result = CTypeHandle{*ty.result};
  return {params, result};
}

std::vector<std::optional<CTypeHandle>> type_children(const CTypeHandle& h) {
  std::vector<std::optional<CTypeHandle>> out;
  for (size_t i = 0; i < h.t.child_count(); i++) {
    auto c = h.t.child(i);
    out.push_back(c ? std::optional<CTypeHandle>(CTypeHandle{*c}) : std::nullopt);
  }
  return out;
}

std::vector<std::tuple<std::string, std::string, std::string>> externs(
    const std::vector<cm::ExternInfo>& v) {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const cm::ExternInfo& e : v) out.emplace_back(e.name, e.sort, e.type);
  return out;
}

// An ExternItem as (name, sort, type handle or None, core imports, core
// exports); the core ones as (module, name, extern type) and (name, type).
nb::tuple item_tuple(const cm::ExternItem& e) {
  nb::list imports, exports;
  for (const ImportType& i : e.module_imports)
    imports.append(nb::make_tuple(i.module, i.name, py_externtype(i.type)));
  for (const ExportType& x : e.module_exports)
    exports.append(nb::make_tuple(x.name, py_externtype(x.type)));
  nb::object type = e.type ? nb::cast(CTypeHandle{*e.type}) : nb::none();
  return nb::make_tuple(e.name, e.sort, type, imports, exports);
}

nb::list item_list(const std::vector<cm::ExternItem>& items) {
  nb::list out;
  for (const cm::ExternItem& e : items) out.append(item_tuple(e));
  return out;
}

}  // namespace

void bind_component(nb::module_& m) {
  nb::class_<ComponentHandle>(m, "ComponentHandle")
      .def("imports", [](const ComponentHandle& h) { return externs(h.c.imports()); })
      .def("exports", [](const ComponentHandle& h) { return externs(h.c.exports()); })
      .def(
          "import_items", [](const ComponentHandle& h) { return item_list(h.c.import_items()); },
          nb::sig("def import_items(self) -> list[tuple[typing.Any, ...]]"))
      .def(
          "export_items", [](const ComponentHandle& h) { return item_list(h.c.export_items()); },
          nb::sig("def export_items(self) -> list[tuple[typing.Any, ...]]"))
      .def("export_sort", [](const ComponentHandle& h, const std::vector<std::string>& path,
                             const std::string& name) { return h.c.export_sort(path, name); });
  m.def("component_compile", &compile);
  m.def("component_compile_text", &compile_text);
  // The text format's binary (tests compare it with wasm-tools').
  m.def("component_wat_to_wasm", [](const std::string& text) {
    std::vector<uint8_t> b = cm::Component::text_to_binary(text);
    return nb::bytes(reinterpret_cast<const char*>(b.data()), b.size());
  });
  m.def("component_serialize", [](const ComponentHandle& h) {
    std::vector<uint8_t> b = h.c.serialize();
    return nb::bytes(reinterpret_cast<const char*>(b.data()), b.size());
  });
  m.def("component_deserialize", [](const EngineHandle& e, nb::bytes blob) {
    std::vector<uint8_t> bytes(static_cast<const uint8_t*>(blob.data()),
                               static_cast<const uint8_t*>(blob.data()) + blob.size());
    nb::gil_scoped_release nogil;
    return ComponentHandle{cm::Component::deserialize(e.engine, bytes)};
  });
  m.def("is_component", [](nb::bytes b) {
    return cm::Component::is_component({static_cast<const uint8_t*>(b.data()), b.size()});
  });
  m.def("component_instantiate", &instantiate, nb::arg("store"), nb::arg("component"),
        nb::arg("linker").none());
  using Path = const std::vector<std::string>&;
  nb::class_<CLinkerHandle>(m, "ComponentLinkerHandle", nb::type_slots(kComponentLinkerSlots))
      .def("__init__",
           [](CLinkerHandle* self, const EngineHandle& e) {
             new (self) CLinkerHandle{cm::Linker(e.engine)};
           })
      .def("define_instance", [](CLinkerHandle& h, Path path,
                                 const std::string& name) { h.linker.define_instance(path, name); })
      .def("define_func",
           [](CLinkerHandle& h, Path path, const std::string& name, nb::handle adapter) {
             h.linker.define_func_per_store(path, name,
                                            PyComponentHostFactory{keep_callable(adapter)});
           })
      .def("define_module",
           [](CLinkerHandle& h, Path path, const std::string& name, const ModuleHandle& m) {
             h.linker.define_module(path, name, m.module);
           })
      .def("define_resource",
           [](CLinkerHandle& h, Path path, const std::string& name, const cm::ResourceType& t,
              nb::handle dtor) { h.linker.define_resource(path, name, t, python_dtor(dtor)); })
      .def("define_unknown_imports_as_traps",
           [](CLinkerHandle& h, const ComponentHandle& c) {
             h.linker.define_unknown_imports_as_traps(c.c);
           })
      .def("add_wasip2", [](CLinkerHandle& h) { h.linker.add_wasip2(); })
      .def("add_wasi_http", [](CLinkerHandle& h) { h.linker.add_wasi_http(); })
      .def("allow_shadowing",
           [](CLinkerHandle& h, bool allow) { h.linker.allow_shadowing(allow); });
  nb::class_<CInstanceHandle>(m, "ComponentInstanceHandle")
      .def("get_func", &get_func)
      .def("has_instance",
           [](const CInstanceHandle& h, const std::vector<std::string>& path) {
             return h.inst.has_instance(path);
           })
      .def("store_id", [](const CInstanceHandle& h) { return h.store_id; });
  nb::class_<CFuncHandle>(m, "ComponentFuncHandle")
      .def("call", &call,
           nb::sig(
               "def call(self, store: object, args: typing.Sequence[typing.Any], /) -> typing.Any"))
      .def("type", &func_type)
      .def("post_return",
           [](const CFuncHandle& h, nb::handle store) {
             StoreScope scope(store);
             check_store(scope, h.store_id);
             h.f.post_return(scope.store.api());
           })
      .def("store_id", [](const CFuncHandle& h) { return h.store_id; });
  nb::class_<cm::ResourceType>(m, "ResourceTypeHandle")
      .def_static("host", &cm::ResourceType::host)
      .def("equals", [](const cm::ResourceType& a, const cm::ResourceType& b) { return a == b; })
      .def("is_host", &cm::ResourceType::is_host)
      .def("host_tag", &cm::ResourceType::host_tag);
  nb::class_<cm::Resource>(m, "ResourceHandle")
      .def_static("host", &cm::Resource::host)
      .def("type", &cm::Resource::type)
      .def("rep", &cm::Resource::rep)
      .def("owned", &cm::Resource::owned)
      .def("consumed", &cm::Resource::consumed)
      .def("give_up", &cm::Resource::give_up)
      .def("drop", [](const cm::Resource& r, nb::handle store) {
        StoreScope scope(store);
        try {
          nb::gil_scoped_release nogil;
          r.drop(scope.store.api());
        } catch (const Trap& t) {
          raise_component_trap(t);
        }
      });
  nb::class_<CTypeHandle>(m, "ComponentTypeHandle")
      .def("kind", [](const CTypeHandle& h) { return int(h.t.kind()); })
      .def("names", [](const CTypeHandle& h) { return h.t.names(); })
      .def("children", &type_children)
      .def("resource_type", [](const CTypeHandle& h) { return h.t.resource_type(); })
      .def("ok",
           [](const CTypeHandle& h) {
             auto t = h.t.ok();
             return t ? std::optional<CTypeHandle>(CTypeHandle{*t}) : std::nullopt;
           })
      .def("err",
           [](const CTypeHandle& h) {
             auto t = h.t.err();
             return t ? std::optional<CTypeHandle>(CTypeHandle{*t}) : std::nullopt;
           })
      .def(
          "imports", [](const CTypeHandle& h) { return item_list(h.t.imports()); },
          nb::sig("def imports(self) -> list[tuple[typing.Any, ...]]"))
      .def(
          "exports", [](const CTypeHandle& h) { return item_list(h.t.exports()); },
          nb::sig("def exports(self) -> list[tuple[typing.Any, ...]]"))
      .def(
          "func",
          [](const CTypeHandle& h) {
            cm::FuncType ty = h.t.func();
            nb::list params;
            for (auto& [n, t] : ty.params) params.append(nb::make_tuple(n, CTypeHandle{t}));
            nb::object result = ty.result ? nb::cast(CTypeHandle{*ty.result}) : nb::none();
            return nb::make_tuple(params, result);
          },
          nb::sig("def func(self) -> tuple[typing.Any, ...]"))
      .def("__eq__",
           [](const CTypeHandle& a, nb::handle b) {
             return nb::isinstance<CTypeHandle>(b) && a.t == nb::cast<const CTypeHandle&>(b).t;
           })
      .def("__hash__", [](const CTypeHandle& h) { return size_t(h.t.id()); });
}

}  // namespace ember::py
