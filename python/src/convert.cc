// Conversions at the Python edge: errors → exceptions, Python values ↔ wasm
// slots, Python type descriptions ↔ engine types.
//
// Value rules (wasmtime's): i32/i64 take any int (bool included) and wrap;
// f32/f64 take only float; externref takes any object (None = null) with its
// identity kept; funcref takes a Func of the same store or None; a `Val` of the
// right type is accepted everywhere. Results come back as int/float, the
// original Python object, a Func, or None.
#include <nanobind/stl/string.h>

#include <cstring>
#include <stdexcept>

#include "common.hh"

namespace ember::py {

namespace {
constexpr uint64_t kPyExternTag = 0x50594f424a;  // "PYOBJ": payload is a PyObject*

struct PyObjDeleter {
  void operator()(void* p) const {
    if (!p) return;
    nb::gil_scoped_acquire gil;
    Py_DECREF(static_cast<PyObject*>(p));
  }
};
}  // namespace

PyRefs& refs() {
  static PyRefs* r = new PyRefs();  // leaked on purpose: lives until exit
  return *r;
}

void raise(nb::handle cls, const std::string& msg) {
  PyErr_SetString(cls.ptr(), msg.c_str());
  throw nb::python_error();
}
void raise_wasmtime(const std::string& msg) {
  raise(refs().WasmtimeError, msg);
}
void raise_type(const std::string& msg) {
  raise(PyExc_TypeError, msg);
}
void raise_value(const std::string& msg) {
  raise(PyExc_ValueError, msg);
}

// Sets the Python error for a trap: `ExitTrap` for WASI's proc_exit, else a
// `Trap` with wasmtime's report and the frames, innermost first.
static void set_trap(const Trap& t) {
  if (t.code() == TrapCode::Exit) {
    nb::object e = refs().ExitTrap("Exited with i32 exit status " + std::to_string(t.exit_code()),
                                   t.exit_code());
    PyErr_SetObject(refs().ExitTrap.ptr(), e.ptr());
    return;
  }
  nb::list frames;
  nb::object frame_cls = nb::module_::import_("ember._error").attr("Frame");
  for (const FrameInfo& f : t.frames()) {
    nb::object mn = f.module_name.empty() ? nb::none() : nb::cast(f.module_name);
    nb::object fn = f.func_name.empty() ? nb::none() : nb::cast(f.func_name);
    frames.append(frame_cls.attr("_create")(f.func_index, fn, mn, f.module_offset, f.func_offset));
  }
  nb::object obj;
  if (t.origin()) {
    // The Trap a host function raised on, back out of the wasm that called
    // it: the same object, now with the frames outside that host function.
    obj = nb::borrow(static_cast<PyObject*>(t.origin().get()));
    obj.attr("_frames") = frames;
    obj.attr("_message") = t.report();
  } else {
    obj = refs().trap_create(t.report(), trap_wasmtime_code(t.code()), frames);
  }
  if (const auto& x = t.thrown())  // a host function re-raising it rethrows it into wasm
    obj.attr("_exn") = nb::make_tuple(x->store_id, x->index, x->generation, x->tag);
  // (What it was made from, for a host function that lets it leave.)
  auto* copy = new Trap(t);
  copy->set_origin(nullptr);
  obj.attr("_trap") = nb::capsule(copy, [](void* p) noexcept { delete static_cast<Trap*>(p); });
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(obj.ptr())), obj.ptr());
}

void translate_exception(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const Trap& t) {
    try {
      set_trap(t);
    } catch (nb::python_error& e) {  // building the Trap object failed
      e.restore();
    }
  } catch (const WasmError& e) {
    PyErr_SetString(refs().WasmtimeError.ptr(), e.message().c_str());
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  }
}

// ---- values ------------------------------------------------------------------

static bool is_val(nb::handle v) {
  return PyObject_TypeCheck(v.ptr(), reinterpret_cast<PyTypeObject*>(refs().Val.ptr()));
}

static uint64_t int_bits(nb::handle v) {
  unsigned long long x = PyLong_AsUnsignedLongLongMask(v.ptr());
  if (x == static_cast<unsigned long long>(-1) && PyErr_Occurred()) throw nb::python_error();
  return x;
}

// The slot of an externref (an ExternObj pointer: objects.hh's call_raw).
static uint64_t extern_slot(PyStore& s, nb::handle v) {
  if (v.is_none()) return 0;
  uint64_t made_by_wasm = 0;
  if (gc_ref_slot(s, v, true, &made_by_wasm)) return made_by_wasm;
  auto it = s.externs.find(v.ptr());
  if (it != s.externs.end()) return it->second;
  Py_INCREF(v.ptr());
  std::shared_ptr<void> payload(v.ptr(), PyObjDeleter());
  const uint64_t slot = reinterpret_cast<uint64_t>(
      ExternRef::create(s.api(), std::move(payload), kPyExternTag).raw());
  s.externs.emplace(v.ptr(), slot);
  return slot;
}

// A reference value checked against a type narrower than its hierarchy's
// top: `(ref func)`, `(ref $t)`, nullfuncref (Val::matches).
static void check_ref(PyStore& s, ValType t, const uint64_t* out) {
  if (!t.is_ref() || t == ValType::ref(heap_top(t.heap()), true)) return;
  Val v = Val::from_slots(ValType::ref(heap_top(t.heap()), true), out, s.api().raw());
  if (!v.matches(t))
    raise_type(std::string("value is not of type ") + val_type_name(t) +
               (*out == 0 ? " (null)" : ""));
}

int64_t py_code(ValType t) {
  // The one-byte encoding where there is one (what ValType.i32() etc.
  // hold), else the four-byte form above 0xFF.
  if (!t.is_ref()) return uint8_t(t.kind());
  if (t.nullable() && !t.has_index()) return uint8_t(t.heap());
  return int64_t(t.bits()) | (int64_t(1) << 32);
}

// to_slot without the check of a reference against a narrower type.
static void to_slot_unchecked(PyStore& s, ValType t, nb::handle v, uint64_t* out) {
  nb::object inner;  // keeps a Val's payload alive while `v` points at it
  if (is_val(v)) {
    int64_t code = nb::cast<int64_t>(v.attr("_code"));
    ValType vt;
    if (!code_to_valtype(code, &vt) || vt.kind() != t.kind())
      raise_type("wrong type of `Val` provided");
    inner = v.attr("_val");
    v = inner;
  }
  switch (t.kind()) {
    case ValKind::I32:
    case ValKind::I64:
      if (!PyLong_Check(v.ptr()))
        raise_type(std::string("expected an int for ") + val_type_name(t));
      *out = t == ValType::I32 ? (int_bits(v) & 0xffffffffu) : int_bits(v);
      return;
    case ValKind::F32: {
      if (!PyFloat_Check(v.ptr())) raise_type("expected a float for f32");
      float f = static_cast<float>(PyFloat_AS_DOUBLE(v.ptr()));
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      *out = bits;
      return;
    }
    case ValKind::F64: {
      if (!PyFloat_Check(v.ptr())) raise_type("expected a float for f64");
      double d = PyFloat_AS_DOUBLE(v.ptr());
      std::memcpy(out, &d, 8);
      return;
    }
    case ValKind::ExternRef: *out = extern_slot(s, v); return;
    case ValKind::FuncRef:
      if (v.is_none()) {
        *out = 0;
      } else if (nb::isinstance<FuncHandle>(v)) {
        const FuncHandle& f = nb::cast<const FuncHandle&>(v);
        if (f.store_id != s.id) raise_wasmtime("funcref from another store");
        *out = reinterpret_cast<uint64_t>(f.h.raw());
      } else {
        raise_type("expected a Func or None for funcref");
      }
      return;
    case ValKind::V128: raise_type("v128 values cannot be passed from Python");
    case ValKind::ExnRef:
      if (!v.is_none()) raise_type("an exnref from Python can only be None (the null reference)");
      *out = 0;
      return;
    case ValKind::AnyRef:
      if (v.is_none()) {
        *out = 0;
        return;
      }
      if (!gc_ref_slot(s, v, false, out))
        raise_type("expected an AnyRef or None for " + val_type_name(t));
      return;
    case ValKind::Bottom: break;
  }
  raise_type("unsupported value type");
}

void to_slot(PyStore& s, ValType t, nb::handle v, uint64_t* out) {
  to_slot_unchecked(s, t, v, out);
  check_ref(s, t, out);
}

Val to_val(PyStore& s, ValType t, nb::handle v) {
  uint64_t slots[2] = {0, 0};
  to_slot(s, t, v, slots);
  return Val::from_slots(t, slots, s.api().raw());
}

FuncHandle func_handle(const PyStore& s, const Func& f) {
  FuncHandle h;
  h.store_id = s.id;
  h.h = f;
  h.type = &f.signature();
  return h;
}

nb::object from_slot(PyStore& s, ValType t, const uint64_t* in) {
  switch (t.kind()) {
    case ValKind::I32:
      return nb::steal(PyLong_FromLong(static_cast<int32_t>(static_cast<uint32_t>(*in))));
    case ValKind::I64: return nb::steal(PyLong_FromLongLong(static_cast<int64_t>(*in)));
    case ValKind::F32: {
      float f;
      uint32_t bits = static_cast<uint32_t>(*in);
      std::memcpy(&f, &bits, 4);
      return nb::steal(PyFloat_FromDouble(f));
    }
    case ValKind::F64: {
      double d;
      std::memcpy(&d, in, 8);
      return nb::steal(PyFloat_FromDouble(d));
    }
    case ValKind::ExternRef: {
      std::optional<ExternRef> r = Val::from_slots(t, in, s.api().raw()).externref();
      if (!r) return nb::none();
      if (!r->is_host()) return gc_ref_object(s, t, in, true);
      if (r->id() == kPyExternTag) return nb::borrow(static_cast<PyObject*>(r->payload().get()));
      return nb::cast(r->id());
    }
    case ValKind::FuncRef: {
      std::optional<Func> f = Val::from_slots(t, in, s.api().raw()).funcref();
      if (!f) return nb::none();
      return nb::cast(func_handle(s, *f));
    }
    case ValKind::V128: raise_wasmtime("v128 values cannot be returned to Python");
    case ValKind::ExnRef:
      if (*in == 0) return nb::none();
      raise_wasmtime("exnref values cannot be returned to Python");
    case ValKind::AnyRef:
      if (*in == 0) return nb::none();
      return gc_ref_object(s, t, in, false);
    case ValKind::Bottom: break;
  }
  return nb::none();
}

nb::object val_object(PyStore& s, ValType t, const uint64_t* in) {
  nb::object v = from_slot(s, t, in);
  return refs().Val(py_code(t), v);
}

// ---- types -------------------------------------------------------------------

static bool is_instance(nb::handle v, const nb::object& cls) {
  return PyObject_IsInstance(v.ptr(), cls.ptr()) == 1;
}

ValType valtype_of(nb::handle v) {
  if (!is_instance(v, refs().ValType)) raise_type("expected ValType");
  ValType t;
  if (!code_to_valtype(nb::cast<int64_t>(v.attr("_code")), &t)) raise_type("bad ValType");
  return t;
}

bool code_to_valtype(int64_t code, ValType* out) {
  if (code >= 0 && code <= 0xFF) return val_type_from_byte(uint8_t(code), out);
  if ((code >> 32) != 1) return false;
  return ValType::from_bits(uint32_t(code), out);
}

nb::object py_valtype(ValType t) {
  return refs().valtype_from_code(py_code(t));
}

FuncType functype_of(nb::handle v) {
  if (!is_instance(v, refs().FuncType)) raise_type("expected FuncType");
  FuncType ft;
  for (nb::handle p : v.attr("_params")) ft.params.push_back(valtype_of(p));
  for (nb::handle r : v.attr("_results")) ft.results.push_back(valtype_of(r));
  return ft;
}

nb::object py_functype(const FuncType& t) {
  nb::list ps, rs;
  for (ValType p : t.params) ps.append(py_valtype(p));
  for (ValType r : t.results) rs.append(py_valtype(r));
  return refs().FuncType(ps, rs);
}

static nb::object py_limits(const Limits& l) {
  nb::object mx = l.max ? nb::cast(*l.max) : nb::none();
  return refs().Limits(l.min, mx);
}

static Limits limits_of(nb::handle py) {
  Limits l;
  l.min = nb::cast<uint64_t>(py.attr("min"));
  nb::object mx = py.attr("max");
  if (!mx.is_none()) l.max = nb::cast<uint64_t>(mx);
  return l;
}

nb::object py_globaltype(const GlobalType& t) {
  return refs().GlobalType(py_valtype(t.type), t.mut);
}
nb::object py_tabletype(const TableType& t) {
  return refs().TableType(py_valtype(t.elem), py_limits(t.limits));
}
nb::object py_memorytype(const MemoryType& t) {
  return refs().MemoryType(py_limits(t.limits), t.limits.is64, t.limits.shared, t.page_size_log2);
}

nb::object py_tagtype(const TagType& t) {
  return refs().TagType(py_functype(t.functype));
}

nb::object py_externtype(const ExternType& t) {
  switch (t.kind) {
    case ExternKind::Func: return py_functype(t.func);
    case ExternKind::Table: return py_tabletype(t.table);
    case ExternKind::Memory: return py_memorytype(t.memory);
    case ExternKind::Global: return py_globaltype(t.global);
    case ExternKind::Tag: return py_tagtype(t.tag);
  }
  return nb::none();
}

GlobalType globaltype_of(nb::handle py) {
  if (!is_instance(py, refs().GlobalType)) raise_type("expected GlobalType");
  GlobalType g;
  g.type = valtype_of(py.attr("_content"));
  g.mut = nb::cast<bool>(py.attr("_mutable"));
  return g;
}

TableType tabletype_of(nb::handle py) {
  if (!is_instance(py, refs().TableType)) raise_type("expected TableType");
  TableType t;
  t.elem = valtype_of(py.attr("_element"));
  t.limits = limits_of(py.attr("_limits"));
  return t;
}

TagType tagtype_of(nb::handle py) {
  if (!is_instance(py, refs().TagType)) raise_type("expected a TagType");
  // The property checks that the TagType is open (ValueError) and gives a
  // FuncType of its own.
  return TagType{functype_of(py.attr("functype"))};
}

MemoryType memorytype_of(nb::handle py) {
  if (!is_instance(py, refs().MemoryType)) raise_type("expected MemoryType");
  MemoryType m;
  m.limits = limits_of(py.attr("_limits"));
  m.limits.is64 = nb::cast<bool>(py.attr("_is_64"));
  m.limits.shared = nb::cast<bool>(py.attr("_shared"));
  m.page_size_log2 = nb::cast<uint8_t>(py.attr("_page_size_log2"));
  return m;
}

}  // namespace ember::py
