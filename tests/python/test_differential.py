"""Differential checks against the real `wasmtime` package (when installed).

The same program runs under both; results and exception types must agree.
Ember itself never imports wasmtime: only this test does.
"""
import pytest

import ember

wasmtime = pytest.importorskip("wasmtime")

PROGRAM = """
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "mul64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.mul)
  (func (export "fdiv") (param f32 f32) (result f32) local.get 0 local.get 1 f32.div)
  (func (export "sqrt") (param f64) (result f64) local.get 0 f64.sqrt)
  (func (export "divs") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  (func (export "swap") (param i32 i64) (result i64 i32) local.get 1 local.get 0)
  (memory (export "mem") 1 2)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load))
"""

CASES = [
    ("add", (1, 2)), ("add", (0x7FFFFFFF, 1)), ("add", (2**32 + 3, -1)),
    ("mul64", (2**40, 2**30)), ("mul64", (-5, 7)),
    ("fdiv", (1.0, 3.0)), ("fdiv", (1.0, 0.0)), ("sqrt", (2.0,)),
    ("divs", (7, -2)), ("divs", (1, 0)), ("divs", (-2**31, -1)),
    ("trunc", (1e10,)), ("trunc", (-3.7,)),
    ("swap", (1, 2)),
    ("load", (0,)), ("load", (65533,)), ("load", (70000,)),
    ("add", (1.0, 2)), ("add", (1,)),
]


def run(lib, name, args):
    store = lib.Store()
    inst = lib.Instance(store, lib.Module(store.engine, PROGRAM), [])
    try:
        return ("ok", inst.exports(store)[name](store, *args))
    except lib.Trap as t:
        return ("trap", t.trap_code.name if t.trap_code else None)
    except lib.WasmtimeError:
        return ("error", None)
    except TypeError:
        return ("type", None)


@pytest.mark.parametrize("name,args", CASES)
def test_same_outcome(name, args):
    assert run(ember, name, args) == run(wasmtime, name, args)


def test_same_module_reflection():
    e1, e2 = ember.Engine(), wasmtime.Engine()
    m1, m2 = ember.Module(e1, PROGRAM), wasmtime.Module(e2, PROGRAM)
    assert [x.name for x in m1.exports] == [x.name for x in m2.exports]
    for a, b in zip(m1.exports, m2.exports):
        if isinstance(b.type, wasmtime.FuncType):
            assert isinstance(a.type, ember.FuncType)
            assert [str(p) for p in a.type.params] == [str(p) for p in b.type.params]
            assert [str(r) for r in a.type.results] == [str(r) for r in b.type.results]
