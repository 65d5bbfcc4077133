"""Loops whose i32 addresses are widened in compiled code (decision 55).

Compiled code runs a copy of an innermost loop in which `zext(p + C)` is
the 64-bit `zext(p) + C` (so LLVM can relate `c[j]` to `c[j + 1]` and
vectorize) when a check before the loop shows that no address of any
iteration wraps and every access is in bounds; otherwise the loop as
written runs, scalar, and faults where the interpreter does. These tests run
loops over every combination of a small domain of starts, strides,
constant offsets and trip counts, including addresses that wrap around
2^32 at the first iteration, in the middle of the loop (accesses guarded
so that only in-bounds ones run) and never, over memory 0 and a second
memory, and hold the compiled tiers to the interpreter: the same results,
the same memory after the call, the same trap, fault address and
backtrace offsets.
"""
import hashlib
import itertools
from typing import Any, Dict, List, Tuple

import pytest

import ember
from conftest import set_strategy

MEMORY = 65536

# (step, first offset, second offset) of the reading loops.
SUMS = [(8, 0, 8), (16, 0, 8), (16, 32, 40), (-16, 0, 8), (16, -8, 0), (4, 0, 4),
        (8, 0x7FFFFFF8, 0x7FFFFFF0), (24, -0x7FFFFFF0, 8)]
# (step, offset) of the read-modify-write loops over two pointers.
AXPYS = [(16, 8), (8, 8), (-16, 8), (16, -8)]


def sum_func(step: int, o1: int, o2: int, memory: int = 0) -> str:
    # acc += m[p + o1] + m[p + o2] in the iterations i >= from, p += step.
    suffix = f"_m{memory}" if memory else ""
    return f"""
  (func (export "sum_{step}_{o1}_{o2}{suffix}") (param $p i32) (param $n i32) (param $from i32)
        (result i64) (local $i i32) (local $acc i64)
    (loop $top
      (if (i32.ge_u (local.get $i) (local.get $from))
        (then
          (local.set $acc (i64.add (local.get $acc)
            (i64.add (i64.load {memory} (i32.add (local.get $p) (i32.const {o1})))
                     (i64.load {memory} (i32.add (local.get $p) (i32.const {o2}))))))))
      (local.set $p (i32.add (local.get $p) (i32.const {step})))
      (br_if $top (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                            (local.get $n))))
    (local.get $acc))"""


def axpy_func(step: int, off: int) -> str:
    # m[p] += 3 * m[q]; m[p + off] += 3 * m[q + off]; p += step; q += step
    # (matmul's unrolled c[j] += a * b[k][j], over two pointers that may
    # overlap).
    def one(o: int) -> str:
        at_p = f"(i32.add (local.get $p) (i32.const {o}))"
        at_q = f"(i32.add (local.get $q) (i32.const {o}))"
        return (f"(i64.store {at_p} (i64.add (i64.load {at_p}) "
                f"(i64.mul (i64.const 3) (i64.load {at_q}))))")
    return f"""
  (func (export "axpy_{step}_{off}") (param $p i32) (param $q i32) (param $n i32)
        (local $i i32)
    (loop $top
      {one(0)}
      {one(off)}
      (local.set $p (i32.add (local.get $p) (i32.const {step})))
      (local.set $q (i32.add (local.get $q) (i32.const {step})))
      (br_if $top (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                            (local.get $n)))))"""


# Grows memory 0 by a page, then sums the n words at p (in the new page:
# the loop's check reads the size the grow left).
GROW_SUM = """
  (func (export "grow_sum") (param $p i32) (param $n i32) (result i64) (local $acc i64)
    (drop (memory.grow (i32.const 1)))
    (loop $top
      (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))"""

# A counter stepping by 2 up to `i != n` from a start the function is
# given: SCEV counts its iterations only if it does not wrap (a predicate
# the check tests); with an odd distance it wraps, and the loop runs on
# until an access faults.
SUM_NE = """
  (func (export "sum_ne") (param $p i32) (param $i i32) (param $n i32) (result i64)
        (local $acc i64)
    (loop $top
      (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $top (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 2)))
                          (local.get $n))))
    (local.get $acc))"""
NE_STARTS = [0, 1, 7, 0xFFFFFFFE]
NE_ENDS = [0, 2, 9, 40, 0x7FFFFFFF]

WAT = ("(module (memory (export \"memory\") 1) (memory (export \"other\") 1)" + "".join(
    [sum_func(*s) for s in SUMS] + [sum_func(*s, memory=1) for s in SUMS[:3]] +
    [axpy_func(*a) for a in AXPYS]) + GROW_SUM + SUM_NE + ")")

# Starts at both ends of the memory and at both ends of the i32 range: an
# address p + C wraps at the first iteration (p near 2^32, C > 0), in the
# middle (p near 2^32, the accesses of the first iterations skipped by
# `from`), or never.
STARTS = [0, 8, 64, MEMORY - 128, MEMORY - 16, 0x80000000, 0xFFFFFFC0, 0xFFFFFFF0, 0xFFFFFFF8]
COUNTS = [1, 5, 9, 300]
FROMS = [0, 4]
PAIRS = [(0, 8), (8, 0), (16, 1000), (1000, 16), (MEMORY - 256, 64), (0xFFFFFFC0, 64),
         (64, 0xFFFFFFF0)]


def pattern() -> bytes:
    return bytes((i * 7 + (i >> 8) * 13) & 0xFF for i in range(MEMORY))


Outcome = Tuple[Any, ...]


def call(store: "ember.Store", f: Any, args: List[int], memory: "ember.Memory") -> Outcome:
    try:
        value = f(store, *args)
    except ember.Trap as t:
        frames = [(fr.func_index, fr.module_offset) for fr in t.frames]
        return ("trap", t.trap_code, str(t), frames)
    return ("ok", value, hashlib.sha256(memory.read(store, 0, MEMORY)).hexdigest())


def outcomes(strategy: str) -> Dict[Tuple[Any, ...], Outcome]:
    engine = ember.Engine(set_strategy(ember.Config(), strategy))
    store = ember.Store(engine)
    exports = ember.Instance(store, ember.Module(engine, WAT), []).exports(store)
    memory = exports["memory"]
    fill = pattern()
    memory.write(store, fill, 0)
    exports["other"].write(store, fill[::-1], 0)
    out: Dict[Tuple[Any, ...], Outcome] = {}
    sums = [(s, "") for s in SUMS] + [(s, "_m1") for s in SUMS[:3]]
    for ((step, o1, o2), suffix), p, n, start in itertools.product(sums, STARTS, COUNTS, FROMS):
        name = f"sum_{step}_{o1}_{o2}{suffix}"
        out[(name, p, n, start)] = call(store, exports[name], [p, n, start], memory)
    for p, i, n in itertools.product(STARTS, NE_STARTS, NE_ENDS):
        out[("sum_ne", p, i, n)] = call(store, exports["sum_ne"], [p, i, n], memory)
    for (step, off), (p, q), n in itertools.product(AXPYS, PAIRS, COUNTS):
        memory.write(store, fill, 0)
        name = f"axpy_{step}_{off}"
        out[(name, p, q, n)] = call(store, exports[name], [p, q, n], memory)
    return out


@pytest.mark.parametrize("strategy", ["cranelift", "tiered"])
def test_widened_loops_compute_and_fault_as_the_interpreter_does(strategy: str) -> None:
    want = outcomes("interpreter")
    kinds = [o[0] for o in want.values()]
    # The domain has both: loops that run (wrapping or not) and loops that fault.
    assert kinds.count("ok") > 250 and kinds.count("trap") > 100
    got = outcomes(strategy)
    assert got.keys() == want.keys()
    # values and memory, or trap code, message (the fault address) and
    # frames with their offsets
    assert [(k, got[k], want[k]) for k in want if got[k] != want[k]] == []


def test_a_loop_whose_addresses_wrap_midway_runs_as_written() -> None:
    # p starts 64 bytes below 2^32; the accesses start at the fifth
    # iteration, when p + 0 has wrapped to 0: in-bounds only modulo 2^32.
    for strategy in ["interpreter", "cranelift", "tiered"]:
        engine = ember.Engine(set_strategy(ember.Config(), strategy))
        store = ember.Store(engine)
        exports = ember.Instance(store, ember.Module(engine, WAT), []).exports(store)
        exports["memory"].write(store, (1).to_bytes(8, "little") * 64, 0)
        # iterations 4..19 read m[16k - 64] and m[16k - 56]: 16 * (1 + 1)
        assert exports["sum_16_0_8"](store, 0xFFFFFFC0, 20, 4) == 32, strategy
        # and a start that wraps at once: m[32 - 16 + 16k], m[40 - 16 + 16k]
        assert exports["sum_16_32_40"](store, 0xFFFFFFF0, 20, 0) == 40, strategy


@pytest.mark.parametrize("strategy", ["cranelift", "tiered"])
def test_a_loop_after_memory_grow_reads_the_new_size(strategy: str) -> None:
    # (start, count, what the interpreter gives): the new page is zeroes,
    # the old page's last 8 words are 3.
    cases = [(MEMORY, 10, 0), (2 * MEMORY - 80, 10, 0), (2 * MEMORY - 72, 10, None),
             (MEMORY - 8, 300, 3), (MEMORY - 64, 8, 24)]
    for p, n, want in cases:
        got = []
        for s in ["interpreter", strategy]:
            engine = ember.Engine(set_strategy(ember.Config(), s))
            store = ember.Store(engine)
            exports = ember.Instance(store, ember.Module(engine, WAT), []).exports(store)
            exports["memory"].write(store, (3).to_bytes(8, "little") * 8, MEMORY - 64)
            got.append(call(store, exports["grow_sum"], [p, n], exports["memory"]))
        assert got[0][:2] == (("ok", want) if want is not None
                              else ("trap", ember.TrapCode.MEMORY_OUT_OF_BOUNDS)), (p, n)
        assert got[1] == got[0], (p, n)
