"""Component value types and the mapping of their values to Python.

Each type converts a Python value to the extension's wire form
(python/src/component.cc says what it is) and back, with the `wasmtime`
package's rules: bool is strict, integers wrap, floats must be `float`,
`char` is a one-character `str`, `list<u8>` is `bytes`, a record is any
object with the field attributes (a `Record` comes back), a tuple is a
`tuple` of the right length, an enum is its case name, flags are a `set` of
names, an option is `None` or its value, and a variant or result is its bare
payload when the Python classes of its cases do not overlap, else
`Variant(tag, payload)`.
"""
from abc import abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import Any, List, Optional, Set, Tuple, Type

from .._error import WasmtimeError
from ._resources import ResourceAny, ResourceHost, ResourceType


class ValType:
    """A component value type."""

    # True when the extension takes and gives this type's Python values
    # themselves (checked there with the same rules and messages), so that
    # a call whose types all are skips the conversion here.
    _direct = False

    def add_classes(self, s: Set[type]) -> None:
        """Adds the Python classes that values of this type come back as."""
        raise NotImplementedError

    def _to_wire(self, val: Any) -> Any:
        raise NotImplementedError

    def _from_wire(self, w: Any) -> Any:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class Bool(ValType):
    _direct = True

    def add_classes(self, s: Set[type]) -> None:
        s.add(bool)

    def _to_wire(self, val: Any) -> Any:
        if not isinstance(val, bool):
            raise TypeError("expected bool for Bool type")
        return val

    def _from_wire(self, w: Any) -> Any:
        return bool(w)


class _Int(ValType):
    _direct = True

    def add_classes(self, s: Set[type]) -> None:
        s.add(int)

    def _to_wire(self, val: Any) -> Any:
        if not isinstance(val, int):
            raise TypeError(f"expected int for {type(self).__name__} type")
        return val

    def _from_wire(self, w: Any) -> Any:
        return w


class S8(_Int):
    pass


class S16(_Int):
    pass


class S32(_Int):
    pass


class S64(_Int):
    pass


class U8(_Int):
    pass


class U16(_Int):
    pass


class U32(_Int):
    pass


class U64(_Int):
    pass


class _Float(ValType):
    _direct = True

    def add_classes(self, s: Set[type]) -> None:
        s.add(float)

    def _to_wire(self, val: Any) -> Any:
        if not isinstance(val, float):
            raise TypeError(f"expected float for {type(self).__name__} type")
        return val

    def _from_wire(self, w: Any) -> Any:
        return w


class F32(_Float):
    pass


class F64(_Float):
    pass


class Char(ValType):
    _direct = True

    def add_classes(self, s: Set[type]) -> None:
        s.add(str)

    def _to_wire(self, val: Any) -> Any:
        if not isinstance(val, str) or len(val) != 1:
            raise TypeError("expected single-character string for Char type")
        return val

    def _from_wire(self, w: Any) -> Any:
        return w


class String(ValType):
    _direct = True

    def add_classes(self, s: Set[type]) -> None:
        s.add(str)

    def _to_wire(self, val: Any) -> Any:
        if not isinstance(val, str):
            raise TypeError("expected string type")
        return val

    def _from_wire(self, w: Any) -> Any:
        return w


class ErrorContext(ValType):
    def add_classes(self, s: Set[type]) -> None:
        raise NotImplementedError("ErrorContext conversion not implemented yet")

    def _to_wire(self, val: Any) -> Any:
        raise NotImplementedError("ErrorContext conversion not implemented yet")

    def _from_wire(self, w: Any) -> Any:
        raise NotImplementedError("ErrorContext conversion not implemented yet")


class _Composite(ValType):
    """A type with parts: reflected from the extension's type handle (its
    parts are read once: types do not change)."""

    def __init__(self, h: Any) -> None:
        self._h = h

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Composite) and type(self) is type(other) and self._h == other._h

    def __hash__(self) -> int:
        return hash(self._h)


class ListType(_Composite):
    @cached_property
    def element(self) -> ValType:
        return _valtype(self._h.children()[0])

    @cached_property
    def _bytes(self) -> bool:
        return isinstance(self.element, U8)

    def _is_bytes(self) -> bool:
        return self._bytes

    @property
    def _direct(self) -> bool:  # type: ignore[override]
        return self._bytes

    def add_classes(self, s: Set[type]) -> None:
        s.add(bytes if self._is_bytes() else list)

    def _to_wire(self, val: Any) -> Any:
        if self._is_bytes():
            if not isinstance(val, bytes):
                raise TypeError("expected bytes value")
            return val
        if not isinstance(val, list):
            raise TypeError("expected list value")
        e = self.element
        return [e._to_wire(x) for x in val]

    def _from_wire(self, w: Any) -> Any:
        if self._is_bytes():
            return w
        e = self.element
        return [e._from_wire(x) for x in w]


class Record:
    """A record value: its fields are attributes."""

    def __eq__(self, other: Any) -> bool:
        for key, value in self.__dict__.items():
            if not hasattr(other, key) or getattr(other, key) != value:
                return False
        return True

    def __repr__(self) -> str:
        return "Record(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


class RecordType(_Composite):
    @cached_property
    def fields(self) -> List[Tuple[str, ValType]]:
        return [(n, _valtype(t)) for n, t in zip(self._h.names(), self._h.children())]

    def add_classes(self, s: Set[type]) -> None:
        s.add(Record)

    def _to_wire(self, val: Any) -> Any:
        return tuple(t._to_wire(getattr(val, n)) for n, t in self.fields)

    def _from_wire(self, w: Any) -> Any:
        r = Record()
        for (n, t), x in zip(self.fields, w):
            setattr(r, n, t._from_wire(x))
        return r


class TupleType(_Composite):
    @cached_property
    def elements(self) -> List[ValType]:
        return [_valtype(t) for t in self._h.children()]

    def add_classes(self, s: Set[type]) -> None:
        s.add(tuple)

    def _to_wire(self, val: Any) -> Any:
        elements = self.elements
        if not isinstance(val, tuple):
            raise TypeError("expected tuple type")
        if len(val) != len(elements):
            raise TypeError("tuple length mismatch")
        return tuple(t._to_wire(x) for t, x in zip(elements, val))

    def _from_wire(self, w: Any) -> Any:
        return tuple(t._from_wire(x) for t, x in zip(self.elements, w))


@dataclass
class Variant:
    """A variant or result value whose case the payload alone does not tell."""
    tag: str
    payload: Optional[Any] = None


class VariantLikeType(_Composite):
    """Variants, options and results: cases, each with an optional payload."""

    @abstractmethod
    def _cases(self) -> List[Tuple[str, Optional[ValType]]]:
        pass

    @staticmethod
    def _case_classes(ty: Optional[ValType]) -> Set[type]:
        s: Set[type] = set()
        if ty is None:
            s.add(object)
        else:
            ty.add_classes(s)
        return s

    def _tagged(self) -> bool:
        seen: Set[type] = set()
        for _, ty in self._cases():
            case = self._case_classes(ty)
            if case & seen:
                return True
            seen |= case
        return False

    def add_classes(self, s: Set[type]) -> None:
        if self._tagged():
            s.add(Variant)
            return
        for _, ty in self._cases():
            s |= self._case_classes(ty)

    def _to_wire(self, val: Any) -> Any:
        tagged = self._tagged()
        if tagged and not isinstance(val, Variant):
            raise TypeError("expected Variant type")
        for i, (name, ty) in enumerate(self._cases()):
            if tagged:
                if name != val.tag:
                    continue
                payload = val.payload
            elif ty is None:
                if val is not None:
                    continue
                payload = None
            else:
                if not isinstance(val, tuple(self._case_classes(ty))):
                    continue
                payload = val
            return (i, None if ty is None else ty._to_wire(payload))
        raise ValueError("value not valid for this variant")

    def _from_wire(self, w: Any) -> Any:
        i, payload = w
        name, ty = self._cases()[i]
        value = None if ty is None else ty._from_wire(payload)
        if self._tagged():
            return Variant(name, value)
        return value


class VariantType(VariantLikeType):
    @cached_property
    def cases(self) -> List[Tuple[str, Optional[ValType]]]:
        return [(n, None if t is None else _valtype(t))
                for n, t in zip(self._h.names(), self._h.children())]

    def _cases(self) -> List[Tuple[str, Optional[ValType]]]:
        return self.cases


class OptionType(VariantLikeType):
    @cached_property
    def payload(self) -> ValType:
        return _valtype(self._h.children()[0])

    def _cases(self) -> List[Tuple[str, Optional[ValType]]]:
        return [("none", None), ("some", self.payload)]


class ResultType(VariantLikeType):
    @cached_property
    def ok(self) -> Optional[ValType]:
        t = self._h.ok()
        return None if t is None else _valtype(t)

    @cached_property
    def err(self) -> Optional[ValType]:
        t = self._h.err()
        return None if t is None else _valtype(t)

    def _cases(self) -> List[Tuple[str, Optional[ValType]]]:
        return [("ok", self.ok), ("err", self.err)]


class EnumType(_Composite):
    @property
    def names(self) -> List[str]:
        return list(self._h.names())

    @property
    def names_count(self) -> int:
        return len(self._h.names())

    def name(self, n: int) -> Optional[str]:
        names = self._h.names()
        return names[n] if 0 <= n < len(names) else None

    def add_classes(self, s: Set[type]) -> None:
        s.add(str)

    def _to_wire(self, val: Any) -> Any:
        if not isinstance(val, str):
            raise TypeError("expected str type")
        names = self._h.names()
        if val not in names:
            raise WasmtimeError(f"enum variant name `{val}` is not valid")
        return names.index(val)

    def _from_wire(self, w: Any) -> Any:
        return self._h.names()[w]


class FlagsType(_Composite):
    @property
    def names(self) -> List[str]:
        return list(self._h.names())

    def add_classes(self, s: Set[type]) -> None:
        s.add(set)

    def _to_wire(self, val: Any) -> Any:
        if not isinstance(val, set):
            raise TypeError("expected set type for Flags type")
        names = self._h.names()
        bits = 0
        for s in val:
            if not isinstance(s, str):
                raise TypeError("expected set of strings for Flags type")
            if s not in names:
                raise WasmtimeError(f"flag name `{s}` is not valid")
            bits |= 1 << names.index(s)
        return bits

    def _from_wire(self, w: Any) -> Any:
        return {n for i, n in enumerate(self._h.names()) if w >> i & 1}


class _Unsupported(_Composite):
    def add_classes(self, s: Set[type]) -> None:
        raise NotImplementedError(f"{type(self).__name__} values are not supported yet")

    def _to_wire(self, val: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} values are not supported yet")

    def _from_wire(self, w: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} values are not supported yet")


class _Handle(_Composite):
    """own<R> and borrow<R>: ResourceAny or ResourceHost in, ResourceAny out."""

    def add_classes(self, s: Set[type]) -> None:
        s.add(ResourceAny)
        s.add(ResourceHost)

    def _to_wire(self, val: Any) -> Any:
        if isinstance(val, ResourceAny):
            return val._live()
        if isinstance(val, ResourceHost):
            return val._h
        raise TypeError(f"expected ResourceAny or ResourceHost for {self._kind} type")

    def _from_wire(self, w: Any) -> Any:
        return ResourceAny._make(w)

    @cached_property
    def ty(self) -> ResourceType:
        """The resource type (equal for every own and borrow of it)."""
        return ResourceType._make(self._h.resource_type())

    _kind = ""


class OwnType(_Handle):
    _kind = "Own"


class BorrowType(_Handle):
    _kind = "Borrow"


class StreamType(_Unsupported):
    pass


class FutureType(_Unsupported):
    pass


# The extension's TypeKind values, in include/ember/component.hh's order.
_PRIMS: List[Type[ValType]] = [Bool, S8, U8, S16, U16, S32, U32, S64, U64, F32, F64, Char,
                               String, ErrorContext]
_COMPOSITES: List[Type[_Composite]] = [ListType, RecordType, TupleType, VariantType, EnumType,
                                       OptionType, ResultType, FlagsType, OwnType, BorrowType,
                                       StreamType]


def _valtype(h: Any) -> ValType:
    kind: int = h.kind()
    if kind < len(_PRIMS):
        return _PRIMS[kind]()
    kind -= len(_PRIMS)
    cls = _COMPOSITES[min(kind, len(_COMPOSITES) - 1)]
    return cls(h)


# TypeKind values of what is not a value type (after Other).
_KIND_FUNC, _KIND_COMPONENT, _KIND_INSTANCE, _KIND_RESOURCE = range(
    len(_PRIMS) + len(_COMPOSITES), len(_PRIMS) + len(_COMPOSITES) + 4)


class FuncType:
    """A component function's type."""

    def __init__(self, params: List[Tuple[str, ValType]], result: Optional[ValType]) -> None:
        self._params = params
        self._result = result

    @property
    def params(self) -> List[Tuple[str, ValType]]:
        return list(self._params)

    @property
    def result(self) -> Optional[ValType]:
        return self._result


def _functype(h: Any) -> FuncType:
    params, result = h.type()
    return FuncType([(n, _valtype(t)) for n, t in params],
                    None if result is None else _valtype(result))


__all__ = ["ValType", "Bool", "S8", "S16", "S32", "S64", "U8", "U16", "U32", "U64", "F32",
           "F64", "Char", "String", "ErrorContext", "ListType", "Record", "RecordType",
           "TupleType", "Variant", "VariantLikeType", "VariantType", "OptionType",
           "ResultType", "EnumType", "FlagsType", "OwnType", "BorrowType", "StreamType",
           "FutureType", "FuncType"]
