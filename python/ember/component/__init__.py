"""Components: `wasmtime.component`'s names, on Ember's component runtime.

Components in the binary or the text format, instantiated through `Linker`
with host functions, instances of them, core modules and WASI 0.2
(`add_wasip2`) and wasi:http (`add_wasi_http`) as imports; exported
functions called with every value type and the canonical ABI's options
(memory, realloc, post-return, all three string encodings), nested
components, resources. What does not yet (the value sort, async) raises
`WasmtimeError` saying so.
"""
import os
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from .. import _ember
from .._error import WasmtimeError
from .._runtime import Engine, Module
from .._types import ExportType, ImportType
from ._resources import ResourceAny, ResourceHost, ResourceType
from ._types import (_KIND_COMPONENT, _KIND_FUNC, _KIND_INSTANCE, _KIND_RESOURCE, _valtype, Bool, BorrowType, Char, EnumType, ErrorContext, F32, F64, FlagsType,
                     FuncType, FutureType, ListType, OptionType, OwnType, Record, RecordType,
                     ResultType, S8, S16, S32, S64, StreamType, String, TupleType, U8, U16, U32,
                     U64, ValType, Variant, VariantType, _functype)


class ExportIndex:
    """Where an export is: the instance exports leading to it, and its name.
    It belongs to one component (and its instances): given to another
    component's lookups, it finds nothing."""

    _owner: Any
    _path: List[str]
    _name: str

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct an `ExportIndex`")

    @classmethod
    def _make(cls, owner: Any, path: List[str], name: str) -> "ExportIndex":
        e: "ExportIndex" = cls.__new__(cls)
        e._owner = owner
        e._path = path
        e._name = name
        return e


def _export_path(owner: Any, instance: Optional[ExportIndex]) -> Optional[List[str]]:
    """The path of exports to look in, or None for another component's index."""
    if instance is None:
        return []
    if not isinstance(instance, ExportIndex):
        raise TypeError("expected an ExportIndex")
    if instance._owner is not owner:
        return None
    return instance._path + [instance._name]


class Component:
    """A compiled component (immutable, shareable between stores)."""

    def __init__(self, engine: Engine, wasm: Union[str, bytes, bytearray]) -> None:
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        if isinstance(wasm, str):
            self._engine = engine
            self._h = _ember.component_compile_text(engine.ptr(), wasm)
            return
        if not isinstance(wasm, (bytes, bytearray)):
            raise TypeError("expected component bytes or text")
        data = bytes(wasm)
        self._engine = engine
        if data[:1] != b"\0" and isinstance(wasm, bytes):
            # As the package: bytes not starting with NUL are text.
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise WasmtimeError("component text is not valid UTF-8") from None
            self._h = _ember.component_compile_text(engine.ptr(), text)
            return
        self._h = _ember.component_compile(engine.ptr(), data)

    @classmethod
    def from_file(cls, engine: Engine, path: Union[str, bytes, "os.PathLike[str]"]) -> "Component":
        with open(path, "rb") as f:
            return cls(engine, f.read())

    @classmethod
    def _from_handle(cls, engine: Engine, h: Any) -> "Component":
        c: "Component" = cls.__new__(cls)
        c._engine = engine
        c._h = h
        return c

    @classmethod
    def deserialize(cls, engine: Engine, encoded: Union[bytes, bytearray]) -> "Component":
        """A component from `serialize()`'s output (validated again)."""
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        if not isinstance(encoded, (bytes, bytearray)):
            raise TypeError("expected bytes")
        return cls._from_handle(engine, _ember.component_deserialize(engine.ptr(), bytes(encoded)))

    @classmethod
    def deserialize_file(cls, engine: Engine, path: Union[str, "os.PathLike[str]"]) -> "Component":
        with open(path, "rb") as f:
            return cls.deserialize(engine, f.read())

    def serialize(self) -> bytearray:
        """The serialized form (for `deserialize`)."""
        return bytearray(_ember.component_serialize(self._h))

    @property
    def type(self) -> "ComponentType":
        """The component's imports and exports with their types."""
        return ComponentType._make(self._h.import_items(), self._h.export_items())

    def get_export_index(self, name: str,
                         instance: Optional[ExportIndex] = None) -> Optional[ExportIndex]:
        path = _export_path(self._h, instance)
        if path is None or self._h.export_sort(path, name) is None:
            return None
        return ExportIndex._make(self._h, path, name)

    def close(self) -> None:
        """Nothing to release early: the compiled component is freed when no
        Component, instance or function uses it any more."""

    def __enter__(self) -> "Component":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Func:
    """An exported component function."""

    _h: Any
    _type: FuncType
    _direct: bool
    _direct_result: bool

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `Func`")

    @classmethod
    def _make(cls, h: Any) -> "Func":
        f: "Func" = cls.__new__(cls)
        f._h = h
        f._type = ty = _functype(h)
        f._direct = all(t._direct for _, t in ty._params)
        f._direct_result = ty._result is None or ty._result._direct
        return f

    def __call__(self, store: Any, *params: Any) -> Any:
        ty: FuncType = self._type
        ps = ty._params
        if len(params) != len(ps):
            raise TypeError("wrong number of parameters provided: given %s, expected %s" %
                            (len(params), len(ps)))
        # Primitives, strings and bytes go to the extension as they are.
        wire: Any = params if self._direct else [t._to_wire(v) for (_, t), v in zip(ps, params)]
        r = self._h.call(store, wire)
        if self._direct_result:
            return r
        assert ty._result is not None
        return ty._result._from_wire(r)

    def post_return(self, store: Any) -> None:
        """Nothing to do: a function's post-return runs as its call returns."""
        self._h.post_return(store)

    def type(self, store: Any) -> FuncType:
        return self._type


class Instance:
    """An instantiated component."""

    _h: Any
    _component: Any  # the component's handle: whose export indices these are

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct an `Instance`")

    @classmethod
    def _make(cls, h: Any, component: Any) -> "Instance":
        i: "Instance" = cls.__new__(cls)
        i._h = h
        i._component = component
        return i

    def get_export_index(self, store: Any, name: str,
                         instance: Optional[ExportIndex] = None) -> Optional[ExportIndex]:
        path = _export_path(self._component, instance)
        if path is None or self._component.export_sort(path, name) is None:
            return None
        return ExportIndex._make(self._component, path, name)

    def get_func(self, store: Any, index: Union[ExportIndex, str]) -> Optional[Func]:
        if isinstance(index, str):
            path, name = [], index
        elif isinstance(index, ExportIndex):
            if index._owner is not self._component:
                return None
            path, name = index._path, index._name
        else:
            raise TypeError("expected an ExportIndex or a str")
        h = self._h.get_func(store, path, name)
        return None if h is None else Func._make(h)


class LinkerInstance:
    """The definitions under one instance name of a Linker.

    While it is open, its parent (the Linker, or the LinkerInstance that
    made it) is locked; close it (or use `with`) to unlock.
    """

    _linker: "Linker"
    _path: List[str]
    _parent: Optional[Union["Linker", "LinkerInstance"]]
    locked: bool

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `LinkerInstance`")

    @classmethod
    def _make(cls, linker: "Linker", path: List[str],
              parent: Union["Linker", "LinkerInstance"]) -> "LinkerInstance":
        li: "LinkerInstance" = cls.__new__(cls)
        li._linker = linker
        li._path = path
        li._parent = parent
        li.locked = False
        parent.locked = True
        return li

    def _assert_not_locked(self) -> None:
        if self._parent is None:
            raise ValueError("object has been closed already")
        if self.locked:
            raise WasmtimeError("cannot use linker instance while it's in use by other instances")

    def close(self) -> None:
        if self._parent is not None:
            self._assert_not_locked()
            self._parent.locked = False
            self._parent = None

    def __enter__(self) -> "LinkerInstance":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def add_instance(self, name: str) -> "LinkerInstance":
        """Defines an instance `name` here; returns it, to define its items."""
        self._assert_not_locked()
        self._linker._h.define_instance(self._path, name)
        return LinkerInstance._make(self._linker, self._path + [name], self)

    def add_module(self, name: str, module: Module) -> None:
        """Defines core module `name` here."""
        self._assert_not_locked()
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        self._linker._h.define_module(self._path, name, module.ptr())

    def add_resource(self, name: str, ty: ResourceType,
                     dtor: Callable[[Any, int], None]) -> None:
        """Defines host resource type `ty` (`ResourceType.host(tag)`) as
        `name`; `dtor(store_context, rep)` runs when an owned handle of it is
        dropped in wasm."""
        self._assert_not_locked()
        if not isinstance(ty, ResourceType):
            raise TypeError("expected a ResourceType")
        if not callable(dtor):
            raise TypeError("expected a callable")
        self._linker._h.define_resource(self._path, name, ty._h, dtor)

    def add_func(self, name: str, func: Callable[..., Any]) -> None:
        """Defines function `name` here: `func(store_context, *args)`, with
        arguments and result converted as the importing component's type
        says. An exception it raises reaches the caller of the export."""
        self._assert_not_locked()
        if not callable(func):
            raise TypeError("expected a callable")

        def adapter(ctx: Any, params: List[Any], result: Any, wire: List[Any]) -> Any:
            args = [_valtype(h)._from_wire(w) for h, w in zip(params, wire)]
            r = func(ctx, *args)
            if result is None:
                if r is not None:
                    raise WasmtimeError("host function returned a value for a function "
                                        "without a result")
                return None
            return _valtype(result)._to_wire(r)

        self._linker._h.define_func(self._path, name, adapter)


class Linker:
    """Definitions for components' imports, and instantiation with them."""

    engine: Engine
    locked: bool
    _h: Any

    def __init__(self, engine: Engine) -> None:
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        self.engine = engine
        self.locked = False
        self._h = _ember.ComponentLinkerHandle(engine.ptr())

    def _assert_not_locked(self) -> None:
        if self._h is None:
            raise ValueError("object has been closed already")
        if self.locked:
            raise WasmtimeError("cannot use linker while it's in use by other instances")

    @property
    def allow_shadowing(self) -> bool:
        raise AttributeError("allow_shadowing is write-only")

    @allow_shadowing.setter
    def allow_shadowing(self, allow: bool) -> None:
        self._assert_not_locked()
        self._h.allow_shadowing(bool(allow))

    def root(self) -> LinkerInstance:
        """The root of the definitions; the Linker is locked until it is closed."""
        self._assert_not_locked()
        return LinkerInstance._make(self, [], self)

    def add_wasip2(self) -> None:
        """Defines WASI 0.2 (wasi:io, wasi:cli, wasi:clocks, wasi:random,
        wasi:filesystem; wasi:sockets refuses). Its functions use the calling
        store's WASI context: call ``Store.set_wasi`` before instantiating."""
        self._assert_not_locked()
        self._h.add_wasip2()

    def add_wasi_http(self) -> None:
        """Defines wasi:http/types and wasi:http/outgoing-handler: the guest
        sends requests with HTTP/1.1, https over TLS with the system's
        roots. Add WASI 0.2 (``add_wasip2``) beside it; the functions use
        the calling store's WASI context."""
        self._assert_not_locked()
        self._h.add_wasi_http()

    def define_unknown_imports_as_traps(self, component: Component) -> None:
        """Defines each import of `component` this linker lacks as a function
        that traps when called (and instances and resource types of such)."""
        self._assert_not_locked()
        if not isinstance(component, Component):
            raise TypeError("expected a Component")
        self._h.define_unknown_imports_as_traps(component._h)

    def instantiate(self, store: Any, component: Component) -> Instance:
        """Instantiates `component` in `store` with this linker's definitions."""
        self._assert_not_locked()
        if not isinstance(component, Component):
            raise TypeError("expected a Component")
        return Instance._make(_ember.component_instantiate(store, component._h, self._h),
                              component._h)

    def close(self) -> None:
        self._h = None

    def __enter__(self) -> "Linker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class ComponentExtern:
    """An import or export of a component or instance type."""

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `ComponentExtern`")

    @classmethod
    def _make(cls, item: Tuple[Any, ...]) -> "ComponentExtern":
        e: "ComponentExtern" = cls.__new__(cls)
        e._item = item
        return e

    _item: Tuple[Any, ...]

    @property
    def ty(self) -> "ComponentItem":
        """The item's type: a FuncType, ComponentInstanceType, ComponentType,
        ModuleType, ResourceType or ValType."""
        _, sort, h, imports, exports = self._item
        if sort == "core module":
            return ModuleType._make(imports, exports)
        kind = h.kind()
        if kind == _KIND_FUNC:
            params, result = h.func()
            return FuncType([(n, _valtype(t)) for n, t in params],
                            None if result is None else _valtype(result))
        if kind == _KIND_COMPONENT:
            return ComponentType._make(h.imports(), h.exports())
        if kind == _KIND_INSTANCE:
            return ComponentInstanceType._make(h.exports())
        if kind == _KIND_RESOURCE:
            return ResourceType._make(h.resource_type())
        return _valtype(h)

    @property
    def implements(self) -> Optional[str]:
        return None

    @property
    def external_id(self) -> Optional[str]:
        return None

    def is_implements(self, s: str) -> bool:
        return False

    def close(self) -> None:
        pass


def _externs(items: List[Tuple[Any, ...]]) -> Dict[str, ComponentExtern]:
    return {item[0]: ComponentExtern._make(item) for item in items}


class ComponentType:
    """A component's type: its imports and exports."""

    _imports: List[Tuple[Any, ...]]
    _exports: List[Tuple[Any, ...]]

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `ComponentType`")

    @classmethod
    def _make(cls, imports: List[Tuple[Any, ...]],
              exports: List[Tuple[Any, ...]]) -> "ComponentType":
        t: "ComponentType" = cls.__new__(cls)
        t._imports = imports
        t._exports = exports
        return t

    def imports(self, engine: Engine) -> Dict[str, ComponentExtern]:
        return _externs(self._imports)

    def exports(self, engine: Engine) -> Dict[str, ComponentExtern]:
        return _externs(self._exports)

    def close(self) -> None:
        pass


class ComponentInstanceType:
    """An instance's type: its exports."""

    _exports: List[Tuple[Any, ...]]

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `ComponentInstanceType`")

    @classmethod
    def _make(cls, exports: List[Tuple[Any, ...]]) -> "ComponentInstanceType":
        t: "ComponentInstanceType" = cls.__new__(cls)
        t._exports = exports
        return t

    def exports(self, engine: Engine) -> Dict[str, ComponentExtern]:
        return _externs(self._exports)

    def close(self) -> None:
        pass


class ModuleType:
    """A core module's type as a component sees it."""

    _imports: List[Tuple[Any, ...]]
    _exports: List[Tuple[Any, ...]]

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `ModuleType`")

    @classmethod
    def _make(cls, imports: List[Tuple[Any, ...]],
              exports: List[Tuple[Any, ...]]) -> "ModuleType":
        t: "ModuleType" = cls.__new__(cls)
        t._imports = imports
        t._exports = exports
        return t

    def imports(self, engine: Engine) -> List[ImportType]:
        return [ImportType._create(m, n, t) for m, n, t in self._imports]

    def exports(self, engine: Engine) -> List[ExportType]:
        return [ExportType._create(n, t) for n, t in self._exports]

    def close(self) -> None:
        pass


ComponentItem = Union[ComponentType, ComponentInstanceType, ModuleType, FuncType, ResourceType,
                      ValType]

__all__ = ["Component", "ExportIndex", "Linker", "LinkerInstance", "Instance", "Func",
           "ResourceType", "ResourceAny", "ResourceHost", "ComponentType", "ModuleType",
           "ComponentItem", "ComponentInstanceType", "FuncType", "ValType", "Bool", "U8", "U16",
           "U32", "U64", "S8", "S16", "S32", "S64", "F32", "F64", "Char", "String",
           "ErrorContext", "ListType", "RecordType", "TupleType", "VariantType", "EnumType",
           "OptionType", "ResultType", "FlagsType", "StreamType", "FutureType", "OwnType",
           "BorrowType", "Variant", "Record"]
