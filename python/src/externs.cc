// Store-bound externs other than functions: `Memory`, `Table`, `Global`.
//
// Each method opens its store first (StoreScope, then Handle::get), so a
// handle used with a closed or foreign store, or while another thread runs
// wasm in the store, raises instead of touching freed or changing state.
// Memory reads and writes copy with Python slice semantics; `data_ptr` and
// `get_buffer_ptr` hand out raw ctypes views (valid until the memory moves
// or the store closes, as in wasmtime).
#include <nanobind/stl/string.h>

#include <algorithm>
#include <cstring>

#include "common.hh"

namespace ember::py {

namespace {

bool is_storelike(nb::handle h) {
  return nb::isinstance<Store>(h) || nb::isinstance<Caller>(h);
}

// wasmtime raises AttributeError for a non-store or non-type argument here
// (an accident of its implementation that its tests assert); so do we.
[[noreturn]] void raise_attr(const std::string& msg) {
  raise(PyExc_AttributeError, msg);
}

// An int argument, saturated to the int64 range: an index or size that
// large is out of bounds anyway, and each caller then raises its own error
// (slice clamping for reads, IndexError, a failed grow), never an overflow.
int64_t int_arg(nb::handle v, const char* what) {
  if (!PyLong_Check(v.ptr())) raise_type(std::string("expected an int for ") + what);
  int overflow = 0;
  long long x = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
  if (overflow) return overflow > 0 ? INT64_MAX : INT64_MIN;
  return x;
}

std::string int_text(nb::handle v) {
  return nb::cast<std::string>(nb::str(v));
}

// ---- Memory ---------------------------------------------------------------------

void memory_init(Memory* self, nb::handle store, nb::handle ty) {
  if (!is_storelike(store)) raise_attr("expected a Store");
  StoreScope scope(store);
  Store& s = scope.store;
  if (PyObject_IsInstance(ty.ptr(), refs().MemoryType.ptr()) != 1)
    raise_attr("expected a MemoryType");
  MemoryType mt = memorytype_of(ty);
  Expected<rt::MemoryInst*> mem = rt::create_memory(*s.data, mt);
  if (!mem) raise_error(mem.error());
  new (self) Memory();
  self->store_id = s.id;
  self->ptr = *mem;
}

int64_t memory_grow(const Memory& m, nb::handle store, nb::handle delta) {
  StoreScope scope(store);
  rt::MemoryInst* mem = m.get(scope);
  int64_t d = int_arg(delta, "delta");
  if (d < 0) raise_wasmtime("cannot grow memory by a negative amount");
  int64_t old = rt::memory_grow(*scope.store.data, *mem, static_cast<uint64_t>(d));
  if (old < 0) raise_wasmtime("failed to grow memory by `" + int_text(delta) + "`");
  return old;
}

nb::bytearray memory_read(const Memory& m, nb::handle store, nb::handle start, nb::handle stop) {
  StoreScope scope(store);
  rt::MemoryInst* mem = m.get(scope);
  Py_ssize_t len = static_cast<Py_ssize_t>(mem->size);
  Py_ssize_t a = start.is_none() ? 0 : static_cast<Py_ssize_t>(int_arg(start, "start"));
  Py_ssize_t b = stop.is_none() ? len : static_cast<Py_ssize_t>(int_arg(stop, "stop"));
  PySlice_AdjustIndices(len, &a, &b, 1);
  Py_ssize_t n = std::max<Py_ssize_t>(b - a, 0);
  return nb::bytearray(mem->base + a, static_cast<size_t>(n));
}

size_t memory_write(const Memory& m, nb::handle store, nb::handle value, nb::handle start) {
  StoreScope scope(store);
  rt::MemoryInst* mem = m.get(scope);
  Py_buffer view;
  if (!PyBytes_Check(value.ptr()) && !PyByteArray_Check(value.ptr()) &&
      !PyObject_CheckBuffer(value.ptr()))
    raise_type("expected bytes or bytearray");
  if (PyObject_GetBuffer(value.ptr(), &view, PyBUF_SIMPLE) != 0) throw nb::python_error();
  struct Release {
    Py_buffer* v;
    ~Release() { PyBuffer_Release(v); }
  } release{&view};
  int64_t size = static_cast<int64_t>(mem->size);
  int64_t a = start.is_none() ? 0 : int_arg(start, "start");
  if (a < 0) a += size;
  int64_t n = static_cast<int64_t>(view.len);
  if (a < 0 || a >= size || n > size - a) raise(PyExc_IndexError, "write out of bounds");
  std::memcpy(mem->base + a, view.buf, static_cast<size_t>(n));
  return static_cast<size_t>(n);
}

nb::object memory_data_ptr(const Memory& m, nb::handle store) {
  StoreScope scope(store);
  rt::MemoryInst* mem = m.get(scope);
  return refs().ctypes_ubyte_ptr(reinterpret_cast<uintptr_t>(mem->base));
}

nb::object memory_buffer_ptr(const Memory& m, nb::handle store, nb::handle size, nb::handle off) {
  StoreScope scope(store);
  rt::MemoryInst* mem = m.get(scope);
  int64_t total = static_cast<int64_t>(mem->size);
  int64_t offset = int_arg(off, "offset");
  if (offset < 0 || offset > total) raise(PyExc_IndexError, "buffer offset out of bounds");
  int64_t n = size.is_none() ? total - offset : int_arg(size, "size");
  if (n < 0 || n > total - offset) raise(PyExc_IndexError, "buffer out of bounds");
  return refs().ctypes_ubyte_array(reinterpret_cast<uintptr_t>(mem->base + offset), n);
}

// ---- Table ----------------------------------------------------------------------

void* ref_of(Store& s, ValType t, nb::handle v) {
  rt::Slot slot = 0;
  to_slot(s, t, v, &slot);
  return reinterpret_cast<void*>(slot);
}

void table_init(Table* self, nb::handle store, nb::handle ty, nb::handle init) {
  if (!is_storelike(store)) raise_attr("expected a Store");
  StoreScope scope(store);
  Store& s = scope.store;
  TableType tt = tabletype_of(ty);
  void* r = ref_of(s, tt.elem, init);
  Expected<rt::TableInst*> t = rt::create_table(*s.data, tt, r);
  if (!t) raise_error(t.error());
  new (self) Table();
  self->store_id = s.id;
  self->ptr = *t;
}

nb::object table_get(const Table& t, nb::handle store, nb::handle idx) {
  StoreScope scope(store);
  Store* s = &scope.store;
  rt::TableInst* tab = t.get(scope);
  int64_t i = int_arg(idx, "index");
  if (i < 0 || static_cast<uint64_t>(i) >= tab->elems.size()) return nb::none();
  rt::Slot slot = reinterpret_cast<rt::Slot>(tab->elems[static_cast<size_t>(i)]);
  nb::object v = from_slot(*s, tab->type.elem, &slot);
  if (PyObject_IsTrue(v.ptr()) != 1 && !nb::isinstance<Func>(v))
    return refs().Val(static_cast<int>(tab->type.elem), v);
  return v;
}

void table_set(const Table& t, nb::handle store, nb::handle idx, nb::handle val) {
  StoreScope scope(store);
  Store* s = &scope.store;
  rt::TableInst* tab = t.get(scope);
  int64_t i = int_arg(idx, "index");
  void* r = ref_of(*s, tab->type.elem, val);
  if (i < 0 || static_cast<uint64_t>(i) >= tab->elems.size())
    raise_wasmtime("table index out of bounds");
  tab->elems[static_cast<size_t>(i)] = r;
}

int64_t table_grow(const Table& t, nb::handle store, nb::handle amt, nb::handle init) {
  StoreScope scope(store);
  Store* s = &scope.store;
  rt::TableInst* tab = t.get(scope);
  int64_t d = int_arg(amt, "amount");
  void* r = ref_of(*s, tab->type.elem, init);
  if (d < 0) raise_wasmtime("cannot grow a table by a negative amount");
  int64_t old = rt::table_grow(*s->data, *tab, static_cast<uint64_t>(d), r);
  if (old < 0) raise_wasmtime("failed to grow table by `" + int_text(amt) + "`");
  return old;
}

// ---- Global ---------------------------------------------------------------------

void global_init(Global* self, nb::handle store, nb::handle ty, nb::handle val) {
  if (!is_storelike(store)) raise_attr("expected a Store");
  StoreScope scope(store);
  Store& s = scope.store;
  GlobalType gt = globaltype_of(ty);
  rt::Slot v[2] = {0, 0};
  to_slot(s, gt.type, val, v);
  new (self) Global();
  self->store_id = s.id;
  self->ptr = rt::create_global(*s.data, gt, v);
}

nb::object global_value(const Global& g, nb::handle store) {
  StoreScope scope(store);
  Store* s = &scope.store;
  rt::GlobalInst* gi = g.get(scope);
  if (is_ref(gi->type.type) && gi->value[0] == 0) return val_object(*s, gi->type.type, gi->value);
  return from_slot(*s, gi->type.type, gi->value);
}

void global_set(const Global& g, nb::handle store, nb::handle val) {
  StoreScope scope(store);
  Store* s = &scope.store;
  rt::GlobalInst* gi = g.get(scope);
  rt::Slot v[2] = {0, 0};
  to_slot(*s, gi->type.type, val, v);
  if (!gi->type.mut) raise_wasmtime("immutable global cannot be set");
  gi->value[0] = v[0];
  gi->value[1] = v[1];
}

template <typename H>
bool same_handle(const H& a, nb::handle b) {
  return nb::isinstance<H>(b) && nb::cast<const H&>(b).ptr == a.ptr &&
         nb::cast<const H&>(b).store_id == a.store_id;
}

}  // namespace

void bind_externs(nb::module_& m) {
  nb::class_<Memory>(m, "Memory", "A linear memory of a store.")
      .def("__init__", &memory_init, nb::arg("store").none(), nb::arg("ty").none())
      .def(
          "type",
          [](const Memory& mm, nb::handle s) {
            StoreScope scope(s);
            return py_memorytype(rt::current_type(*mm.get(scope)));
          },
          nb::arg("store").none())
      .def(
          "size",
          [](const Memory& mm, nb::handle s) {
            StoreScope scope(s);
            return mm.get(scope)->size / kPageSize;
          },
          nb::arg("store").none())
      .def(
          "data_len",
          [](const Memory& mm, nb::handle s) {
            StoreScope scope(s);
            return mm.get(scope)->size;
          },
          nb::arg("store").none())
      .def(
          "page_size",
          [](const Memory& mm, nb::handle s) {
            StoreScope scope(s);
            (void)mm.get(scope);
            return kPageSize;
          },
          nb::arg("store").none())
      .def(
          "page_size_log2",
          [](const Memory& mm, nb::handle s) {
            StoreScope scope(s);
            (void)mm.get(scope);
            return 16;
          },
          nb::arg("store").none())
      .def("grow", &memory_grow, nb::arg("store").none(), nb::arg("delta").none())
      .def("read", &memory_read, nb::arg("store").none(), nb::arg("start").none() = 0,
           nb::arg("stop").none() = nb::none())
      .def("write", &memory_write, nb::arg("store").none(), nb::arg("value").none(),
           nb::arg("start").none() = nb::none())
      .def("data_ptr", &memory_data_ptr, nb::arg("store").none())
      .def("get_buffer_ptr", &memory_buffer_ptr, nb::arg("store").none(),
           nb::arg("size").none() = nb::none(), nb::arg("offset").none() = 0)
      .def("__eq__", &same_handle<Memory>)
      .def("__hash__", [](const Memory& h) { return std::hash<const void*>()(h.ptr); });

  nb::class_<Table>(m, "Table", "A table of references of a store.")
      .def("__init__", &table_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::arg("init").none())
      .def(
          "type",
          [](const Table& t, nb::handle s) {
            StoreScope scope(s);
            return py_tabletype(rt::current_type(*t.get(scope)));
          },
          nb::arg("store").none())
      .def(
          "size",
          [](const Table& t, nb::handle s) {
            StoreScope scope(s);
            return t.get(scope)->elems.size();
          },
          nb::arg("store").none())
      .def("grow", &table_grow, nb::arg("store").none(), nb::arg("amt").none(),
           nb::arg("init").none())
      .def("get", &table_get, nb::arg("store").none(), nb::arg("idx").none())
      .def("set", &table_set, nb::arg("store").none(), nb::arg("idx").none(), nb::arg("val").none())
      .def("__eq__", &same_handle<Table>)
      .def("__hash__", [](const Table& h) { return std::hash<const void*>()(h.ptr); });

  nb::class_<Global>(m, "Global", "A global variable of a store.")
      .def("__init__", &global_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::arg("val").none())
      .def(
          "type",
          [](const Global& g, nb::handle s) {
            StoreScope scope(s);
            return py_globaltype(g.get(scope)->type);
          },
          nb::arg("store").none())
      .def("value", &global_value, nb::arg("store").none())
      .def("set_value", &global_set, nb::arg("store").none(), nb::arg("val").none())
      .def("__eq__", &same_handle<Global>)
      .def("__hash__", [](const Global& h) { return std::hash<const void*>()(h.ptr); });
}

}  // namespace ember::py
