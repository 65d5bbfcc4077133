// Store-bound externs other than functions: `Memory`, `Table`, `Global`,
// `Tag`.
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
    return refs().Val(py_code(r.type()), v);
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

// ---- Tag ------------------------------------------------------------------------

void tag_init(TagHandle* self, nb::handle store, nb::handle ty) {
  // wasmtime checks the type first (TypeError), then the store.
  if (PyObject_IsInstance(ty.ptr(), refs().TagType.ptr()) != 1) raise_type("expected a TagType");
  if (!is_storelike(store)) raise_attr("expected a Store");
  StoreScope scope(store);
  PyStore& s = scope.store;
  Tag t = Tag::create(s.api(), tagtype_of(ty));
  new (self) TagHandle();
  self->store_id = s.id;
  self->h = t;
}

bool tag_eq(const TagHandle& t, nb::handle store, nb::handle other) {
  StoreScope scope(store);
  const Tag& a = t.get(scope);
  if (!nb::isinstance<TagHandle>(other)) raise_type("expected a Tag");
  return a == nb::cast<const TagHandle&>(other).get(scope);
}

template <typename H>
bool same_handle(const H& a, nb::handle b) {
  return nb::isinstance<H>(b) && nb::cast<const H&>(b).same(a);
}

}  // namespace

void bind_externs(nb::module_& m) {
  nb::class_<MemoryHandle>(m, "Memory",
                           R"(A linear memory of a store, exported by wasm or made here.

A handle: copies compare equal, and it is valid only with its own store.
Every method takes that Store (or a Caller of it) first and raises
WasmtimeError for another store, ValueError once the store is closed.

Args:
    store: The Store (or a Caller) to make the memory in.
    ty: The memory's type.

Raises:
    AttributeError: If `store` is not a store or `ty` not a MemoryType
        (as wasmtime).
    WasmtimeError: If a store limit is exceeded.)")
      .def("__init__", &memory_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::sig("def __init__(self, store: Store | Caller, ty: ember.MemoryType) -> None"))
      .def(
          "type",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            return py_memorytype(mm.get(scope).type());
          },
          nb::arg("store").none(),
          nb::sig("def type(self, store: Store | Caller) -> ember.MemoryType"),
          R"(Returns the memory's type, with its current size as the minimum.

Raises:
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def(
          "size",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            return mm.get(scope).size();
          },
          nb::arg("store").none(), nb::sig("def size(self, store: Store | Caller) -> int"),
          R"(Returns the size in pages (of `page_size(store)` bytes each).

Raises:
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def(
          "data_len",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            return mm.get(scope).data_size();
          },
          nb::arg("store").none(), nb::sig("def data_len(self, store: Store | Caller) -> int"),
          R"(Returns the size in bytes.

Raises:
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def(
          "page_size",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            return mm.get(scope).page_size();
          },
          nb::arg("store").none(), nb::sig("def page_size(self, store: Store | Caller) -> int"),
          R"(Returns the page size in bytes: 65536, or 1 for a memory of 1-byte
pages (custom page sizes).

Raises:
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def(
          "page_size_log2",
          [](const MemoryHandle& mm, nb::handle s) {
            StoreScope scope(s);
            return int(mm.get(scope).page_size_log2());
          },
          nb::arg("store").none(),
          nb::sig("def page_size_log2(self, store: Store | Caller) -> int"),
          R"(Returns log2 of the page size in bytes: 16, or 0.

Raises:
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def("grow", &memory_grow, nb::arg("store").none(), nb::arg("delta").none(),
           nb::sig("def grow(self, store: Store | Caller, delta: int) -> int"),
           R"(Grows the memory by `delta` pages.

Args:
    store: The memory's Store (or a Caller of it).
    delta: Pages to add (0 is allowed).

Returns:
    The previous size in pages.

Raises:
    TypeError: If `delta` is not an int.
    WasmtimeError: If `delta` is negative, the memory would pass its
        maximum or a store limit, or `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def("read", &memory_read, nb::arg("store").none(), nb::arg("start").none() = 0,
           nb::arg("stop").none() = nb::none(),
           nb::sig("def read(self, store: Store | Caller, start: int | None = 0, "
                   "stop: int | None = None) -> bytearray"),
           R"(Copies bytes out of the memory, as the slice `memory[start:stop]`.

Negative positions count from the end and out-of-range ones are
clamped, as for a Python slice.

Args:
    store: The memory's Store (or a Caller of it).
    start: The first byte (None: 0).
    stop: The byte after the last (None: the end).

Returns:
    A copy of the bytes.

Raises:
    TypeError: If `start` or `stop` is not an int or None.
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def("write", &memory_write, nb::arg("store").none(), nb::arg("value").none(),
           nb::arg("start").none() = nb::none(),
           nb::sig("def write(self, store: Store | Caller, "
                   "value: bytes | bytearray | memoryview, start: int | None = None) -> int"),
           R"(Copies bytes into the memory at `start`.

Args:
    store: The memory's Store (or a Caller of it).
    value: The bytes (any object with the buffer protocol).
    start: The first byte written (None: 0; negative counts from the
        end).

Returns:
    The number of bytes written.

Raises:
    TypeError: If `value` is not a buffer or `start` not an int or None.
    IndexError: If the bytes do not fit in the memory from `start`.
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def("data_ptr", &memory_data_ptr, nb::arg("store").none(),
           nb::sig("def data_ptr(self, store: Store | Caller) -> ctypes._Pointer[ctypes.c_ubyte]"),
           R"(Returns a raw ctypes pointer to the memory's first byte.

Accesses through it are not bounds-checked. It is stale once the memory
grows (the memory may move) or the store closes.

Raises:
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def("get_buffer_ptr", &memory_buffer_ptr, nb::arg("store").none(),
           nb::arg("size").none() = nb::none(), nb::arg("offset").none() = 0,
           nb::sig("def get_buffer_ptr(self, store: Store | Caller, size: int | None = None, "
                   "offset: int = 0) -> ctypes.Array[ctypes.c_ubyte]"),
           R"(Returns a ctypes array viewing part of the memory, without a copy.

The array supports the buffer protocol (`memoryview`,
`numpy.frombuffer`). Like `data_ptr`, it is stale once the memory grows
or the store closes.

Args:
    store: The memory's Store (or a Caller of it).
    size: Bytes in the view (None: up to the end).
    offset: The first byte viewed.

Returns:
    A `ctypes.c_ubyte` array over the bytes.

Raises:
    TypeError: If `size` or `offset` is not an int.
    IndexError: If the range is outside the memory.
    WasmtimeError: If `store` is not the memory's store.
    ValueError: If the store was closed.)")
      .def("__eq__", &same_handle<MemoryHandle>, nb::sig("def __eq__(self, other: object) -> bool"),
           "True for a handle to the same memory of the same store.")
      .def(
          "__hash__", [](const MemoryHandle& h) { return std::hash<const void*>()(h.h.raw()); },
          nb::sig("def __hash__(self) -> int"), "Hash consistent with `==`.");

  nb::class_<TableHandle>(m, "Table",
                          R"(A table of references of a store, exported by wasm or made here.

A handle: copies compare equal, and it is valid only with its own store.
Every method takes that Store (or a Caller of it) first and raises
WasmtimeError for another store, ValueError once the store is closed.

Args:
    store: The Store (or a Caller) to make the table in.
    ty: The table's type.
    init: The value of every element: a Func or None for funcref, any
        object for externref (None is null).

Raises:
    AttributeError: If `store` is not a store (as wasmtime).
    TypeError: If `ty` is not a TableType or `init` does not convert.
    WasmtimeError: If a store limit is exceeded.)")
      .def("__init__", &table_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::arg("init").none(),
           nb::sig("def __init__(self, store: Store | Caller, ty: ember.TableType, "
                   "init: typing.Any) -> None"))
      .def(
          "type",
          [](const TableHandle& t, nb::handle s) {
            StoreScope scope(s);
            return py_tabletype(t.get(scope).type());
          },
          nb::arg("store").none(),
          nb::sig("def type(self, store: Store | Caller) -> ember.TableType"),
          R"(Returns the table's type, with its current size as the minimum.

Raises:
    WasmtimeError: If `store` is not the table's store.
    ValueError: If the store was closed.)")
      .def(
          "size",
          [](const TableHandle& t, nb::handle s) {
            StoreScope scope(s);
            return t.get(scope).size();
          },
          nb::arg("store").none(), nb::sig("def size(self, store: Store | Caller) -> int"),
          R"(Returns the number of elements.

Raises:
    WasmtimeError: If `store` is not the table's store.
    ValueError: If the store was closed.)")
      .def("grow", &table_grow, nb::arg("store").none(), nb::arg("amt").none(),
           nb::arg("init").none(),
           nb::sig("def grow(self, store: Store | Caller, amt: int, init: typing.Any) -> int"),
           R"(Grows the table by `amt` elements, each set to `init`.

Args:
    store: The table's Store (or a Caller of it).
    amt: Elements to add.
    init: Their value (as for the constructor).

Returns:
    The previous size.

Raises:
    TypeError: If `amt` is not an int or `init` does not convert.
    WasmtimeError: If `amt` is negative, the table would pass its
        maximum or a store limit, or `store` is not the table's store.
    ValueError: If the store was closed.)")
      .def("get", &table_get, nb::arg("store").none(), nb::arg("idx").none(),
           nb::sig("def get(self, store: Store | Caller, idx: int) -> typing.Any"),
           R"(Returns the element at `idx`.

Args:
    store: The table's Store (or a Caller of it).
    idx: The element's index.

Returns:
    A Func or the externref's object; a `Val` for a null reference or a
    falsy object (it compares equal to the value, as in wasmtime); None
    if `idx` is out of bounds.

Raises:
    TypeError: If `idx` is not an int.
    WasmtimeError: If `store` is not the table's store.
    ValueError: If the store was closed.)")
      .def("set", &table_set, nb::arg("store").none(), nb::arg("idx").none(), nb::arg("val").none(),
           nb::sig("def set(self, store: Store | Caller, idx: int, val: typing.Any) -> None"),
           R"(Sets the element at `idx`.

Args:
    store: The table's Store (or a Caller of it).
    idx: The element's index.
    val: The new value (as for the constructor).

Raises:
    TypeError: If `idx` is not an int or `val` does not convert.
    WasmtimeError: If `idx` is out of bounds or `store` is not the
        table's store.
    ValueError: If the store was closed.)")
      .def("__eq__", &same_handle<TableHandle>, nb::sig("def __eq__(self, other: object) -> bool"),
           "True for a handle to the same table of the same store.")
      .def(
          "__hash__", [](const TableHandle& h) { return std::hash<const void*>()(h.h.raw()); },
          nb::sig("def __hash__(self) -> int"), "Hash consistent with `==`.");

  nb::class_<GlobalHandle>(m, "Global",
                           R"(A global variable of a store, exported by wasm or made here.

A handle: copies compare equal, and it is valid only with its own store.
Every method takes that Store (or a Caller of it) first and raises
WasmtimeError for another store, ValueError once the store is closed.

Args:
    store: The Store (or a Caller) to make the global in.
    ty: The global's type.
    val: Its initial value (a Python value or a `Val`).

Raises:
    AttributeError: If `store` is not a store (as wasmtime).
    TypeError: If `ty` is not a GlobalType or `val` does not convert.)")
      .def("__init__", &global_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::arg("val").none(),
           nb::sig("def __init__(self, store: Store | Caller, ty: ember.GlobalType, "
                   "val: typing.Any) -> None"))
      .def(
          "type",
          [](const GlobalHandle& g, nb::handle s) {
            StoreScope scope(s);
            return py_globaltype(g.get(scope).type());
          },
          nb::arg("store").none(),
          nb::sig("def type(self, store: Store | Caller) -> ember.GlobalType"),
          R"(Returns the global's type.

Raises:
    WasmtimeError: If `store` is not the global's store.
    ValueError: If the store was closed.)")
      .def("value", &global_value, nb::arg("store").none(),
           nb::sig("def value(self, store: Store | Caller) -> typing.Any"),
           R"(Returns the global's value.

Args:
    store: The global's Store (or a Caller of it).

Returns:
    An int, float, Func or externref object; for a null reference a
    `Val` (which compares equal to None), as in wasmtime.

Raises:
    WasmtimeError: If `store` is not the global's store.
    ValueError: If the store was closed.)")
      .def("set_value", &global_set, nb::arg("store").none(), nb::arg("val").none(),
           nb::sig("def set_value(self, store: Store | Caller, val: typing.Any) -> None"),
           R"(Sets the global's value.

Args:
    store: The global's Store (or a Caller of it).
    val: The new value (a Python value or a `Val`).

Raises:
    TypeError: If `val` does not convert to the global's type.
    WasmtimeError: If the global is immutable or `store` is not the
        global's store.
    ValueError: If the store was closed.)")
      .def("__eq__", &same_handle<GlobalHandle>, nb::sig("def __eq__(self, other: object) -> bool"),
           "True for a handle to the same global of the same store.")
      .def(
          "__hash__", [](const GlobalHandle& h) { return std::hash<const void*>()(h.h.raw()); },
          nb::sig("def __hash__(self) -> int"), "Hash consistent with `==`.");

  nb::class_<TagHandle>(m, "Tag",
                        R"(An exception tag of a store, exported by wasm or made here.

A tag is its definition: each `Tag(store, ty)` is a new tag, and so is each
tag a module defines, once per instance. Tags of equal types are still
different tags; an imported tag must have exactly the import's type.

A handle: copies compare equal, and it is valid only with its own store.
Every method takes that Store (or a Caller of it) first and raises
WasmtimeError for another store, ValueError once the store is closed.

Args:
    store: The Store (or a Caller) to make the tag in.
    ty: The tag's type (its payload's signature).

Raises:
    TypeError: If `ty` is not a TagType.
    AttributeError: If `store` is not a store (as wasmtime).
    ValueError: If `ty` or the store was closed.
    WasmtimeError: If the type has results (a payload is params only).)")
      .def("__init__", &tag_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::sig("def __init__(self, store: Store | Caller, ty: ember.TagType) -> None"))
      .def(
          "type",
          [](const TagHandle& t, nb::handle s) {
            StoreScope scope(s);
            return py_tagtype(t.get(scope).type());
          },
          nb::arg("store").none(),
          nb::sig("def type(self, store: Store | Caller) -> ember.TagType"),
          R"(Returns the tag's type (a new TagType).

Raises:
    WasmtimeError: If `store` is not the tag's store.
    ValueError: If the store was closed.)")
      .def("eq", &tag_eq, nb::arg("store").none(), nb::arg("other").none(),
           nb::sig("def eq(self, store: Store | Caller, other: Tag) -> bool"),
           R"(Tells whether `other` is the same tag (the same definition).

Args:
    store: The tags' Store (or a Caller of it).
    other: The tag to compare with.

Returns:
    True for the same tag, False for another one, whatever its type.

Raises:
    TypeError: If `other` is not a Tag.
    WasmtimeError: If either tag is not of `store`.
    ValueError: If the store was closed.)")
      .def("__eq__", &same_handle<TagHandle>, nb::sig("def __eq__(self, other: object) -> bool"),
           "True for a handle to the same tag of the same store (as `eq`).")
      .def(
          "__hash__", [](const TagHandle& h) { return std::hash<const void*>()(h.h.raw()); },
          nb::sig("def __hash__(self) -> int"), "Hash consistent with `==`.");
}

}  // namespace ember::py
