"""`Linker` and `InstancePre`: name-based import resolution.

The rules live in the C++ `ember::Linker` (`_ember.Linker`): definitions,
shadowing, store-independent host functions made once per store (and kept
by the store, so a long-lived Linker holds nothing of a Store that is gone),
WASI, stand-ins for unknown imports and their messages. This file checks the
argument types the wasmtime package checks and wraps what comes back.
"""
from typing import Any, Callable

from . import _ember
from ._error import WasmtimeError
from ._managed import Managed
from ._runtime import Engine, Instance, Module
from ._types import FuncType

_EXTERN_TYPES = (_ember.Func, _ember.Memory, _ember.Table, _ember.Global)


def _check_names(module: Any, name: Any) -> None:
    if not isinstance(module, str) or not isinstance(name, str):
        raise AttributeError("module and name must be str")


class Linker(Managed):
    """Resolves a module's imports by name."""

    def __init__(self, engine: Engine) -> None:
        if not isinstance(engine, Engine):
            raise AttributeError("expected an Engine")
        self.engine = engine
        self._h = _ember.Linker(engine.ptr())

    def _set_allow_shadowing(self, allow: bool) -> None:
        if not isinstance(allow, bool):
            raise TypeError("expected a bool")
        self.ptr().allow_shadowing(allow)

    def _no_read(self) -> bool:
        raise AttributeError("allow_shadowing is write-only")

    allow_shadowing = property(_no_read, _set_allow_shadowing)

    def define(self, store: Any, module: str, name: str, item: Any) -> None:
        _check_names(module, name)
        if not isinstance(item, _EXTERN_TYPES):
            raise TypeError("expected a Func, Global, Memory, SharedMemory, Tag, or Table")
        self.ptr().define(store, module, name, item)

    def define_func(self, module: str, name: str, ty: FuncType, func: Callable,
                    access_caller: bool = False) -> None:
        _check_names(module, name)
        if not isinstance(ty, FuncType):
            raise TypeError("expected FuncType")
        if not callable(func):
            raise TypeError("expected a callable")
        self.ptr().func_new(module, name, ty, func, access_caller)

    def define_instance(self, store: Any, name: str, instance: Instance) -> None:
        if not isinstance(instance, Instance):
            raise TypeError("expected an Instance")
        if not isinstance(name, str):
            raise AttributeError("name must be a str")
        self.ptr().define_instance(store, name, instance._h)

    def define_module(self, store: Any, name: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self.define_instance(store, name, self.instantiate(store, module))

    def define_wasi(self) -> None:
        """Define every `wasi_snapshot_preview1` function. Each store that
        runs them needs a context: `store.set_wasi(WasiConfig())`."""
        self.ptr().define_wasi()

    def instantiate(self, store: Any, module: Module) -> Instance:
        if not isinstance(module, Module):
            raise AttributeError("expected a Module")
        return Instance._from_handle(self.ptr().instantiate(store, module.ptr()), module)

    def get_default(self, store: Any, name: str) -> Any:
        return self.ptr().get_default(store, name)

    def get(self, store: Any, module: str, name: str) -> Any:
        item = self.ptr().get(store, module, name)
        if item is None:
            raise WasmtimeError("item not defined in linker")
        return item

    def define_unknown_imports_as_traps(self, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self.ptr().define_unknown_imports_as_traps(module.ptr())

    def define_unknown_imports_as_default_values(self, store: Any, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self.ptr().define_unknown_imports_as_default_values(store, module.ptr())

    def instantiate_pre(self, module: Module) -> "InstancePre":
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        return InstancePre._create(self.ptr().instantiate_pre(module.ptr()), module)


class InstancePre(Managed):
    """A module with its imports resolved by a Linker when it is made, as in
    Wasmtime: an unknown import fails there, and later definitions in the
    linker do not change what it instantiates."""

    def __init__(self, linker: Linker, module: Module) -> None:
        if not isinstance(linker, Linker) or not isinstance(module, Module):
            raise TypeError("expected a Linker and a Module")
        self._h = (module, linker.ptr().instantiate_pre(module.ptr()))

    @classmethod
    def _create(cls, h: Any, module: Module) -> "InstancePre":
        pre = cls.__new__(cls)
        pre._h = (module, h)
        return pre

    @property
    def module(self) -> Module:
        return self.ptr()[0]

    def instantiate(self, store: Any) -> Instance:
        module, h = self.ptr()
        return Instance._from_handle(h.instantiate(store), module)
