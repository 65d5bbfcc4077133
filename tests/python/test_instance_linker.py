"""Instance, InstanceExports and Linker."""
from collections.abc import Mapping

import pytest

from conftest import instantiate
from ember import (Engine, Func, FuncType, Global, GlobalType, Instance, InstancePre, Linker,
                   Memory, Module, Store, Trap, ValType, WasmtimeError)

i32 = ValType.i32()

EXPORTS = """(module (func (export "f") (result i32) i32.const 1)
                     (memory (export "m") 1) (global (export "g") i32 (i32.const 2)))"""


def test_exports_mapping(store):
    inst = instantiate(store, EXPORTS)
    ex = inst.exports(store)
    assert isinstance(ex, Mapping)
    assert list(ex) == ["f", "m", "g"]
    assert len(ex) == 3
    assert "f" in ex and "zz" not in ex
    assert isinstance(ex["f"], Func)
    assert isinstance(ex["m"], Memory)
    assert isinstance(ex["g"], Global)
    assert ex.get("zz") is None
    with pytest.raises(KeyError):
        ex["zz"]
    with pytest.raises(KeyError):
        ex[0]  # type: ignore
    assert ex.by_index[0](store) == 1
    assert len(ex.by_index) == 3
    with pytest.raises(IndexError):
        ex.by_index[3]
    assert inst.exports(store) is ex  # cached


def test_instance_errors(store):
    m = Module(store.engine, '(module (import "" "f" (func)))')
    with pytest.raises(WasmtimeError):
        Instance(store, m, [])          # missing import
    with pytest.raises(TypeError):
        Instance(store, m, [1])         # not an extern
    with pytest.raises(AttributeError):
        Instance(store, 1, [])  # type: ignore
    wrong = Func(store, FuncType([i32], []), lambda x: None)
    with pytest.raises(WasmtimeError):
        Instance(store, m, [wrong])     # type mismatch


def test_start_trap(store):
    m = Module(store.engine, "(module (func $s unreachable) (start $s))")
    with pytest.raises(Trap):
        Instance(store, m, [])


def test_linker_define_and_instantiate(store):
    linker = Linker(store.engine)
    assert linker.engine is store.engine
    calls = []
    linker.define_func("env", "log", FuncType([i32], []), lambda x: calls.append(x))
    linker.define(store, "env", "g", Global(store, GlobalType(i32, False), 40))
    m = Module(store.engine, """(module (import "env" "log" (func $log (param i32)))
        (import "env" "g" (global $g i32))
        (func (export "run") global.get $g i32.const 2 i32.add call $log))""")
    inst = linker.instantiate(store, m)
    inst.exports(store)["run"](store)
    assert calls == [42]
    # The same linker serves another store (define_func is store-independent),
    # but store-bound items (the global) belong to the first store.
    other = Store(store.engine)
    with pytest.raises(WasmtimeError):
        linker.instantiate(other, m)


def test_linker_duplicates_and_shadowing(store):
    linker = Linker(store.engine)
    ty = FuncType([], [])
    linker.define_func("a", "b", ty, lambda: None)
    with pytest.raises(WasmtimeError):
        linker.define_func("a", "b", ty, lambda: None)
    linker.allow_shadowing = True
    linker.define_func("a", "b", ty, lambda: None)
    with pytest.raises(AttributeError):
        linker.allow_shadowing


def test_linker_errors(store):
    linker = Linker(store.engine)
    with pytest.raises(TypeError):
        linker.define(store, "", "", 2)
    f = Func(store, FuncType([], []), lambda: None)
    with pytest.raises(AttributeError):
        linker.define(store, 2, "", f)  # type: ignore
    with pytest.raises(AttributeError):
        linker.define(store, "", 2, f)  # type: ignore
    with pytest.raises(AttributeError):
        Linker(2)  # type: ignore
    with pytest.raises(AttributeError):
        linker.instantiate(store, 3)  # type: ignore
    with pytest.raises(WasmtimeError):
        linker.instantiate(store, Module(store.engine, '(module (import "x" "y" (func)))'))
    with pytest.raises(WasmtimeError):
        linker.get(store, "x", "y")
    with pytest.raises(TypeError):
        linker.define_unknown_imports_as_traps("x")  # type: ignore
    with pytest.raises(TypeError):
        linker.instantiate_pre("x")  # type: ignore


def test_linker_define_instance_and_get(store):
    linker = Linker(store.engine)
    first = instantiate(store, EXPORTS)
    linker.define_instance(store, "first", first)
    assert linker.get(store, "first", "f")(store) == 1
    m = Module(store.engine, """(module (import "first" "f" (func $f (result i32)))
        (func (export "twice") (result i32) call $f call $f i32.add))""")
    assert linker.instantiate(store, m).exports(store)["twice"](store) == 2
    with pytest.raises(TypeError):
        linker.define_instance(store, "x", 2)  # type: ignore


def test_linker_get_default(store):
    linker = Linker(store.engine)
    noop = linker.get_default(store, "nothing")
    assert noop(store) is None
    linker.define_func("mod", "", FuncType([], [i32]), lambda: 5)
    assert linker.get_default(store, "mod")(store) == 5


def test_unknown_imports(store):
    m = Module(store.engine, """(module (import "a" "f" (func $f (result i32)))
        (import "a" "g" (global i64))
        (func (export "run") (result i32) call $f))""")
    traps = Linker(store.engine)
    traps.define_unknown_imports_as_default_values(store, m)
    assert traps.instantiate(store, m).exports(store)["run"](store) == 0
    linker = Linker(store.engine)
    linker.define_unknown_imports_as_traps(m)
    linker.define(store, "a", "g", Global(store, GlobalType(ValType.i64(), False), 0))
    with pytest.raises(Trap):
        linker.instantiate(store, m).exports(store)["run"](store)


def test_instance_pre(store):
    linker = Linker(store.engine)
    m = Module(store.engine, EXPORTS)
    pre = linker.instantiate_pre(m)
    assert isinstance(pre, InstancePre)
    assert pre.module is m
    for s in (store, Store(store.engine)):
        assert pre.instantiate(s).exports(s)["f"](s) == 1


IMPORTS_F = ('(module (import "m" "f" (func (result i32)))'
             ' (func (export "g") (result i32) call 0))')


def test_instance_pre_resolves_when_made():
    # As in Wasmtime: an unknown import fails at instantiate_pre, and later
    # definitions do not change what the InstancePre instantiates.
    engine = Engine()
    linker = Linker(engine)
    linker.allow_shadowing = True
    m = Module(engine, IMPORTS_F)
    with pytest.raises(WasmtimeError, match="unknown import: `m::f` has not been defined"):
        linker.instantiate_pre(m)
    ty = FuncType([], [ValType.i32()])
    linker.define_func("m", "f", ty, lambda: 1)
    pre = linker.instantiate_pre(m)
    linker.define_func("m", "f", ty, lambda: 2)
    s = Store(engine)
    assert pre.instantiate(s).exports(s)["g"](s) == 1
    assert linker.instantiate(s, m).exports(s)["g"](s) == 2


def test_linker_host_funcs_are_made_once_per_store_and_keep_no_store():
    # A store-independent definition becomes one Func of each store that
    # needs it; a long-lived Linker instantiating in many Stores keeps none
    # of them alive (the Funcs belong to their stores).
    import gc
    import weakref
    engine = Engine()
    linker = Linker(engine)
    linker.define_func("m", "f", FuncType([], [ValType.i32()]), lambda: 7)
    m = Module(engine, IMPORTS_F)
    first = Store(engine)
    f = linker.get(first, "m", "f")
    assert f == linker.get(first, "m", "f")
    gone = []
    for _ in range(50):
        s = Store(engine)
        assert linker.instantiate(s, m).exports(s)["g"](s) == 7
        assert linker.get(s, "m", "f") != f
        gone.append(weakref.ref(s))
        del s
    gc.collect()
    assert all(r() is None for r in gone)
    assert f(first) == 7


def test_linker_item_of_a_closed_store_is_refused():
    # The linker checks an extern's store by id before touching it, so an
    # item whose store is gone cannot be reached through a newer store.
    engine = Engine()
    linker = Linker(engine)
    old = Store(engine)
    linker.define(old, "m", "f", Func(old, FuncType([], [ValType.i32()]), lambda: 1))
    old.close()
    s = Store(engine)
    with pytest.raises(WasmtimeError, match="another store"):
        linker.instantiate(s, Module(engine, IMPORTS_F))
    with pytest.raises(WasmtimeError, match="another store"):
        linker.get(s, "m", "f")


def test_linker_close():
    linker = Linker(Engine())
    linker.close()
    with pytest.raises(ValueError):
        linker.define_func("a", "b", FuncType([], []), lambda: None)
