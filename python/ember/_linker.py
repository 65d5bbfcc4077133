"""`Linker` and `InstancePre`: name-based import resolution.

A Linker maps (module, name) to a definition: either an extern of a store
(`define`, `define_instance`) or a store-independent host function
(`define_func`), made into a `Func` of each store that instantiates through
the linker (once per store). `define_wasi` adds the WASI preview1 functions,
likewise made per store and bound to that store's WASI context. Resolution
is plain Python: it runs once per instantiation, never per call.
"""
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _ember
from ._error import Trap, WasmtimeError
from ._managed import Managed
from ._runtime import Engine, Instance, Module
from ._types import FuncType, GlobalType, MemoryType, TableType, ValType, _EXTERNREF, _FUNCREF
from ._value import Val

_EXTERN_TYPES = (_ember.Func, _ember.Memory, _ember.Table, _ember.Global)


class _HostFuncDef:
    """A store-independent host function definition."""

    def __init__(self, ty: FuncType, func: Callable, access_caller: bool) -> None:
        self.ty = ty
        self.func = func
        self.access_caller = access_caller
        self.per_store: Dict[int, Any] = {}

    def in_store(self, store: Any) -> Any:
        key = store._id()
        f = self.per_store.get(key)
        if f is None:
            f = _ember.Func(store, self.ty, self.func, self.access_caller)
            self.per_store[key] = f
            # The entry goes with its store: a long-lived Linker serving many
            # Stores does not keep a Func of each.
            weakref.finalize(store, self.per_store.pop, key, None)
        return f


class _WasiFuncDef:
    """A `wasi_snapshot_preview1` function: in each store, a Func that runs
    with that store's WASI context (`Store.set_wasi`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def in_store(self, store: Any) -> Any:
        return _ember.wasi_func(store, self.name)


_PER_STORE = (_HostFuncDef, _WasiFuncDef)


def _check_names(module: Any, name: Any) -> None:
    if not isinstance(module, str) or not isinstance(name, str):
        raise AttributeError("module and name must be str")


def _real_store(store: Any) -> Any:
    """The Store behind a Store or Caller (host functions need the Store)."""
    if isinstance(store, _ember.Store):
        return store
    if isinstance(store, _ember.Caller):
        return store._store()
    raise TypeError("expected a Store")


class Linker(Managed):
    """Resolves a module's imports by name."""

    def __init__(self, engine: Engine) -> None:
        if not isinstance(engine, Engine):
            raise AttributeError("expected an Engine")
        self.engine = engine
        self._h: Optional[Dict[Tuple[str, str], Any]] = {}
        self._shadowing = False

    def _set_allow_shadowing(self, allow: bool) -> None:
        if not isinstance(allow, bool):
            raise TypeError("expected a bool")
        self.ptr()
        self._shadowing = allow

    def _no_read(self) -> bool:
        raise AttributeError("allow_shadowing is write-only")

    allow_shadowing = property(_no_read, _set_allow_shadowing)

    def _insert(self, module: str, name: str, item: Any) -> None:
        defs = self.ptr()
        key = (module, name)
        if key in defs and not self._shadowing:
            raise WasmtimeError(f"import of `{module}::{name}` defined twice")
        defs[key] = item

    def define(self, store: Any, module: str, name: str, item: Any) -> None:
        _check_names(module, name)
        if not isinstance(item, _EXTERN_TYPES):
            raise TypeError("expected a Func, Global, Memory, SharedMemory, Tag, or Table")
        self._insert(module, name, item)

    def define_func(self, module: str, name: str, ty: FuncType, func: Callable,
                    access_caller: bool = False) -> None:
        _check_names(module, name)
        if not isinstance(ty, FuncType):
            raise TypeError("expected FuncType")
        if not callable(func):
            raise TypeError("expected a callable")
        self._insert(module, name, _HostFuncDef(ty, func, access_caller))

    def define_instance(self, store: Any, name: str, instance: Instance) -> None:
        if not isinstance(instance, Instance):
            raise TypeError("expected an Instance")
        if not isinstance(name, str):
            raise AttributeError("name must be a str")
        for export_name, item in instance.exports(store).items():
            self._insert(name, export_name, item)

    def define_module(self, store: Any, name: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self.define_instance(store, name, self.instantiate(store, module))

    def define_wasi(self) -> None:
        """Define every `wasi_snapshot_preview1` function. Each store that
        runs them needs a context: `store.set_wasi(WasiConfig())`."""
        defs = self.ptr()
        names = [name for name, _ in _ember.wasi_imports()]
        if not self._shadowing:
            for name in names:
                if (_ember.WASI_MODULE, name) in defs:
                    raise WasmtimeError(
                        f"import of `{_ember.WASI_MODULE}::{name}` defined twice")
        for name in names:
            defs[(_ember.WASI_MODULE, name)] = _WasiFuncDef(name)

    def _lookup(self, module: Module) -> List[Any]:
        """The definition of each import of `module`, in order."""
        defs = self.ptr()
        items = []
        for imp in module.imports:
            d = defs.get((imp.module, imp.name or ""))
            if d is None:
                raise WasmtimeError(
                    f"unknown import: `{imp.module}::{imp.name}` has not been defined")
            items.append(d)
        return items

    def instantiate(self, store: Any, module: Module) -> Instance:
        if not isinstance(module, Module):
            raise AttributeError("expected a Module")
        return Instance(store, module, _in_store(self._lookup(module), store))

    def get_default(self, store: Any, name: str) -> Any:
        defs = self.ptr()
        for export in ("", "_start"):
            d = defs.get((name, export))
            if d is not None:
                return d.in_store(_real_store(store)) if isinstance(d, _PER_STORE) else d
        return _ember.Func(_real_store(store), FuncType([], []), lambda: None)

    def get(self, store: Any, module: str, name: str) -> Any:
        d = self.ptr().get((module, name))
        if d is None:
            raise WasmtimeError("item not defined in linker")
        return d.in_store(_real_store(store)) if isinstance(d, _PER_STORE) else d

    def define_unknown_imports_as_traps(self, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        defs = self.ptr()
        for imp in module.imports:
            key = (imp.module, imp.name or "")
            if key in defs or not isinstance(imp.type, FuncType):
                continue

            def trap(*args: Any, _key: Tuple[str, str] = key) -> None:
                raise Trap(f"unknown import `{_key[0]}::{_key[1]}` was called")
            defs[key] = _HostFuncDef(imp.type, trap, False)

    def define_unknown_imports_as_default_values(self, store: Any, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        defs = self.ptr()
        for imp in module.imports:
            key = (imp.module, imp.name or "")
            if key in defs:
                continue
            ty = imp.type
            if isinstance(ty, FuncType):
                defaults = [_default_value(r) for r in ty.results]
                result = (None if not defaults else defaults[0] if len(defaults) == 1
                          else defaults)
                defs[key] = _HostFuncDef(ty, lambda *a, _r=result: _r, False)
            elif isinstance(ty, GlobalType):
                defs[key] = _ember.Global(store, ty, _default_value(ty.content))
            elif isinstance(ty, MemoryType):
                defs[key] = _ember.Memory(store, ty)
            elif isinstance(ty, TableType):
                defs[key] = _ember.Table(store, ty, None)

    def instantiate_pre(self, module: Module) -> "InstancePre":
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self.ptr()
        return InstancePre(self, module)


def _default_value(t: ValType) -> Any:
    if t._code in (_FUNCREF, _EXTERNREF):
        return Val(t._code, None)
    return 0.0 if str(t) in ("f32", "f64") else 0


def _in_store(items: List[Any], store: Any) -> List[Any]:
    """The externs of `store` for resolved definitions (host functions and
    WASI functions are made once per store)."""
    return [d.in_store(_real_store(store)) if isinstance(d, _PER_STORE) else d for d in items]


class InstancePre(Managed):
    """A module with its imports resolved by a Linker when it is made, as in
    Wasmtime: an unknown import fails here, and later definitions in the
    linker do not change what it instantiates."""

    def __init__(self, linker: Linker, module: Module) -> None:
        self._h = (module, linker._lookup(module))

    @property
    def module(self) -> Module:
        return self.ptr()[0]

    def instantiate(self, store: Any) -> Instance:
        module, items = self.ptr()
        return Instance(store, module, _in_store(items, store))
