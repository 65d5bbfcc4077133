"""WasmtimeError, Trap, ExitTrap, TrapCode, Frame."""
import pytest

from ember import ExitTrap, Frame, Trap, TrapCode, WasmtimeError


def test_wasmtime_error():
    e = WasmtimeError("boom")
    assert str(e) == "boom"
    assert isinstance(e, Exception)


def test_exit_trap_is_wasmtime_error_not_trap():
    assert issubclass(ExitTrap, WasmtimeError)
    assert not issubclass(ExitTrap, Trap)


def test_user_trap():
    t = Trap("custom")
    assert t.message == "custom"
    assert str(t) == "custom"
    assert t.trap_code is None
    assert t.frames == []


def test_trap_code_values():
    assert TrapCode.STACK_OVERFLOW.value == 0
    assert TrapCode.MEMORY_OUT_OF_BOUNDS.value == 1
    assert TrapCode.TABLE_OUT_OF_BOUNDS.value == 3
    assert TrapCode.INDIRECT_CALL_TO_NULL.value == 4
    assert TrapCode.INTEGER_DIVISION_BY_ZERO.value == 7
    assert TrapCode.UNREACHABLE.value == 9
    assert TrapCode.INTERRUPT.value == 10
    assert TrapCode.OUT_OF_FUEL.value == 11
    assert TrapCode.NULL_REFERENCE.value == 13
    assert TrapCode.CONCURRENT_FUTURE_STREAM_OP.value == 45
    assert len(TrapCode) == 46


def test_frame_not_constructible():
    with pytest.raises(WasmtimeError):
        Frame()
