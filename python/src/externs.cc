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
  return nb::isinstance<PyStore>(h) || nb::isinstance<PyCaller>(h);
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

void memory_init(MemoryHandle* self, nb::handle store, nb::handle ty) {
  if (!is_storelike(store)) raise_attr("expected a Store");
  StoreScope scope(store);
  PyStore& s = scope.store;
  if (PyObject_IsInstance(ty.ptr(), refs().MemoryType.ptr()) != 1)
    raise_attr("expected a MemoryType");
  MemoryType mt = memorytype_of(ty);
  Memory mem = Memory::create(s.api(), mt);
  new (self) MemoryHandle();
  self->store_id = s.id;
  self->h = mem;
}

int64_t memory_grow(const MemoryHandle& m, nb::handle store, nb::handle delta) {
  StoreScope scope(store);
  const Memory& mem = m.get(scope);
  int64_t d = int_arg(delta, "delta");
  if (d < 0) raise_wasmtime("cannot grow memory by a negative amount");
  // Saturated (beyond 2^63): cannot succeed; the API's message names the amount.
  if (d == INT64_MAX) throw grow_error(ExternKind::Memory, int_text(delta));
  return static_cast<int64_t>(mem.grow(static_cast<uint64_t>(d)));
}

nb::bytearray memory_read(const MemoryHandle& m, nb::handle store, nb::handle start,
                          nb::handle stop) {
  StoreScope scope(store);
  const Memory& mem = m.get(scope);
  Py_ssize_t len = static_cast<Py_ssize_t>(mem.data_size());
  Py_ssize_t a = start.is_none() ? 0 : static_cast<Py_ssize_t>(int_arg(start, "start"));
  Py_ssize_t b = stop.is_none() ? len : static_cast<Py_ssize_t>(int_arg(stop, "stop"));
  PySlice_AdjustIndices(len, &a, &b, 1);
  Py_ssize_t n = std::max<Py_ssize_t>(b - a, 0);
  return nb::bytearray(mem.data() + a, static_cast<size_t>(n));
}

size_t memory_write(const MemoryHandle& m, nb::handle store, nb::handle value, nb::handle start) {
  StoreScope scope(store);
  const Memory& mem = m.get(scope);
  Py_buffer view;
  if (!PyBytes_Check(value.ptr()) && !PyByteArray_Check(value.ptr()) &&
      !PyObject_CheckBuffer(value.ptr()))
    raise_type("expected bytes or bytearray");
  if (PyObject_GetBuffer(value.ptr(), &view, PyBUF_SIMPLE) != 0) throw nb::python_error();
  struct Release {
    Py_buffer* v;
    ~Release() { PyBuffer_Release(v); }
  } release{&view};
  int64_t size = static_cast<int64_t>(mem.data_size());
  int64_t a = start.is_none() ? 0 : int_arg(start, "start");
  if (a < 0) a += size;
  int64_t n = static_cast<int64_t>(view.len);
  if (a < 0 || a >= size || n > size - a) raise(PyExc_IndexError, "write out of bounds");
  mem.write(static_cast<uint64_t>(a),
            std::span<const uint8_t>(static_cast<const uint8_t*>(view.buf), size_t(n)));
  return static_cast<size_t>(n);
}

nb::object memory_data_ptr(const MemoryHandle& m, nb::handle store) {
  StoreScope scope(store);
  return refs().ctypes_ubyte_ptr(reinterpret_cast<uintptr_t>(m.get(scope).data()));
}

nb::object memory_buffer_ptr(const MemoryHandle& m, nb::handle store, nb::handle size,
                             nb::handle off) {
  StoreScope scope(store);
  const Memory& mem = m.get(scope);
  int64_t total = static_cast<int64_t>(mem.data_size());
  int64_t offset = int_arg(off, "offset");
  if (offset < 0 || offset > total) raise(PyExc_IndexError, "buffer offset out of bounds");
  int64_t n = size.is_none() ? total - offset : int_arg(size, "size");
  if (n < 0 || n > total - offset) raise(PyExc_IndexError, "buffer out of bounds");
  return refs().ctypes_ubyte_array(reinterpret_cast<uintptr_t>(mem.data() + offset), n);
}

// ---- Table ----------------------------------------------------------------------

void table_init(TableHandle* self, nb::handle store, nb::handle ty, nb::handle init) {
  if (!is_storelike(store)) raise_attr("expected a Store");
  StoreScope scope(store);
  PyStore& s = scope.store;
  TableType tt = tabletype_of(ty);
  Table t = Table::create(s.api(), tt, to_val(s, tt.elem, init));
  new (self) TableHandle();
  self->store_id = s.id;
  self->h = t;
}

nb::object table_get(const TableHandle& t, nb::handle store, nb::handle idx) {
  StoreScope scope(store);
  PyStore* s = &scope.store;
  const Table& tab = t.get(scope);
  int64_t i = int_arg(idx, "index");
  if (i < 0 || static_cast<uint64_t>(i) >= tab.size()) return nb::none();
  Val r = tab.get(static_cast<uint64_t>(i));
  uint64_t slot = r.bits();
  nb::object v = from_slot(*s, r.type(), &slot);
  if (PyObject_IsTrue(v.ptr()) != 1 && !nb::isinstance<FuncHandle>(v))
    return refs().Val(static_cast<int>(r.type()), v);
  return v;
}

void table_set(const TableHandle& t, nb::handle store, nb::handle idx, nb::handle val) {
  StoreScope scope(store);
  PyStore* s = &scope.store;
  const Table& tab = t.get(scope);
  int64_t i = int_arg(idx, "index");
  Val v = to_val(*s, tab.type().elem, val);
  // A negative index is as far out of bounds as one beyond 2^63.
  tab.set(i < 0 ? UINT64_MAX : static_cast<uint64_t>(i), v);
}

int64_t table_grow(const TableHandle& t, nb::handle store, nb::handle amt, nb::handle init) {
  StoreScope scope(store);
  PyStore* s = &scope.store;
  const Table& tab = t.get(scope);
  int64_t d = int_arg(amt, "amount");
  Val v = to_val(*s, tab.type().elem, init);
  if (d < 0) raise_wasmtime("cannot grow a table by a negative amount");
  // Saturated (beyond 2^63): cannot succeed; the API's message names the amount.
  if (d == INT64_MAX) throw grow_error(ExternKind::Table, int_text(amt));
  return static_cast<int64_t>(tab.grow(static_cast<uint64_t>(d), v));
}

// ---- Global ---------------------------------------------------------------------

void global_init(GlobalHandle* self, nb::handle store, nb::handle ty, nb::handle val) {
  if (!is_storelike(store)) raise_attr("expected a Store");
  StoreScope scope(store);
  PyStore& s = scope.store;
  GlobalType gt = globaltype_of(ty);
  Global g = Global::create(s.api(), gt, to_val(s, gt.type, val));
  new (self) GlobalHandle();
  self->store_id = s.id;
  self->h = g;
}

nb::object global_value(const GlobalHandle& g, nb::handle store) {
  StoreScope scope(store);
  PyStore* s = &scope.store;
  Val v = g.get(scope).get();
  uint64_t slots[2] = {v.bits(), v.bits_hi()};
  if (v.is_null()) return val_object(*s, v.type(), slots);
  return from_slot(*s, v.type(), slots);
}

void global_set(const GlobalHandle& g, nb::handle store, nb::handle val) {
  StoreScope scope(store);
  PyStore* s = &scope.store;
  const Global& gl = g.get(scope);
  gl.set(to_val(*s, gl.type().type, val));
}

template <typename H>
bool same_handle(const H& a, nb::handle b) {
  return nb::isinstance<H>(b) && nb::cast<const H&>(b).same(a);
}

}  // namespace

void bind_externs(nb::module_& m) {
  nb::class_<MemoryHandle>(m, "Memory", "A linear memory of a store.")
      .def("__init__", &memory_init, nb::arg("store").none(), nb::arg("ty").none())
      .def(
          "type",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            return py_memorytype(mm.get(scope).type());
          },
          nb::arg("store").none())
      .def(
          "size",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            return mm.get(scope).size();
          },
          nb::arg("store").none())
      .def(
          "data_len",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            return mm.get(scope).data_size();
          },
          nb::arg("store").none())
      .def(
          "page_size",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            (void)mm.get(scope);
            return kPageSize;
          },
          nb::arg("store").none())
      .def(
          "page_size_log2",
          [](const MemoryHandle& mm, nb::handle s) {
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
      .def("__eq__", &same_handle<MemoryHandle>)
      .def("__hash__", [](const MemoryHandle& h) { return std::hash<const void*>()(h.h.raw()); });

  nb::class_<TableHandle>(m, "Table", "A table of references of a store.")
      .def("__init__", &table_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::arg("init").none())
      .def(
          "type",
          [](const TableHandle& t, nb::handle s) {
            StoreScope scope(s);
            return py_tabletype(t.get(scope).type());
          },
          nb::arg("store").none())
      .def(
          "size",
          [](const TableHandle& t, nb::handle s) {
            StoreScope scope(s);
            return t.get(scope).size();
          },
          nb::arg("store").none())
      .def("grow", &table_grow, nb::arg("store").none(), nb::arg("amt").none(),
           nb::arg("init").none())
      .def("get", &table_get, nb::arg("store").none(), nb::arg("idx").none())
      .def("set", &table_set, nb::arg("store").none(), nb::arg("idx").none(), nb::arg("val").none())
      .def("__eq__", &same_handle<TableHandle>)
      .def("__hash__", [](const TableHandle& h) { return std::hash<const void*>()(h.h.raw()); });

  nb::class_<GlobalHandle>(m, "Global", "A global variable of a store.")
      .def("__init__", &global_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::arg("val").none())
      .def(
          "type",
          [](const GlobalHandle& g, nb::handle s) {
            StoreScope scope(s);
            return py_globaltype(g.get(scope).type());
          },
          nb::arg("store").none())
      .def("value", &global_value, nb::arg("store").none())
      .def("set_value", &global_set, nb::arg("store").none(), nb::arg("val").none())
      .def("__eq__", &same_handle<GlobalHandle>)
      .def("__hash__", [](const GlobalHandle& h) { return std::hash<const void*>()(h.h.raw()); });
}

}  // namespace ember::py
