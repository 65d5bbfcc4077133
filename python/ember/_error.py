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
    """A compile, validation, link or runtime error that is not a trap.

    Raised for invalid or malformed modules, unresolved imports, exceeded
    store limits, misuse of the API (a handle used with the wrong store, a
    wrong number of arguments) and unsupported features. `str(error)` is the
    message.

    Args:
        message: The error message.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._message = message
        self._h = True

    def __str__(self) -> str:
        return self._message


class ExitTrap(WasmtimeError):
    """Raised when a WASI program calls `proc_exit`, even with status 0.

    A subclass of WasmtimeError, not of Trap, as in wasmtime.

    Args:
        message: The error message ("Exited with i32 exit status N").
        code: The exit status.

    Attributes:
        code: The exit status the program passed to `proc_exit`.
    """

    code: int

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class TrapCode(Enum):
    """Why wasm trapped (`Trap.trap_code`); values match wasmtime's `TrapCode`.

    Ember's interpreter traps with STACK_OVERFLOW, MEMORY_OUT_OF_BOUNDS,
    HEAP_MISALIGNED, TABLE_OUT_OF_BOUNDS, INDIRECT_CALL_TO_NULL,
    BAD_SIGNATURE, INTEGER_OVERFLOW, INTEGER_DIVISION_BY_ZERO,
    BAD_CONVERSION_TO_INTEGER, UNREACHABLE, INTERRUPT (an epoch deadline),
    OUT_OF_FUEL and NULL_REFERENCE; the other members exist so that code
    written for wasmtime can name them.
    """

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
    """One wasm frame of a trap's backtrace (`Trap.frames`, innermost first).

    Not constructible: `Frame()` raises WasmtimeError. Every property raises
    ValueError once the frame is closed.
    """

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
        """Index of the function in its module's function index space."""
        self.ptr()
        return self._func_index

    @property
    def func_name(self) -> Optional[str]:
        """The function's name from the name section, or None."""
        self.ptr()
        return self._func_name

    @property
    def module_name(self) -> Optional[str]:
        """The module's name from the name section, or None."""
        self.ptr()
        return self._module_name

    @property
    def module_offset(self) -> int:
        """Byte offset of the trapping instruction in the module binary."""
        self.ptr()
        return self._module_offset

    @property
    def func_offset(self) -> int:
        """Byte offset of the trapping instruction from the function's start."""
        self.ptr()
        return self._func_offset

    def __repr__(self) -> str:
        return (f"Frame(func_index={self._func_index}, func_name={self._func_name!r}, "
                f"module_name={self._module_name!r}, module_offset={self._module_offset:#x})")


class Trap(Exception, Managed):
    """A WebAssembly trap, raised by calls and instantiation.

    A host function may also raise one to make the wasm caller trap; such a
    user-made trap has no `trap_code`. `str(trap)` is the message.

    Args:
        message: The trap message.
    """

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
        """The message, with the wasm backtrace for traps raised by wasm."""
        return self._message

    @property
    def trap_code(self) -> Optional[TrapCode]:
        """Why wasm trapped, or None for a trap made by `Trap(message)`."""
        return self._code

    @property
    def frames(self) -> List[Frame]:
        """The wasm backtrace at the trap, innermost frame first."""
        return list(self._frames)

    def __str__(self) -> str:
        return self._message
