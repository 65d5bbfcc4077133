"""Tiering (Config.strategy "auto"): the interpreter runs first, functions
and loops that get hot are compiled by the compiled tier and take over --
at the next call, or at a loop header of the call already running
(on-stack replacement) -- with the same results, fuel and interrupts as
the interpreter.
"""
import os
import threading
import time
from typing import Any, Tuple

import pytest

import ember
from test_compiled_tier import _tier_built

pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

WAT = """
(module
  (memory 1)
  (func $sum (export "sum") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
      (i64.store (i32.const 8) (local.get $acc))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  ;; a loop with values on the operand stack across its header, and a trap
  ;; after the loop got hot
  (func (export "stacked") (param $n i32) (result i32)
    (local $i i32)
    (i32.const 1000)
    (loop $l (param i32) (result i32)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (i32.add (i32.const 3))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.div_u (local.get $n)))
  (func (export "forever") (loop $l (br $l)))
)
"""


def make(strategy: str = "auto", tier_up_after: int = 0, wait: bool = True,
         fuel: bool = False, epochs: bool = False) -> Tuple[ember.Store, Any, ember.Module]:
    config = ember.Config()
    config.strategy = strategy
    config.tier_up_after = tier_up_after
    config.parallel_compilation = not wait
    config.consume_fuel = fuel
    config.epoch_interruption = epochs
    engine = ember.Engine(config)
    store = ember.Store(engine)
    module = ember.Module(engine, WAT)
    return store, ember.Instance(store, module, []).exports(store), module


def test_hot_functions_are_compiled_and_give_the_same_results():
    store, ex, module = make()
    assert module.compiled_functions == 0
    assert ex["fib"](store, 20) == 6765
    # fib got hot at its first call: its later calls are compiled
    assert module.compiled_functions == 1
    assert ex["fib"](store, 25) == 75025
    assert ex["sum"](store, 100_000) == 4999950000
    assert module.compiled_functions == 2


def test_a_loop_already_running_goes_on_in_compiled_code_with_the_same_state():
    # One call: the loop is entered at its header in compiled code, with the
    # locals and the operand stack the interpreter had.
    store, ex, module = make()
    interp_store, interp_ex, _ = make(strategy="interpreter")
    for n in (1, 2, 7, 5000):
        assert ex["stacked"](store, n) == interp_ex["stacked"](interp_store, n)
    with pytest.raises(ember.Trap) as tiered:
        ex["stacked"](store, 0)
    with pytest.raises(ember.Trap) as interpreted:
        interp_ex["stacked"](interp_store, 0)
    assert tiered.value.trap_code == interpreted.value.trap_code == ember.TrapCode.INTEGER_DIVISION_BY_ZERO
    assert ([(f.func_index, f.module_offset) for f in tiered.value.frames]
            == [(f.func_index, f.module_offset) for f in interpreted.value.frames])


def test_fuel_is_charged_alike_across_the_switch_to_compiled_code():
    def spent(strategy: str, call: str, arg: int) -> Tuple[int, int]:
        store, ex, _ = make(strategy=strategy, fuel=True)
        store.set_fuel(10**9)
        result = ex[call](store, arg)
        return result, 10**9 - store.get_fuel()

    for call, arg in (("sum", 3000), ("fib", 15), ("stacked", 999)):
        assert spent("auto", call, arg) == spent("interpreter", call, arg)


def test_running_out_of_fuel_in_a_compiled_loop_traps_as_interpreted():
    def run(strategy: str) -> Tuple[Any, int]:
        store, ex, _ = make(strategy=strategy, fuel=True)
        store.set_fuel(50_000)
        with pytest.raises(ember.Trap) as t:
            ex["sum"](store, 10**9)
        return t.value.trap_code, store.get_fuel()

    assert run("auto") == run("interpreter")


def test_the_interpreter_strategy_never_compiles():
    store, ex, module = make(strategy="interpreter")
    for _ in range(3):
        ex["sum"](store, 100_000)
        ex["fib"](store, 18)
    assert module.compiled_functions == 0


def test_background_compilation_takes_over_a_hot_loop_and_epochs_still_interrupt():
    # The loop runs on one thread while the compile thread installs its code
    # and another thread moves the epoch on (TSan runs this test).
    store, ex, module = make(tier_up_after=1000, wait=False, epochs=True)
    store.set_epoch_deadline(1)
    engine = store.engine
    stop = threading.Event()

    def ticker() -> None:
        # (after 30 s regardless: a tier that never installs the loop's
        # code fails the assertion below instead of hanging)
        deadline = time.monotonic() + 30
        while not stop.is_set():
            time.sleep(0.005)
            if module.compiled_functions or time.monotonic() > deadline:
                engine.increment_epoch()

    th = threading.Thread(target=ticker)
    th.start()
    try:
        with pytest.raises(ember.Trap) as t:
            ex["forever"](store)
    finally:
        stop.set()
        th.join()
    assert t.value.trap_code == ember.TrapCode.INTERRUPT
    assert module.compiled_functions == 1
    # The store goes on; the compiled code is interruptible again.
    store.set_epoch_deadline(1)
    engine.increment_epoch()
    with pytest.raises(ember.Trap):
        ex["forever"](store)


def test_calls_from_several_threads_while_code_is_installed():
    config = ember.Config()
    config.tier_up_after = 50
    engine = ember.Engine(config)
    module = ember.Module(engine, WAT)
    errors: list = []

    def work() -> None:
        try:
            store = ember.Store(engine)
            ex = ember.Instance(store, module, []).exports(store)
            for _ in range(200):
                assert ex["fib"](store, 12) == 144
                assert ex["sum"](store, 300) == 44850
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_a_deserialized_module_tiers_up_too():
    store, ex, module = make()
    blob = module.serialize()
    again = ember.Module.deserialize(store.engine, blob)
    inst = ember.Instance(store, again, []).exports(store)
    assert inst["fib"](store, 15) == 610
    assert again.compiled_functions == 1
    # An engine that does not tier runs the same blob interpreted.
    config = ember.Config()
    config.strategy = "interpreter"
    engine = ember.Engine(config)
    plain = ember.Module.deserialize(engine, blob)
    other = ember.Store(engine)
    assert ember.Instance(other, plain, []).exports(other)["fib"](other, 15) == 610
    assert plain.compiled_functions == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_child_runs_on_without_the_compile_thread():
    store, ex, module = make(tier_up_after=10, wait=False)
    ex["fib"](store, 15)
    pid = os.fork()
    if pid == 0:  # the child: compiled or interpreted, it computes
        code = 0
        try:
            if ex["fib"](store, 20) != 6765 or ex["sum"](store, 5000) != 12497500:
                code = 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _busy_body(n: int) -> str:
    """`n` dependent arithmetic steps on $x: a body LLVM takes a while over."""
    step = ("(local.set $x (i32.xor (i32.mul (local.get $x) (i32.const {k})) "
            "(i32.shr_u (local.get $x) (i32.const 7))))")
    return "\n".join(step.format(k=2 * i + 3) for i in range(n))


# Defined functions: 0 $big (a loop with a large body: a long first
# compile), 1 $ended (a loop that gets hot and ends while $big compiles),
# 2 $running (a loop that gets hot and goes on), 3 main. main waits in a
# host function after $big, so that $big's compile is under way, alone,
# before the others ask.
QUEUE_ORDER_WAT = f"""
(module
  (import "host" "pause" (func $pause))
  (func $big (param $n i32) (result i32)
    (local $i i32) (local $x i32)
    (loop $l
      {_busy_body(1000)}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $x))
  (func $ended (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  (func $running (param $n i32) (result i32)
    (local $i i32) (local $x i32)
    (loop $l
      (local.set $x (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $x))
  (func (export "main") (result i32)
    (call $big (i32.const 300))
    (call $pause)
    (i32.add (call $ended (i32.const 1000)) (call $running (i32.const 100000000)))
    (i32.add)))
"""

QUEUE_ORDER_SCRIPT = """
import sys, time, ember
config = ember.Config()
config.tier_up_after = 100
engine = ember.Engine(config)
store = ember.Store(engine)
module = ember.Module(engine, sys.stdin.read())
pause = ember.Func(store, ember.FuncType([], []), lambda: time.sleep(0.05))
ember.Instance(store, module, [pause]).exports(store)["main"](store)
"""


def test_what_runs_now_is_compiled_before_what_asked_earlier() -> None:
    # $ended asks for its loop before $running does, both while $big's
    # compile is in flight; when that is done, $running is still running
    # (asking again every 100 iterations) and $ended is not: $running's
    # loop is compiled first. (First come first served: $ended's first.)
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-c", QUEUE_ORDER_SCRIPT], input=QUEUE_ORDER_WAT,
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, EMBER_TIER_TRACE="1"))
    assert p.returncode == 0, p.stderr
    lines = p.stderr.splitlines()
    requests = [line.split(" request ")[1].split(" (")[0] for line in lines if " request " in line]
    assert requests[:3] == ["f0 loops", "f1 loops", "f2 loops"], p.stderr
    batches = [line.split(" batch ")[1].split(" (")[0] for line in lines
               if " batch " in line and "batch done" not in line]
    assert batches[:2] == ["f0 loops", "f2 loops"], p.stderr
