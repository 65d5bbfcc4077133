"""Func: calls with value conversion, results, host functions, Caller, errors."""
import pytest

from conftest import instantiate
from ember import (Caller, Func, FuncType, Instance, Module, Store, Trap, TrapCode, Val, ValType,
                   WasmtimeError)

i32, i64, f32, f64 = ValType.i32(), ValType.i64(), ValType.f32(), ValType.f64()
ext, fref = ValType.externref(), ValType.funcref()

IDENTITY = """
(module
  (func (export "i32") (param i32) (result i32) local.get 0)
  (func (export "i64") (param i64) (result i64) local.get 0)
  (func (export "f32") (param f32) (result f32) local.get 0)
  (func (export "f64") (param f64) (result f64) local.get 0)
  (func (export "ext") (param externref) (result externref) local.get 0)
  (func (export "fref") (param funcref) (result funcref) local.get 0)
  (func (export "none"))
  (func (export "pair") (result i32 i64) i32.const 1 i64.const 2)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
"""


@pytest.fixture
def ex(store):
    return instantiate(store, IDENTITY).exports(store)


def test_int_wrapping(store, ex):
    assert ex["i32"](store, 5) == 5
    assert ex["i32"](store, 0xFFFFFFFF) == -1
    assert ex["i32"](store, 0x1_0000_0005) == 5
    assert ex["i32"](store, -1) == -1
    assert ex["i32"](store, True) == 1
    assert ex["i64"](store, 2**64 - 1) == -1
    assert ex["i64"](store, 2**63) == -(2**63)


def test_floats_must_be_float(store, ex):
    assert ex["f64"](store, 1.25) == 1.25
    assert ex["f32"](store, 0.1) == pytest.approx(0.1, rel=1e-7)
    assert ex["f32"](store, 0.1) != 0.1  # rounded to single precision
    with pytest.raises(TypeError):
        ex["f64"](store, 1)
    with pytest.raises(TypeError):
        ex["i32"](store, 3.0)
    with pytest.raises(TypeError):
        ex["i32"](store, "3")


def test_val_arguments(store, ex):
    assert ex["i32"](store, Val.i32(7)) == 7
    assert ex["f32"](store, Val.f32(1.5)) == 1.5
    with pytest.raises(TypeError):
        ex["i32"](store, Val.i64(3))


def test_externref_identity(store, ex):
    for obj in (42, True, False, "text", {"a": 1}, [1, 2], object()):
        assert ex["ext"](store, obj) is obj
    assert ex["ext"](store, None) is None
    assert ex["ext"](store, Val.externref("v")) == "v"


def test_funcref(store, ex):
    f = ex["add"]
    back = ex["fref"](store, f)
    assert isinstance(back, Func)
    assert back(store, 2, 3) == 5
    assert ex["fref"](store, None) is None
    with pytest.raises(TypeError):
        ex["fref"](store, 3)


def test_results_shape(store, ex):
    assert ex["none"](store) is None
    assert ex["pair"](store) == [1, 2]
    assert ex["add"](store, 1, 2) == 3


def test_arity_errors(store, ex):
    with pytest.raises(WasmtimeError):
        ex["none"](store, 2)
    with pytest.raises(WasmtimeError):
        ex["add"](store, 1)


def test_type(store, ex):
    assert ex["add"].type(store) == FuncType([i32, i32], [i32])
    assert ex["pair"].type(store).results == [i32, i64]


def test_host_func_called_directly(store):
    f = Func(store, FuncType([i32, i32], [i32]), lambda a, b: a * b)
    assert f(store, 6, 7) == 42
    assert f.type(store) == FuncType([i32, i32], [i32])


def test_host_func_from_wasm(store):
    seen = []
    log = Func(store, FuncType([i32], []), lambda x: seen.append(x))
    inst = instantiate(store, """
        (module (import "" "log" (func $log (param i32)))
          (func (export "run") i32.const 1 call $log i32.const 2 call $log))""", [log])
    inst.exports(store)["run"](store)
    assert seen == [1, 2]


def test_host_multi_results(store):
    f = Func(store, FuncType([], [i32, i64, f64]), lambda: (1, 2, 3.5))
    assert f(store) == [1, 2, 3.5]
    g = Func(store, FuncType([], [i32, i32]), lambda: [1])
    with pytest.raises(WasmtimeError):
        g(store)
    h = Func(store, FuncType([], []), lambda: 5)
    with pytest.raises(WasmtimeError):
        h(store)
    bad = Func(store, FuncType([], [i32]), lambda: "x")
    with pytest.raises(TypeError):
        bad(store)
    # The store stays usable after each failure.
    assert f(store) == [1, 2, 3.5]


class Custom(BaseException):
    pass


@pytest.mark.parametrize("exc", [ValueError("v"), KeyboardInterrupt(), Custom(), SystemExit(3)])
def test_host_exception_reraised_unchanged(store, exc):
    def raiser():
        raise exc
    f = Func(store, FuncType([], []), raiser)
    inst = instantiate(store, """
        (module (import "" "f" (func $f))
          (func (export "run") call $f))""", [f])
    with pytest.raises(type(exc)) as info:
        inst.exports(store)["run"](store)
    assert info.value is exc


def test_caller(store):
    got: dict = {}

    def host(caller, ptr):
        assert isinstance(caller, Caller)
        mem = caller["memory"]
        got["bytes"] = bytes(mem.read(caller, ptr, ptr + 5))
        got["missing"] = caller.get("nope")
        got["caller"] = caller
        with pytest.raises(KeyError):
            caller["nope"]
        return 0

    f = Func(store, FuncType([i32], [i32]), host, access_caller=True)
    inst = instantiate(store, """
        (module (import "" "f" (func $f (param i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "hello")
          (func (export "run") (result i32) i32.const 16 call $f))""", [f])
    assert inst.exports(store)["run"](store) == 0
    assert got["bytes"] == b"hello"
    assert got["missing"] is None
    stale = got["caller"]
    assert stale.get("memory") is None
    with pytest.raises(ValueError):
        inst.exports(store)["memory"].read(stale, 0, 1)


def test_caller_in_start_function(store):
    calls = []
    f = Func(store, FuncType([], []), lambda caller: calls.append(caller.get("g")), access_caller=True)
    instantiate(store, """
        (module (import "" "f" (func $f)) (global (export "g") i32 (i32.const 1)) (start $f))""", [f])
    assert len(calls) == 1 and calls[0] is not None


def test_func_constructor_errors(store):
    ty = FuncType([], [])
    with pytest.raises(TypeError):
        Func(1, ty, lambda: None)  # type: ignore
    with pytest.raises(TypeError):
        Func(store, 1, lambda: None)  # type: ignore


def test_wrong_store(store, ex):
    with pytest.raises(WasmtimeError):
        ex["none"](Store(store.engine))


def test_closed_store_call(engine):
    s = Store(engine)
    f = instantiate(s, IDENTITY).exports(s)["none"]
    s.close()
    with pytest.raises(ValueError):
        f(s)


def test_trap_from_call(store):
    inst = instantiate(store, """(module (func (export "u") unreachable)
                                         (func (export "d") (param i32) (result i32)
                                           i32.const 1 local.get 0 i32.div_u))""")
    with pytest.raises(Trap) as info:
        inst.exports(store)["u"](store)
    assert info.value.trap_code == TrapCode.UNREACHABLE
    assert "unreachable" in str(info.value)
    with pytest.raises(Trap) as info:
        inst.exports(store)["d"](store, 0)
    assert info.value.trap_code == TrapCode.INTEGER_DIVISION_BY_ZERO
    assert inst.exports(store)["d"](store, 1) == 1  # store still usable


def test_recursion_and_reentry(store):
    # wasm -> host -> wasm on the same store.
    holder: dict = {}

    def host(n):
        return holder["fac"](store, n - 1) if n > 0 else 1

    f = Func(store, FuncType([i32], [i32]), host)
    inst = instantiate(store, """
        (module (import "" "h" (func $h (param i32) (result i32)))
          (func (export "fac") (param i32) (result i32)
            local.get 0 i32.eqz if (result i32) i32.const 1
            else local.get 0 local.get 0 call $h i32.mul end))""", [f])
    holder["fac"] = inst.exports(store)["fac"]
    assert holder["fac"](store, 5) == 120
