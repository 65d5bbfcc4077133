"""Table and Global."""
import pytest

from conftest import instantiate
from ember import (Func, FuncType, Global, GlobalType, Limits, Table, TableType, Val, ValType,
                   WasmtimeError)


def test_global_create_get_set(store):
    g = Global(store, GlobalType(ValType.i32(), True), 5)
    assert g.value(store) == 5
    g.set_value(store, 0x1_0000_0001)
    assert g.value(store) == 1
    assert g.type(store) == GlobalType(ValType.i32(), True)
    f = Global(store, GlobalType(ValType.f64(), False), 1.5)
    assert f.value(store) == 1.5
    with pytest.raises(WasmtimeError):
        f.set_value(store, 2.5)


def test_global_errors(store):
    ty = GlobalType(ValType.i32(), True)
    with pytest.raises(TypeError):
        Global(store, ty, store)  # the value's type is checked when the global is made
    with pytest.raises(TypeError):
        Global(store, 1, 1)  # type: ignore
    with pytest.raises(AttributeError):
        Global(1, ty, 1)  # type: ignore
    g = Global(store, ty, 1)
    with pytest.raises(TypeError):
        g.set_value(store, g)


def test_global_externref(store):
    obj = object()
    g = Global(store, GlobalType(ValType.externref(), True), obj)
    assert g.value(store) is obj
    g.set_value(store, None)
    null = g.value(store)
    assert isinstance(null, Val) and null == None  # noqa: E711


def test_global_exported(store):
    inst = instantiate(store, """(module (global (export "g") (mut i64) (i64.const -3))
        (func (export "get") (result i64) global.get 0))""")
    ex = inst.exports(store)
    assert ex["g"].value(store) == -3
    ex["g"].set_value(store, 10)
    assert ex["get"](store) == 10


def test_table_funcref(store):
    f = Func(store, FuncType([], [ValType.i32()]), lambda: 7)
    t = Table(store, TableType(ValType.funcref(), Limits(2, 10)), None)
    assert t.size(store) == 2
    assert t.get(store, 0) == None  # noqa: E711
    t.set(store, 1, f)
    got = t.get(store, 1)
    assert isinstance(got, Func) and got(store) == 7
    assert t.get(store, 100) is None
    assert t.grow(store, 3, f) == 2
    assert t.size(store) == 5
    last = t.get(store, 4)
    assert isinstance(last, Func) and last(store) == 7
    with pytest.raises(WasmtimeError):
        t.set(store, 99, f)
    with pytest.raises(WasmtimeError):
        t.grow(store, 100, None)
    with pytest.raises(TypeError):
        t.grow(store, "x", None)  # type: ignore
    with pytest.raises(TypeError):
        t.grow(store, 2, "x")
    assert t.type(store).element == ValType.funcref()


def test_table_externref(store):
    t = Table(store, TableType(ValType.externref(), Limits(1, None)), "init")
    assert t.get(store, 0) == "init"
    obj = {"k": 1}
    t.set(store, 0, obj)
    assert t.get(store, 0) is obj


def test_call_indirect_through_host_table(store):
    f = Func(store, FuncType([], [ValType.i32()]), lambda: 11)
    t = Table(store, TableType(ValType.funcref(), Limits(1, None)), f)
    inst = instantiate(store, """(module (import "" "t" (table 1 funcref))
        (type $t (func (result i32)))
        (func (export "call") (result i32) i32.const 0 call_indirect (type $t)))""", [t])
    assert inst.exports(store)["call"](store) == 11
