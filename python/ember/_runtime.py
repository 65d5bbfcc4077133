"""Engine, Module, Instance and InstanceExports, plus `wat2wasm`.

These wrap handles of the extension (`_ember.EngineHandle`,
`_ember.ModuleHandle`, `_ember.InstanceHandle`); none of them is on the call
path, so they are plain Python. Store, Func, Memory, Table, Global and Caller
are the extension's own classes.
"""
import os
from collections.abc import Mapping
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import _ember
from ._config import Config
from ._error import WasmtimeError
from ._managed import Managed
from ._types import ExportType, ImportType


def wat2wasm(wat: Union[str, bytes]) -> bytearray:
    """Translate WebAssembly text to the binary format.

    >>> wat2wasm('(module)')
    bytearray(b'\\x00asm\\x01\\x00\\x00\\x00')
    """
    if not isinstance(wat, (str, bytes)):
        raise TypeError("expected a str or bytes")
    return bytearray(_ember.wat2wasm(wat))


class Engine(Managed):
    """Compilation settings and caches shared by stores and modules."""

    def __init__(self, config: Optional[Config] = None) -> None:
        if config is None:
            settings: dict = {}
        elif not isinstance(config, Config):
            raise TypeError("expected Config")
        else:
            settings = config._consume()
        self._h = _ember.EngineHandle(settings)
        self._settings = settings

    def increment_epoch(self) -> None:
        """Advance the epoch counter (thread-safe)."""
        self.ptr().increment_epoch()

    def is_pulley(self) -> bool:
        """False: Ember runs its own register-IR interpreter, never wasmtime's
        Pulley bytecode (docs/decisions.md)."""
        self.ptr()
        return False


def _binary_or_text(wasm: Any) -> bytes:
    """wasmtime's rules: str is text unless it starts with NUL; bytes are text
    unless the first byte is 0; bytearray (and other buffers) are binary."""
    if isinstance(wasm, str):
        if not wasm:
            raise TypeError("expected wasm bytes")  # as wasmtime: "" is neither text nor binary
        if wasm.startswith("\0"):
            return wasm.encode("latin-1")
        return _ember.wat2wasm(wasm)
    if isinstance(wasm, bytes):
        if len(wasm) > 0 and wasm[0] != 0:
            return _ember.wat2wasm(wasm)
        return wasm
    if isinstance(wasm, (bytearray, memoryview)):
        return bytes(wasm)
    raise TypeError("expected wasm bytes")


class Module(Managed):
    """A compiled module: immutable, shareable between stores and threads."""

    def __init__(self, engine: Engine, wasm: Union[str, bytes, bytearray],
                 validate: bool = True) -> None:
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        binary = _binary_or_text(wasm)
        self._h = _ember.compile(engine.ptr(), binary, bool(validate))
        self._engine = engine

    @classmethod
    def from_file(cls, engine: Engine, path: Union[str, bytes, "os.PathLike[str]"],
                  validate: bool = True) -> "Module":
        with open(path, "rb") as f:
            contents = f.read()
        return cls(engine, contents, validate)

    @classmethod
    def validate(cls, engine: Engine, wasm: Union[bytes, bytearray]) -> None:
        """Validate a binary module without keeping it; raises WasmtimeError."""
        if not isinstance(wasm, (bytes, bytearray)):
            raise TypeError("expected wasm bytes")
        _ember.validate(engine.ptr(), wasm)

    @classmethod
    def _from_handle(cls, engine: Engine, handle: Any) -> "Module":
        m = cls.__new__(cls)
        m._h = handle
        m._engine = engine
        return m

    @classmethod
    def deserialize(cls, engine: Engine, encoded: Union[bytes, bytearray]) -> "Module":
        """Load the output of `serialize()` without compiling again.

        Only for trusted input: the blob is checked for damage and for the
        Ember version and engine configuration it was made with (WasmtimeError
        naming the reason otherwise), not proven safe to run."""
        if not isinstance(encoded, (bytes, bytearray)):
            raise TypeError("expected bytes")
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        return cls._from_handle(engine, _ember.deserialize(engine.ptr(), encoded))

    @classmethod
    def deserialize_file(cls, engine: Engine, path: Union[str, "os.PathLike[str]"]) -> "Module":
        """`deserialize` of a file's contents (e.g. from `ember compile`)."""
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError("expected a str")
        return cls._from_handle(engine, _ember.deserialize_file(engine.ptr(), os.fsdecode(path)))

    def serialize(self) -> bytearray:
        """This module's translated code and data as bytes (Ember's format,
        docs/serialization.md), for `Module.deserialize`."""
        return bytearray(_ember.serialize(self.ptr()))

    @property
    def imports(self) -> List[ImportType]:
        return [ImportType._create(m, n, t) for (m, n, t) in self.ptr().imports()]

    @property
    def exports(self) -> List[ExportType]:
        return [ExportType._create(n, t) for (n, t) in self.ptr().exports()]

    @property
    def name(self) -> Optional[str]:
        """The module name from the name section, if any."""
        return self.ptr().name()

    def custom_sections(self, name: str) -> List[bytes]:
        """Contents of every custom section called `name`, in order."""
        if not isinstance(name, str):
            raise TypeError("expected a str")
        return self.ptr().custom_sections(name)


class InstanceExports(Mapping):
    """Exports of an instance by name (a Mapping), and `by_index`."""

    def __init__(self, items: List[Tuple[str, Any]]) -> None:
        self._items = items
        self._by_name: Dict[str, Any] = {}
        for name, item in items:
            self._by_name.setdefault(name, item)

    def __getitem__(self, name: str) -> Any:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def by_index(self) -> Sequence[Any]:
        return tuple(item for _, item in self._items)


class Instance:
    """An instantiated module inside a store."""

    def __init__(self, store: Any, module: Module, imports: Sequence[Any]) -> None:
        if not isinstance(module, Module):
            raise AttributeError("expected a Module")
        self._h = _ember.instantiate(store, module.ptr(), list(imports))
        self._module = module
        self._exports: Optional[InstanceExports] = None

    @classmethod
    def _from_handle(cls, h: Any, module: Module) -> "Instance":
        inst = cls.__new__(cls)
        inst._h = h
        inst._module = module
        inst._exports = None
        return inst

    def exports(self, store: Any) -> InstanceExports:
        """The exports, in declaration order (cached after the first call)."""
        if self._exports is None:
            self._exports = InstanceExports(self._h.exports(store))
        else:
            self._h.check(store)
        return self._exports
