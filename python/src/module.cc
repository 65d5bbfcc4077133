// Modules and instances: compile (through the compilation cache when the
// engine has one), validate, wat2wasm, serialize/deserialize, module
// reflection, instantiation with positional imports, instance exports.
//
// The pure-Python `Module`/`Instance` classes hold the handles defined here;
// the choice between text and binary input is made there (wasmtime's rules),
// so `compile` only ever sees binary bytes.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include "common.hh"
#include "compile/module_cache.hh"
#include "compile/serialize.hh"

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

std::vector<uint8_t> bytes_of(nb::handle b) {
  bool stable;
  std::span<const uint8_t> s = buffer_of(b, &stable);
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::shared_ptr<ModuleData> compile_wasm(const rt::EngineData& engine, std::vector<uint8_t> bytes,
                                         bool validate) {
  Expected<std::shared_ptr<ModuleData>> m = [&] {
    nb::gil_scoped_release nogil;
    return rt::compile_bytes(engine, std::move(bytes), validate);
  }();
  if (!m) raise_wasmtime(m.error().describe());
  return *m;
}

ModuleHandle deserialize_bytes(const EngineHandle& e, std::span<const uint8_t> blob) {
  Expected<std::shared_ptr<ModuleData>> m = [&] {
    nb::gil_scoped_release nogil;
    return rt::deserialize_module(blob, *e.data);
  }();
  if (!m) raise_wasmtime(m.error().message());
  ModuleHandle h;
  h.engine = e.data;
  h.data = std::move(*m);
  return h;
}

nb::bytes serialize(const ModuleHandle& h) {
  Expected<std::vector<uint8_t>> blob = [&] {
    nb::gil_scoped_release nogil;
    return rt::serialize_module(*h.data, *h.engine);
  }();
  if (!blob) raise_wasmtime(blob.error().message());
  return nb::bytes(reinterpret_cast<const char*>(blob->data()), blob->size());
}

ModuleHandle deserialize_file(const EngineHandle& e, const std::string& path) {
  std::vector<uint8_t> blob;
  int err = 0;
  bool ok = [&] {
    nb::gil_scoped_release nogil;
    FILE* f = std::fopen(path.c_str(), "rb");
    err = errno;
    if (!f) return false;
    if (std::fseek(f, 0, SEEK_END) == 0) {
      long size = std::ftell(f);
      if (size > 0) blob.reserve(size_t(size));
      std::rewind(f);
    }
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) blob.insert(blob.end(), buf, buf + n);
    bool good = !std::ferror(f);
    err = errno;
    std::fclose(f);
    return good;
  }();
  if (!ok) raise_wasmtime("failed to read serialized module `" + path + "`: " + std::strerror(err));
  return deserialize_bytes(e, blob);
}

nb::object extern_type(const ModuleData& m, ExternKind kind, uint32_t index_or_type) {
  switch (kind) {
    case ExternKind::Func: return py_functype(m.func_type(index_or_type));
    case ExternKind::Table: return py_tabletype(m.tables[index_or_type]);
    case ExternKind::Memory: return py_memorytype(m.memories[index_or_type]);
    case ExternKind::Global: return py_globaltype(m.globals[index_or_type].type);
    case ExternKind::Tag: break;
  }
  raise_wasmtime("tags are not supported yet");
}

nb::list module_imports(const ModuleHandle& h) {
  const ModuleData& m = *h.data;
  nb::list out;
  for (const Import& imp : m.imports) {
    nb::object ty;
    switch (imp.kind) {
      case ExternKind::Func: ty = py_functype(m.types[imp.func_type]); break;
      case ExternKind::Table: ty = py_tabletype(imp.table); break;
      case ExternKind::Memory: ty = py_memorytype(imp.memory); break;
      case ExternKind::Global: ty = py_globaltype(imp.global); break;
      case ExternKind::Tag: ty = nb::none(); break;
    }
    out.append(nb::make_tuple(imp.module, imp.name, ty));
  }
  return out;
}

nb::list module_exports(const ModuleHandle& h) {
  nb::list out;
  for (const Export& e : h.data->exports)
    out.append(nb::make_tuple(e.name, extern_type(*h.data, e.kind, e.index)));
  return out;
}

nb::list custom_sections(const ModuleHandle& h, const std::string& name) {
  nb::list out;
  for (const CustomSection& c : h.data->customs)
    if (c.name == name)
      out.append(nb::bytes(reinterpret_cast<const char*>(c.data.data()), c.data.size()));
  return out;
}

InstanceHandle instantiate(nb::handle storelike, const ModuleHandle& mod, nb::handle imports) {
  StoreScope scope(storelike);
  Store& s = scope.store;
  if (s.data->engine != mod.engine) raise_wasmtime("module and store belong to different engines");
  std::vector<rt::Extern> ext;
  for (nb::handle item : imports) ext.push_back(unwrap_extern(s, item));
  if (ext.size() != mod.data->imports.size())
    raise_wasmtime("expected " + std::to_string(mod.data->imports.size()) + " imports, found " +
                   std::to_string(ext.size()));
  TrapCode trap = TrapCode::None;
  Expected<rt::ModuleInst*> inst = [&] {
    nb::gil_scoped_release nogil;
    return rt::instantiate(*s.data, mod.data, ext, &trap);
  }();
  if (!inst) {
    if (trap != TrapCode::None) raise_trap(*s.data, trap);
    raise_error(inst.error());
  }
  InstanceHandle h;
  h.store_id = s.id;
  h.ptr = *inst;
  return h;
}

nb::list instance_exports(const InstanceHandle& h, nb::handle storelike) {
  StoreScope scope(storelike);
  Store* s = &scope.store;
  rt::ModuleInst* inst = h.get(scope);
  nb::list out;
  for (const Export& e : inst->module->exports)
    out.append(nb::make_tuple(e.name, wrap_extern(*s, rt::export_extern(*inst, e))));
  return out;
}

nb::bytes wat_to_bytes(nb::handle text) {
  std::string src;
  if (PyUnicode_Check(text.ptr())) src = nb::cast<std::string>(text);
  else if (PyBytes_Check(text.ptr()))
    src = std::string(PyBytes_AS_STRING(text.ptr()), PyBytes_GET_SIZE(text.ptr()));
  else raise_type("expected a str or bytes");
  Expected<std::vector<uint8_t>> bin = [&] {
    nb::gil_scoped_release nogil;
    return parse_wat(src);
  }();
  if (!bin) raise_wasmtime(bin.error().describe());
  return nb::bytes(reinterpret_cast<const char*>(bin->data()), bin->size());
}

}  // namespace

nb::object wrap_extern(Store& s, const rt::Extern& e) {
  switch (e.kind) {
    case ExternKind::Func: {
      Func h;
      h.store_id = s.id;
      h.ptr = e.func();
      return nb::cast(h);
    }
    case ExternKind::Table: {
      Table h;
      h.store_id = s.id;
      h.ptr = e.table();
      return nb::cast(h);
    }
    case ExternKind::Memory: {
      Memory h;
      h.store_id = s.id;
      h.ptr = e.memory();
      return nb::cast(h);
    }
    case ExternKind::Global: {
      Global h;
      h.store_id = s.id;
      h.ptr = e.global();
      return nb::cast(h);
    }
    case ExternKind::Tag: break;
  }
  raise_wasmtime("tags are not supported yet");
}

template <typename H>
static rt::Extern unwrap_as(Store& s, nb::handle obj, ExternKind kind) {
  const H& h = nb::cast<const H&>(obj);
  if (h.store_id != s.id) raise_wasmtime("import comes from another store");
  return rt::Extern{kind, h.ptr};
}

rt::Extern unwrap_extern(Store& s, nb::handle obj) {
  if (nb::isinstance<Func>(obj)) return unwrap_as<Func>(s, obj, ExternKind::Func);
  if (nb::isinstance<Memory>(obj)) return unwrap_as<Memory>(s, obj, ExternKind::Memory);
  if (nb::isinstance<Table>(obj)) return unwrap_as<Table>(s, obj, ExternKind::Table);
  if (nb::isinstance<Global>(obj)) return unwrap_as<Global>(s, obj, ExternKind::Global);
  raise_type("expected a Func, Global, Memory, SharedMemory, Tag, or Table");
}

void bind_module(nb::module_& m) {
  nb::class_<ModuleHandle>(m, "ModuleHandle")
      .def("imports", &module_imports)
      .def("exports", &module_exports)
      .def("custom_sections", &custom_sections)
      .def("name",
           [](const ModuleHandle& h) -> nb::object {
             if (h.data->names.module_name.empty()) return nb::none();
             return nb::cast(h.data->names.module_name);
           })
      .def("same_engine",
           [](const ModuleHandle& h, const EngineHandle& e) { return h.engine == e.data; });

  m.def(
      "compile",
      [](const EngineHandle& e, nb::handle wasm, bool validate) {
        ModuleHandle h;
        h.engine = e.data;
        h.data = compile_wasm(*e.data, bytes_of(wasm), validate);
        return h;
      },
      nb::arg("engine").none(), nb::arg("wasm").none(), nb::arg("validate") = true);
  m.def("validate", [](const EngineHandle& e, nb::handle wasm) {
    compile_wasm(*e.data, bytes_of(wasm), true);
  });
  m.def("wat2wasm", &wat_to_bytes, nb::arg("wat"));
  m.def("serialize", &serialize);
  m.def("deserialize", [](const EngineHandle& e, nb::handle blob) {
    bool stable;
    std::span<const uint8_t> view = buffer_of(blob, &stable);
    if (stable) return deserialize_bytes(e, view);  // read in place: no copy of the blob
    std::vector<uint8_t> copy(view.begin(), view.end());
    return deserialize_bytes(e, copy);
  });
  m.def("deserialize_file", &deserialize_file);
  m.def("cache_stats", [] {
    rt::CacheStats s = rt::cache_stats();
    nb::dict d;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["rejected"] = s.rejected;
    d["writes"] = s.writes;
    d["write_errors"] = s.write_errors;
    return d;
  });

  nb::class_<InstanceHandle>(m, "InstanceHandle")
      .def("exports", &instance_exports)
      .def("check",
           [](const InstanceHandle& h, nb::handle store) {
             StoreScope scope(store);
             (void)h.get(scope);
           })
      .def("store_id", [](const InstanceHandle& h) { return h.store_id; });
  m.def("instantiate", &instantiate);
}

}  // namespace ember::py
