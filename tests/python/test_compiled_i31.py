"""`ref.i31`, `i31.get_s`, `i31.get_u` and `ref.eq` in compiled code give
the interpreter's results over the values where the 31-bit encoding can go
wrong (sign bit, bit 30, the bit dropped), and a null i31 traps alike."""
from typing import Any, List, Tuple

import pytest

import ember
from ember import Module

from conftest import gc_exports

WAT = """(module
  (func (export "round_s") (param i32) (result i32)
    (i31.get_s (ref.i31 (local.get 0))))
  (func (export "round_u") (param i32) (result i32)
    (i31.get_u (ref.i31 (local.get 0))))
  (func (export "eq") (param i32 i32) (result i32)
    (ref.eq (ref.i31 (local.get 0)) (ref.i31 (local.get 1))))
  (func (export "eq_null") (param i32) (result i32)
    (ref.eq (ref.i31 (local.get 0)) (ref.null i31)))
  (func (export "get_null") (param i32) (result i32)
    (i31.get_u (select (result i31ref) (ref.i31 (i32.const 5)) (ref.null i31) (local.get 0)))))
"""

EDGES = [0, 1, -1, 2**30 - 1, 2**30, -(2**30), -(2**30) - 1, 2**31 - 1, -(2**31), 0x55555555,
         -0x55555556, 12345, -12345]


def run_all(strategy: str) -> Tuple[List[Any], Module]:
    store, ex, module = gc_exports(strategy, WAT)
    out: List[Any] = []
    for _ in range(2):  # (tiered: the second round runs compiled code)
        for x in EDGES:
            out.append((ex["round_s"](store, x), ex["round_u"](store, x), ex["eq_null"](store, x)))
            out.extend(ex["eq"](store, x, y) for y in EDGES)
        for c in (1, 0):
            try:
                out.append(ex["get_null"](store, c))
            except ember.Trap as t:
                out.append((t.trap_code, [(f.func_index, f.module_offset) for f in t.frames]))
    return out, module


@pytest.mark.parametrize("strategy", ["cranelift", "tiered"])
def test_i31_and_ref_eq_match_the_interpreter(strategy: str) -> None:
    compiled, module = run_all(strategy)
    interpreted, _ = run_all("interpreter")
    assert compiled == interpreted
    assert module.compiled_functions == 5
    assert interpreted[-1][0] == ember.TrapCode.NULL_REFERENCE
