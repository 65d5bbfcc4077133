"""Typed function references at the Python boundary.

A `(ref $t)` parameter, result, table slot or global can only ever hold a
function whose type is `$t` (or a declared subtype): call_ref relies on it
to call without a signature check. So every value entering wasm from Python
is checked against the typed reference's type, and a function of another
type, or None where the reference is non-nullable, is refused before any
wasm runs.
"""
from typing import Any, Dict, Tuple

import pytest

import ember

WAT = """
(module
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (func $inc (export "inc") (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $nop (export "nop") (type $v))
  (func (export "apply") (param $f (ref $ii)) (param i32) (result i32)
    (call_ref $ii (local.get 1) (local.get $f)))
  (func (export "apply-null") (param $f (ref null $ii)) (param i32) (result i32)
    (call_ref $ii (local.get 1) (local.get $f)))
  (func (export "get") (result (ref $ii)) (ref.func $inc))
  (elem declare func $inc)
  (table (export "t") 2 (ref null $ii))
  (global (export "g") (mut (ref null $ii)) (ref.null $ii))
  (func (export "call-t") (param i32) (result i32)
    (call_ref $ii (i32.const 10) (table.get 0 (local.get 0))))
  (func (export "call-g") (result i32)
    (call_ref $ii (i32.const 20) (global.get 0)))
)
"""


def setup() -> Tuple[ember.Store, Any]:
    store = ember.Store()
    inst = ember.Instance(store, ember.Module(store.engine, WAT), [])
    return store, inst.exports(store)


def test_a_function_of_the_right_type_is_called_through_call_ref() -> None:
    store, ex = setup()
    assert ex["apply"](store, ex["inc"], 41) == 42
    got = ex["get"](store)
    assert isinstance(got, ember.Func)
    assert got(store, 1) == 2
    assert ex["apply"](store, got, 1) == 2


def test_a_function_of_another_type_is_refused() -> None:
    store, ex = setup()
    with pytest.raises(TypeError, match="not of type"):
        ex["apply"](store, ex["nop"], 1)
    with pytest.raises(TypeError, match="not of type"):
        ex["apply-null"](store, ex["nop"], 1)
    # The store is unharmed.
    assert ex["apply"](store, ex["inc"], 1) == 2


def test_none_is_refused_for_a_non_nullable_reference() -> None:
    store, ex = setup()
    with pytest.raises(TypeError, match="null"):
        ex["apply"](store, None, 1)


def test_a_null_call_ref_traps() -> None:
    store, ex = setup()
    with pytest.raises(ember.Trap) as e:
        ex["apply-null"](store, None, 1)
    assert e.value.trap_code == ember.TrapCode.NULL_REFERENCE


def test_tables_and_globals_of_typed_references_check_what_is_stored() -> None:
    store, ex = setup()
    table, glob = ex["t"], ex["g"]
    with pytest.raises(TypeError, match="not of type"):
        table.set(store, 0, ex["nop"])
    with pytest.raises(TypeError, match="not of type"):
        glob.set_value(store, ex["nop"])
    table.set(store, 1, ex["inc"])
    glob.set_value(store, ex["inc"])
    assert ex["call-t"](store, 1) == 11
    assert ex["call-g"](store) == 21


def test_an_equivalent_type_from_another_module_is_accepted() -> None:
    store, ex = setup()
    other = ember.Instance(store, ember.Module(store.engine, """
      (module (type $f (func (param i32) (result i32)))
        (func (export "neg") (type $f) (i32.sub (i32.const 0) (local.get 0))))
    """), [])
    assert ex["apply"](store, other.exports(store)["neg"], 5) == -5


def test_reflected_types_name_typed_references() -> None:
    store, ex = setup()
    ty = ex["apply"].type(store)
    assert str(ty.params[0]).startswith("(ref ")
    assert str(ty.params[1]) == "i32"
    assert str(ex["g"].type(store).content).startswith("(ref null ")


def test_a_host_function_returning_the_wrong_type_does_not_reach_wasm() -> None:
    store = ember.Store()
    m = ember.Module(store.engine, """
      (module
        (type $ii (func (param i32) (result i32)))
        (import "" "pick" (func $pick (result (ref $ii))))
        (func (export "nop"))
        (func (export "run") (result i32) (call_ref $ii (i32.const 1) (call $pick))))
    """)
    pick_type = m.imports[0].type
    assert isinstance(pick_type, ember.FuncType)
    holder: Dict[str, ember.Func] = {}

    def pick() -> ember.Func:
        return holder["f"]

    inst = ember.Instance(store, m, [ember.Func(store, pick_type, pick)])
    holder["f"] = inst.exports(store)["nop"]
    with pytest.raises((ember.WasmtimeError, ember.Trap, TypeError)):
        inst.exports(store)["run"](store)
    # A function of the right type works through the same host function.
    inc = ember.Instance(store, ember.Module(store.engine, """
      (module (func (export "inc") (param i32) (result i32)
        (i32.add (local.get 0) (i32.const 1))))
    """), []).exports(store)["inc"]
    holder["f"] = inc
    assert inst.exports(store)["run"](store) == 2


TRAPS = """(module
  (type $v (func))
  (func $inner (param (ref null $v)) (call_ref $v (local.get 0)))
  (func (export "null-call") (call $inner (ref.null $v)))
  (func (export "as-non-null") (drop (ref.as_non_null (ref.null $v))))
  (func $tail (param (ref null $v)) (return_call_ref $v (local.get 0)))
  (func (export "null-tail") (call $tail (ref.null $v)))
)"""


@pytest.mark.parametrize("name", ["null-call", "as-non-null", "null-tail"])
def test_null_reference_traps_report_as_wasmtime_does(name: str) -> None:
    """The whole report (message, backtrace with offsets) and the code."""
    wasmtime = pytest.importorskip("wasmtime")
    got = []
    for w in (ember, wasmtime):
        store = w.Store()
        inst = w.Instance(store, w.Module(store.engine, TRAPS), [])
        with pytest.raises(w.Trap) as e:
            inst.exports(store)[name](store)
        got.append((str(e.value), e.value.trap_code.name if e.value.trap_code else None))
    assert got[0] == got[1]
