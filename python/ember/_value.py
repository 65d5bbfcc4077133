"""`Val`: a boxed WebAssembly value.

Calls accept plain Python values, so `Val` is rarely needed; when it is
passed, the extension reads `_code` (the value type's binary code) and `_val`.
Integers are stored wrapped to the signed range of their width; f32 values
are rounded to single precision.
"""
import struct
from typing import TYPE_CHECKING, Any, Optional, cast

from ._error import WasmtimeError
from ._types import ValType, _EXTERNREF, _F32, _F64, _FUNCREF, _I32, _I64

if TYPE_CHECKING:
    from ._ember import Func


def _wrap(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class Val:
    """A typed WebAssembly value.

    Calls, globals and tables accept plain Python values, so a Val is needed
    only to choose a type explicitly (an i64 argument where an int would do,
    a typed null reference). Build one with the class methods (`Val.i32(1)`).
    A Val equals another Val of the same type and value, and compares its
    value with anything else (a null reference's Val equals None).

    Args:
        code: The value type's binary code (0x7F for i32, ...).
        val: The Python value, already in the type's range.
    """

    __slots__ = ("_code", "_val")

    def __init__(self, code: int, val: Any) -> None:
        self._code = code
        self._val = val

    @classmethod
    def i32(cls, val: int) -> "Val":
        """Makes an i32 value.

        Args:
            val: Any int; it is wrapped to the signed 32-bit range.

        Returns:
            The value.

        Raises:
            TypeError: If `val` is not an int.
        """
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(_I32, _wrap(val, 32))

    @classmethod
    def i64(cls, val: int) -> "Val":
        """Makes an i64 value.

        Args:
            val: Any int; it is wrapped to the signed 64-bit range.

        Returns:
            The value.

        Raises:
            TypeError: If `val` is not an int.
        """
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(_I64, _wrap(val, 64))

    @classmethod
    def f32(cls, val: float) -> "Val":
        """Makes an f32 value.

        Args:
            val: A float; it is rounded to single precision.

        Returns:
            The value.

        Raises:
            TypeError: If `val` is not a float (an int is refused too).
        """
        if not isinstance(val, float):
            raise TypeError("expected a float")
        return cls(_F32, struct.unpack("<f", struct.pack("<f", val))[0])

    @classmethod
    def f64(cls, val: float) -> "Val":
        """Makes an f64 value.

        Args:
            val: A float.

        Returns:
            The value.

        Raises:
            TypeError: If `val` is not a float (an int is refused too).
        """
        if not isinstance(val, float):
            raise TypeError("expected a float")
        return cls(_F64, val)

    @classmethod
    def externref(cls, extern: Optional[Any]) -> "Val":
        """Makes an externref value.

        Args:
            extern: Any Python object; None is the null reference.

        Returns:
            The value.
        """
        return cls(_EXTERNREF, extern)

    @classmethod
    def funcref(cls, f: Optional["Func"]) -> "Val":
        """Makes a funcref value.

        Args:
            f: A Func, or None for the null reference.

        Returns:
            The value.

        Raises:
            TypeError: If `f` is neither a Func nor None.
        """
        from . import Func  # the extension's class
        if f is not None and not isinstance(f, Func):
            raise TypeError("expected a Func or None")
        return cls(_FUNCREF, f)

    @classmethod
    def ref_null(cls, ty: ValType) -> "Val":
        """Makes the null reference of a reference type.

        Args:
            ty: `ValType.funcref()` or `ValType.externref()`.

        Returns:
            The null value of that type.

        Raises:
            TypeError: If `ty` is not a ValType.
            WasmtimeError: If `ty` is not a reference type.
        """
        if not isinstance(ty, ValType):
            raise TypeError("expected ValType")
        if ty._code not in (_FUNCREF, _EXTERNREF):
            raise WasmtimeError("Invalid reference type for ref_null: %s" % ty)
        return cls(ty._code, None)

    @property
    def value(self) -> Any:
        """The Python value (int, float, object, Func or None)."""
        return self._val

    @property
    def type(self) -> ValType:
        """The value's type."""
        return ValType._from_code(self._code)

    def _as(self, code: int) -> Any:
        return self._val if self._code == code else None

    def as_i32(self) -> Optional[int]:
        """Returns the value if this is an i32, else None."""
        return cast(Optional[int], self._as(_I32))

    def as_i64(self) -> Optional[int]:
        """Returns the value if this is an i64, else None."""
        return cast(Optional[int], self._as(_I64))

    def as_f32(self) -> Optional[float]:
        """Returns the value if this is an f32, else None."""
        return cast(Optional[float], self._as(_F32))

    def as_f64(self) -> Optional[float]:
        """Returns the value if this is an f64, else None."""
        return cast(Optional[float], self._as(_F64))

    def as_externref(self) -> Optional[Any]:
        """Returns the object if this is an externref, else None."""
        return self._as(_EXTERNREF)

    def as_funcref(self) -> Optional["Func"]:
        """Returns the Func (or None) if this is a funcref, else None."""
        return cast(Optional["Func"], self._as(_FUNCREF))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Val):
            return self._code == other._code and self._val == other._val
        return bool(self._val == other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Val.{ValType._from_code(self._code)}({self._val!r})"
