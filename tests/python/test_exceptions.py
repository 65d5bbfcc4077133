"""Wasm exceptions (throw, throw_ref, try_table, exnref) through the Python API.

What a user relies on: payloads of every value type reach the handler; an
exception no handler catches raises `Trap` ("thrown Wasm exception", naming
the tag, no trap code) with the backtrace of the throw, as the `wasmtime`
package does, and the store stays usable; an exception passes through a
Python host function that does not catch it into the wasm caller (where the
`wasmtime` package traps instead: docs/decisions.md); exnref values do not
cross into Python; `Config.wasm_exceptions = False` refuses the module.
"""
import threading
from types import ModuleType
from typing import Any, List

import pytest

import ember
from conftest import required

PAYLOADS = """(module
  (tag $all (param i32 i64 f32 f64 externref funcref))
  (func $f (export "f"))
  (elem declare func $f)
  (func $throw (param i32 i64 f32 f64 externref)
    (throw $all (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
                (ref.func $f)))
  (func (export "roundtrip") (param i32 i64 f32 f64 externref)
                             (result i32 i64 f32 f64 externref i32)
    (block $h (result i32 i64 f32 f64 externref funcref)
      (try_table (catch $all $h)
        (call $throw (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
      (unreachable))
    (ref.is_null)))
"""

THROWER = """(module
  (tag $t (export "t") (param i32))
  (tag $u)
  (import "host" "call" (func $host (param i32)))
  (func $thrower (export "thrower") (param i32) (throw $t (local.get 0)))
  (func $deep (param i32) (call $thrower (local.get 0)))
  (func (export "deep") (param i32) (call $deep (local.get 0)))
  (func (export "throw_u") (throw $u))
  (func (export "via_host") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $t $h) (call $host (local.get 0)))
      (i32.const -1)))
  (func (export "null_ref") (param exnref) (result exnref) (local.get 0))
  (func (export "caught_ref") (result exnref)
    (block $h (result i32 exnref)
      (try_table (catch_ref $t $h) (call $thrower (i32.const 1)))
      (unreachable))
    (return)))
"""


def reference() -> ModuleType:
    try:
        import wasmtime
    except ImportError:
        required("wasmtime")
    return wasmtime


def instance(w: Any, host: Any = None) -> Any:
    store = w.Store(w.Engine())
    box: List[Any] = []

    def default_host(v: int) -> None:
        box[0].exports(store)["thrower"](store, v)

    f = w.Func(store, w.FuncType([w.ValType.i32()], []), host or default_host)
    inst = w.Instance(store, w.Module(store.engine, THROWER), [f])
    box.append(inst)
    return store, inst.exports(store)


def test_payload_of_every_type_reaches_the_handler() -> None:
    store = ember.Store(ember.Engine())
    inst = ember.Instance(store, ember.Module(store.engine, PAYLOADS), [])
    token = object()
    got = inst.exports(store)["roundtrip"](store, -7, 2**40, 1.5, -0.25, token)
    assert got == [-7, 2**40, 1.5, -0.25, token, 0]


def test_uncaught_exception_is_a_trap_naming_the_tag() -> None:
    store, ex = instance(ember)
    with pytest.raises(ember.Trap) as e:
        ex["deep"](store, 3)
    assert e.value.trap_code is None
    assert 'thrown Wasm exception (tag "t")' in e.value.message
    assert [f.func_index for f in e.value.frames] == [1, 2, 3]
    with pytest.raises(ember.Trap, match=r"thrown Wasm exception \(tag 1\)"):
        ex["throw_u"](store)
    # The store stays usable.
    assert ex["via_host"](store, 5) == 5


def test_uncaught_exception_matches_wasmtime() -> None:
    wasmtime = reference()
    traps = []
    for w in (ember, wasmtime):
        store, ex = instance(w)
        with pytest.raises(w.Trap) as e:
            ex["deep"](store, 3)
        traps.append(e.value)
    ours, theirs = traps
    assert ours.trap_code is None and theirs.trap_code is None
    assert [(f.func_index, f.module_offset) for f in ours.frames] == \
        [(f.func_index, f.module_offset) for f in theirs.frames]
    # The same report, but Ember names the tag.
    assert ours.message.replace(' (tag "t")', "") == theirs.message


def test_exception_passes_through_a_host_function() -> None:
    store, ex = instance(ember)
    assert ex["via_host"](store, 42) == 42


def test_host_function_that_catches_stops_the_exception() -> None:
    seen = []

    def host(v: int) -> None:
        try:
            box[0]["thrower"](box[1], v)
        except ember.Trap as t:
            seen.append("thrown Wasm exception" in str(t))

    box: List[Any] = []
    store, ex = instance(ember, host)
    box.extend([ex, store])
    assert ex["via_host"](store, 9) == -1
    assert seen == [True]


def test_other_host_errors_are_not_caught_by_wasm() -> None:
    def host(v: int) -> None:
        raise ValueError("no")

    store, ex = instance(ember, host)
    with pytest.raises(ValueError, match="no"):
        ex["via_host"](store, 1)


def test_wasmtime_traps_at_the_host_frame() -> None:
    wasmtime = reference()
    store, ex = instance(wasmtime)
    with pytest.raises(wasmtime.Trap, match="thrown Wasm exception"):
        ex["via_host"](store, 42)


def test_exnref_does_not_cross_into_python() -> None:
    store, ex = instance(ember)
    assert ex["null_ref"](store, None) is None
    with pytest.raises(TypeError):
        ex["null_ref"](store, 5)
    with pytest.raises(ember.WasmtimeError, match="exnref"):
        ex["caught_ref"](store)


def test_switched_off_exceptions_refuse_the_module() -> None:
    config = ember.Config()
    config.wasm_exceptions = False
    with pytest.raises(ember.WasmtimeError, match="exceptions"):
        ember.Module(ember.Engine(config), THROWER)


def test_serialized_module_keeps_its_handlers() -> None:
    engine = ember.Engine()
    blob = ember.Module(engine, THROWER).serialize()
    store = ember.Store(engine)
    box: List[Any] = []

    def host(v: int) -> None:
        box[0].exports(store)["thrower"](store, v)

    f = ember.Func(store, ember.FuncType([ember.ValType.i32()], []), host)
    inst = ember.Instance(store, ember.Module.deserialize(engine, blob), [f])
    box.append(inst)
    assert inst.exports(store)["via_host"](store, 11) == 11
    with pytest.raises(ember.Trap, match="thrown Wasm exception"):
        inst.exports(store)["deep"](store, 1)


SPIN = """(module
  (tag $e (param i32))
  (func $t (param i32) (throw $e (local.get 0)))
  ;; Throws and catches forever.
  (func (export "spin") (local i32)
    (loop $l
      (block $h (result i32)
        (try_table (catch $e $h) (call $t (local.get 0)))
        (unreachable))
      (local.set 0)
      (br $l))))
"""


def test_epoch_interrupts_a_throwing_loop() -> None:
    config = ember.Config()
    config.epoch_interruption = True
    engine = ember.Engine(config)
    store = ember.Store(engine)
    store.set_epoch_deadline(1)
    inst = ember.Instance(store, ember.Module(engine, SPIN), [])
    timer = threading.Timer(0.05, engine.increment_epoch)
    timer.start()
    with pytest.raises(ember.Trap) as e:
        inst.exports(store)["spin"](store)
    timer.join()
    assert e.value.trap_code == ember.TrapCode.INTERRUPT


def test_fuel_runs_out_in_a_throwing_loop() -> None:
    config = ember.Config()
    config.consume_fuel = True
    engine = ember.Engine(config)
    store = ember.Store(engine)
    store.set_fuel(100_000)
    inst = ember.Instance(store, ember.Module(engine, SPIN), [])
    with pytest.raises(ember.Trap) as e:
        inst.exports(store)["spin"](store)
    assert e.value.trap_code == ember.TrapCode.OUT_OF_FUEL
    assert store.get_fuel() == 0


def test_exnref_appears_in_module_types() -> None:
    m = ember.Module(ember.Engine(), THROWER)
    by_name = {e.name: e.type for e in m.exports}
    ft = by_name["null_ref"]
    assert isinstance(ft, ember.FuncType)
    assert [str(t) for t in ft.params] == ["exnref"]
    assert [str(t) for t in ft.results] == ["exnref"]


def filler_functions(n: int) -> str:
    """n functions of about 3 KiB of code each: enough, with a few more, for
    the module to be translated on several threads."""
    body = "".join(f"(local.set 0 (i32.add (local.get 0) (i32.const {k})))" for k in range(300))
    return "".join(f"(func (param i32) (result i32) {body} (local.get 0))" for _ in range(n))


@pytest.mark.parametrize("parallel", [False, True])
def test_handlers_of_a_module_translated_in_parallel(parallel: bool) -> None:
    # The try tables of functions translated on other threads must land at
    # their own code once the parts are joined (they were lost before,
    # and a throw then read the wrong tables).
    wat = f"""(module (tag $t (param i32))
      {filler_functions(64)}
      (func (export "catch") (param i32) (result i32)
        (block $h (result i32)
          (try_table (catch $t $h) (throw $t (local.get 0)))
          (i32.const -1)))
      {filler_functions(64)}
      (func (export "delegated") (result i32)
        (block $h (result i32)
          (try_table (catch $t $h) (call $inner))
          (i32.const -1)))
      (func $inner (try (do (throw $t (i32.const 7))) (delegate 0))))"""
    config = ember.Config()
    config.parallel_compilation = parallel
    config.wasm_exceptions = True
    engine = ember.Engine(config)
    store = ember.Store(engine)
    ex = ember.Instance(store, ember.Module(engine, wat), []).exports(store)
    assert ex["catch"](store, 42) == 42
    assert ex["delegated"](store) == 7
