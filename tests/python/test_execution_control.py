"""Execution control from Python: fuel, epochs, limits, stack, backtraces.

Fuel accounting itself is compared with wasmtime in test_fuel_differential.py;
here are the API's rules and error paths, and the behaviours that need
threads (epochs with the GIL released, small native stacks).
"""
import threading
import time
from typing import Any, List

import pytest

import ember
from conftest import instantiate

COUNTDOWN = """(module (func (export "spin") (param i32) (result i32)
  (loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l) local.get 0))"""
FOREVER = """(module (func (export "forever") (loop br 0)))"""


def fuel_store() -> ember.Store:
    config = ember.Config()
    config.consume_fuel = True
    return ember.Store(ember.Engine(config))


# ---- fuel ----------------------------------------------------------------------

def test_fuel_needs_consume_fuel(store: ember.Store) -> None:
    with pytest.raises(ember.WasmtimeError):
        store.set_fuel(10)
    with pytest.raises(ember.WasmtimeError):
        store.get_fuel()


def test_a_new_store_has_no_fuel() -> None:
    store = fuel_store()
    assert store.get_fuel() == 0
    spin = instantiate(store, COUNTDOWN).exports(store)["spin"]
    with pytest.raises(ember.Trap) as info:
        spin(store, 1)
    assert info.value.trap_code == ember.TrapCode.OUT_OF_FUEL


def test_out_of_fuel_then_refuel() -> None:
    store = fuel_store()
    spin = instantiate(store, COUNTDOWN).exports(store)["spin"]
    store.set_fuel(100)
    with pytest.raises(ember.Trap) as info:
        spin(store, 10_000_000)
    assert info.value.trap_code == ember.TrapCode.OUT_OF_FUEL
    assert "all fuel consumed by WebAssembly" in str(info.value)
    assert store.get_fuel() == 0
    store.set_fuel(10_000)
    assert spin(store, 100) == 0
    assert 0 < store.get_fuel() < 10_000


@pytest.mark.parametrize("bad,exc", [(-1, ValueError), (2**64, ValueError),
                                     ("10", TypeError), (1.5, TypeError), (None, TypeError)])
def test_bad_fuel_values(bad: Any, exc: type) -> None:
    store = fuel_store()
    store.set_fuel(5)
    with pytest.raises(exc):
        store.set_fuel(bad)
    assert store.get_fuel() == 5  # unchanged


def test_largest_fuel_is_kept() -> None:
    store = fuel_store()
    store.set_fuel(2**64 - 1)
    assert store.get_fuel() == 2**64 - 1


# ---- epochs ----------------------------------------------------------------------

def epoch_store(deadline: int) -> ember.Store:
    config = ember.Config()
    config.epoch_interruption = True
    store = ember.Store(ember.Engine(config))
    store.set_epoch_deadline(deadline)
    return store


def test_thread_interrupts_infinite_loop_promptly() -> None:
    """The seed's example: a Python thread ticks the epoch while wasm runs.
    It can only tick if the call released the GIL."""
    store = epoch_store(100)
    engine = store.engine
    forever = instantiate(store, FOREVER).exports(store)["forever"]

    def ticker() -> None:
        time.sleep(0.05)
        for _ in range(200):
            engine.increment_epoch()
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    start = time.monotonic()
    thread.start()
    try:
        with pytest.raises(ember.Trap) as info:
            forever(store)
    finally:
        thread.join()
    assert info.value.trap_code == ember.TrapCode.INTERRUPT
    assert time.monotonic() - start < 1.0


def test_python_threads_run_while_wasm_runs() -> None:
    store = epoch_store(1)
    forever = instantiate(store, FOREVER).exports(store)["forever"]
    progress: List[int] = []

    def worker() -> None:
        for i in range(50):
            progress.append(i)
            time.sleep(0.001)
        store.engine.increment_epoch()

    t = threading.Thread(target=worker)
    t.start()
    with pytest.raises(ember.Trap):
        forever(store)
    t.join()
    assert len(progress) == 50


def test_deadline_passed_traps_at_entry_and_store_recovers() -> None:
    store = epoch_store(0)
    spin = instantiate(store, COUNTDOWN).exports(store)["spin"]
    with pytest.raises(ember.Trap) as info:
        spin(store, 1)
    assert info.value.trap_code == ember.TrapCode.INTERRUPT
    store.set_epoch_deadline(1)
    assert spin(store, 1000) == 0


@pytest.mark.parametrize("bad,exc", [(-1, ValueError), (2**64, ValueError), ("1", TypeError)])
def test_bad_epoch_deadlines(bad: Any, exc: type) -> None:
    with pytest.raises(exc):
        epoch_store(1).set_epoch_deadline(bad)


def test_increment_epoch_from_many_threads() -> None:
    store = epoch_store(400)
    engine = store.engine
    def tick() -> None:
        for _ in range(100):
            engine.increment_epoch()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    forever = instantiate(store, FOREVER).exports(store)["forever"]
    with pytest.raises(ember.Trap):
        forever(store)  # 400 ticks happened: the deadline has passed


# ---- limits ----------------------------------------------------------------------

def test_memory_limit_in_wasm_and_from_the_host(store: ember.Store) -> None:
    store.set_limits(memory_size=2 * 65536)
    inst = instantiate(store, """(module (memory (export "m") 1)
      (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))""")
    grow = inst.exports(store)["grow"]
    assert grow(store, 1) == 1
    assert grow(store, 1) == -1
    mem = inst.exports(store)["m"]
    with pytest.raises(ember.WasmtimeError):
        mem.grow(store, 1)
    assert mem.size(store) == 2
    with pytest.raises(ember.WasmtimeError, match="exceeds memory limits"):
        instantiate(store, "(module (memory 3))")


def test_count_limits(store: ember.Store) -> None:
    store.set_limits(instances=2, tables=1)
    instantiate(store, "(module (table 1 funcref))")
    with pytest.raises(ember.WasmtimeError, match="table count too high at 2"):
        instantiate(store, "(module (table 1 funcref))")
    instantiate(store, "(module)")
    with pytest.raises(ember.WasmtimeError, match="instance count too high"):
        instantiate(store, "(module)")


def test_table_limit(store: ember.Store) -> None:
    store.set_limits(table_elements=10)
    with pytest.raises(ember.WasmtimeError):
        instantiate(store, "(module (table 11 funcref))")
    inst = instantiate(store, """(module (table (export "t") 5 funcref)
      (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0))""")
    assert inst.exports(store)["grow"](store, 6) == -1
    assert inst.exports(store)["grow"](store, 5) == 5
    with pytest.raises(ember.WasmtimeError):
        inst.exports(store)["t"].grow(store, 1, None)


def test_bad_limits_leave_the_old_ones(store: ember.Store) -> None:
    store.set_limits(memory_size=65536)
    with pytest.raises(ValueError):
        store.set_limits(memory_size=1, instances=2**70)
    with pytest.raises(TypeError):
        store.set_limits(memories="1")  # type: ignore[arg-type]
    # the earlier limit still holds, the rejected ones were not applied
    with pytest.raises(ember.WasmtimeError):
        instantiate(store, "(module (memory 2))")
    instantiate(store, "(module (memory 1))")


# ---- stack -----------------------------------------------------------------------

RECURSION = """(module
  (global $depth (export "depth") (mut i32) (i32.const 0))
  (func $r (export "r") (param i32) (result i32)
    global.get $depth i32.const 1 i32.add global.set $depth
    local.get 0 i32.eqz if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub call $r end)
  (func $forever (export "forever") call $forever))"""


def test_infinite_recursion_traps(store: ember.Store) -> None:
    ex = instantiate(store, RECURSION).exports(store)
    with pytest.raises(ember.Trap) as info:
        ex["forever"](store)
    assert info.value.trap_code == ember.TrapCode.STACK_OVERFLOW
    assert len(info.value.frames) == 20
    assert ex["r"](store, 10_000) == 0  # still usable


def depth_with_stack(size: int) -> int:
    config = ember.Config()
    config.max_wasm_stack = size
    store = ember.Store(ember.Engine(config))
    ex = instantiate(store, RECURSION).exports(store)
    with pytest.raises(ember.Trap):
        ex["r"](store, 100_000_000)
    depth: int = ex["depth"].value(store)
    return depth


def test_max_wasm_stack_bounds_the_depth() -> None:
    small, large = depth_with_stack(16 * 1024), depth_with_stack(1024 * 1024)
    assert 100 < small and 16 * small < large


@pytest.mark.parametrize("bad,exc", [(0, ValueError), (-1, ValueError), (2**40, ValueError),
                                     ("big", TypeError)])
def test_bad_max_wasm_stack(bad: Any, exc: type) -> None:
    with pytest.raises(exc):
        ember.Config().max_wasm_stack = bad


def reentry(store: ember.Store) -> Any:
    """wasm -> Python -> wasm, without end."""
    holder: List[Any] = []
    f = ember.Func(store, ember.FuncType([ember.ValType.i32()], [ember.ValType.i32()]),
                   lambda x: holder[0](store, x + 1))
    inst = instantiate(store, """(module (import "" "h" (func $h (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) local.get 0 call $h))""", [f])
    holder.append(inst.exports(store)["f"])
    return holder[0]


def test_host_reentry_traps(store: ember.Store) -> None:
    f = reentry(store)
    with pytest.raises(ember.Trap) as info:
        f(store, 0)
    assert info.value.trap_code == ember.TrapCode.STACK_OVERFLOW


def test_host_reentry_on_a_small_thread_stack() -> None:
    outcome: List[Any] = []

    def run() -> None:
        store = ember.Store()
        f = reentry(store)
        try:
            f(store, 0)
        except ember.Trap as t:
            outcome.append(t.trap_code)

    old = threading.stack_size(256 * 1024)
    try:
        t = threading.Thread(target=run)
        t.start()
        t.join()
    finally:
        threading.stack_size(old)
    assert outcome == [ember.TrapCode.STACK_OVERFLOW]


# ---- backtraces --------------------------------------------------------------------

def test_trap_report_matches_wasmtime_layout(store: ember.Store) -> None:
    inst = instantiate(store, """(module $mod
      (func $bar (export "bar") unreachable)
      (func $foo (export "foo") call $bar)
      (func (export "anon") call $foo))""")
    with pytest.raises(ember.Trap) as info:
        inst.exports(store)["anon"](store)
    t = info.value
    assert str(t) == ("error while executing at wasm backtrace:\n"
                      "    0:     0x2f - mod!bar\n"
                      "    1:     0x33 - mod!foo\n"
                      "    2:     0x38 - mod!<wasm function 2>\n"
                      "\n"
                      "Caused by:\n"
                      "    wasm trap: wasm `unreachable` instruction executed\n")
    assert [(f.func_index, f.func_name, f.module_name, f.module_offset, f.func_offset)
            for f in t.frames] == [(0, "bar", "mod", 0x2f, 1), (1, "foo", "mod", 0x33, 1),
                                   (2, None, "mod", 0x38, 1)]
