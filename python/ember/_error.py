"""Exceptions and trap descriptions raised by the engine.

`WasmtimeError` covers compile, validation, link and API-misuse errors;
`Trap` a WebAssembly trap (with `trap_code` and a wasm backtrace in `frames`);
`ExitTrap` a WASI `proc_exit` (a `WasmtimeError`, not a `Trap`). The
extension raises these exact classes (it receives them at import time).
"""
from enum import Enum
from typing import List, Optional

from ._managed import Managed


class WasmtimeError(Exception, Managed):
    """A compile, validation, link or runtime error that is not a trap."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._message = message
        self._h = True

    def __str__(self) -> str:
        return self._message


class ExitTrap(WasmtimeError):
    """WASI `proc_exit(code)`: carries the exit status in `code`."""

    code: int

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class TrapCode(Enum):
    """Why wasm trapped; values match wasmtime's `TrapCode`."""

    STACK_OVERFLOW = 0
    MEMORY_OUT_OF_BOUNDS = 1
    HEAP_MISALIGNED = 2
    TABLE_OUT_OF_BOUNDS = 3
    INDIRECT_CALL_TO_NULL = 4
    BAD_SIGNATURE = 5
    INTEGER_OVERFLOW = 6
    INTEGER_DIVISION_BY_ZERO = 7
    BAD_CONVERSION_TO_INTEGER = 8
    UNREACHABLE = 9
    INTERRUPT = 10
    OUT_OF_FUEL = 11
    ATOMIC_WAIT_NON_SHARED_MEMORY = 12
    NULL_REFERENCE = 13
    ARRAY_OUT_OF_BOUNDS = 14
    ALLOCATION_TOO_LARGE = 15
    CAST_FAILURE = 16
    CANNOT_ENTER_COMPONENT = 17
    NO_ASYNC_RESULT = 18
    UNHANDLED_TAG = 19
    CONTINUATION_ALREADY_CONSUMED = 20
    DISABLED_OPCODE = 21
    ASYNC_DEADLOCK = 22
    CANNOT_LEAVE_COMPONENT = 23
    CANNOT_BLOCK_SYNC_TASK = 24
    INVALID_CHAR = 25
    DEBUG_ASSERT_STRING_ENCODING_FINISHED = 26
    DEBUG_ASSERT_EQUAL_CODE_UNITS = 27
    DEBUG_ASSERT_POINTER_ALIGNED = 28
    DEBUG_ASSERT_UPPER_BITS_UNSET = 29
    STRING_OUT_OF_BOUNDS = 30
    LIST_OUT_OF_BOUNDS = 31
    INVALID_DISCRIMINANT = 32
    UNALIGNED_POINTER = 33
    TASK_CANCEL_NOT_CANCELLED = 34
    TASK_CANCEL_OR_RETURN_TWICE = 35
    SUBTASK_CANCEL_AFTER_TERMINAL = 36
    TASK_RETURN_INVALID = 37
    WAITABLE_SET_DROP_HAS_WAITERS = 38
    SUBTASK_DROP_NOT_RESOLVED = 39
    THREAD_NEW_INDIRECT_INVALID_TYPE = 40
    THREAD_NEW_INDIRECT_UNINITIALIZED = 41
    BACKPRESSURE_OVERFLOW = 42
    UNSUPPORTED_CALLBACK_CODE = 43
    CANNOT_RESUME_THREAD = 44
    CONCURRENT_FUTURE_STREAM_OP = 45


class Frame(Managed):
    """One wasm frame of a trap's backtrace (innermost first)."""

    _func_index: int
    _func_name: Optional[str]
    _module_name: Optional[str]
    _module_offset: int
    _func_offset: int

    def __init__(self) -> None:
        raise WasmtimeError("cannot construct directly")

    @classmethod
    def _create(cls, func_index: int, func_name: Optional[str],
                module_name: Optional[str], module_offset: int,
                func_offset: int) -> "Frame":
        f = cls.__new__(cls)
        f._h = True
        f._func_index = func_index
        f._func_name = func_name
        f._module_name = module_name
        f._module_offset = module_offset
        f._func_offset = func_offset
        return f

    @property
    def func_index(self) -> int:
        self.ptr()
        return self._func_index

    @property
    def func_name(self) -> Optional[str]:
        self.ptr()
        return self._func_name

    @property
    def module_name(self) -> Optional[str]:
        self.ptr()
        return self._module_name

    @property
    def module_offset(self) -> int:
        self.ptr()
        return self._module_offset

    @property
    def func_offset(self) -> int:
        self.ptr()
        return self._func_offset

    def __repr__(self) -> str:
        return (f"Frame(func_index={self._func_index}, func_name={self._func_name!r}, "
                f"module_name={self._module_name!r}, module_offset={self._module_offset:#x})")


class Trap(Exception, Managed):
    """A WebAssembly trap. `trap_code` is None for traps made by the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._h = True
        self._message = message
        self._code: Optional[TrapCode] = None
        self._frames: List[Frame] = []

    @classmethod
    def _create(cls, message: str, code: int, frames: List[Frame]) -> "Trap":
        t = cls(message)
        t._code = TrapCode(code) if code >= 0 else None
        t._frames = frames
        return t

    @property
    def message(self) -> str:
        return self._message

    @property
    def trap_code(self) -> Optional[TrapCode]:
        return self._code

    @property
    def frames(self) -> List[Frame]:
        return list(self._frames)

    def __str__(self) -> str:
        return self._message
