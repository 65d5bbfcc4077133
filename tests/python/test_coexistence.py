"""Ember's compiled code and the `wasmtime` package in one process.

The package turns out-of-bounds accesses and stack overflow into traps with
its own signal handlers (guard pages); Ember's compiled tier checks bounds
and stack explicitly and installs no handler today. Whatever Ember does
with signals later (guard pages, issue 13), both engines must keep working
side by side: traps of each, interleaved, stay traps of the right kind, and
results stay right. Both JITs (Cranelift's and LLVM's) live in the process.
"""
from typing import Any, Tuple

import pytest

import ember

wasmtime = pytest.importorskip("wasmtime")

WAT = """
(module
  (memory (export "mem") 1)
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "sum") (param i32) (result i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get 0)))
      (local.set $s (i32.add (local.get $s) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get $s)))
"""


def ember_exports(strategy: str) -> Tuple[Any, Any, Any]:
    config = ember.Config()
    config.strategy = strategy
    engine = ember.Engine(config)
    store = ember.Store(engine)
    module = ember.Module(engine, WAT)
    return store, ember.Instance(store, module, []).exports(store), module


def wasmtime_exports() -> Tuple[Any, Any]:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module(engine, WAT)
    return store, wasmtime.Instance(store, module, []).exports(store)


@pytest.mark.parametrize("strategy", ["cranelift", "auto"])
def test_traps_of_both_engines_interleaved(strategy: str) -> None:
    es, ex, module = ember_exports(strategy)
    ws, wx = wasmtime_exports()
    for round in range(3):
        # out of bounds: a signal in wasmtime, an explicit check in Ember
        with pytest.raises(wasmtime.Trap) as wt:
            wx["load"](ws, 65536)
        assert wt.value.trap_code == wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS
        with pytest.raises(ember.Trap) as et:
            ex["load"](es, 65536)
        assert et.value.trap_code == ember.TrapCode.MEMORY_OUT_OF_BOUNDS
        # stack overflow: wasmtime's guard page, Ember's stack checks
        with pytest.raises(wasmtime.Trap) as wt:
            wx["deep"](ws, 0)
        assert wt.value.trap_code == wasmtime.TrapCode.STACK_OVERFLOW
        with pytest.raises(ember.Trap) as et:
            ex["deep"](es, 0)
        assert et.value.trap_code == ember.TrapCode.STACK_OVERFLOW
        # and the code still computes
        total = (100_000 * 100_001 // 2) % 2**32
        assert wx["sum"](ws, 100_000) == ex["sum"](es, 100_000) == total - (2**32 if total >= 2**31 else 0)
    if strategy == "cranelift":
        assert module.compiled_functions == 3
