// `AnyRef`: a WebAssembly GC value held from Python (an i31, a struct or an
// array, or an externref that wasm made from one of its own values with
// extern.convert_any). The `wasmtime` package has no such class (it cannot
// return these values); Ember returns one wherever such a value reaches
// Python and accepts it back wherever its type fits (decision 41).
//
// The object holds a Val, whose root keeps the value from the store's
// collector while the Python object lives; it is store-bound like the
// entity handles (used with another store: WasmtimeError).
#include <nanobind/stl/string.h>

#include <cstdio>

#include "common.hh"

namespace ember::py {

namespace {

const char* kind_name(const Val& v) {
  switch (v.gc_kind()) {
    case Val::GcKind::I31: return "i31";
    case Val::GcKind::Struct: return "struct";
    case Val::GcKind::Array: return "array";
    default: return "extern";
  }
}

nb::object make_i31(nb::handle storelike, nb::handle value) {
  if (!PyLong_Check(value.ptr())) raise_type("expected an int for an i31");
  PyStore& s = store_of(storelike);
  const long long x = PyLong_AsLongLong(value.ptr());
  if (x == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    raise_value("an i31 takes a value in [-2^30, 2^31)");
  }
  if (x < -(1ll << 30) || x >= (1ll << 31)) raise_value("an i31 takes a value in [-2^30, 2^31)");
  return nb::cast(GcRefHandle{s.id, Val::i31ref(uint32_t(x)), false});
}

nb::object as_i31(const GcRefHandle& r, bool is_signed) {
  if (r.val.gc_kind() != Val::GcKind::I31) return nb::none();
  if (is_signed) return nb::int_(*r.val.i31_s());
  return nb::int_(*r.val.i31_u());
}

std::string repr(const GcRefHandle& r) {
  std::string out = std::string("<ember.AnyRef ") + kind_name(r.val);
  if (std::optional<int32_t> i = r.val.i31_s()) out += " " + std::to_string(*i);
  if (r.externalized) out += " (as externref)";
  return out + ">";
}

}  // namespace

nb::object gc_ref_object(PyStore& s, ValType t, const uint64_t* in, bool externalized) {
  return nb::cast(GcRefHandle{s.id, Val::from_slots(t, in, s.api().raw()), externalized});
}

bool gc_ref_slot(PyStore& s, nb::handle v, bool externref, uint64_t* out) {
  if (!nb::isinstance<GcRefHandle>(v)) return false;
  const GcRefHandle& r = nb::cast<const GcRefHandle&>(v);
  if (r.externalized != externref) return false;
  if (r.store_id != s.id) raise_wasmtime("object used with the wrong store");
  *out = r.val.bits();
  return true;
}

void bind_gcref(nb::module_& m) {
  nb::class_<GcRefHandle>(m, "AnyRef")
      .def_static("from_i31", &make_i31, nb::arg("store"), nb::arg("value"),
                  nb::sig("def from_i31(store: object, value: int) -> AnyRef"),
                  "An i31 reference of `value` (in [-2^30, 2^31), kept as its low 31 bits).")
      .def_prop_ro(
          "kind", [](const GcRefHandle& r) { return kind_name(r.val); },
          "'i31', 'struct', 'array' or 'extern' (a host value wasm internalized).")
      .def_prop_ro(
          "externalized", [](const GcRefHandle& r) { return r.externalized; },
          "True for an externref that wasm made from one of its values.")
      .def("as_i31", &as_i31, nb::arg("signed") = true,
           nb::sig("def as_i31(self, signed: bool = True) -> int | None"),
           "The i31's value (i31.get_s, or i31.get_u when not `signed`); None if no i31.")
      .def("__eq__",
           [](const GcRefHandle& a, nb::handle b) {
             if (!nb::isinstance<GcRefHandle>(b)) return false;
             const GcRefHandle& o = nb::cast<const GcRefHandle&>(b);
             return a.store_id == o.store_id && a.val.bits() == o.val.bits();
           })
      .def("__hash__",
           [](const GcRefHandle& r) { return std::hash<uint64_t>()(r.val.bits() ^ r.store_id); })
      .def("__repr__", &repr);
}

}  // namespace ember::py
