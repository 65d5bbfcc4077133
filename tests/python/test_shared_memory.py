"""SharedMemory and atomics across Python threads (threads proposal).

One SharedMemory is imported by instances in several stores, each store
used by its own Python thread (calls release the GIL while wasm runs). The
counts must be exact every run, waits must wake or time out, and a memory
one thread grows must never show another a torn size. Also run under TSan
(tests/run-sanitizers.sh).
"""
import threading
import time
from typing import Any, List

import pytest

import ember

COUNTER = """(module
  (import "env" "mem" (memory 1 16 shared))
  (func (export "add") (param $n i32)
    (loop $l
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "wait") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "last") (result i32)
    (i32.load (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4)))))"""


def shared_engine() -> ember.Engine:
    config = ember.Config()
    config.shared_memory = True
    return ember.Engine(config)


def shared_type(lo: int, hi: int) -> ember.MemoryType:
    return ember.MemoryType(ember.Limits(lo, hi), shared=True)


class Worker:
    """One thread's store and instance of COUNTER on a shared memory."""

    def __init__(self, engine: ember.Engine, module: ember.Module,
                 mem: ember.SharedMemory) -> None:
        self.store = ember.Store(engine)
        self.exports = ember.Instance(self.store, module, [mem]).exports(self.store)

    def __call__(self, name: str, *args: Any) -> Any:
        return self.exports[name](self.store, *args)


def test_creation_follows_the_config_and_the_type() -> None:
    ty = shared_type(1, 3)
    with pytest.raises(ember.WasmtimeError, match="Config::shared_memory"):
        ember.SharedMemory(ember.Engine(), ty)
    engine = shared_engine()
    with pytest.raises(ember.WasmtimeError):
        ember.SharedMemory(engine, ember.MemoryType(ember.Limits(1, 3)))
    with pytest.raises(AttributeError):
        ember.SharedMemory(1, ty)
    with pytest.raises(AttributeError):
        ember.SharedMemory(engine, 1)  # type: ignore[arg-type]
    with pytest.raises(ember.WasmtimeError):
        ember.MemoryType(ember.Limits(1, None), shared=True)
    with pytest.raises(ember.WasmtimeError):  # a store memory cannot be shared
        ember.Memory(ember.Store(engine), ty)

    mem = ember.SharedMemory(engine, ty)
    assert isinstance(mem, ember.SharedMemory)
    assert (mem.size(), mem.data_len()) == (1, 65536)
    assert mem.grow(0) == 1
    assert mem.grow(2) == 1
    assert (mem.size(), mem.data_len()) == (3, 3 * 65536)
    assert mem.type().is_shared and mem.type().limits == ember.Limits(3, 3)
    with pytest.raises(ember.WasmtimeError):
        mem.grow(1)  # past the maximum
    with pytest.raises(ember.WasmtimeError):
        mem.grow(-1)
    with pytest.raises(TypeError):
        mem.grow("")  # type: ignore[arg-type]
    with mem:
        pass
    with pytest.raises(ValueError):
        mem.size()


def test_buffer_protocol_and_data_ptr_show_what_wasm_sees() -> None:
    engine = shared_engine()
    mem = ember.SharedMemory(engine, shared_type(1, 2))
    w = Worker(engine, ember.Module(engine, COUNTER), mem)
    view = memoryview(mem)  # type: ignore[arg-type]  # (buffer slot of the native base)
    assert (len(view), view.readonly, view.format) == (65536, False, "B")
    view[4:8] = (1234).to_bytes(4, "little")
    assert w("load", 4) == 1234
    w("store", 8, 0x01020304)
    assert bytes(view[8:12]) == bytes([4, 3, 2, 1])
    assert mem.data_ptr()[8] == 4
    mem.data_ptr()[12] = 9
    assert w("load", 12) == 9
    # A view keeps the memory alive after the object is closed.
    mem.close()
    del w
    assert view[12] == 9
    view.release()


def test_exports_imports_and_the_linker_share_one_memory() -> None:
    engine = shared_engine()
    store = ember.Store(engine)
    inst = ember.Instance(store, ember.Module(engine, """(module
        (memory (export "mem") 1 16 shared)
        (data (i32.const 0) "\\2a"))"""), [])
    exported = inst.exports(store)["mem"]
    assert isinstance(exported, ember.SharedMemory)
    assert exported == inst.exports(store)["mem"]
    assert hash(exported) == hash(inst.exports(store)["mem"])

    linker = ember.Linker(engine)
    linker.define(store, "env", "mem", exported)
    module = ember.Module(engine, COUNTER)
    other = ember.Store(engine)  # a different store takes the same memory
    ex = linker.instantiate(other, module).exports(other)
    assert ex["load"](other, 0) == 0x2a
    ex["store"](other, 0, 7)
    assert memoryview(exported)[0] == 7  # type: ignore[arg-type]
    del store, inst
    import gc
    gc.collect()  # the defining store is gone; the memory is not
    assert ex["load"](other, 0) == 7


def test_atomic_increments_from_four_threads_are_exact() -> None:
    engine = shared_engine()
    module = ember.Module(engine, COUNTER)
    mem = ember.SharedMemory(engine, shared_type(1, 16))
    threads, each = 4, 1_000_000
    errors: List[BaseException] = []

    def work() -> None:
        try:
            Worker(engine, module, mem)("add", each)
        except BaseException as e:  # reported below
            errors.append(e)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    assert Worker(engine, module, mem)("load", 0) == threads * each


def test_wait_is_woken_by_notify_and_times_out() -> None:
    engine = shared_engine()
    module = ember.Module(engine, COUNTER)
    mem = ember.SharedMemory(engine, shared_type(1, 1))
    main = Worker(engine, module, mem)
    assert main("wait", 16, 1, -1) == 1  # the value differs: "not-equal"
    t0 = time.monotonic()
    assert main("wait", 16, 0, 30_000_000) == 2  # "timed-out"
    assert time.monotonic() - t0 >= 0.03

    woke: List[int] = []
    waiter = threading.Thread(
        target=lambda: woke.append(Worker(engine, module, mem)("wait", 16, 0, -1)))
    waiter.start()
    woken = 0
    deadline = time.monotonic() + 10
    while woken == 0 and time.monotonic() < deadline:
        woken = main("notify", 16, 1)  # 0 until the waiter is parked
        if woken == 0:
            time.sleep(0.001)
    waiter.join(10)
    assert not waiter.is_alive()
    assert (woken, woke) == (1, [0])
    assert main("notify", 16, 3) == 0


def test_growth_in_one_thread_is_seen_whole_by_another() -> None:
    engine = shared_engine()
    module = ember.Module(engine, COUNTER)
    mem = ember.SharedMemory(engine, shared_type(1, 16))
    done = threading.Event()
    seen: List[int] = []
    errors: List[BaseException] = []

    def read() -> None:
        w = Worker(engine, module, mem)
        try:
            while not done.is_set():
                seen.append(w("size"))
                w("last")  # the last word of what this thread sees is there
        except BaseException as e:
            errors.append(e)

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(1, 16):
        assert mem.grow(1) == i
        time.sleep(0.001)
    done.set()
    reader.join()
    assert not errors
    assert seen == sorted(seen) and 1 <= seen[0] and seen[-1] <= 16
    assert mem.size() == 16


def test_wait_on_an_unshared_memory_traps_as_wasmtime() -> None:
    engine = ember.Engine()
    store = ember.Store(engine)
    ex = ember.Instance(store, ember.Module(engine, """(module (memory 1)
        (func (export "wait") (result i32)
          (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
        (func (export "notify") (result i32)
          (memory.atomic.notify (i32.const 0) (i32.const 1))))"""), []).exports(store)
    assert ex["notify"](store) == 0
    with pytest.raises(ember.Trap) as e:
        ex["wait"](store)
    assert e.value.trap_code == ember.TrapCode.ATOMIC_WAIT_NON_SHARED_MEMORY
    assert "atomic wait on non-shared memory" in str(e.value)
    assert ex["notify"](store) == 0  # the store stays usable


def test_a_shared_memory_a_module_defines_needs_the_config() -> None:
    engine = ember.Engine()  # Config.shared_memory off, as wasmtime requires
    module = ember.Module(engine, "(module (memory 1 1 shared))")
    store = ember.Store(engine)
    with pytest.raises(ember.WasmtimeError, match="Config::shared_memory"):
        ember.Instance(store, module, [])
    engine = shared_engine()
    store = ember.Store(engine)
    ember.Instance(store, ember.Module(engine, "(module (memory 1 1 shared))"), [])
