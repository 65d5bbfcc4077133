// The `_ember` extension module: registration of every bound class and the
// `_init` hand-shake with the pure-Python package.
//
// Import order: `ember/__init__.py` defines the exception and type classes in
// Python, imports `_ember`, and calls `_ember._init(namespace)` once; from
// then on the extension raises and builds those exact classes.
#include "common.hh"

namespace ember::py {
namespace {

void init_refs(nb::dict ns) {
  PyRefs& r = refs();
  auto get = [&](const char* name) {
    if (!ns.contains(name)) raise(PyExc_RuntimeError, std::string("_init: missing ") + name);
    return nb::borrow<nb::object>(ns[name]);
  };
  r.WasmtimeError = get("WasmtimeError");
  r.Trap = get("Trap");
  r.ExitTrap = get("ExitTrap");
  r.ValType = get("ValType");
  r.FuncType = get("FuncType");
  r.GlobalType = get("GlobalType");
  r.TableType = get("TableType");
  r.MemoryType = get("MemoryType");
  r.TagType = get("TagType");
  r.Limits = get("Limits");
  r.Val = get("Val");
  r.Engine = get("Engine");
  r.Module = get("Module");
  r.WasiConfig = get("WasiConfig");
  r.valtype_from_code = r.ValType.attr("_from_code");
  r.trap_create = r.Trap.attr("_create");
  r.ctypes_ubyte_ptr = get("_ubyte_ptr");
  r.ctypes_ubyte_array = get("_ubyte_array");
}

}  // namespace
}  // namespace ember::py

NB_MODULE(_ember, m) {
  using namespace ember::py;
  m.doc() = "Native core of the ember package (bindings to the Ember engine).";
  // The extension deliberately keeps the package's classes (PyRefs) until the
  // process ends, and stores are not GC-tracked; nanobind's exit-time leak
  // report would flag both, so it is off.
  nb::set_leak_warnings(false);
  m.def("_init", &init_refs, nb::sig("def _init(namespace: dict[str, typing.Any], /) -> None"),
        "Receives the package's classes (called once by ember/__init__.py).");
  m.def("_stop_background_compilation", &ember::stop_background_compilation,
        nb::arg("wait_for_batch") = true, nb::call_guard<nb::gil_scoped_release>(),
        "Stops the compiled tier's compile thread (ember/__init__.py, at exit).");
  nb::register_exception_translator(&translate_exception);
  bind_config(m);
  bind_store(m);
  bind_module(m);
  bind_func(m);
  bind_externs(m);
  bind_shared_memory(m);
  bind_gcref(m);
  bind_wasi(m);
  bind_linker(m);
  bind_component(m);
}
