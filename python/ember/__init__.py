"""Ember: a WebAssembly runtime with the API of the `wasmtime` package.

`import ember as wasmtime` runs code written for wasmtime-py. The engine is
Ember's own (C++, in the `_ember` extension); this package adds the thin
Python layer: exceptions, type descriptions, `Config`, module/instance
wrappers and the Linker. Calls into wasm go straight to the extension.
"""
import atexit
import ctypes
from typing import Any, Union

from ._managed import Managed as Managed  # importable, as in wasmtime; not in __all__
from ._error import ExitTrap, Frame, Trap, TrapCode, WasmtimeError
from ._config import Config
from ._types import (ExportType, FuncType, GlobalType, ImportType, Limits, MemoryType,
                     TableType, TagType, ValType)
from ._value import Val
from . import _ember
from ._runtime import Engine, Instance, InstanceExports, Module, wat2wasm
from ._wasi import DirPerms, FilePerms, WasiConfig
from ._shared_memory import SharedMemory
from ._unsupported import StoreContext

# The compile thread of tiering stops before the interpreter (and then
# LLVM's static objects) go away; a batch still compiling then is abandoned
# when the process exits, instead of delaying the exit.
atexit.register(_ember._stop_background_compilation, False)

Store = _ember.Store
Func = _ember.Func
Caller = _ember.Caller
Memory = _ember.Memory
Table = _ember.Table
Global = _ember.Global
Tag = _ember.Tag
AnyRef = _ember.AnyRef  # Ember's: GC values held from Python (not in the package)

from ._linker import InstancePre, Linker  # noqa: E402  (needs the classes above)
from . import aio  # noqa: E402  (Ember's asyncio support)


def _ubyte_ptr(address: int) -> Any:
    return ctypes.cast(address, ctypes.POINTER(ctypes.c_ubyte))


def _ubyte_array(address: int, size: int) -> Any:
    return (ctypes.c_ubyte * size).from_address(address)


_ember._init({
    "WasmtimeError": WasmtimeError, "Trap": Trap, "ExitTrap": ExitTrap,
    "ValType": ValType, "FuncType": FuncType, "GlobalType": GlobalType,
    "TableType": TableType, "MemoryType": MemoryType, "TagType": TagType, "Limits": Limits,
    "Val": Val, "Engine": Engine, "Module": Module, "WasiConfig": WasiConfig,
    "_ubyte_ptr": _ubyte_ptr, "_ubyte_array": _ubyte_array,
})


Storelike = Union[Store, Caller, StoreContext]
AsExtern = Union[Func, Table, Memory, SharedMemory, Global, Tag]

__all__ = [
    "wat2wasm", "Config", "Engine", "Store", "FuncType", "GlobalType", "MemoryType",
    "TableType", "ValType", "Limits", "ImportType", "ExportType", "Val", "Func", "Caller",
    "Table", "Memory", "SharedMemory", "Global", "Trap", "TrapCode", "ExitTrap", "Frame",
    "Module", "Instance", "WasiConfig", "FilePerms", "DirPerms", "Linker", "WasmtimeError",
    "StoreContext", "TagType", "Tag", "InstancePre",
]
