"""Names of wasmtime's API whose features Ember does not have yet:
`SharedMemory` (threads) and `StoreContext` (component model). Their
constructors check their arguments as wasmtime does, then raise
WasmtimeError.
"""
from typing import Any

from . import _ember
from ._error import WasmtimeError
from ._managed import Managed
from ._types import MemoryType


class SharedMemory(Managed):
    """A memory shareable between threads (not supported yet).

    Args:
        engine: The engine, with `Config.shared_memory` enabled.
        ty: A shared MemoryType.

    Raises:
        AttributeError: If `engine` is not an Engine or `ty` not a
            MemoryType (as wasmtime).
        WasmtimeError: Always otherwise: if `ty` is not shared, shared
            memory is not enabled, or (the rest) because Ember has no
            shared memories yet.
    """

    def __init__(self, engine: Any, ty: MemoryType) -> None:
        from ._runtime import Engine
        if not isinstance(engine, Engine) or not isinstance(ty, MemoryType):
            raise AttributeError("expected an Engine and a MemoryType")
        if not ty.is_shared:
            raise WasmtimeError("SharedMemory requires a shared MemoryType")
        if not engine._settings.get("shared_memory", False):
            raise WasmtimeError("shared memory is not enabled (Config.shared_memory)")
        raise WasmtimeError("shared memories are not supported yet")


class StoreContext:
    """A store view for component-model callbacks (component model not supported).

    Raises:
        WasmtimeError: Always: it is not constructible.
    """

    def __init__(self) -> None:
        raise WasmtimeError("cannot construct directly")
