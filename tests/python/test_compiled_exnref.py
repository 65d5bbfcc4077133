"""Compiled code keeps the exceptions its frames hold: an exnref from
catch_ref / catch_all_ref, in a local, as an operand under a call or under
the function's own throws, or inside another exception's payload, stays the
same exception while enough other exceptions are thrown that the store
collects unreachable ones (a throw collects once 1,024 are live). A freed
exception object is reused by the next throw, so an exnref the collector
missed would come back with another payload. Also: a tag whose payload is
an externref, caught in compiled code, keeps the reference across a
collection. Each runs interpreted, compiled eagerly, tiered at the first
call and entered at a running loop, with the same results."""
import gc
from typing import Any, List, Tuple

import pytest

from ember import Config, Engine, Func, FuncType, Instance, Module, Store, ValType

from conftest import perf_map_names, set_strategy

WAT = """(module
  (import "" "collect" (func $collect))
  (tag $t (param i32))
  (tag $wrap (param exnref))
  (tag $x (param externref))
  ;; n exceptions thrown and caught, each unreachable once caught.
  (func $churn (param $n i32)
    (loop $l
      (block $h (try_table (catch_all $h) (throw $t (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; The exnref of an exception carrying `v`.
  (func $make (param $v i32) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $t (local.get $v)))
      (unreachable)))
  ;; The payload of exception `e`, rethrown and caught.
  (func $payload (param $e exnref) (result i32)
    (block $h (result i32)
      (try_table (catch $t $h) (throw_ref (local.get $e)))
      (unreachable)))
  ;; An exnref in a local across a call that throws n times.
  (func (export "local") (param $n i32) (result i32)
    (local $e exnref)
    (local.set $e (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $t (i32.const 42)))
      (unreachable)))
    (call $churn (local.get $n))
    (call $payload (local.get $e)))
  ;; catch_ref's payload and exnref as operands under the call.
  (func (export "operand") (param $n i32) (result i32)
    (block $h (result i32 exnref)
      (try_table (catch_ref $t $h) (throw $t (i32.const 42)))
      (unreachable))
    (call $churn (local.get $n))
    (call $payload)
    (i32.add))
  ;; An exnref in a local across this function's own throws.
  (func $local_own_throws (export "local_own_throws") (param $n i32) (result i32)
    (local $e exnref)
    (local.set $e (call $make (i32.const 42)))
    (loop $l
      (block $h (try_table (catch_all $h) (throw $t (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (call $payload (local.get $e)))
  ;; An exnref operand below a block whose loop throws.
  (func $operand_own_throws (export "operand_own_throws") (param $n i32) (result i32)
    (call $make (i32.const 42))
    (block $b
      (loop $l
        (block $h (try_table (catch_all $h) (throw $t (local.get $n))))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (call $payload))
  ;; An exnref that arrived as another exception's payload.
  (func (export "payload") (param $n i32) (result i32)
    (block $h (result exnref)
      (try_table (catch $wrap $h) (throw $wrap (call $make (i32.const 42))))
      (unreachable))
    (call $churn (local.get $n))
    (call $payload))
  ;; catch_all_ref to the function's own label: the exnref is the result.
  (func $to_label (result exnref)
    (try_table (catch_all_ref 0) (throw $t (i32.const 42)))
    (unreachable))
  (func (export "returned") (param $n i32) (result i32)
    (call $to_label)
    (call $churn (local.get $n))
    (call $payload))
  ;; An externref payload, caught, held as an operand across a collection.
  (func (export "externref") (param $r externref) (result externref)
    (block $h (result externref)
      (try_table (catch $x $h) (throw $x (local.get $r)))
      (unreachable))
    (call $collect)))
"""

EXPORTS = ["local", "operand", "local_own_throws", "operand_own_throws", "payload", "returned"]
EXPECTED = {"operand": 84}
STRATEGIES = ["interpreter", "cranelift", "tiered", "osr"]
CHURN = 5000  # several collections (the first at 1,024 live exceptions)


class Payload:
    pass


def setup(strategy: str) -> Tuple[Store, Any, Module]:
    config = Config()
    config.wasm_exceptions = True
    if strategy == "osr":  # the loops are entered compiled at their headers
        config.strategy = "auto"
        config.tier_up_after = 3
        config.parallel_compilation = False
        config.profiler = "perfmap"  # (names the loop entries: test_the_functions_run_compiled)
    else:
        set_strategy(config, strategy)
    store = Store(Engine(config))

    def collect() -> None:
        gc.collect()
        store.gc()

    module = Module(store.engine, WAT)
    instance = Instance(store, module, [Func(store, FuncType([], []), collect)])
    return store, instance.exports(store), module


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_functions_run_compiled(strategy: str) -> None:
    store, ex, module = setup(strategy)
    for name in EXPORTS:
        ex[name](store, 50)  # (osr: past tier_up_after iterations of each loop)
    if strategy == "osr":
        names = perf_map_names()
        for loop in ("churn", "local_own_throws", "operand_own_throws"):
            assert any(n.endswith(f"::{loop}::osr") for n in names), loop
    else:
        assert module.compiled_functions == {"interpreter": 0, "cranelift": 11, "tiered": 10}[strategy]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", EXPORTS)
def test_a_held_exception_survives_collections(strategy: str, name: str) -> None:
    store, ex, _ = setup(strategy)
    results: List[int] = [ex[name](store, n) for n in (3, CHURN, CHURN)]
    want = EXPECTED.get(name, 42)
    assert results == [want, want, want]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_externref_payload_survives_a_collection(strategy: str) -> None:
    store, ex, _ = setup(strategy)
    for _ in range(3):
        obj = Payload()
        assert ex["externref"](store, obj) is obj
