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
from . import _pickle
from ._config import Config
from ._error import WasmtimeError
from ._managed import Managed
from ._types import ExportType, ImportType


def wat2wasm(wat: Union[str, bytes]) -> bytearray:
    """Translates WebAssembly text to the binary format.

    Args:
        wat: The module in the text format (str, or UTF-8 bytes).

    Returns:
        The binary module.

    Raises:
        TypeError: If `wat` is neither str nor bytes.
        WasmtimeError: If the text does not parse; the message names the
            line and column.

    >>> wat2wasm('(module)')
    bytearray(b'\\x00asm\\x01\\x00\\x00\\x00')
    """
    if not isinstance(wat, (str, bytes)):
        raise TypeError("expected a str or bytes")
    return bytearray(_ember.wat2wasm(wat))


class Engine(Managed):
    """Compilation settings and caches shared by stores and modules.

    An engine is thread-safe: modules compiled with it and stores made from
    it may be used from any thread (each Store by one thread at a time).

    Args:
        config: The settings; consumed (later use of it raises ValueError).
            None gives the defaults.

    Raises:
        TypeError: If `config` is not a Config.
        ValueError: If `config` was already consumed or closed.
    """

    def __init__(self, config: Optional[Config] = None) -> None:
        log: _pickle.Settings = []
        if config is None:
            settings: Dict[str, Any] = {}
        elif not isinstance(config, Config):
            raise TypeError("expected Config")
        else:
            log = config._log
            settings = config._consume()
        self._h = _ember.EngineHandle(settings)
        self._settings = settings
        self._config_log: _pickle.Settings = _pickle.portable_settings(log)

    def __reduce__(self) -> Tuple[Any, ...]:
        """Pickles as the Config settings; unpickles as a new Engine."""
        self.ptr()
        return (_pickle.restore_engine, (self._config_log,))

    def increment_epoch(self) -> None:
        """Advances the epoch counter by one; safe from any thread.

        Stores of this engine whose epoch deadline is then reached trap with
        `TrapCode.INTERRUPT` (with `Config.epoch_interruption` on).

        Raises:
            ValueError: If the engine was closed.
        """
        self.ptr().increment_epoch()

    def is_pulley(self) -> bool:
        """Tells whether the engine runs wasmtime's Pulley interpreter.

        Returns:
            False: Ember runs its own register-IR interpreter.

        Raises:
            ValueError: If the engine was closed.
        """
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
    """A compiled module: immutable, shareable between stores and threads.

    Compiling bytes that the engine compiled already, while that module is
    alive, hands out the same compiled module (Ember's own): no second
    compile, and the code tiering gave it so far is kept. Instances and
    stores are never shared (docs/decisions.md, decision 62).

    Args:
        engine: The engine to compile with; the module can be instantiated
            in stores of this engine (or of one configured alike).
        wasm: The module. A str is the text format (unless it starts with
            NUL); bytes are text unless the first byte is 0; a bytearray
            is always binary (wasmtime's rules).
        validate: Whether to validate (False only for trusted input).

    Raises:
        TypeError: If `engine` is not an Engine or `wasm` has another type.
        WasmtimeError: If the module does not parse or is invalid.
        ValueError: If `engine` was closed.
    """

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
        """Compiles the module in a file (binary or text, as `Module(...)`).

        Args:
            engine: The engine to compile with.
            path: The file's path.
            validate: Whether to validate.

        Returns:
            The compiled module.

        Raises:
            OSError: If the file cannot be read.
            TypeError: If `engine` is not an Engine.
            WasmtimeError: If the module does not parse or is invalid.
        """
        with open(path, "rb") as f:
            contents = f.read()
        return cls(engine, contents, validate)

    @classmethod
    def validate(cls, engine: Engine, wasm: Union[bytes, bytearray]) -> None:
        """Validates a binary module without keeping it.

        Args:
            engine: The engine whose settings (enabled proposals) apply.
            wasm: The binary module (no text).

        Raises:
            TypeError: If `wasm` is not bytes or bytearray.
            AttributeError: If `engine` is not an Engine (as wasmtime).
            WasmtimeError: If the module is malformed or invalid.
        """
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
        """Loads the output of `serialize()` without compiling again.

        Only for trusted input: the blob is checked for damage and for the
        Ember build and engine configuration it was made with, not proven
        safe to run.

        Args:
            engine: An engine whose configuration matches the one the blob
                was made with.
            encoded: The bytes `serialize()` returned.

        Returns:
            The module.

        Raises:
            TypeError: If `encoded` is not bytes or bytearray, or `engine`
                not an Engine.
            WasmtimeError: If the blob is damaged or was made by another
                build or configuration (the message names which).
        """
        if not isinstance(encoded, (bytes, bytearray)):
            raise TypeError("expected bytes")
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        return cls._from_handle(engine, _ember.deserialize(engine.ptr(), encoded))

    @classmethod
    def deserialize_file(cls, engine: Engine, path: Union[str, "os.PathLike[str]"]) -> "Module":
        """Loads a serialized module from a file (e.g. from `ember compile`).

        Args:
            engine: An engine whose configuration matches the blob's.
            path: The file's path.

        Returns:
            The module.

        Raises:
            TypeError: If `engine` is not an Engine or `path` not a str or
                os.PathLike.
            WasmtimeError: If the file cannot be read, or as `deserialize`.
        """
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError("expected a str")
        return cls._from_handle(engine, _ember.deserialize_file(engine.ptr(), os.fsdecode(path)))

    @property
    def engine(self) -> Engine:
        """The Engine the module was compiled with (an Ember extension, as
        `Store.engine`): a store for it, e.g. in a worker process that
        unpickled the module, is `Store(module.engine)`."""
        return self._engine

    def __reduce__(self) -> Tuple[Any, ...]:
        """Pickles as engine, serialized form and binary (ember/_pickle.py)."""
        h = self.ptr()
        binary = h.binary()
        return (_pickle.restore_module,
                (self._engine, bytes(_ember.serialize(h)), binary if binary else None))

    def serialize(self) -> bytearray:
        """Returns the module's translated code and data, for `deserialize`.

        The format is Ember's own (docs/serialization.md), not wasmtime's.

        Returns:
            The serialized module.

        Raises:
            ValueError: If the module was closed.
        """
        return bytearray(_ember.serialize(self.ptr()))

    @property
    def imports(self) -> List[ImportType]:
        """The module's imports, in declaration order."""
        return [ImportType._create(m, n, t) for (m, n, t) in self.ptr().imports()]

    @property
    def exports(self) -> List[ExportType]:
        """The module's exports, in declaration order."""
        return [ExportType._create(n, t) for (n, t) in self.ptr().exports()]

    @property
    def name(self) -> Optional[str]:
        """The module name from the name section, if any."""
        name: Optional[str] = self.ptr().name()
        return name

    def custom_sections(self, name: str) -> List[bytes]:
        """Returns the contents of every custom section called `name`.

        Args:
            name: The section name.

        Returns:
            Their contents, in module order (empty if there is none).

        Raises:
            TypeError: If `name` is not a str.
        """
        if not isinstance(name, str):
            raise TypeError("expected a str")
        sections: List[bytes] = self.ptr().custom_sections(name)
        return sections

    @property
    def compiled_functions(self) -> int:
        """Ember's own: how many of the module's defined functions run compiled code now.

        With `Config.strategy` "cranelift" that is every function the compiled
        tier lowers; with "auto" (tiering) those that got hot so far, which
        grows while the program runs; 0 with "interpreter" or in a build
        without the compiled tier.
        """
        n: int = self.ptr().compiled_functions()
        return n


class InstanceExports(Mapping[str, Any]):
    """The exports of an instance: a read-only Mapping from name to extern.

    Iterating gives the names; `exports["f"]` raises KeyError for a missing
    name. `by_index` gives the items in export order.

    Args:
        items: The (name, extern) pairs in export order.
    """

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
        """The exported items in export order (a tuple)."""
        return tuple(item for _, item in self._items)


class Instance:
    """An instantiated module inside a store.

    Instantiating runs the module's start function, if any.

    Args:
        store: The Store (or a Caller) to instantiate in.
        module: A module of the store's engine.
        imports: One extern (Func, Memory, Table, Global or Tag of `store`) per
            import of the module, in import order.

    Raises:
        AttributeError: If `module` is not a Module (as wasmtime).
        TypeError: If an import is not an extern.
        WasmtimeError: If the imports do not match the module's, the store's
            engine is configured differently from the module's, or a store
            limit is exceeded.
        Trap: If the start function traps.
        ValueError: If the store was closed.
    """

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
        """Returns the instance's exports (made once, then cached).

        Args:
            store: The instance's Store (or a Caller of it).

        Returns:
            The exports by name.

        Raises:
            WasmtimeError: If `store` is not the instance's store.
            ValueError: If the store was closed.
        """
        if self._exports is None:
            self._exports = InstanceExports(self._h.exports(store))
        else:
            self._h.check(store)
        return self._exports
