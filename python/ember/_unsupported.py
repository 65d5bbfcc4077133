"""Names of wasmtime's API whose features Ember does not have yet:
`SharedMemory` (threads), `Tag`/`TagType` payloads (exceptions) and
`StoreContext` (component model). Their constructors check their arguments
as wasmtime does, then raise WasmtimeError.
"""
from typing import Any

from . import _ember
from ._error import WasmtimeError
from ._managed import Managed
from ._types import MemoryType, TagType


class SharedMemory(Managed):
    """A memory shareable between threads (not supported yet)."""

    def __init__(self, engine: Any, ty: MemoryType) -> None:
        from ._runtime import Engine
        if not isinstance(engine, Engine) or not isinstance(ty, MemoryType):
            raise AttributeError("expected an Engine and a MemoryType")
        if not ty.is_shared:
            raise WasmtimeError("SharedMemory requires a shared MemoryType")
        if not engine._settings.get("shared_memory", False):
            raise WasmtimeError("shared memory is not enabled (Config.shared_memory)")
        raise WasmtimeError("shared memories are not supported yet")


class Tag:
    """An exception tag (exception handling is not supported yet)."""

    def __init__(self, store: Any, ty: TagType) -> None:
        if not isinstance(ty, TagType):
            raise TypeError("expected TagType")
        raise WasmtimeError("exception tags are not supported yet")


class StoreContext:
    """A store view for component-model callbacks (component model not supported)."""

    def __init__(self) -> None:
        raise WasmtimeError("cannot construct directly")
