"""Type descriptions: plain immutable value objects.

They are built by users (to create host functions, globals, tables,
memories) and by the extension (module imports/exports, `Func.type`). The
extension reads them through their private fields (`_code`, `_params`, ...)
when an entity is created, never on the call path.

Equality is structural (wasmtime-py compares by identity for some of these;
structural equality is what the reference asks for and what users expect).
"""
from typing import Any, List, Optional, Union

from ._error import WasmtimeError
from ._managed import Managed

_I32, _I64, _F32, _F64, _V128, _FUNCREF, _EXTERNREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F
_EXNREF = 0x69  # exceptions: reflected in module types, never a Python value but None
_NAMES = {_I32: "i32", _I64: "i64", _F32: "f32", _F64: "f64", _V128: "v128",
          _FUNCREF: "funcref", _EXTERNREF: "externref", _EXNREF: "exnref",
          0x6E: "anyref", 0x6D: "eqref", 0x6C: "i31ref", 0x6B: "structref",
          0x6A: "arrayref", 0x71: "nullref", 0x73: "nullfuncref",
          0x72: "nullexternref", 0x74: "nullexnref"}
_HEAPS = {0x70: "func", 0x6F: "extern", 0x69: "exn", 0x6E: "any", 0x6D: "eq",
          0x6C: "i31", 0x6B: "struct", 0x6A: "array", 0x71: "none",
          0x72: "noextern", 0x73: "nofunc", 0x74: "noexn"}


def _type_name(code: int) -> str:
    """The text format's name of a type code: a one-byte encoding, or 2**32
    plus the four-byte form of a reference type that has no one-byte name
    (heap kind in bits 0-7, nullable bit 8, concrete bit 9, index above)."""
    if code in _NAMES:
        return _NAMES[code]
    bits = code & 0xFFFFFFFF
    null = "null " if bits & 0x100 else ""
    heap = str(bits >> 10) if bits & 0x200 else _HEAPS.get(bits & 0xFF, "?")
    return f"(ref {null}{heap})"


class ValType(Managed):
    """A WebAssembly value type. Build one with `ValType.i32()` and the like.

    Value types compare equal by kind and are hashable; `str()` gives the
    text-format name ("i32", "funcref", ...). `ValType()` raises
    WasmtimeError.
    """

    _code: int

    def __init__(self) -> None:
        raise WasmtimeError("cannot construct directly")

    @classmethod
    def _from_code(cls, code: int) -> "ValType":
        if code not in _NAMES and (code >> 32) != 1:
            raise WasmtimeError(f"unknown value type 0x{code:02x}")
        v = cls.__new__(cls)
        v._code = code
        v._h = True
        return v

    @classmethod
    def i32(cls) -> "ValType":
        """Returns the `i32` type (32-bit integer)."""
        return cls._from_code(_I32)

    @classmethod
    def i64(cls) -> "ValType":
        """Returns the `i64` type (64-bit integer)."""
        return cls._from_code(_I64)

    @classmethod
    def f32(cls) -> "ValType":
        """Returns the `f32` type (32-bit float)."""
        return cls._from_code(_F32)

    @classmethod
    def f64(cls) -> "ValType":
        """Returns the `f64` type (64-bit float)."""
        return cls._from_code(_F64)

    @classmethod
    def v128(cls) -> "ValType":
        """Returns the `v128` type (128-bit vector)."""
        return cls._from_code(_V128)

    @classmethod
    def externref(cls) -> "ValType":
        """Returns the `externref` type (reference to a host object)."""
        return cls._from_code(_EXTERNREF)

    @classmethod
    def funcref(cls) -> "ValType":
        """Returns the `funcref` type (reference to a function)."""
        return cls._from_code(_FUNCREF)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ValType) and other._code == self._code

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return self._code

    def __str__(self) -> str:
        return _type_name(self._code)

    def __repr__(self) -> str:
        return _type_name(self._code)


def _check_valtypes(items: Any) -> List[ValType]:
    out = []
    for t in items:
        if not isinstance(t, ValType):
            raise TypeError("expected ValType")
        out.append(t)
    return out


class FuncType(Managed):
    """A function signature.

    Args:
        params: The parameter types, in order.
        results: The result types, in order.

    Raises:
        TypeError: If an element of `params` or `results` is not a ValType.
    """

    def __init__(self, params: List[ValType], results: List[ValType]) -> None:
        self._params = _check_valtypes(params)
        self._results = _check_valtypes(results)
        self._h = True

    @property
    def params(self) -> List[ValType]:
        """The parameter types (a new list)."""
        self.ptr()
        return list(self._params)

    @property
    def results(self) -> List[ValType]:
        """The result types (a new list)."""
        self.ptr()
        return list(self._results)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, FuncType) and self._params == other._params
                and self._results == other._results)

    def __hash__(self) -> int:
        return hash((tuple(self._params), tuple(self._results)))

    def __repr__(self) -> str:
        p = ", ".join(map(str, self._params))
        r = ", ".join(map(str, self._results))
        return f"FuncType([{p}], [{r}])"


class GlobalType(Managed):
    """The type of a global variable.

    Args:
        valtype: The type of the value held.
        mutable: Whether wasm and `Global.set_value` may change it.

    Raises:
        TypeError: If `valtype` is not a ValType.
    """

    def __init__(self, valtype: ValType, mutable: bool) -> None:
        if not isinstance(valtype, ValType):
            raise TypeError("expected ValType")
        self._content = valtype
        self._mutable = bool(mutable)
        self._h = True

    @property
    def content(self) -> ValType:
        """The type of the value held."""
        self.ptr()
        return self._content

    @property
    def mutable(self) -> bool:
        """Whether the global can be changed."""
        self.ptr()
        return self._mutable

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, GlobalType) and self._content == other._content
                and self._mutable == other._mutable)

    def __hash__(self) -> int:
        return hash((self._content, self._mutable))

    def __repr__(self) -> str:
        return f"GlobalType({self._content}, mutable={self._mutable})"


class Limits:
    """Size limits: pages for memories, elements for tables.

    A plain value object; the types that take one check it.

    Args:
        min: The initial (minimum) size.
        max: The maximum size, or None for no maximum.

    Attributes:
        min: The initial (minimum) size.
        max: The maximum size, or None.
    """

    def __init__(self, min: int, max: Optional[int]) -> None:
        self.min = min
        self.max = max

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Limits) and self.min == other.min and self.max == other.max

    def __hash__(self) -> int:
        return hash((self.min, self.max))

    def __repr__(self) -> str:
        return f"Limits({self.min}, {self.max})"


def _check_limits(limits: Any) -> Limits:
    if not isinstance(limits, Limits):
        raise TypeError("expected Limits")
    if not isinstance(limits.min, int) or (limits.max is not None and not isinstance(limits.max, int)):
        raise TypeError("limits must be integers")
    return limits


class TableType(Managed):
    """The type of a table.

    Args:
        valtype: The element type (`ValType.funcref()` or
            `ValType.externref()`).
        limits: The size limits, in elements.

    Raises:
        TypeError: If `valtype` is not a ValType, `limits` not a Limits, or
            its bounds not ints.
        WasmtimeError: If a bound is negative or not below 2**32.
    """

    def __init__(self, valtype: ValType, limits: Limits) -> None:
        if not isinstance(valtype, ValType):
            raise TypeError("expected ValType")
        self._element = valtype
        self._limits = _check_limits(limits)
        if limits.min < 0 or limits.min >= 2**32:
            raise WasmtimeError("minimum size too large")
        if limits.max is not None and (limits.max < 0 or limits.max >= 2**32):
            raise WasmtimeError("maximum size too large")
        self._h = True

    @property
    def element(self) -> ValType:
        """The element type."""
        self.ptr()
        return self._element

    @property
    def limits(self) -> Limits:
        """The size limits, in elements (a new Limits)."""
        self.ptr()
        return Limits(self._limits.min, self._limits.max)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TableType) and self._element == other._element
                and self._limits == other._limits)

    def __hash__(self) -> int:
        return hash((self._element, self._limits))

    def __repr__(self) -> str:
        return f"TableType({self._element}, {self._limits!r})"


class MemoryType(Managed):
    """The type of a linear memory.

    Args:
        limits: The size limits, in pages.
        is_64: Whether the memory is indexed by i64 (memory64).
        shared: Whether it is a shared memory (needs a maximum).
        page_size_log2: 16 for 64 KiB pages, 0 for 1-byte pages (custom
            page sizes). `Memory(store, ty)` makes either kind; a module
            that states a page size needs `Config.wasm_custom_page_sizes`,
            and an import matches only a memory of the same page size.

    Raises:
        TypeError: If `limits` is not a Limits or its bounds not ints.
        WasmtimeError: If a bound is negative or too large for the index
            type, the page size is not 1 or 65536 bytes, or a shared memory
            has no maximum.
    """

    def __init__(self, limits: Limits, is_64: bool = False, shared: bool = False,
                 page_size_log2: int = 16) -> None:
        _check_limits(limits)
        if page_size_log2 not in (0, 16):
            raise WasmtimeError("page size must be 1 or 65536 bytes")
        bound = 2**64 if is_64 else 2**32
        if limits.min < 0 or limits.min >= bound:
            raise WasmtimeError("minimum size too large")
        if limits.max is not None and (limits.max < 0 or limits.max >= bound):
            raise WasmtimeError("maximum size too large")
        if shared and limits.max is None:
            raise WasmtimeError("shared memories must have a maximum size")
        self._limits = limits
        self._is_64 = bool(is_64)
        self._shared = bool(shared)
        self._page_size_log2 = int(page_size_log2)
        self._h = True

    @property
    def limits(self) -> Limits:
        """The size limits, in pages (a new Limits)."""
        self.ptr()
        return Limits(self._limits.min, self._limits.max)

    @property
    def is_64(self) -> bool:
        """Whether the memory is indexed by i64."""
        self.ptr()
        return self._is_64

    @property
    def is_shared(self) -> bool:
        """Whether the memory is shared."""
        self.ptr()
        return self._shared

    @property
    def page_size_log2(self) -> int:
        """Log2 of the page size in bytes (16 or 0)."""
        self.ptr()
        return self._page_size_log2

    @property
    def page_size(self) -> int:
        """The page size in bytes (65536 or 1)."""
        self.ptr()
        return 1 << self._page_size_log2

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MemoryType) and self._limits == other._limits
                and self._is_64 == other._is_64 and self._shared == other._shared
                and self._page_size_log2 == other._page_size_log2)

    def __hash__(self) -> int:
        return hash((self._limits, self._is_64, self._shared, self._page_size_log2))

    def __repr__(self) -> str:
        page = "" if self._page_size_log2 == 16 else f", page_size_log2={self._page_size_log2}"
        return (f"MemoryType({self._limits!r}, is_64={self._is_64}, "
                f"shared={self._shared}{page})")


class TagType(Managed):
    """The type of an exception tag: the signature of its payload.

    As in wasmtime, the constructor consumes `functype`: using that FuncType
    afterwards raises ValueError (`functype` gives one of the TagType's own).
    A type with results describes no tag: `Tag` refuses it.

    Args:
        functype: The payload's signature (its params; no results).

    Raises:
        TypeError: If `functype` is not a FuncType.
        ValueError: If `functype` was closed or already consumed.
    """

    def __init__(self, functype: FuncType) -> None:
        if not isinstance(functype, FuncType):
            raise TypeError("expected a FuncType")
        functype._consume()
        self._params = list(functype._params)
        self._results = list(functype._results)
        self._h = True

    @property
    def functype(self) -> FuncType:
        """The payload's signature (a new FuncType at each read)."""
        self.ptr()
        return FuncType(self._params, self._results)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TagType) and self._params == other._params
                and self._results == other._results)

    def __hash__(self) -> int:
        return hash((tuple(self._params), tuple(self._results)))

    def __repr__(self) -> str:
        p = ", ".join(map(str, self._params))
        r = ", ".join(map(str, self._results))
        return f"TagType(FuncType([{p}], [{r}]))"


AsExternType = Union[FuncType, TableType, MemoryType, GlobalType, TagType]


class ImportType(Managed):
    """One import of a module (`Module.imports`). Not constructible."""

    _module: str
    _name: Optional[str]
    _type: "AsExternType"

    def __init__(self) -> None:
        raise WasmtimeError("cannot construct directly")

    @classmethod
    def _create(cls, module: str, name: Optional[str], ty: AsExternType) -> "ImportType":
        i = cls.__new__(cls)
        i._module, i._name, i._type, i._h = module, name, ty, True
        return i

    @property
    def module(self) -> str:
        """The module name the import is looked up in."""
        self.ptr()
        return self._module

    @property
    def name(self) -> Optional[str]:
        """The item's name within that module."""
        self.ptr()
        return self._name

    @property
    def type(self) -> AsExternType:
        """The type the imported item must have."""
        self.ptr()
        return self._type

    def __repr__(self) -> str:
        return f"ImportType({self._module!r}, {self._name!r}, {self._type!r})"


class ExportType(Managed):
    """One export of a module (`Module.exports`). Not constructible."""

    _name: str
    _type: "AsExternType"

    def __init__(self) -> None:
        raise WasmtimeError("cannot construct directly")

    @classmethod
    def _create(cls, name: str, ty: AsExternType) -> "ExportType":
        e = cls.__new__(cls)
        e._name, e._type, e._h = name, ty, True
        return e

    @property
    def name(self) -> str:
        """The export's name."""
        self.ptr()
        return self._name

    @property
    def type(self) -> AsExternType:
        """The exported item's type."""
        self.ptr()
        return self._type

    def __repr__(self) -> str:
        return f"ExportType({self._name!r}, {self._type!r})"
