"""A compiled register body whose entry block tests its parameters and may
return at once (fib's `n < 2`) is split in two (src/jit/llvm_engine.cc,
split_early_return): the test and the early return, which keep no frame,
and a jump to the rest. The rest is a function of its own in the machine
code; what a user sees must not change: results, trap codes and frames
(module offsets), the depth at which the call stack runs out, profiler
names, serialized code."""
import os
from typing import Any, List, Tuple

import pytest

import ember
from test_call_conventions import STRATEGIES, deepest, tier_config
from test_compiled_tier import _tier_built

pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

# $fib returns at once below 2 and recurses in a loop otherwise (the shape
# clang gives fib); $walk returns at once at 0 and otherwise divides by
# $d before recursing (a trap in the rest, with the chain of calls above).
WAT = """(module $split
  (func $fib (export "fib") (param $n i32) (result i32)
    (local $acc i32)
    (if (i32.lt_u (local.get $n) (i32.const 2)) (then (return (local.get $n))))
    (loop $l
      (local.set $acc (i32.add (local.get $acc)
                               (call $fib (i32.sub (local.get $n) (i32.const 1)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br_if $l (i32.gt_u (local.get $n) (i32.const 1))))
    (i32.add (local.get $n) (local.get $acc)))
  (func $walk (export "walk") (param $n i32) (param $d i32) (result i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (i32.add (i32.div_u (i32.const 1000) (local.get $d))
             (call $walk (i32.sub (local.get $n) (i32.const 1))
                         (i32.sub (local.get $d) (i32.const 1))))))"""

def exports(strategy: str, tier_up_after: int, max_wasm_stack: int = 0, profiler: str = "none") -> Tuple[Any, Any]:
    config = tier_config(strategy, tier_up_after, max_wasm_stack)
    config.profiler = profiler
    engine = ember.Engine(config)
    store = ember.Store(engine)
    inst = ember.Instance(store, ember.Module(engine, WAT), [])
    return store, inst.exports(store)


def outcomes(strategy: str, tier_up_after: int) -> List[Any]:
    store, ex = exports(strategy, tier_up_after)
    out: List[Any] = [ex["fib"](store, n) for n in range(0, 21)]
    for n, d in [(0, 0), (1, 5), (5, 9), (5, 3), (12, 4), (30, 29), (30, 17)]:
        try:
            out.append(ex["walk"](store, n, d))
        except ember.Trap as t:
            out.append((str(t.trap_code), [(f.func_index, f.module_offset) for f in t.frames]))
    out.append(ex["fib"](store, 15))  # the store stays usable after a trap
    return out


def test_results_and_trap_frames_match_the_interpreter() -> None:
    expected = outcomes("interpreter", -1)
    assert expected[:8] == [0, 1, 1, 2, 3, 5, 8, 13] and expected[20] == 6765
    code, frames = expected[24]  # walk(5, 3): divides by 0 four calls down
    assert code == str(ember.TrapCode.INTEGER_DIVISION_BY_ZERO) and len(frames) == 4
    for strategy, after in STRATEGIES[1:]:
        assert outcomes(strategy, after) == expected, (strategy, after)


def depth_limit(strategy: str, tier_up_after: int) -> int:
    store, ex = exports(strategy, tier_up_after, max_wasm_stack=4096)
    return deepest(lambda n: ex["walk"](store, n, 1 << 30))


def test_the_call_stack_runs_out_at_the_interpreters_depth() -> None:
    # A 4 KiB max_wasm_stack allows 512 frame records; the leaf at the
    # bottom is the first call that returns at once.
    expected = depth_limit("interpreter", -1)
    assert 400 < expected <= 512
    for strategy, after in STRATEGIES[1:]:
        assert depth_limit(strategy, after) == expected, (strategy, after)


def test_both_parts_are_named_after_the_wasm_function_for_perf() -> None:
    path = f"/tmp/perf-{os.getpid()}.map"
    before = os.path.getsize(path) if os.path.exists(path) else 0
    store, ex = exports("cranelift", -1, profiler="perfmap")
    assert ex["fib"](store, 10) == 55
    with open(path) as f:
        f.seek(before)
        names = [line.split(" ", 2)[2] for line in f.read().splitlines()]
    fib = [n for n in names if n.endswith("::fib")]
    # The entry the runtime calls, the register body (the test and the early
    # return) and the rest: three pieces of machine code, one name.
    assert len(fib) == 3, names
    assert not any(n.startswith("f") and n[1:2].isdigit() for n in names), names


def test_serialized_code_runs_the_split_function() -> None:
    config = ember.Config()
    config.strategy = "cranelift"
    engine = ember.Engine(config)
    blob = ember.Module(engine, WAT).serialize()
    store = ember.Store(engine)
    inst = ember.Instance(store, ember.Module.deserialize(engine, blob), [])
    assert inst.exports(store)["fib"](store, 20) == 6765
    with pytest.raises(ember.Trap) as info:
        inst.exports(store)["walk"](store, 5, 3)
    assert info.value.trap_code == ember.TrapCode.INTEGER_DIVISION_BY_ZERO
    assert len(info.value.frames) == 4
