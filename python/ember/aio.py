"""asyncio support: await a wasm call without blocking the event loop.

An Ember extension (the `wasmtime` package has no counterpart)::

    result = await ember.aio.call(func, store, 1, 2)

The call runs on a worker thread (wasm runs without the GIL, so the event
loop and other threads go on). When the awaiting task is cancelled, or a
timeout around it (`asyncio.timeout`, `asyncio.wait_for`) expires, the wasm
is stopped through `Store.interrupt()` at its next epoch check (a function
entry or loop header) and the task gets `asyncio.CancelledError` (the
timeout helpers turn it into `TimeoutError`). The store stays usable, with
the epoch deadline it had.

Interrupting needs `Config.epoch_interruption = True` on the store's engine
(and a deadline set with `Store.set_epoch_deadline`, as for any epoch use).
Without it, cancelling waits for the call to return by itself before
raising `CancelledError`, since a store cannot be left with a call running.
"""
import asyncio
import concurrent.futures
import threading
from typing import Any, Optional

from ._error import WasmtimeError

__all__ = ["call"]


class _Call:
    """One call's state, shared by the event loop and the worker thread.

    The lock orders `interrupt()` against the call's end: once the worker
    has marked the call finished, no interrupt is requested any more, so
    none can reach a later call of the store.
    """

    def __init__(self, func: Any, store: Any, args: Any) -> None:
        self.func = func
        self.store = store
        self.args = args
        self.lock = threading.Lock()
        self.started = False
        self.finished = False
        self.cancelled = False

    def run(self) -> Any:
        with self.lock:
            if self.cancelled:
                raise asyncio.CancelledError()
            self.started = True
        try:
            return self.func(self.store, *self.args)
        finally:
            with self.lock:
                self.finished = True

    def cancel(self) -> None:
        """Stops the call: it will not start, or it is interrupted."""
        with self.lock:
            self.cancelled = True
            if not self.started or self.finished:
                return
            try:
                self.store.interrupt()
            except WasmtimeError:
                pass  # no epoch interruption: the call runs to its end


async def call(func: Any, store: Any, *args: Any,
               executor: Optional[concurrent.futures.Executor] = None) -> Any:
    """Calls `func(store, *args)` on a worker thread and awaits its result.

    Args:
        func: The wasm function (a `Func`, or any callable taking the store
            first).
        store: The store to call in. Only one call may run in a store at a
            time, as always.
        *args: The call's arguments.
        executor: Where to run the call; the event loop's default executor
            when None.

    Returns:
        What `func(store, *args)` returns.

    Raises:
        asyncio.CancelledError: If the awaiting task was cancelled (or timed
            out); the wasm has stopped by then.
        Trap: If the wasm traps.
        WasmtimeError: As the call itself raises it.
        TypeError: If the arguments do not fit the function.
    """
    job = _Call(func, store, args)
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(executor, job.run)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        job.cancel()
        await _settle(future)
        raise


async def _settle(future: "asyncio.Future[Any]") -> None:
    """Waits until the worker is done with the store, even if the awaiting
    task is cancelled again meanwhile, and drops the call's outcome (the
    interrupt trap, or a result that came in just before the interrupt):
    the task is cancelled, and its CancelledError is what it raises."""
    while not future.done():
        try:
            await asyncio.shield(future)
        except BaseException:
            pass
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log it
