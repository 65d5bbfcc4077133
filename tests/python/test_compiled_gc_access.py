"""struct.get/set and array.get/set/len, inline in compiled code, give the
interpreter's results for every field storage (packed i8 and i16 read
signed and unsigned, i32, i64, f32, f64, references, and v128, which stays
out of line) over edge values, and trap alike (null struct, null array,
an index at and past the length, the largest index) with the same trap
codes and frames."""
from typing import Any, List, Tuple

import pytest

import ember
from ember import Module

from conftest import gc_exports

WAT = """(module
  (type $s (struct (field (mut i8)) (field (mut i16)) (field (mut i32)) (field (mut i64))
                   (field (mut f32)) (field (mut f64)) (field (mut externref))
                   (field (mut v128))))
  (type $a8 (array (mut i8)))
  (type $a16 (array (mut i16)))
  (type $a64 (array (mut i64)))
  (type $af (array (mut f64)))
  (type $av (array (mut v128)))
  (global $g (mut (ref null $s)) (ref.null $s))
  (func (export "new") (global.set $g (struct.new_default $s)))
  (func (export "drop") (global.set $g (ref.null $s)))
  ;; Each field written with x, read back every way it can be.
  (func (export "fields") (param $x i64) (result i32 i32 i32 i32 i32 i64 f32 f64)
    (local $r (ref null $s))
    (local.set $r (global.get $g))
    (struct.set $s 0 (local.get $r) (i32.wrap_i64 (local.get $x)))
    (struct.set $s 1 (local.get $r) (i32.wrap_i64 (local.get $x)))
    (struct.set $s 2 (local.get $r) (i32.wrap_i64 (local.get $x)))
    (struct.set $s 3 (local.get $r) (local.get $x))
    (struct.set $s 4 (local.get $r) (f32.reinterpret_i32 (i32.wrap_i64 (local.get $x))))
    (struct.set $s 5 (local.get $r) (f64.reinterpret_i64 (local.get $x)))
    (struct.set $s 7 (local.get $r) (i64x2.splat (local.get $x)))
    (struct.get_s $s 0 (local.get $r))
    (struct.get_u $s 0 (local.get $r))
    (struct.get_s $s 1 (local.get $r))
    (struct.get_u $s 1 (local.get $r))
    (struct.get $s 2 (local.get $r))
    (i64.xor (struct.get $s 3 (local.get $r))
             (i64x2.extract_lane 1 (struct.get $s 7 (local.get $r))))
    (struct.get $s 4 (local.get $r))
    (struct.get $s 5 (local.get $r)))
  (func (export "ref_field") (param externref) (result externref)
    (struct.set $s 6 (global.get $g) (local.get 0))
    (struct.get $s 6 (global.get $g)))
  ;; Arrays of n elements: element i set to x, read back; the length.
  (func (export "arrays") (param $n i32) (param $i i32) (param $x i64)
        (result i32 i32 i32 i32 i64 f64 i64 i32)
    (local $b (ref $a8)) (local $h (ref $a16)) (local $w (ref $a64)) (local $f (ref $af))
    (local $v (ref $av))
    (local.set $b (array.new_default $a8 (local.get $n)))
    (local.set $h (array.new_default $a16 (local.get $n)))
    (local.set $w (array.new_default $a64 (local.get $n)))
    (local.set $f (array.new_default $af (local.get $n)))
    (local.set $v (array.new_default $av (local.get $n)))
    (array.set $a8 (local.get $b) (local.get $i) (i32.wrap_i64 (local.get $x)))
    (array.set $a16 (local.get $h) (local.get $i) (i32.wrap_i64 (local.get $x)))
    (array.set $a64 (local.get $w) (local.get $i) (local.get $x))
    (array.set $af (local.get $f) (local.get $i) (f64.reinterpret_i64 (local.get $x)))
    (array.set $av (local.get $v) (local.get $i) (i64x2.splat (local.get $x)))
    (array.get_s $a8 (local.get $b) (local.get $i))
    (array.get_u $a8 (local.get $b) (local.get $i))
    (array.get_s $a16 (local.get $h) (local.get $i))
    (array.get_u $a16 (local.get $h) (local.get $i))
    (array.get $a64 (local.get $w) (local.get $i))
    (array.get $af (local.get $f) (local.get $i))
    (i64x2.extract_lane 0 (array.get $av (local.get $v) (local.get $i)))
    (array.len (local.get $w)))
  ;; The neighbours of element i are untouched by its store.
  (func (export "neighbours") (param $i i32) (result i32)
    (local $b (ref $a8))
    (local.set $b (array.new $a8 (i32.const 0x5a) (i32.const 8)))
    (array.set $a8 (local.get $b) (local.get $i) (i32.const -1))
    (i32.add (array.get_u $a8 (local.get $b) (i32.sub (local.get $i) (i32.const 1)))
             (array.get_u $a8 (local.get $b) (i32.add (local.get $i) (i32.const 1)))))
  (func (export "null_array") (param $k i32) (result i32)
    (local $a (ref null $a64))
    (if (i32.eq (local.get $k) (i32.const 0)) (then (return (array.len (local.get $a)))))
    (if (i32.eq (local.get $k) (i32.const 1))
      (then (return (i32.wrap_i64 (array.get $a64 (local.get $a) (i32.const 0))))))
    (array.set $a64 (local.get $a) (i32.const 0) (i64.const 1))
    (i32.const 0)))
"""

EDGES = [0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
         0xFFFFFFFF, 2**63 - 1, -(2**63), 0x0123456789ABCDEF, 0x7FC00001, 0x7FF8000000000001]
ARRAYS = [(1, 0), (3, 2), (4, 3), (4, 4), (4, 5), (2, -1), (0, 0), (1000, 999)]


def outcome(f: Any) -> Any:
    try:
        return ("ok", f())
    except ember.Trap as t:
        return ("trap", t.trap_code, t.message, [(fr.func_index, fr.module_offset) for fr in t.frames])


def run_all(strategy: str) -> Tuple[List[Any], Module]:
    store, ex, module = gc_exports(strategy, WAT)
    out: List[Any] = []
    for _ in range(2):  # (tiered: the second round runs compiled code)
        out.append(outcome(lambda: ex["fields"](store, 1)))  # null struct
        ex["new"](store)
        for x in EDGES:
            out.append(outcome(lambda: ex["fields"](store, x)))
        obj = object()
        out.append(ex["ref_field"](store, obj) is obj)
        for n, i in ARRAYS:
            for x in (-1, 0x8081, 2**63 - 1):
                out.append(outcome(lambda: ex["arrays"](store, n, i, x)))
        for i in (1, 4, 6):
            out.append(outcome(lambda: ex["neighbours"](store, i)))
        for k in range(3):
            out.append(outcome(lambda: ex["null_array"](store, k)))
        ex["drop"](store)
    return out, module


def nan_safe(values: List[Any]) -> str:
    return repr(values)  # (a NaN compares unequal to itself; its repr does not)


@pytest.mark.parametrize("strategy", ["cranelift", "tiered"])
def test_field_and_element_accesses_match_the_interpreter(strategy: str) -> None:
    compiled, module = run_all(strategy)
    interpreted, _ = run_all("interpreter")
    assert nan_safe(compiled) == nan_safe(interpreted)
    assert module.compiled_functions == 7
    codes = {o[1] for o in interpreted if isinstance(o, tuple) and o[0] == "trap"}
    assert codes == {ember.TrapCode.NULL_REFERENCE, ember.TrapCode.ARRAY_OUT_OF_BOUNDS}
