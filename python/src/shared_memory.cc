// `SharedMemoryBase`: the native half of `ember.SharedMemory` (threads), a
// memory made for an engine rather than a store and usable from any thread.
//
// The Python class (python/ember/_shared_memory.py) derives from this one
// and from Managed. The native object holds a reference to the memory; the
// buffer protocol hands out views over the whole memory as it is when the
// view is taken, each view holding its own reference, so closing the object
// or dropping every store never frees memory a view still shows.
#include <memory>

#include "common.hh"

namespace ember::py {

namespace {

struct SharedMemoryHandle {
  std::optional<SharedMemory> mem;  // empty once closed
  const SharedMemory& get() const {
    if (!mem) raise(PyExc_ValueError, "already closed");
    return *mem;
  }
};

int64_t delta_arg(nb::handle v) {
  if (!PyLong_Check(v.ptr())) raise_type("expected an int for delta");
  int overflow = 0;
  long long x = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
  if (overflow < 0 || (!overflow && x < 0))
    raise_wasmtime("cannot grow memory by a negative amount");
  return overflow ? INT64_MAX : x;
}

void shared_init(SharedMemoryHandle* self, nb::handle engine, nb::handle ty) {
  if (!nb::isinstance<EngineHandle>(engine)) raise(PyExc_AttributeError, "expected an Engine");
  if (PyObject_IsInstance(ty.ptr(), refs().MemoryType.ptr()) != 1)
    raise(PyExc_AttributeError, "expected a MemoryType");
  MemoryType mt = memorytype_of(ty);
  SharedMemory mem = SharedMemory::create(nb::cast<const EngineHandle&>(engine).engine, mt);
  new (self) SharedMemoryHandle{std::move(mem)};
}

int64_t shared_grow(const SharedMemoryHandle& h, nb::handle delta) {
  const SharedMemory& mem = h.get();
  int64_t d = delta_arg(delta);
  if (d == INT64_MAX) throw grow_error(ExternKind::Memory, nb::cast<std::string>(nb::str(delta)));
  return static_cast<int64_t>(mem.grow(static_cast<uint64_t>(d)));
}

// The buffer protocol: a writable byte view of the memory's current size.
int shared_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  auto* h = nb::inst_ptr<SharedMemoryHandle>(nb::handle(self));
  if (!nb::inst_ready(nb::handle(self)) || !h->mem) {
    PyErr_SetString(PyExc_ValueError, "already closed");
    view->obj = nullptr;
    return -1;
  }
  auto* keep = new SharedMemory(*h->mem);
  if (PyBuffer_FillInfo(view, self, keep->data(), Py_ssize_t(keep->data_size()), 0, flags) != 0) {
    delete keep;
    return -1;
  }
  view->internal = keep;
  return 0;
}

void shared_releasebuffer(PyObject*, Py_buffer* view) {
  delete static_cast<SharedMemory*>(view->internal);
}

PyType_Slot kSharedSlots[] = {
    {Py_bf_getbuffer, reinterpret_cast<void*>(shared_getbuffer)},
    {Py_bf_releasebuffer, reinterpret_cast<void*>(shared_releasebuffer)},
    {0, nullptr},
};

}  // namespace

// The Python object for a shared memory an instance exported: a new
// `ember.SharedMemory` holding its own reference.
nb::object wrap_shared_memory(const SharedMemory& mem) {
  nb::handle cls = nb::module_::import_("ember").attr("SharedMemory");
  nb::object obj = nb::inst_alloc(cls);
  new (nb::inst_ptr<SharedMemoryHandle>(obj)) SharedMemoryHandle{mem};
  nb::inst_mark_ready(obj);
  obj.attr("_h") = obj;
  return obj;
}

// The shared memory behind an `ember.SharedMemory`, if `obj` is one.
std::optional<SharedMemory> unwrap_shared_memory(nb::handle obj) {
  if (!nb::isinstance<SharedMemoryHandle>(obj)) return std::nullopt;
  return nb::cast<const SharedMemoryHandle&>(obj).get();
}

void bind_shared_memory(nb::module_& m) {
  nb::class_<SharedMemoryHandle>(m, "SharedMemoryBase", nb::type_slots(kSharedSlots))
      .def("__init__", &shared_init, nb::arg("engine").none(), nb::arg("ty").none())
      .def("_drop", [](SharedMemoryHandle& h) { h.mem.reset(); })
      .def(
          "type", [](const SharedMemoryHandle& h) { return py_memorytype(h.get().type()); },
          nb::sig("def type(self) -> ember.MemoryType"))
      .def(
          "size", [](const SharedMemoryHandle& h) { return h.get().size(); },
          nb::sig("def size(self) -> int"))
      .def(
          "data_len", [](const SharedMemoryHandle& h) { return h.get().data_size(); },
          nb::sig("def data_len(self) -> int"))
      .def(
          "page_size", [](const SharedMemoryHandle& h) { return h.get().page_size(); },
          nb::sig("def page_size(self) -> int"),
          R"(Returns the page size in bytes (65536, or 1 for 1-byte pages).

Raises:
    ValueError: If the object was closed.)")
      .def("grow", &shared_grow, nb::arg("delta").none(),
           nb::sig("def grow(self, delta: int) -> int"))
      .def(
          "data_ptr",
          [](const SharedMemoryHandle& h) {
            return refs().ctypes_ubyte_ptr(reinterpret_cast<uintptr_t>(h.get().data()));
          },
          nb::sig("def data_ptr(self) -> typing.Any"))
      .def("_key",
           [](const SharedMemoryHandle& h) { return reinterpret_cast<uintptr_t>(h.get().raw()); })
      .def("_same", [](const SharedMemoryHandle& a, nb::handle b) {
        std::optional<SharedMemory> o = unwrap_shared_memory(b);
        return a.mem && o && *a.mem == *o;
      });
}

}  // namespace ember::py
