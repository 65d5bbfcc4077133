"""Lifetime protocol shared by the objects that own native state.

`close()` frees the native side (idempotent); afterwards every method raises
`ValueError`. `with obj:` closes on exit. Subclasses keep their native handle
in `_h` (None once closed) and override `_release` when freeing needs more than
dropping the reference.
"""
from typing import Any


class Managed:
    """Base class of every type that owns native state (not star-exported).

    A managed object can be freed early with `close()` or by using it as a
    context manager (`with Engine() as engine: ...`); any later use raises
    ValueError. Otherwise it is freed when it is garbage-collected.
    """

    __slots__ = ()
    _h: Any

    def _release(self) -> None:
        """Frees the native side; the default drops the handle."""
        object.__setattr__(self, "_h", None)

    def ptr(self) -> Any:
        """Returns the native handle behind this object.

        Returns:
            The extension's handle (its type depends on the subclass).

        Raises:
            ValueError: If the object was closed, consumed, or never
                initialized.
        """
        h = getattr(self, "_h", Managed)
        if h is Managed:
            raise ValueError("never initialized")
        if h is None:
            raise ValueError("already closed")
        return h

    def _consume(self) -> Any:
        h = self.ptr()
        object.__setattr__(self, "_h", None)
        return h

    def close(self) -> None:
        """Frees the native state now; later use raises ValueError.

        Closing twice does nothing.
        """
        if getattr(self, "_h", None) is not None:
            self._release()

    def __enter__(self) -> Any:
        """Returns the object itself, to be closed when the block ends."""
        return self

    def __exit__(self, *exc: Any) -> None:
        """Closes the object (exceptions of the block propagate)."""
        self.close()
