"""The compiled tier (src/jit) against the interpreter.

A module compiled eagerly (Config.strategy "cranelift": every function the
tier lowers is compiled by LLVM in Module()) must behave exactly as the
interpreter runs it: the same results, the same traps with the same
messages, trap codes and backtrace frames (function and byte offset), also
where compiled code calls the host, interpreted code, or is called back.
"""
import os
import subprocess
from typing import Any, List, Sequence, Tuple

import pytest

import ember

HERE = os.path.dirname(__file__)
CLI = os.environ.get("EMBER_CLI")


def _tier_built() -> bool:
    if not CLI:
        return False
    out = subprocess.run([CLI, "inspect", "--compiled", os.path.join(HERE, "..", "..", "examples", "fac.wat")],
                         capture_output=True, text=True).stdout
    return "compiled tier: 2 of 2" in out


pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

WAT = """
(module
  (import "host" "cb" (func $cb (param i32) (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $interp_div)
  (global $g (mut i32) (i32.const 7))
  (func $fib (export "fib") (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_u
    if (result i32) local.get 0
    else local.get 0 i32.const 1 i32.sub call $fib local.get 0 i32.const 2 i32.sub call $fib i32.add end)
  (func $div (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func $rem (export "rem") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_s)
  (func $load (export "load") (param i32) (result i32) local.get 0 i32.load offset=4)
  (func $store8 (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8 offset=1)
  (func $deep (export "deep") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $deep)
  (func $via_host (export "via_host") (param i32) (result i32) local.get 0 call $cb i32.const 1 i32.add)
  ;; call_indirect keeps this one in the interpreter: compiled -> interpreted
  (func $interp_div (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u)
  (func $indirect (param i32 i32) (result i32) local.get 0 local.get 1 i32.const 0 call_indirect (param i32 i32) (result i32))
  (func (export "through_interp") (param i32 i32) (result i32) local.get 0 local.get 1 call $indirect)
  (func (export "nested") (param i32) (result i32) local.get 0 call $div_by)
  (func $div_by (param i32) (result i32) i32.const 100 local.get 0 call $div)
  (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  (func (export "trunc_u") (param f32) (result i64) local.get 0 i64.trunc_f32_u)
  (func (export "sat") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_u)
  (func (export "fmin") (param f32 f32) (result f32) local.get 0 local.get 1 f32.min)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow drop memory.size)
  (func (export "glob") (param i32) (result i32) global.get $g local.get 0 i32.add global.set $g global.get $g)
  (func (export "rot") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rotl)
  (func (export "unreachable") unreachable)
  ;; tail calls: constant stack in both tiers, direct and through the table
  (func $count (export "count") (param i64) (result i64)
    local.get 0 i64.eqz if (result i64) i64.const 42 else local.get 0 i64.const 1 i64.sub return_call $count end)
  (type $t (func (param i64) (result i64)))
  (table $tt 1 funcref)
  (elem (table $tt) (i32.const 0) func $count_ind)
  (func $count_ind (export "count_ind") (param i64) (result i64)
    local.get 0 i64.eqz if (result i64) i64.const 7
    else local.get 0 i64.const 1 i64.sub i32.const 0 return_call_indirect $tt (type $t) end)
  (func (export "tail_host") (param i32) (result i32) local.get 0 return_call $cb)
  ;; exceptions thrown by an interpreted function through compiled frames
  (tag $e (param i32))
  (func $thrower (param i32) (result i32) local.get 0 throw $e)
  (func $via (param i32) (result i32) local.get 0 call $thrower i32.const 1 i32.add)
  (func (export "throws") (param i32) (result i32) local.get 0 call $via)
  (func (export "catches") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) local.get 0 call $via)))
)
"""

CALLS: List[Tuple[str, Sequence[Any]]] = [
    ("fib", [20]), ("div", [7, 2]), ("div", [7, 0]), ("div", [-2**31, -1]), ("rem", [-2**31, -1]),
    ("rem", [5, 0]), ("load", [0]), ("load", [65532]), ("load", [2**32 - 1]), ("store8", [65534, 9]),
    ("store8", [65535, 9]), ("deep", [0]), ("via_host", [3]), ("via_host", [-1]), ("through_interp", [9, 2]),
    ("through_interp", [9, 0]), ("nested", [5]), ("nested", [0]), ("trunc", [2.5]), ("trunc", [float("nan")]),
    ("trunc", [3e9]), ("trunc", [-2147483648.9]), ("trunc", [-2147483649.0]), ("trunc_u", [-0.9]),
    ("trunc_u", [-1.0]), ("trunc_u", [1.8446744e19]), ("sat", [-5.0]), ("sat", [1e12]),
    ("fmin", [-0.0, 0.0]), ("grow", [1]), ("grow", [70000]), ("glob", [5]), ("rot", [1, 65]),
    ("unreachable", []), ("count", [1_000_000]), ("count_ind", [1_000_000]), ("tail_host", [4]),
    ("tail_host", [-3]), ("throws", [5]), ("catches", [6]),
]


def run_all(strategy: str, tier_up_after: int = -1) -> List[Tuple[Any, ...]]:
    config = ember.Config()
    config.strategy = strategy
    if tier_up_after >= 0:
        # Tiering forced: compiled at the first call, which waits for it.
        config.tier_up_after = tier_up_after
        config.parallel_compilation = False
    config.wasm_tail_call = True
    config.wasm_exceptions = True
    engine = ember.Engine(config)
    store = ember.Store(engine)
    module = ember.Module(engine, WAT)

    def cb(x: int) -> int:
        if x < 0:
            raise ValueError("host says no")
        return x * 2

    cb_func = ember.Func(store, ember.FuncType([ember.ValType.i32()], [ember.ValType.i32()]), cb)
    inst = ember.Instance(store, module, [cb_func])
    out: List[Tuple[Any, ...]] = []
    for name, args in CALLS:
        try:
            out.append(("ok", name, inst.exports(store)[name](store, *args)))
        except ember.Trap as t:
            frames = [(f.func_index, f.module_offset) for f in t.frames]
            out.append(("trap", name, t.trap_code, t.message, frames))
        except Exception as e:  # host errors, uncaught exceptions
            frames = [(f.func_index, f.module_offset) for f in getattr(e, "frames", None) or []]
            out.append(("error", name, type(e).__name__, str(e).splitlines()[0], frames))
    return out


def test_compiled_code_matches_the_interpreter_result_for_result_and_trap_for_trap():
    interpreted = run_all("interpreter")
    compiled = run_all("cranelift")
    assert len(compiled) == len(CALLS)
    for a, b in zip(interpreted, compiled):
        assert a == b


def test_tiered_code_matches_the_interpreter_result_for_result_and_trap_for_trap():
    interpreted = run_all("interpreter")
    # Every function compiled at its first call (which goes on interpreted
    # up to a loop header, then compiled); the exports called twice run
    # compiled the second time.
    tiered = run_all("auto", tier_up_after=0)
    assert len(tiered) == len(CALLS)
    for a, b in zip(interpreted, tiered):
        assert a == b


def test_traps_in_compiled_code_carry_frames_and_offsets():
    compiled = run_all("cranelift")
    nested = [c for c in compiled if c[1] == "nested" and c[0] == "trap"]
    assert nested, compiled
    # div <- div_by <- nested: three frames, each with a byte offset.
    assert len(nested[0][4]) == 3
    assert all(off is not None for _, off in nested[0][4])
    deep = [c for c in compiled if c[1] == "deep"][0]
    assert deep[0] == "trap" and deep[2] == ember.TrapCode.STACK_OVERFLOW
    through = [c for c in compiled if c[1] == "through_interp" and c[0] == "trap"][0]
    # interp_div (interpreted) <- indirect (interpreted) <- the export (compiled)
    assert len(through[4]) == 3


def test_llvm_diagnosis_options_reach_the_optimizer_and_the_code_generator(ember_cli: str,
                                                                         tmp_path: Any) -> None:
    # EMBER_LLVM_OPTIONS (docs/architecture.md): LLVM's printing options name
    # passes of both pipelines -- the optimizer's (SROA) and the code
    # generator's (instruction selection) -- and a compile still succeeds.
    fac = os.path.join(HERE, "..", "..", "examples", "fac.wat")
    env = dict(os.environ, EMBER_LLVM_OPTIONS="-print-after=sroa,finalize-isel")
    p = subprocess.run([ember_cli, "compile", fac, "-o", str(tmp_path / "fac.cwasm")], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "IR Dump After SROAPass" in p.stderr
    assert "IR Dump After Finalize ISel" in p.stderr
    quiet = {k: v for k, v in os.environ.items() if k != "EMBER_LLVM_OPTIONS"}
    plain = subprocess.run([ember_cli, "compile", fac, "-o", str(tmp_path / "plain.cwasm")],
                           env=quiet, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0 and "IR Dump" not in plain.stderr
