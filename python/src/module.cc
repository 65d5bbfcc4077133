// Modules and instances: compile (through the compilation cache when the
// engine has one), validate, wat2wasm, serialize/deserialize, module
// reflection, instantiation with positional imports, instance exports.
//
// The pure-Python `Module`/`Instance` classes hold the handles defined here;
// the choice between text and binary input is made there (wasmtime's rules),
// so `compile` only ever sees binary bytes.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <span>

#include "common.hh"

namespace ember::py {

namespace {

// The bytes of a `bytes` or `bytearray` argument (TypeError otherwise).
// `stable`: the buffer cannot change while the GIL is released (bytes are
// immutable; another thread could resize a bytearray).
std::span<const uint8_t> buffer_of(nb::handle b, bool* stable) {
  char* p = nullptr;
  Py_ssize_t n = 0;
  if (PyBytes_Check(b.ptr())) {
    PyBytes_AsStringAndSize(b.ptr(), &p, &n);
    *stable = true;
  } else if (PyByteArray_Check(b.ptr())) {
    p = PyByteArray_AS_STRING(b.ptr());
    n = PyByteArray_GET_SIZE(b.ptr());
    *stable = false;
  } else {
    raise_type("expected wasm bytes");
  }
  return {reinterpret_cast<const uint8_t*>(p), size_t(n)};
}

// Runs `f` on the bytes of `b` with the GIL released (on a copy when the
// buffer could change meanwhile).
template <typename F>
auto with_bytes(nb::handle b, F f) {
  bool stable;
  std::span<const uint8_t> view = buffer_of(b, &stable);
  std::vector<uint8_t> copy;
  if (!stable) {
    copy.assign(view.begin(), view.end());
    view = copy;
  }
  nb::gil_scoped_release nogil;
  return f(view);
}

// Compiling and the text parser report "kind: message (at place)", as
// wasmtime does for them; other errors give the bare message.
[[noreturn]] void raise_described(const WasmError& e) {
  raise_wasmtime(e.what());
}

ModuleHandle compile(const EngineHandle& e, nb::handle wasm, bool validate) {
  try {
    return ModuleHandle{with_bytes(wasm, [&](std::span<const uint8_t> bytes) {
      return Module::from_binary(e.engine, bytes, validate);
    })};
  } catch (const WasmError& err) {
    raise_described(err);
  }
}

nb::bytes serialize(const ModuleHandle& h) {
  std::vector<uint8_t> blob = [&] {
    nb::gil_scoped_release nogil;
    return h.module.serialize();
  }();
  return nb::bytes(reinterpret_cast<const char*>(blob.data()), blob.size());
}

ModuleHandle deserialize_file(const EngineHandle& e, const std::string& path) {
  nb::gil_scoped_release nogil;
  return ModuleHandle{Module::deserialize_file(e.engine, path)};
}

nb::list module_imports(const ModuleHandle& h) {
  nb::list out;
  for (const ImportType& imp : h.module.imports())
    out.append(nb::make_tuple(imp.module, imp.name, py_externtype(imp.type)));
  return out;
}

nb::list module_exports(const ModuleHandle& h) {
  nb::list out;
  for (const ExportType& e : h.module.exports())
    out.append(nb::make_tuple(e.name, py_externtype(e.type)));
  return out;
}

nb::list custom_sections(const ModuleHandle& h, const std::string& name) {
  nb::list out;
  for (std::span<const uint8_t> c : h.module.custom_sections(name))
    out.append(nb::bytes(reinterpret_cast<const char*>(c.data()), c.size()));
  return out;
}

InstanceHandle instantiate(nb::handle storelike, const ModuleHandle& mod, nb::handle imports) {
  StoreScope scope(storelike);
  PyStore& s = scope.store;
  std::vector<Extern> ext;
  for (nb::handle item : imports) ext.push_back(unwrap_extern(s, item));
  InstanceHandle h;
  h.store_id = s.id;
  nb::gil_scoped_release nogil;
  h.h = Instance(s.api(), mod.module, ext);
  return h;
}

nb::list instance_exports(const InstanceHandle& h, nb::handle storelike) {
  StoreScope scope(storelike);
  PyStore* s = &scope.store;
  nb::list out;
  for (const auto& [name, e] : h.get(scope).exports())
    out.append(nb::make_tuple(name, wrap_extern(*s, e)));
  return out;
}

nb::bytes wat_to_bytes(nb::handle text) {
  std::string src;
  if (PyUnicode_Check(text.ptr())) src = nb::cast<std::string>(text);
  else if (PyBytes_Check(text.ptr()))
    src = std::string(PyBytes_AS_STRING(text.ptr()), PyBytes_GET_SIZE(text.ptr()));
  else raise_type("expected a str or bytes");
  std::vector<uint8_t> bin;
  try {
    nb::gil_scoped_release nogil;
    bin = wat2wasm(src);
  } catch (const WasmError& e) {
    raise_described(e);
  }
  return nb::bytes(reinterpret_cast<const char*>(bin.data()), bin.size());
}

}  // namespace

nb::object wrap_extern(PyStore& s, const Extern& e) {
  switch (e.kind()) {
    case ExternKind::Func: return nb::cast(func_handle(s, *e.func()));
    case ExternKind::Table: {
      TableHandle h;
      h.store_id = s.id;
      h.h = *e.table();
      return nb::cast(h);
    }
    case ExternKind::Memory: {
      if (std::optional<SharedMemory> shared = e.shared_memory())
        return wrap_shared_memory(*shared);
      MemoryHandle h;
      h.store_id = s.id;
      h.h = *e.memory();
      return nb::cast(h);
    }
    case ExternKind::Global: {
      GlobalHandle h;
      h.store_id = s.id;
      h.h = *e.global();
      return nb::cast(h);
    }
    case ExternKind::Tag: {
      TagHandle h;
      h.store_id = s.id;
      h.h = *e.tag();
      return nb::cast(h);
    }
  }
  raise_wasmtime("unknown kind of extern");
}

template <typename H>
static Extern unwrap_as(PyStore& s, nb::handle obj) {
  const H& h = nb::cast<const H&>(obj);
  if (h.store_id != s.id) raise_wasmtime("import comes from another store");
  return Extern(h.h);
}

Extern unwrap_extern(PyStore& s, nb::handle obj) {
  if (nb::isinstance<FuncHandle>(obj)) return unwrap_as<FuncHandle>(s, obj);
  if (nb::isinstance<MemoryHandle>(obj)) return unwrap_as<MemoryHandle>(s, obj);
  if (nb::isinstance<TableHandle>(obj)) return unwrap_as<TableHandle>(s, obj);
  if (nb::isinstance<GlobalHandle>(obj)) return unwrap_as<GlobalHandle>(s, obj);
  if (nb::isinstance<TagHandle>(obj)) return unwrap_as<TagHandle>(s, obj);
  if (std::optional<SharedMemory> shared = unwrap_shared_memory(obj)) return Extern(*shared);
  raise_type("expected a Func, Global, Memory, SharedMemory, Tag, or Table");
}

void bind_module(nb::module_& m) {
  nb::class_<ModuleHandle>(m, "ModuleHandle")
      .def("imports", &module_imports,
           nb::sig("def imports(self) -> list[tuple[str, str, typing.Any]]"))
      .def("exports", &module_exports, nb::sig("def exports(self) -> list[tuple[str, typing.Any]]"))
      .def("compiled_functions",
           [](const ModuleHandle& h) { return h.module.compiled_functions(); })
      .def("custom_sections", &custom_sections,
           nb::sig("def custom_sections(self, name: str, /) -> list[bytes]"))
      .def(
          "name",
          [](const ModuleHandle& h) -> nb::object {
            std::string name = h.module.name();
            if (name.empty()) return nb::none();
            return nb::cast(name);
          },
          nb::sig("def name(self) -> str | None"))
      .def(
          "binary",
          [](const ModuleHandle& h) {
            std::span<const uint8_t> b = h.module.binary();
            return nb::bytes(reinterpret_cast<const char*>(b.data()), b.size());
          },
          nb::sig("def binary(self) -> bytes"))
      .def("same_engine", [](const ModuleHandle& h, const EngineHandle& e) {
        return h.module.engine() == e.engine;
      });

  m.def("compile", &compile, nb::arg("engine").none(), nb::arg("wasm").none(),
        nb::arg("validate") = true);
  m.def("validate", [](const EngineHandle& e, nb::handle wasm) { compile(e, wasm, true); });
  m.def("wat2wasm", &wat_to_bytes, nb::arg("wat"));
  m.def("serialize", &serialize);
  m.def("deserialize", [](const EngineHandle& e, nb::handle blob) {
    // Read in place when the buffer is immutable: no copy of the blob.
    return ModuleHandle{with_bytes(
        blob, [&](std::span<const uint8_t> view) { return Module::deserialize(e.engine, view); })};
  });
  m.def("deserialize_file", &deserialize_file);
  m.def(
      "cache_stats",
      [] {
        CacheStats s = cache_stats();
        nb::dict d;
        d["hits"] = s.hits;
        d["misses"] = s.misses;
        d["rejected"] = s.rejected;
        d["writes"] = s.writes;
        d["write_errors"] = s.write_errors;
        return d;
      },
      nb::sig("def cache_stats() -> dict[str, int]"));

  nb::class_<InstanceHandle>(m, "InstanceHandle")
      .def("exports", &instance_exports,
           nb::sig("def exports(self, store: Store | Caller, /) -> list[tuple[str, typing.Any]]"))
      .def("check",
           [](const InstanceHandle& h, nb::handle store) {
             StoreScope scope(store);
             (void)h.get(scope);
           })
      .def("store_id", [](const InstanceHandle& h) { return h.store_id; });
  m.def("instantiate", &instantiate);
}

}  // namespace ember::py
