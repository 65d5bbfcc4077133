"""`Val`: a boxed WebAssembly value.

Calls accept plain Python values, so `Val` is rarely needed; when it is
passed, the extension reads `_code` (the value type's binary code) and `_val`.
Integers are stored wrapped to the signed range of their width; f32 values
are rounded to single precision.
"""
import struct
from typing import Any, Optional

from ._error import WasmtimeError
from ._types import ValType, _EXTERNREF, _F32, _F64, _FUNCREF, _I32, _I64


def _wrap(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class Val:
    """A typed WebAssembly value."""

    __slots__ = ("_code", "_val")

    def __init__(self, code: int, val: Any) -> None:
        self._code = code
        self._val = val

    @classmethod
    def i32(cls, val: int) -> "Val":
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(_I32, _wrap(val, 32))

    @classmethod
    def i64(cls, val: int) -> "Val":
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(_I64, _wrap(val, 64))

    @classmethod
    def f32(cls, val: float) -> "Val":
        if not isinstance(val, float):
            raise TypeError("expected a float")
        return cls(_F32, struct.unpack("<f", struct.pack("<f", val))[0])

    @classmethod
    def f64(cls, val: float) -> "Val":
        if not isinstance(val, float):
            raise TypeError("expected a float")
        return cls(_F64, val)

    @classmethod
    def externref(cls, extern: Optional[Any]) -> "Val":
        return cls(_EXTERNREF, extern)

    @classmethod
    def funcref(cls, f: Optional[Any]) -> "Val":
        from . import Func  # the extension's class
        if f is not None and not isinstance(f, Func):
            raise TypeError("expected a Func or None")
        return cls(_FUNCREF, f)

    @classmethod
    def ref_null(cls, ty: ValType) -> "Val":
        if not isinstance(ty, ValType):
            raise TypeError("expected ValType")
        if ty._code not in (_FUNCREF, _EXTERNREF):
            raise WasmtimeError("Invalid reference type for ref_null: %s" % ty)
        return cls(ty._code, None)

    @property
    def value(self) -> Any:
        return self._val

    @property
    def type(self) -> ValType:
        return ValType._from_code(self._code)

    def _as(self, code: int) -> Any:
        return self._val if self._code == code else None

    def as_i32(self) -> Optional[int]:
        return self._as(_I32)

    def as_i64(self) -> Optional[int]:
        return self._as(_I64)

    def as_f32(self) -> Optional[float]:
        return self._as(_F32)

    def as_f64(self) -> Optional[float]:
        return self._as(_F64)

    def as_externref(self) -> Optional[Any]:
        return self._as(_EXTERNREF)

    def as_funcref(self) -> Optional[Any]:
        return self._as(_FUNCREF)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Val):
            return self._code == other._code and self._val == other._val
        return bool(self._val == other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Val.{ValType._from_code(self._code)}({self._val!r})"
