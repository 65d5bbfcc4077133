// `_ember.Linker` and `_ember.InstancePre`: the Python Linker over
// ember::Linker (include/ember/linker.hh), which holds every rule of name
// resolution and its messages. python/ember/_linker.py checks argument
// types; this file converts handles and opens the store for each call that
// touches one.
#include <nanobind/stl/string.h>

#include "common.hh"

namespace ember::py {

namespace {

struct LinkerHandle {
  Linker linker;
};

struct InstancePreHandle {
  InstancePre pre;
};

// Instantiation may run the start function: the GIL is released around it
// (host functions take it back).
InstanceHandle instantiate_with(nb::handle storelike, const std::function<Instance(Store&)>& f) {
  StoreScope scope(storelike);
  PyStore& s = scope.store;
  InstanceHandle h;
  h.store_id = s.id;
  nb::gil_scoped_release nogil;
  h.h = f(s.api());
  return h;
}

void define(LinkerHandle& l, nb::handle store, const std::string& module, const std::string& name,
            nb::handle item) {
  StoreScope scope(store);
  l.linker.define(module, name, unwrap_extern(scope.store, item));
}

void define_instance(LinkerHandle& l, nb::handle store, const std::string& module,
                     const InstanceHandle& inst) {
  StoreScope scope(store);
  l.linker.define_instance(module, inst.get(scope));
}

void func_new(LinkerHandle& l, const std::string& module, const std::string& name, nb::handle ty,
              nb::handle fn, bool access_caller) {
  FuncType type = functype_of(ty);
  l.linker.func_new_per_store(module, name, type, python_host_factory(type, fn, access_caller));
}

nb::object get(const LinkerHandle& l, nb::handle store, const std::string& module,
               const std::string& name) {
  StoreScope scope(store);
  std::optional<Extern> e = l.linker.get(scope.store.api(), module, name);
  if (!e) return nb::none();
  return wrap_extern(scope.store, *e);
}

nb::object get_default(const LinkerHandle& l, nb::handle store, const std::string& module) {
  StoreScope scope(store);
  return nb::cast(func_handle(scope.store, l.linker.get_default(scope.store.api(), module)));
}

// Garbage-collector support: a linker refers to the callables of its host
// functions (each definition's template; a store gets its own copy), so a
// host function referring back to the linker makes a cycle the collector
// can free. Clearing drops every definition.
int linker_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(nb::handle(self))) return 0;
  return visit_host_callables(nb::inst_ptr<LinkerHandle>(nb::handle(self))->linker, visit, arg);
}

int linker_clear(PyObject* self) {
  if (!nb::inst_ready(nb::handle(self))) return 0;
  Linker& l = nb::inst_ptr<LinkerHandle>(nb::handle(self))->linker;
  l = Linker(l.engine());
  return 0;
}

PyType_Slot kLinkerSlots[] = {
    {Py_tp_traverse, reinterpret_cast<void*>(linker_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(linker_clear)},
    {0, nullptr},
};

}  // namespace

void bind_linker(nb::module_& m) {
  nb::class_<LinkerHandle>(m, "Linker", nb::type_slots(kLinkerSlots))
      .def("__init__", [](LinkerHandle* self,
                          const EngineHandle& e) { new (self) LinkerHandle{Linker(e.engine)}; })
      .def("allow_shadowing", [](LinkerHandle& l, bool on) { l.linker.allow_shadowing(on); })
      .def("define", &define)
      .def("define_instance", &define_instance)
      .def("func_new", &func_new)
      .def("define_wasi", [](LinkerHandle& l) { l.linker.define_wasi(); })
      .def("define_unknown_imports_as_traps",
           [](LinkerHandle& l, const ModuleHandle& m) {
             l.linker.define_unknown_imports_as_traps(m.module);
           })
      .def("define_unknown_imports_as_default_values",
           [](LinkerHandle& l, nb::handle store, const ModuleHandle& m) {
             StoreScope scope(store);
             l.linker.define_unknown_imports_as_default_values(scope.store.api(), m.module);
           })
      .def("get", &get)
      .def("get_default", &get_default)
      .def("instantiate",
           [](const LinkerHandle& l, nb::handle store, const ModuleHandle& m) {
             return instantiate_with(store,
                                     [&](Store& s) { return l.linker.instantiate(s, m.module); });
           })
      .def("instantiate_pre", [](const LinkerHandle& l, const ModuleHandle& m) {
        return InstancePreHandle{l.linker.instantiate_pre(m.module)};
      });

  nb::class_<InstancePreHandle>(m, "InstancePre")
      .def("instantiate", [](const InstancePreHandle& p, nb::handle store) {
        return instantiate_with(store, [&](Store& s) { return p.pre.instantiate(s); });
      });
}

}  // namespace ember::py
