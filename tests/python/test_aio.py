"""ember.aio: awaiting a wasm call, and cancelling it through the store's
epoch check (an Ember extension)."""
import asyncio
import threading
import time
from typing import Any, Tuple

import pytest

import ember

WAT = """(module
  (func (export "forever") (loop br 0))
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "count") (param i32) (result i32)
    (loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l)
    local.get 0))"""


def setup(epochs: bool = True, strategy: str = "auto") -> Tuple[ember.Store, Any]:
    config = ember.Config()
    config.epoch_interruption = epochs
    config.strategy = strategy
    engine = ember.Engine(config)
    store = ember.Store(engine)
    if epochs:
        store.set_epoch_deadline(1_000_000)
    instance = ember.Instance(store, ember.Module(engine, WAT), [])
    return store, instance.exports(store)


def test_result_and_traps_come_back() -> None:
    store, ex = setup()

    async def main() -> None:
        assert await ember.aio.call(ex["add"], store, 2, 40) == 42
        with pytest.raises(TypeError):
            await ember.aio.call(ex["add"], store, "x", 1)

    asyncio.run(main())


def test_the_event_loop_runs_while_wasm_runs() -> None:
    store, ex = setup()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    async def main() -> None:
        t = asyncio.ensure_future(ticker())
        await ember.aio.call(ex["count"], store, 30_000_000)
        t.cancel()

    asyncio.run(main())
    assert ticks > 5


def test_cancelling_stops_an_infinite_loop_within_100_ms() -> None:
    store, ex = setup()

    async def main() -> float:
        task = asyncio.ensure_future(ember.aio.call(ex["forever"], store))
        await asyncio.sleep(0.1)
        assert not task.done()
        start = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.perf_counter() - start

    assert asyncio.run(main()) < 0.1
    # Usable again, with its deadline: a long loop is not interrupted.
    assert ex["count"](store, 1_000_000) == 0
    assert ex["add"](store, 1, 2) == 3


def test_a_timeout_interrupts_and_the_next_call_runs() -> None:
    store, ex = setup()

    async def main() -> None:
        start = time.perf_counter()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await ember.aio.call(ex["forever"], store)
        assert time.perf_counter() - start < 0.15
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ember.aio.call(ex["forever"], store), 0.05)
        assert await ember.aio.call(ex["add"], store, 5, 6) == 11

    asyncio.run(main())


def test_other_stores_of_the_engine_are_not_interrupted() -> None:
    config = ember.Config()
    config.epoch_interruption = True
    engine = ember.Engine(config)
    module = ember.Module(engine, WAT)
    stores = [ember.Store(engine) for _ in range(2)]
    for s in stores:
        s.set_epoch_deadline(1_000_000)
    exports = [ember.Instance(s, module, []).exports(s) for s in stores]

    async def main() -> int:
        spin = asyncio.ensure_future(ember.aio.call(exports[0]["forever"], stores[0]))
        work = asyncio.ensure_future(ember.aio.call(exports[1]["count"], stores[1], 50_000_000))
        await asyncio.sleep(0.05)
        spin.cancel()
        with pytest.raises(asyncio.CancelledError):
            await spin
        result: int = await work
        return result

    assert asyncio.run(main()) == 0


def test_without_epochs_cancelling_waits_for_the_call() -> None:
    # Interpreted, so that the loop certainly outlasts the sleep below
    # (compiled, it may be done in less).
    store, ex = setup(epochs=False, strategy="interpreter")
    with pytest.raises(ember.WasmtimeError, match="epoch_interruption"):
        store.interrupt()

    async def main() -> None:
        task = asyncio.ensure_future(ember.aio.call(ex["count"], store, 20_000_000))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The call ran to its end on the worker: the store is free now.
        assert ex["add"](store, 1, 1) == 2

    asyncio.run(main())


def test_interrupt_is_the_one_store_method_for_other_threads() -> None:
    store, ex = setup()
    result: list = []

    def run() -> None:
        try:
            ex["forever"](store)
        except ember.Trap as t:
            result.append(t.trap_code)

    th = threading.Thread(target=run)
    th.start()
    deadline = time.monotonic() + 5
    while th.is_alive() and time.monotonic() < deadline:
        store.interrupt()
        th.join(0.01)
    assert result == [ember.TrapCode.INTERRUPT]
    store.close()
    with pytest.raises(ValueError):
        store.interrupt()
