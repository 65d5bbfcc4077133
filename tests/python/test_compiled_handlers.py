"""Exception handlers in compiled code (decision 46): try_table's catch and
catch_all and the legacy try's catch, catch_all, rethrow and delegate run
compiled -- eagerly and tiered -- with the interpreter's results, caught
payloads, uncaught exceptions and trap frames, whether the exception comes
from a throw in the same function, a compiled or interpreted callee, or
the host, and catch_ref / catch_all_ref (decision 57). Tiered, each
function's first call runs interpreted with its callees compiled once they
have been called, so exceptions also cross interpreted frames between
compiled ones."""
from typing import Any, List, Tuple

import pytest

import ember
from test_compiled_tier import _tier_built

pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

WAT = r"""
(module
  (import "host" "cb" (func $cb (param i32) (result i32)))
  (tag $e (export "e") (param i32))
  (tag $e2 (param i64 f64))
  (tag $empty)
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (func $thrower (param i32) (result i32)
    (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $e (i32.const 11))))
    (if (i32.eq (local.get 0) (i32.const 2)) (then (throw $e2 (i64.const -5) (f64.const 2.5))))
    (if (i32.eq (local.get 0) (i32.const 3)) (then (throw $empty)))
    (if (i32.eq (local.get 0) (i32.const 4)) (then (unreachable)))
    (if (i32.eq (local.get 0) (i32.const 5)) (then (return (call $cb (i32.const -1)))))
    (if (i32.eq (local.get 0) (i32.const 6)) (then (return (call $cb (i32.const -2)))))
    (i32.add (local.get 0) (i32.const 100)))
  ;; catch_all_ref, then throw_ref: the exception goes on to the caller
  (func $rethrower (param i32) (result i32)
    (block $h (result exnref)
      (return (try_table (result i32) (catch_all_ref $h) (call $thrower (local.get 0)))))
    throw_ref)
  ;; payloads of two tags, catch_all, and what a clause leaves on the stack
  (func (export "tags") (param i32) (result i64)
    (local $acc i64)
    (local.set $acc (i64.const 1000))
    (block $all
      (block $h2 (result i64 f64)
        (block $h1 (result i32)
          (try_table (catch $e $h1) (catch $e2 $h2) (catch_all $all)
            (drop (call $thrower (local.get 0))))
          (return (i64.const -1)))
        i64.extend_i32_s local.get $acc i64.add return)
      drop local.get $acc i64.add return)
    (i64.const 7))
  ;; through an interpreted frame and a compiled one
  (func (export "through") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $rethrower (local.get 0)))))
  ;; a clause to the function's own label: returns the payload
  (func (export "to_return") (param i32) (result i32)
    (try_table (catch $e 0) (drop (call $thrower (local.get 0))))
    (i32.const -7))
  ;; a clause to a loop header: retries with the counter in a local
  (func (export "retry") (param i32) (result i32)
    (local $n i32)
    (loop $again (result i32)
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (try_table (catch_all $again)
        (if (i32.lt_u (local.get $n) (local.get 0)) (then (throw $empty))))
      (local.get $n)))
  ;; a throw in the same function, in a loop; the memory grows in between
  (func (export "sum") (param i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (block $h (result i32)
        (try_table (catch $e $h)
          (drop (memory.grow (i32.const 0)))
          (throw $e (local.get $i)))
        (unreachable))
      (local.set $s (i32.add (local.get $s)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
    (local.get $s))
  ;; nested: the inner clause does not match, the outer one does
  (func (export "nested") (param i32) (result i32)
    (block $outer (result i32)
      (block $inner
        (try_table (catch $e $outer)
          (try_table (catch $empty $inner)
            (drop (call $thrower (local.get 0)))))
        (return (i32.const 0)))
      (i32.const -3)))
  ;; legacy: catch, catch_all, rethrow, delegate
  (func (export "legacy") (param i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get 0)))
      (catch $e (i32.add (i32.const 500)))
      (catch_all (i32.const 600))))
  (func (export "legacy_rethrow") (param i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $thrower (local.get 0)))
          (catch_all (global.set $g (i32.add (global.get $g) (i32.const 1))) (rethrow 0))))
      (catch $e)))
  (func (export "legacy_delegate") (param i32) (result i32)
    (try $t (result i32)
      (do
        (try (result i32)
          (do (call $thrower (local.get 0)))
          (delegate $t)))
      (catch $e (drop) (i32.const 42))))
  (func (export "g") (result i32) (global.get $g))
)
"""

CALLS: List[Tuple[str, List[int]]] = [
    (name, [arg]) for name in ("tags", "through", "to_return", "nested", "legacy", "legacy_rethrow",
                              "legacy_delegate")
    for arg in (0, 1, 2, 3, 4, 5, 6)
] + [("retry", [1]), ("retry", [50]), ("sum", [100]), ("g", [])]


def run_all(strategy: str, tier_up_after: int = -1, rounds: int = 1) -> Tuple[List[Any], int]:
    config = ember.Config()
    config.strategy = strategy
    if tier_up_after >= 0:
        config.tier_up_after = tier_up_after
        config.parallel_compilation = False
    config.wasm_exceptions = True
    engine = ember.Engine(config)
    store = ember.Store(engine)
    module = ember.Module(engine, WAT)

    def cb(x: int) -> int:
        if x == -1:
            raise ValueError("host says no")
        raise ember.Trap("host trap")

    cb_func = ember.Func(store, ember.FuncType([ember.ValType.i32()], [ember.ValType.i32()]), cb)
    inst = ember.Instance(store, module, [cb_func])
    out: List[Any] = []
    for _ in range(rounds):
        for name, args in CALLS:
            try:
                out.append(("ok", name, args, inst.exports(store)[name](store, *args)))
            except ember.Trap as t:
                frames = [(f.func_index, f.module_offset) for f in t.frames]
                out.append(("trap", name, args, t.trap_code, t.message, frames))
            except Exception as e:
                frames = [(f.func_index, f.module_offset) for f in getattr(e, "frames", None) or []]
                out.append(("error", name, args, type(e).__name__, str(e).splitlines()[0], frames))
    return out, module.compiled_functions


def test_handlers_compile():
    _, compiled = run_all("cranelift")
    assert compiled == 12  # every defined function


def test_compiled_handlers_match_the_interpreter():
    interpreted, _ = run_all("interpreter")
    compiled, _ = run_all("cranelift")
    assert [c[0] for c in compiled].count("ok") > 20
    for a, b in zip(interpreted, compiled):
        assert a == b


def test_tiered_handlers_match_the_interpreter():
    interpreted, _ = run_all("interpreter", rounds=2)
    tiered, compiled = run_all("auto", tier_up_after=0, rounds=2)
    assert compiled == 12
    for a, b in zip(interpreted, tiered):
        assert a == b
