"""Resource types and the handles the host holds.

`ResourceAny` is any handle a component gave the host (or a host handle
made into one); passing an owned one into wasm moves it, after which the
object is closed. `ResourceHost` is a host resource: its representation and
its type's tag, a value that may be passed any number of times.
"""
from typing import Any

from .. import _ember
from .._error import WasmtimeError


class ResourceType:
    """A resource type: a component's own (one per instantiation) or the
    host's (`ResourceType.host(tag)`: equal tags, equal types)."""

    _h: Any

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `ResourceType`")

    @classmethod
    def _make(cls, h: Any) -> "ResourceType":
        t: "ResourceType" = cls.__new__(cls)
        t._h = h
        return t

    @classmethod
    def host(cls, val: int) -> "ResourceType":
        return cls._make(_ember.ResourceTypeHandle.host(val))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResourceType) and bool(self._h.equals(other._h))

    def __hash__(self) -> int:
        return hash(self._h.host_tag())


class ResourceAny:
    """A resource handle a component gave the host (own or borrow)."""

    _h: Any

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `ResourceAny`")

    @classmethod
    def _make(cls, h: Any) -> "ResourceAny":
        r: "ResourceAny" = cls.__new__(cls)
        r._h = h
        return r

    def _live(self) -> Any:
        if self._h.consumed():
            raise ValueError("already closed")
        return self._h

    @property
    def type(self) -> ResourceType:
        return ResourceType._make(self._live().type())

    @property
    def owned(self) -> bool:
        return bool(self._live().owned())

    def drop(self, store: Any) -> None:
        """Runs the resource's destructor (for an owned handle) and closes it."""
        self._h.drop(store)

    def to_host(self, store: Any) -> "ResourceHost":
        """The host resource this handle is (WasmtimeError for a component's
        resource); this handle is given up."""
        h = self._live()
        t = h.type()
        if not t.is_host():
            raise WasmtimeError("resource is not a host resource")
        h.give_up()
        return ResourceHost._make(_ember.ResourceHandle.host(h.rep(), t.host_tag(), h.owned()))

    def close(self) -> None:
        pass


class ResourceHost:
    """A host resource: a representation and the tag of its type."""

    _h: Any

    def __init__(self) -> None:
        raise WasmtimeError("Cannot directly construct a `ResourceHost`")

    @classmethod
    def _make(cls, h: Any) -> "ResourceHost":
        r: "ResourceHost" = cls.__new__(cls)
        r._h = h
        return r

    @classmethod
    def own(cls, rep: int, ty: int) -> "ResourceHost":
        return cls._make(_ember.ResourceHandle.host(rep, ty, True))

    @classmethod
    def borrow(cls, rep: int, ty: int) -> "ResourceHost":
        return cls._make(_ember.ResourceHandle.host(rep, ty, False))

    @property
    def rep(self) -> int:
        return int(self._h.rep())

    @property
    def type(self) -> int:
        return int(self._h.type().host_tag())

    @property
    def owned(self) -> bool:
        return bool(self._h.owned())

    def to_any(self, store: Any) -> ResourceAny:
        return ResourceAny._make(_ember.ResourceHandle.host(self.rep, self.type, self.owned))

    def close(self) -> None:
        pass
