"""Calls between compiled functions of both conventions (a register body for
a function with at most one result and no tail call, the frame otherwise;
src/jit/llvm_lower.hh), through tail calls and host re-entry: results,
trap frames and the depth at which the call stack runs out are the
interpreter's."""
from typing import Any, Callable, List, Tuple

import pytest

import ember
from test_compiled_tier import _tier_built

pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

# $reg (one result: register body) -> $pair (two results: the frame) ->
# $tailer (a tail call: the frame) -> return_call $reg, and (with $host
# set) every fifth level through the host, which calls the export "reg"
# again. $bottom traps when asked to, with the whole chain above it; $v128
# passes a vector parameter (two slots) to a register body.
WAT = """(module
  (import "host" "reenter" (func $reenter (param i32 i32 i32) (result i32)))
  (memory 1)
  (func $reg (export "reg") (param $n i32) (param $trap i32) (param $host i32) (result i32)
    (if (result i32) (i32.le_s (local.get $n) (i32.const 0))
      (then (call $bottom (local.get $trap)))
      (else (i32.add (i32.const 1)
        (drop (call $pair (i32.sub (local.get $n) (i32.const 1)) (local.get $trap)
                          (local.get $host)))))))
  (func $pair (param $n i32) (param $trap i32) (param $host i32) (result i32 i32)
    (i32.add (i32.const 1) (call $tailer (local.get $n) (local.get $trap) (local.get $host)))
    (i32.const 7))
  (func $tailer (param $n i32) (param $trap i32) (param $host i32) (result i32)
    (if (i32.and (local.get $host) (i32.eqz (i32.rem_u (local.get $n) (i32.const 5))))
      (then (return (i32.add (i32.const 1)
        (call $reenter (local.get $n) (local.get $trap) (local.get $host))))))
    (return_call $reg (local.get $n) (local.get $trap) (local.get $host)))
  (func $bottom (param $trap i32) (result i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (if (local.get $trap) (then unreachable))
    (i32.load (i32.const 0)))
  (func $lanes (param $v v128) (param $x i64) (result i64)
    (i64.add (local.get $x) (i64.add (i64x2.extract_lane 0 (local.get $v))
                                     (i64x2.extract_lane 1 (local.get $v)))))
  (func (export "v128") (param $x i64) (result i64)
    (call $lanes (v128.const i64x2 3 40) (local.get $x)))
  (func $deep (export "deep") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (drop (call $pair (i32.sub (local.get $n) (i32.const 1))
                                                     (i32.const 0) (i32.const 1))))))))"""

STRATEGIES = [("interpreter", -1), ("cranelift", -1), ("auto", 0), ("auto", 1)]


def tier_config(strategy: str, tier_up_after: int, max_wasm_stack: int = 0, api: Any = ember) -> Any:
    """A Config for one of STRATEGIES (tier_up_after -1: Ember's default;
    the `wasmtime` package takes neither)."""
    config = api.Config()
    if api is ember:
        config.strategy = strategy
    config.wasm_tail_call = True
    if max_wasm_stack:
        config.max_wasm_stack = max_wasm_stack
    if tier_up_after >= 0:
        config.tier_up_after = tier_up_after
        config.parallel_compilation = False  # compiled at that call, which waits for it
    return config


def instance(strategy: str, tier_up_after: int, max_wasm_stack: int = 0, api: Any = ember) -> Tuple[Any, Any]:
    engine = api.Engine(tier_config(strategy, tier_up_after, max_wasm_stack, api))
    store = api.Store(engine)
    module = api.Module(engine, WAT)
    exports: dict = {}

    def reenter(n: int, trap: int, host: int) -> int:
        return int(exports["reg"](store, n, trap, host))

    host = api.Func(store, api.FuncType([api.ValType.i32()] * 3, [api.ValType.i32()]), reenter)
    inst = api.Instance(store, module, [host])
    exports.update({name: inst.exports(store)[name] for name in ("reg", "v128", "deep")})
    return store, exports


def outcomes(strategy: str, tier_up_after: int, host: int, api: Any = ember) -> List[Any]:
    store, ex = instance(strategy, tier_up_after, api=api)
    out: List[Any] = []
    for n in range(0, 23):
        out.append(ex["reg"](store, n, 0, host))
        try:
            ex["reg"](store, n, 1, host)
            out.append("returned")
        except api.Trap as t:
            out.append((str(t.trap_code).split(".")[-1], [(f.func_index, f.module_offset) for f in t.frames]))
    out.append(ex["v128"](store, 100))
    return out


def test_results_and_trap_frames_match_the_interpreter_through_both_conventions() -> None:
    expected = outcomes("interpreter", -1, host=0)
    assert expected[0] == 1 and expected[-1] == 143
    for strategy, after in STRATEGIES[1:]:
        assert outcomes(strategy, after, host=0) == expected, (strategy, after)


def test_trap_frames_through_host_reentry_match_the_package() -> None:
    # The package lists the whole stack at the trap, across the host
    # functions between (the call instruction for a host function's
    # caller), 20 frames at most; Ember adds each activation's frames as the
    # trap leaves the host function that made the nested call.
    wasmtime = pytest.importorskip("wasmtime")
    expected = outcomes("", -1, host=1, api=wasmtime)
    assert max(len(o[1]) for o in expected if isinstance(o, tuple)) == 20
    for strategy, after in STRATEGIES:
        assert outcomes(strategy, after, host=1) == expected, (strategy, after)


NESTED = """(module
  (import "h" "f" (func $f))
  (func $u (export "u") unreachable)
  (func $g (export "g") call $f)
  (func (export "outer") call $g))"""


@pytest.mark.parametrize("strategy", ["interpreter", "cranelift"])
def test_a_nested_trap_leaves_the_host_function_as_the_same_object_with_all_frames(strategy: str) -> None:
    config = ember.Config()
    config.strategy = strategy
    engine = ember.Engine(config)
    store = ember.Store(engine)
    module = ember.Module(engine, NESTED)
    caught: List[Any] = []
    exports: dict = {}

    def f() -> None:
        try:
            exports["u"](store)
        except ember.Trap as t:
            caught.append((t, [(x.func_index, x.module_offset) for x in t.frames]))
            raise

    inst = ember.Instance(store, module, [ember.Func(store, ember.FuncType([], []), f)])
    exports["u"] = inst.exports(store)["u"]
    with pytest.raises(ember.Trap) as info:
        inst.exports(store)["outer"](store)
    trap, inner = caught[0]
    assert info.value is trap  # as the package: the host function's exception, re-raised
    assert inner == [(1, 53)]  # (seen inside the host function: its own call)
    assert [(x.func_index, x.module_offset) for x in trap.frames] == [(1, 53), (2, 57), (3, 62)]
    assert "0x39 - <unknown>!g" in str(trap) and "<wasm function 3>" in str(trap)
    assert trap.trap_code == ember.TrapCode.UNREACHABLE
    # A trap the host function makes up has no frames (the package's rule).
    def made_up() -> None:
        raise ember.Trap("boom")
    inst2 = ember.Instance(store, module, [ember.Func(store, ember.FuncType([], []), made_up)])
    with pytest.raises(ember.Trap) as info2:
        inst2.exports(store)["outer"](store)
    assert info2.value.frames == [] and str(info2.value) == "boom"


def deepest(call: Callable[[int], Any], hi: int = 4096) -> int:
    """The largest n in [0, hi] for which call(n) returns; above it, the
    call stack runs out (a STACK_OVERFLOW trap)."""
    lo = 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            call(mid)
            lo = mid
        except ember.Trap as e:
            assert e.trap_code == ember.TrapCode.STACK_OVERFLOW
            hi = mid - 1
    return lo


def depth_limit(strategy: str, tier_up_after: int) -> int:
    store, ex = instance(strategy, tier_up_after, max_wasm_stack=4096)
    return deepest(lambda n: ex["deep"](store, n))


def test_the_call_stack_runs_out_at_the_same_depth_in_both_conventions() -> None:
    # $deep -> $pair -> $tailer -> $reg -> $pair ...: every call takes one
    # of the 512 frame records a 4 KiB max_wasm_stack allows, whichever
    # convention the callee has (the host re-entry of $tailer stops it at
    # multiples of five, so this recursion stays in wasm: $deep passes n-1).
    expected = depth_limit("interpreter", -1)
    assert 100 < expected < 512
    for strategy, after in STRATEGIES[1:]:
        assert depth_limit(strategy, after) == expected, (strategy, after)
