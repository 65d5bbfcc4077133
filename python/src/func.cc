// `Func`: calling wasm from Python and Python host functions.
//
// The call path is the one hot path of the binding: `func(store, *args)`
// resolves the store (one type check), converts each argument by the
// function's own type (no lookup), runs the engine with the GIL released, and
// converts the results (None / scalar / list). Arguments live in a stack
// buffer unless the signature needs more than kInlineSlots slots.
//
// A host function is an API host callback (python_host) that takes the GIL,
// builds the Python arguments (a `Caller` first when asked for), calls the
// Python callable and writes its results back. Any Python exception
// (BaseException included) leaves it as nb::python_error; the API keeps it
// and hands the very same exception object to the outermost call. The
// Caller is invalidated when the host call ends, however it ends.
#include <nanobind/stl/string.h>

#include <algorithm>
#include <cstdio>

#include "common.hh"

namespace ember::py {

namespace {

constexpr size_t kInlineSlots = 16;

// Argument/result buffer: inline for small signatures.
class SlotBuf {
 public:
  explicit SlotBuf(size_t n)
      : p_(n <= kInlineSlots ? inline_ : (heap_ = std::make_unique<uint64_t[]>(n)).get()) {}
  uint64_t* get() { return p_; }

 private:
  uint64_t inline_[kInlineSlots] = {};
  std::unique_ptr<uint64_t[]> heap_;
  uint64_t* p_;
};

// Call slots of a signature: max(params, results), at least 1.
size_t call_slots(const FuncType& ty) {
  size_t p = 0, r = 0;
  for (ValType t : ty.params) p += slot_count(t);
  for (ValType t : ty.results) r += slot_count(t);
  return std::max<size_t>({p, r, 1});
}

nb::object results_to_python(PyStore& s, const FuncType& ty, const uint64_t* slots) {
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

nb::object call(const FuncHandle& f, nb::handle storelike, nb::args args) {
  StoreScope scope(storelike);
  PyStore* s = &scope.store;
  const Func& fn = f.get(scope);
  const FuncType& ty = *f.type;
  size_t np = ty.params.size();
  size_t given = args.size();
  if (given != np) throw argument_count_error(given, np);
  maybe_collect_externs(*s);  // before any argument is in an unscanned slot
  SlotBuf buf(call_slots(ty));
  uint64_t* slots = buf.get();
  size_t k = 0;
  for (size_t i = 0; i < np; ++i) {
    to_slot(*s, ty.params[i], args[i], slots + k);
    k += slot_count(ty.params[i]);
  }
  {
    // A host function's Python exception comes back through here as itself;
    // nothing touches it before the GIL is back (the release guard is
    // destroyed first while unwinding).
    nb::gil_scoped_release nogil;
    fn.call_raw(slots);
  }
  return results_to_python(*s, ty, slots);
}

// The state a Python host function carries: one per store that holds the
// function (a linker's definition keeps a template and makes a copy for
// each store), so that each holder's reference to the callable is its own
// and the garbage collector can be told about it (visit_host_callables).
struct HostCtx {
  nb::object callable;
  bool access_caller = false;
  FuncType type;

  HostCtx() = default;
  HostCtx(const HostCtx&) = default;  // with the GIL held (a new reference)
  HostCtx& operator=(const HostCtx&) = delete;
  ~HostCtx() {
    if (!callable.is_valid() || PyGILState_Check()) return;
    nb::gil_scoped_acquire gil;  // e.g. a Func::create that threw, GIL released
    callable.reset();
  }
};

void host_results(HostCtx& c, PyStore& s, nb::handle r, uint64_t* slots) {
  const FuncType& ty = c.type;
  size_t n = ty.results.size();
  if (n == 0) {
    if (!r.is_none()) raise_wasmtime("callback produced results when it shouldn't");
    return;
  }
  if (n == 1) {
    to_slot(s, ty.results[0], r, slots);
    return;
  }
  Py_ssize_t len = PyObject_Length(r.ptr());
  if (len < 0) throw nb::python_error();
  if (static_cast<size_t>(len) != n) raise_wasmtime("callback produced wrong number of results");
  nb::object seq = nb::borrow(r);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    nb::object item = seq[i];
    to_slot(s, ty.results[i], item, slots + k);
    k += slot_count(ty.results[i]);
  }
}

// The Python exception a host function raised, as the API wants it: a
// `Trap` for a wasm exception that escaped a nested call (it carries
// `_exn`) becomes the C++ Trap naming that exception, so the API rethrows
// the exception into the wasm caller; anything else stays a python_error.
[[noreturn]] void throw_host_error() {
  nb::python_error err;
  nb::handle v = err.value();
  if (PyObject_TypeCheck(v.ptr(), reinterpret_cast<PyTypeObject*>(refs().Trap.ptr()))) {
    nb::object token = nb::getattr(v, "_exn", nb::none());
    if (nb::isinstance<nb::tuple>(token) && nb::len(token) == 4) {
      Trap t(TrapCode::Exception);
      t.set_thrown(ThrownException{nb::cast<uint64_t>(token[0]), nb::cast<uint64_t>(token[1]),
                                   nb::cast<uint64_t>(token[2]), nb::cast<std::string>(token[3])});
      throw t;
    }
    // A trap of a call this host function made: the API adds the frames
    // outside it, and the same object is raised again (set_trap).
    nb::object made = nb::getattr(v, "_trap", nb::none());
    if (nb::isinstance<nb::capsule>(made)) {
      Trap t(*static_cast<const Trap*>(nb::cast<nb::capsule>(made).data()));
      PyObject* obj = nb::borrow(v).release().ptr();
      t.set_origin(std::shared_ptr<void>(obj, [](void* p) {
        nb::gil_scoped_acquire gil;
        Py_DECREF(static_cast<PyObject*>(p));
      }));
      throw t;
    }
  }
  throw err;
}

// The body of a Python host function. Any exception (a Python one as
// nb::python_error) leaves through the API, which hands it back unchanged
// to the outermost call.
void host_call(HostCtx& c, Caller& api_caller, uint64_t* slots) {
  nb::gil_scoped_acquire gil;
  PyStore& s = *static_cast<PyStore*>(api_caller.data());  // set by PyStore
  // The Caller is valid for this call only, however it ends. It is
  // invalidated while this reference still holds it (declared first, so
  // released last): the arguments' tuple may have been its only other one.
  nb::object caller;
  struct Invalidate {
    nb::object& c;
    ~Invalidate() {
      if (c.is_valid()) nb::inst_ptr<PyCaller>(c)->valid = false;
    }
  } invalidate{caller};
  const FuncType& ty = c.type;
  size_t off = c.access_caller ? 1 : 0;
  nb::object args = nb::steal(PyTuple_New(static_cast<Py_ssize_t>(ty.params.size() + off)));
  if (!args.is_valid()) throw nb::python_error();
  if (c.access_caller) {
    caller = nb::cast(PyCaller{&s, api_caller.instance(), true});
    PyTuple_SET_ITEM(args.ptr(), 0, caller.inc_ref().ptr());
  }
  size_t k = 0;
  for (size_t i = 0; i < ty.params.size(); ++i) {
    nb::object v = from_slot(s, ty.params[i], slots + k);
    k += slot_count(ty.params[i]);
    PyTuple_SET_ITEM(args.ptr(), static_cast<Py_ssize_t>(i + off), v.release().ptr());
  }
  nb::object r = nb::steal(PyObject_Call(c.callable.ptr(), args.ptr(), nullptr));
  if (!r.is_valid()) throw_host_error();
  host_results(c, s, r, slots);
}

}  // namespace

namespace {

// The callback of a Python host function in one store. Named, so that the
// collector support finds the context inside an API callback.
struct PyHost {
  std::shared_ptr<HostCtx> ctx;
  void operator()(Caller& caller, uint64_t* slots) const { host_call(*ctx, caller, slots); }
};

// A linker's definition: a PyHost with a copy of the template for each
// store (made while instantiating, maybe with the GIL released).
struct PyHostFactory {
  std::shared_ptr<const HostCtx> tmpl;
  HostCallback operator()() const {
    nb::gil_scoped_acquire gil;
    return PyHost{std::make_shared<HostCtx>(*tmpl)};
  }
};

std::shared_ptr<HostCtx> host_ctx(FuncType type, nb::handle fn, bool access_caller) {
  if (!PyCallable_Check(fn.ptr())) raise_type("expected a callable");
  auto ctx = std::make_shared<HostCtx>();
  ctx->callable = nb::borrow(fn);
  ctx->access_caller = access_caller;
  ctx->type = std::move(type);
  return ctx;
}

using HeldHosts = HeldContexts<HostCtx, &HostCtx::callable>;

}  // namespace

HostCallback python_host(FuncType type, nb::handle fn, bool access_caller) {
  return PyHost{host_ctx(std::move(type), fn, access_caller)};
}

HostCallbackFactory python_host_factory(FuncType type, nb::handle fn, bool access_caller) {
  return PyHostFactory{host_ctx(std::move(type), fn, access_caller)};
}

int visit_host_callables(const Store& store, visitproc visit, void* arg) {
  HeldHosts held;
  Func::for_each_host_callback(store, [&](const HostCallback& cb) {
    if (const PyHost* h = cb.target<PyHost>()) held.add(h->ctx);
  });
  return held.visit(visit, arg);
}

int visit_host_callables(const Linker& linker, visitproc visit, void* arg) {
  HeldHosts held;
  linker.for_each_host_factory([&](const HostCallbackFactory& make) {
    if (const PyHostFactory* f = make.target<PyHostFactory>()) held.add(f->tmpl);
  });
  return held.visit(visit, arg);
}

namespace {

void func_init(FuncHandle* self, nb::handle store, nb::handle ty, nb::handle fn,
               bool access_caller) {
  if (!nb::isinstance<PyStore>(store)) raise_type("expected a Store");
  StoreScope scope(store);
  PyStore& s = scope.store;
  FuncType type = functype_of(ty);
  Func f = Func::create(s.api(), type, python_host(type, fn, access_caller));
  new (self) FuncHandle(func_handle(s, f));
}

}  // namespace

void bind_func(nb::module_& m) {
  nb::class_<FuncHandle>(m, "Func", nb::is_weak_referenceable(),
                         R"(A function of a store: exported by wasm, or a host function.

`Func(store, ty, func)` makes a host function that wasm can import:
`func` is called with Python values for the parameters (a `Caller` first
when `access_caller`) and returns None, one value, or a sequence of as
many values as `ty` has results. An exception it raises unwinds the wasm
and reaches the outermost Python caller unchanged.

A Func is a handle: copies compare equal, and it is valid only with its
own store.

Args:
    store: The Store to make it in (not a Caller).
    ty: Its signature.
    func: The Python callable.
    access_caller: Whether `func` receives a `Caller` first.

Raises:
    TypeError: If `store` is not a Store, `ty` not a FuncType or `func`
        not callable.
    ValueError: If the store was closed.)")
      .def("__init__", &func_init, nb::arg("store").none(), nb::arg("ty").none(),
           nb::arg("func").none(), nb::arg("access_caller") = false,
           nb::sig("def __init__(self, store: Store, ty: ember.FuncType, "
                   "func: collections.abc.Callable[..., typing.Any], "
                   "access_caller: bool = False) -> None"))
      .def("__call__", &call, nb::arg("store").none(), nb::arg("params"),
           nb::sig("def __call__(self, store: Store | Caller, *params: typing.Any) -> typing.Any"),
           R"(Calls the function with the GIL released while wasm runs.

Args:
    store: The function's Store (or a Caller of it).
    *params: One value per parameter: an int for i32/i64 (wrapped to
        the width), a float for f32/f64, any object for externref, a
        Func or None for funcref, or a `Val` of the parameter's type.

Returns:
    None for no result, the value for one, a list for several.

Raises:
    WasmtimeError: If the number of arguments is wrong, the store is
        not the function's, or another thread is using it.
    TypeError: If an argument does not convert to its parameter type.
    Trap: If wasm traps.
    ExitTrap: If a WASI program exits.
    ValueError: If the store was closed.
    Exception: Whatever a host function called below raised.)")
      .def(
          "type",
          [](const FuncHandle& f, nb::handle store) {
            StoreScope scope(store);
            return py_functype(f.get(scope).signature());
          },
          nb::arg("store").none(),
          nb::sig("def type(self, store: Store | Caller) -> ember.FuncType"),
          R"(Returns the function's signature.

Args:
    store: The function's Store (or a Caller of it).

Raises:
    WasmtimeError: If `store` is not the function's store.
    ValueError: If the store was closed.)")
      .def(
          "param_arity",
          [](const FuncHandle& f, nb::handle store) {
            StoreScope scope(store);
            return f.get(scope).signature().params.size();
          },
          nb::arg("store").none(), nb::sig("def param_arity(self, store: Store | Caller) -> int"),
          R"(Returns the number of parameters.

Args:
    store: The function's Store (or a Caller of it).

Raises:
    WasmtimeError: If `store` is not the function's store.
    ValueError: If the store was closed.)")
      .def(
          "result_arity",
          [](const FuncHandle& f, nb::handle store) {
            StoreScope scope(store);
            return f.get(scope).signature().results.size();
          },
          nb::arg("store").none(), nb::sig("def result_arity(self, store: Store | Caller) -> int"),
          R"(Returns the number of results.

Args:
    store: The function's Store (or a Caller of it).

Raises:
    WasmtimeError: If `store` is not the function's store.
    ValueError: If the store was closed.)")
      .def(
          "__eq__",
          [](const FuncHandle& a, nb::handle b) {
            return nb::isinstance<FuncHandle>(b) && nb::cast<const FuncHandle&>(b).same(a);
          },
          nb::sig("def __eq__(self, other: object) -> bool"),
          "True for a handle to the same function of the same store.")
      .def(
          "__hash__", [](const FuncHandle& f) { return std::hash<const void*>()(f.h.raw()); },
          nb::sig("def __hash__(self) -> int"), "Hash consistent with `==`.");
}

}  // namespace ember::py
