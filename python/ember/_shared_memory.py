"""`SharedMemory`: a linear memory shared between threads (threads proposal).

A shared memory belongs to an engine, not to a store. Each store whose
instances import it (or whose instance defined it) holds a reference to it,
as does each SharedMemory object, so it lives while any of them does. Its
methods need no store and may be called from any thread; growth by one
thread is seen by all. The memory never moves, so `data_ptr()` and buffer
views stay valid while the memory lives (a view keeps it alive).
"""
from typing import Any

from . import _ember
from ._managed import Managed
from ._types import MemoryType


class SharedMemory(_ember.SharedMemoryBase, Managed):
    """A memory of a shared MemoryType, importable by instances in any store.

    Pass it in an `Instance` import list or to `Linker.define`; an instance
    that exports a shared memory gives a SharedMemory too. It supports the
    buffer protocol: `memoryview(shared)` is a writable view of its bytes at
    their current size.

    Args:
        engine: The engine, with `Config.shared_memory` enabled.
        ty: A shared MemoryType (it has a maximum).

    Raises:
        AttributeError: If `engine` is not an Engine or `ty` not a
            MemoryType (as wasmtime).
        WasmtimeError: If `ty` is not shared, `Config.shared_memory` is off,
            or no address space is left.
        ValueError: If the engine was closed.
    """

    def __init__(self, engine: Any, ty: MemoryType) -> None:
        from ._runtime import Engine
        if not isinstance(engine, Engine) or not isinstance(ty, MemoryType):
            raise AttributeError("expected an Engine and a MemoryType")
        super().__init__(engine.ptr(), ty)
        self._h = self

    def _release(self) -> None:
        self._drop()
        object.__setattr__(self, "_h", None)

    def type(self) -> MemoryType:
        """Returns the memory's type, with its current size as the minimum.

        Raises:
            ValueError: If the object was closed.
        """
        return super().type()

    def size(self) -> int:
        """Returns the size in pages.

        Raises:
            ValueError: If the object was closed.
        """
        return super().size()

    def data_len(self) -> int:
        """Returns the size in bytes.

        Raises:
            ValueError: If the object was closed.
        """
        return super().data_len()

    def grow(self, delta: int) -> int:
        """Grows the memory by `delta` pages, for every thread that uses it.

        Args:
            delta: Pages to add (0 is allowed).

        Returns:
            The previous size in pages.

        Raises:
            TypeError: If `delta` is not an int.
            WasmtimeError: If `delta` is negative or the memory would pass
                its maximum.
            ValueError: If the object was closed.
        """
        return super().grow(delta)

    def data_ptr(self) -> Any:
        """Returns a ctypes pointer to the first byte (`POINTER(c_ubyte)`).

        The memory never moves: the pointer stays valid while the memory
        lives, which this object guarantees until it is closed.

        Raises:
            ValueError: If the object was closed.
        """
        return super().data_ptr()

    def __eq__(self, other: object) -> bool:
        """Whether both objects are the same shared memory."""
        return bool(self._same(other))

    def __hash__(self) -> int:
        """Hashes by the memory's address."""
        return hash(self._key())
