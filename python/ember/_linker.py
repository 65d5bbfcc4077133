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

_EXTERN_TYPES = (_ember.Func, _ember.Memory, _ember.SharedMemoryBase, _ember.Table,
                 _ember.Global, _ember.Tag)


def _check_names(module: Any, name: Any) -> None:
    if not isinstance(module, str) or not isinstance(name, str):
        raise AttributeError("module and name must be str")


class Linker(Managed):
    """Resolves a module's imports by (module, name) and instantiates it.

    Definitions are either items of one store (`define`, `define_instance`,
    `define_module`) or store-independent (`define_func`, `define_wasi`,
    `define_unknown_imports_as_traps`), which the linker makes once per
    store that uses them.

    Args:
        engine: The engine whose modules this linker instantiates.

    Raises:
        AttributeError: If `engine` is not an Engine (as wasmtime).
        ValueError: If `engine` was closed.

    Attributes:
        engine: The engine given.
    """

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

    allow_shadowing = property(
        _no_read, _set_allow_shadowing,
        doc="Whether a new definition may replace one of the same name "
            "(write-only bool, default False; TypeError for a non-bool).")

    def define(self, store: Any, module: str, name: str, item: Any) -> None:
        """Defines `item` as the import `module`.`name`.

        Args:
            store: The Store (or a Caller) the item belongs to.
            module: The import's module name.
            name: The import's name.
            item: A Func, Memory, Table, Global or Tag of `store`.

        Raises:
            AttributeError: If `module` or `name` is not a str.
            TypeError: If `item` is not an extern, or `store` not a store.
            WasmtimeError: If the name is taken (and shadowing is off) or the
                item belongs to another store.
            ValueError: If the linker or the store was closed.
        """
        _check_names(module, name)
        if not isinstance(item, _EXTERN_TYPES):
            raise TypeError("expected a Func, Global, Memory, SharedMemory, Tag, or Table")
        self.ptr().define(store, module, name, item)

    def define_func(self, module: str, name: str, ty: FuncType, func: Callable[..., Any],
                    access_caller: bool = False) -> None:
        """Defines a host function usable from every store.

        The function is made in a store the first time an instantiation in
        that store needs it; the store keeps it.

        Args:
            module: The import's module name.
            name: The import's name.
            ty: The function's signature.
            func: The Python callable, called as in `Func`.
            access_caller: Whether `func` receives a `Caller` first.

        Raises:
            AttributeError: If `module` or `name` is not a str.
            TypeError: If `ty` is not a FuncType or `func` is not callable.
            WasmtimeError: If the name is taken and shadowing is off.
            ValueError: If the linker was closed.
        """
        _check_names(module, name)
        if not isinstance(ty, FuncType):
            raise TypeError("expected FuncType")
        if not callable(func):
            raise TypeError("expected a callable")
        self.ptr().func_new(module, name, ty, func, access_caller)

    def define_instance(self, store: Any, name: str, instance: Instance) -> None:
        """Defines every export of `instance` under the module name `name`.

        Args:
            store: The Store (or a Caller) the instance belongs to.
            name: The module name its exports are defined under.
            instance: An instance of `store`.

        Raises:
            TypeError: If `instance` is not an Instance.
            AttributeError: If `name` is not a str.
            WasmtimeError: If a name is taken (and shadowing is off) or the
                instance belongs to another store.
            ValueError: If the linker or the store was closed.
        """
        if not isinstance(instance, Instance):
            raise TypeError("expected an Instance")
        if not isinstance(name, str):
            raise AttributeError("name must be a str")
        self.ptr().define_instance(store, name, instance._h)

    def define_module(self, store: Any, name: str, module: Module) -> None:
        """Instantiates `module` with this linker and defines its exports.

        Equivalent to `define_instance(store, name, instantiate(store, module))`.

        Args:
            store: The Store (or a Caller) to instantiate in.
            name: The module name its exports are defined under.
            module: The module to instantiate.

        Raises:
            TypeError: If `module` is not a Module.
            WasmtimeError: If an import is unresolved or a name is taken.
            Trap: If the module's start function traps.
            ValueError: If the linker or the store was closed.
        """
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self.define_instance(store, name, self.instantiate(store, module))

    def define_wasi(self) -> None:
        """Defines every `wasi_snapshot_preview1` function.

        Each store that runs them needs a context first:
        `store.set_wasi(WasiConfig())`; a WASI call in a store without one
        raises WasmtimeError.

        Raises:
            WasmtimeError: If a WASI name is taken and shadowing is off.
            ValueError: If the linker was closed.
        """
        self.ptr().define_wasi()

    def instantiate(self, store: Any, module: Module) -> Instance:
        """Instantiates `module`, resolving its imports by name.

        Runs the module's start function, if any.

        Args:
            store: The Store (or a Caller) to instantiate in.
            module: A module of this linker's engine.

        Returns:
            The new instance.

        Raises:
            AttributeError: If `module` is not a Module (as wasmtime).
            WasmtimeError: If an import is not defined or has the wrong type,
                or a store limit is exceeded.
            Trap: If the start function traps.
            ValueError: If the linker or the store was closed.
        """
        if not isinstance(module, Module):
            raise AttributeError("expected a Module")
        return Instance._from_handle(self.ptr().instantiate(store, module.ptr()), module)

    def get_default(self, store: Any, name: str) -> Any:
        """Returns the default function of the module defined as `name`.

        That is its export "" or else "_start"; a module name with neither
        gives a function that does nothing.

        Args:
            store: The Store (or a Caller) the function is for.
            name: A module name defined in this linker.

        Returns:
            The Func.

        Raises:
            WasmtimeError: If the default export is not a function.
            ValueError: If the linker or the store was closed.
        """
        return self.ptr().get_default(store, name)

    def get(self, store: Any, module: str, name: str) -> Any:
        """Looks up a definition.

        Args:
            store: The Store (or a Caller) the item is for.
            module: The module name.
            name: The item's name.

        Returns:
            The Func, Memory, Table, Global or Tag defined under that name.

        Raises:
            WasmtimeError: If nothing is defined under that name.
            ValueError: If the linker or the store was closed.
        """
        item = self.ptr().get(store, module, name)
        if item is None:
            raise WasmtimeError("item not defined in linker")
        return item

    def define_unknown_imports_as_traps(self, module: Module) -> None:
        """Defines each function import of `module` not yet defined as a
        function that traps when called.

        Args:
            module: The module whose imports to cover.

        Raises:
            TypeError: If `module` is not a Module.
            ValueError: If the linker was closed.
        """
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self.ptr().define_unknown_imports_as_traps(module.ptr())

    def define_unknown_imports_as_default_values(self, store: Any, module: Module) -> None:
        """Defines each import of `module` not yet defined with a default:
        functions returning zeros, and zero or null globals, tables and
        memories made in `store`.

        Args:
            store: The Store (or a Caller) the defaults are made in.
            module: The module whose imports to cover.

        Raises:
            TypeError: If `module` is not a Module.
            WasmtimeError: If a default memory or table exceeds a store
                limit.
            ValueError: If the linker or the store was closed.
        """
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self.ptr().define_unknown_imports_as_default_values(store, module.ptr())

    def instantiate_pre(self, module: Module) -> "InstancePre":
        """Resolves the imports of `module` now, for fast instantiation later.

        Args:
            module: A module of this linker's engine.

        Returns:
            An InstancePre, instantiable in any store of the engine.

        Raises:
            TypeError: If `module` is not a Module.
            WasmtimeError: If an import is not defined.
            ValueError: If the linker was closed.
        """
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        return InstancePre._create(self.ptr().instantiate_pre(module.ptr()), module)


class InstancePre(Managed):
    """A module with its imports already resolved by a Linker.

    As in wasmtime, an unknown import fails when it is made, and later
    definitions in the linker do not change what it instantiates.

    Args:
        linker: The linker that resolves the imports.
        module: The module.

    Raises:
        TypeError: If `linker` is not a Linker or `module` not a Module.
        WasmtimeError: If an import is not defined.
    """

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
        """The module this instantiates."""
        module: Module = self.ptr()[0]
        return module

    def instantiate(self, store: Any) -> Instance:
        """Instantiates the module in `store`, running its start function.

        Args:
            store: A Store (or a Caller) of the linker's engine.

        Returns:
            The new instance.

        Raises:
            WasmtimeError: If an import has the wrong type, the store's engine
                is configured differently from the module's, or a store limit
                is exceeded.
            Trap: If the start function traps.
            ValueError: If this object or the store was closed.
        """
        module, h = self.ptr()
        return Instance._from_handle(h.instantiate(store), module)
