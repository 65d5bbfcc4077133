// WASI preview1 for Python: `Store.set_wasi` (`store_set_wasi`) and the
// functions `Linker.define_wasi` defines (`_ember.wasi_func`), over the
// public API (include/ember/wasi.hh).
//
// As in wasmtime, the WASI context belongs to the store, not to the linker:
// the API's WASI functions forward to the store's current context, so a
// module can be instantiated before `set_wasi` and the context can be
// replaced. Calling a WASI function in a store that has no context raises
// WasmtimeError (wasmtime aborts the process there).
//
// This file only converts the settings a WasiConfig recorded. Custom
// stdout/stderr callbacks run Python code while wasm runs with the GIL
// released: the sink takes the GIL for the call. An exception raised by a
// callback cannot travel through the guest's fd_write; it is reported through
// sys.unraisablehook and the write fails with EIO (wasmtime prints it and
// returns EIO too).
#include <nanobind/stl/string.h>

#include "common.hh"
#include "ember/wasi.hh"

namespace ember::py {

namespace {

// A custom stdout/stderr sink calling a Python callable (a named type:
// visit_wasi_outputs finds it in the store's context).
struct PySink {
  std::shared_ptr<PyCallable> cb;
  int64_t operator()(const uint8_t* p, size_t n) const;
};

int64_t PySink::operator()(const uint8_t* p, size_t n) const {
  nb::gil_scoped_acquire gil;
  PyObject* data =
      PyBytes_FromStringAndSize(reinterpret_cast<const char*>(p), static_cast<Py_ssize_t>(n));
  PyObject* r = data ? PyObject_CallOneArg(cb->fn.ptr(), data) : nullptr;
  Py_XDECREF(data);
  int64_t took = static_cast<int64_t>(n);
  if (r && r != Py_None) {
    if (PyLong_Check(r)) {
      long long v = PyLong_AsLongLong(r);
      if (v == -1 && PyErr_Occurred()) took = -1;
      else took = v < 0 ? -1 : static_cast<int64_t>(v);
    } else {
      PyErr_Format(PyExc_TypeError, "a WASI output callback must return None or an int, not %s",
                   Py_TYPE(r)->tp_name);
      took = -1;
    }
  }
  if (!r) took = -1;
  Py_XDECREF(r);
  if (PyErr_Occurred()) PyErr_WriteUnraisable(cb->fn.ptr());
  return took;
}

WasiOutput output_sink(nb::handle callable) {
  return PySink{std::make_shared<PyCallable>(callable)};
}

std::string str_of(nb::handle h, const char* what) {
  if (!PyUnicode_Check(h.ptr())) raise_type(std::string(what) + " must be a str");
  return nb::cast<std::string>(h);
}

// A host path (str, encoded as the file system does, or bytes).
std::string path_of(nb::handle h, const char* what) {
  nb::object b;
  if (PyUnicode_Check(h.ptr())) {
    b = nb::steal(PyUnicode_EncodeFSDefault(h.ptr()));
    if (!b.is_valid()) throw nb::python_error();
  } else if (PyBytes_Check(h.ptr())) {
    b = nb::borrow(h);
  } else {
    raise_type(std::string(what) + " must be a str or bytes");
  }
  return std::string(PyBytes_AS_STRING(b.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(b.ptr())));
}

// The settings dict a WasiConfig recorded (python/ember/_wasi.py) → Config.
WasiConfig config_from(nb::dict d) {
  WasiConfig c;
  auto get = [&](const char* key) -> nb::object {
    if (!d.contains(key)) return nb::none();
    return nb::borrow<nb::object>(d[key]);
  };
  for (nb::handle a : get("argv")) c.argv.push_back(str_of(a, "argv"));
  for (nb::handle kv : get("env")) {
    nb::tuple t = nb::cast<nb::tuple>(kv);
    c.env.emplace_back(str_of(t[0], "env"), str_of(t[1], "env"));
  }
  c.inherit_env = nb::cast<bool>(get("inherit_env"));
  if (nb::object in = get("stdin"); !in.is_none()) {
    nb::tuple t = nb::cast<nb::tuple>(in);
    std::string kind = str_of(t[0], "stdin");
    if (kind == "inherit") {
      c.inherit_stdin = true;
    } else if (kind == "file") {
      c.stdin_file = path_of(t[1], "stdin_file");
    } else if (kind == "bytes") {
      nb::bytes b = nb::cast<nb::bytes>(t[1]);
      const uint8_t* p = reinterpret_cast<const uint8_t*>(b.c_str());
      c.stdin_bytes = std::vector<uint8_t>(p, p + b.size());
    }
  }
  auto output = [&](const char* key, bool* inherit, std::optional<std::string>* file,
                    WasiOutput* custom) {
    nb::object o = get(key);
    if (o.is_none()) return;
    nb::tuple t = nb::cast<nb::tuple>(o);
    std::string kind = str_of(t[0], key);
    if (kind == "inherit") *inherit = true;
    else if (kind == "file") *file = path_of(t[1], key);
    else if (kind == "custom") *custom = output_sink(t[1]);
  };
  output("stdout", &c.inherit_stdout, &c.stdout_file, &c.stdout_custom);
  output("stderr", &c.inherit_stderr, &c.stderr_file, &c.stderr_custom);
  for (nb::handle p : get("preopens")) {
    nb::tuple t = nb::cast<nb::tuple>(p);
    WasiPreopen pre;
    pre.host_path = path_of(t[0], "path");
    pre.guest_path = str_of(t[1], "guest_path");
    pre.dir_read = nb::cast<bool>(t[2]);
    pre.dir_write = nb::cast<bool>(t[3]);
    pre.file_read = nb::cast<bool>(t[4]);
    pre.file_write = nb::cast<bool>(t[5]);
    c.preopens.push_back(std::move(pre));
  }
  return c;
}

nb::object wasi_func(nb::handle storelike, const std::string& name) {
  if (!nb::isinstance<PyStore>(storelike)) raise_type("expected a Store");
  StoreScope scope(storelike);
  PyStore& s = scope.store;
  return nb::cast(func_handle(s, ember::wasi_func(s.api(), name)));
}

nb::list wasi_imports() {
  nb::list out;
  for (const auto& [name, type] : ember::wasi_imports())
    out.append(nb::make_tuple(name, py_functype(type)));
  return out;
}

}  // namespace

void store_set_wasi(PyStore& s, nb::handle wasi) {
  if (PyObject_IsInstance(wasi.ptr(), refs().WasiConfig.ptr()) != 1)
    raise_type("expected a WasiConfig");
  StoreScope scope(s);
  // Consumed only once the store is known to be usable.
  nb::dict settings = nb::cast<nb::dict>(wasi.attr("_consume")());
  ember::set_wasi(s.api(), config_from(settings));
}

int visit_wasi_outputs(const Store& store, visitproc visit, void* arg) {
  HeldContexts<PyCallable, &PyCallable::fn> held;  // one per descriptor writing to it
  for_each_wasi_output(store, [&](const WasiOutput& out) {
    if (const PySink* sink = out.target<PySink>()) held.add(sink->cb);
  });
  return held.visit(visit, arg);
}

void bind_wasi(nb::module_& m) {
  m.def("wasi_func", &wasi_func, nb::arg("store").none(), nb::arg("name"));
  m.def("wasi_imports", &wasi_imports,
        nb::sig("def wasi_imports() -> list[tuple[str, ember.FuncType]]"));
  m.attr("WASI_MODULE") = kWasiModule;
}

}  // namespace ember::py
