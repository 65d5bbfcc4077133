// `Func`: calling wasm from Python and Python host functions.
//
// The call path is the one hot path of the binding: `func(store, *args)`
// resolves the store (one type check), converts each argument by the
// function's own type (no lookup), runs the engine with the GIL released, and
// converts the results (None / scalar / list). Arguments live in a stack
// buffer unless the signature needs more than kInlineSlots slots.
//
// A host function is an rt::HostFn that takes the GIL, builds the Python
// arguments (a `Caller` first when asked for), calls the Python callable and
// writes its results back. Any Python exception (BaseException included) is
// kept in StoreData::host_error and reported as TrapCode::HostError; the
// outermost call re-raises the very same exception object. The Caller is
// invalidated when the host call ends, however it ends.
#include <nanobind/stl/string.h>

#include <cstdio>

#include "common.hh"

namespace ember::py {

namespace {

constexpr size_t kInlineSlots = 16;

// Argument/result buffer: inline for small signatures.
class SlotBuf {
 public:
  explicit SlotBuf(size_t n)
      : p_(n <= kInlineSlots ? inline_ : (heap_ = std::make_unique<rt::Slot[]>(n)).get()) {}
  rt::Slot* get() { return p_; }

 private:
  rt::Slot inline_[kInlineSlots] = {};
  std::unique_ptr<rt::Slot[]> heap_;
  rt::Slot* p_;
};

nb::object results_to_python(Store& s, const FuncType& ty, const rt::Slot* slots) {
  size_t n = ty.results.size();
  if (n == 0) return nb::none();
  if (n == 1) return from_slot(s, ty.results[0], slots);
  nb::list out;
  size_t k = 0;
  for (ValType t : ty.results) {
    out.append(from_slot(s, t, slots + k));
    k += slot_count(t);
  }
  return out;
}

nb::object call(const Func& f, nb::handle storelike, nb::args args) {
  StoreScope scope(storelike);
  Store* s = &scope.store;
  rt::FuncInst* fi = f.get(scope);
  const FuncType& ty = *fi->type;
  size_t np = ty.params.size();
  size_t given = args.size();
  if (given != np) {
    raise_wasmtime(std::string(given > np ? "too many" : "too few") +
                   " parameters provided: given " + std::to_string(given) + ", expected " +
                   std::to_string(np));
  }
  maybe_collect_externs(*s);  // before any argument is in an unscanned slot
  SlotBuf buf(rt::call_slots(ty));
  rt::Slot* slots = buf.get();
  size_t k = 0;
  for (size_t i = 0; i < np; ++i) {
    to_slot(*s, ty.params[i], args[i], slots + k);
    k += slot_count(ty.params[i]);
  }
  TrapCode tc;
  {
    nb::gil_scoped_release nogil;
    tc = rt::invoke(*s->data, fi, slots);
  }
  if (tc != TrapCode::None) raise_trap(*s->data, tc);
  return results_to_python(*s, ty, slots);
}

// The state a Python host function carries.
struct HostCtx {
  nb::object callable;
  bool access_caller = false;
  Store* store = nullptr;
  std::shared_ptr<FuncType> type;
};

void host_results(HostCtx& c, nb::handle r, rt::Slot* slots) {
  const FuncType& ty = *c.type;
  size_t n = ty.results.size();
  if (n == 0) {
    if (!r.is_none()) raise_wasmtime("callback produced results when it shouldn't");
    return;
  }
  if (n == 1) {
    to_slot(*c.store, ty.results[0], r, slots);
    return;
  }
  Py_ssize_t len = PyObject_Length(r.ptr());
  if (len < 0) throw nb::python_error();
  if (static_cast<size_t>(len) != n) raise_wasmtime("callback produced wrong number of results");
  nb::object seq = nb::borrow(r);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    nb::object item = seq[i];
    to_slot(*c.store, ty.results[i], item, slots + k);
    k += slot_count(ty.results[i]);
  }
}

TrapCode host_call(HostCtx& c, rt::HostCall& hc, rt::Slot* slots) {
  nb::gil_scoped_acquire gil;
  Caller* caller = nullptr;
  try {
    const FuncType& ty = *c.type;
    size_t off = c.access_caller ? 1 : 0;
    nb::object args = nb::steal(PyTuple_New(static_cast<Py_ssize_t>(ty.params.size() + off)));
    if (!args.is_valid()) throw nb::python_error();
    if (c.access_caller) {
      nb::object co = nb::cast(Caller{c.store, hc.caller, true});
      caller = nb::inst_ptr<Caller>(co);
      PyTuple_SET_ITEM(args.ptr(), 0, co.release().ptr());
    }
    size_t k = 0;
    for (size_t i = 0; i < ty.params.size(); ++i) {
      nb::object v = from_slot(*c.store, ty.params[i], slots + k);
      k += slot_count(ty.params[i]);
      PyTuple_SET_ITEM(args.ptr(), static_cast<Py_ssize_t>(i + off), v.release().ptr());
    }
    nb::object r = nb::steal(PyObject_Call(c.callable.ptr(), args.ptr(), nullptr));
    if (!r.is_valid()) throw nb::python_error();
    host_results(c, r, slots);
    if (caller) caller->valid = false;
    return TrapCode::None;
  } catch (nb::python_error&) {
    if (caller) caller->valid = false;
    hc.store->host_error = std::current_exception();
    return TrapCode::HostError;
  } catch (const std::exception& e) {
    if (caller) caller->valid = false;
    PyErr_SetString(refs().WasmtimeError.ptr(), e.what());
    try {
      throw nb::python_error();
    } catch (nb::python_error&) {
      hc.store->host_error = std::current_exception();
    }
    return TrapCode::HostError;
  }
}

void func_init(Func* self, nb::handle store, nb::handle ty, nb::handle fn, bool access_caller) {
  if (!nb::isinstance<Store>(store)) raise_type("expected a Store");
  StoreScope scope(store);
  Store& s = scope.store;
  auto type = std::make_shared<FuncType>(functype_of(ty));
  if (!PyCallable_Check(fn.ptr())) raise_type("expected a callable");
  auto ctx = std::make_shared<HostCtx>();
  ctx->callable = nb::borrow(fn);
  ctx->access_caller = access_caller;
  ctx->store = &s;
  ctx->type = type;
  rt::HostFn hf = [ctx](rt::HostCall& hc, rt::Slot* slots) { return host_call(*ctx, hc, slots); };
  rt::FuncInst* fi = rt::create_host_func(*s.data, *type, std::move(hf));
  new (self) Func();
  self->store_id = s.id;
  self->ptr = fi;
}

}  // namespace

void bind_func(nb::module_& m) {
  nb::class_<Func>(m, "Func", nb::is_weak_referenceable(), "A WebAssembly or host function.")
      .def("__init__", &func_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::arg("func").none(), nb::arg("access_caller") = false)
      .def("__call__", &call, nb::arg("store").none(), nb::arg("params"))
      .def(
          "type",
          [](const Func& f, nb::handle store) {
            StoreScope scope(store);
            return py_functype(*f.get(scope)->type);
          },
          nb::arg("store").none())
      .def("param_arity",
           [](const Func& f, nb::handle store) {
             StoreScope scope(store);
             return f.get(scope)->type->params.size();
           })
      .def("result_arity",
           [](const Func& f, nb::handle store) {
             StoreScope scope(store);
             return f.get(scope)->type->results.size();
           })
      .def("__eq__",
           [](const Func& a, nb::handle b) {
             return nb::isinstance<Func>(b) && nb::cast<const Func&>(b).ptr == a.ptr &&
                    nb::cast<const Func&>(b).store_id == a.store_id;
           })
      .def("__hash__", [](const Func& f) { return std::hash<const void*>()(f.ptr); });
}

}  // namespace ember::py
