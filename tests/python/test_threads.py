"""Threads: Engine and Module are shareable; a Store used by two threads at
once raises WasmtimeError instead of crashing."""
import threading

import pytest

from conftest import instantiate
from ember import Engine, Func, FuncType, Instance, Module, Store, WasmtimeError

FAC = """(module (func $fac (export "fac") (param i64) (result i64)
  local.get 0 i64.eqz if (result i64) i64.const 1
  else local.get 0 local.get 0 i64.const 1 i64.sub call $fac i64.mul end))"""


def test_engine_and_module_shared_across_threads():
    engine = Engine()
    module = Module(engine, FAC)
    results = []

    def work():
        store = Store(engine)
        fac = Instance(store, module, []).exports(store)["fac"]
        results.append(sum(fac(store, 20) for _ in range(200)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200 * 2432902008176640000] * 4


def test_store_used_from_two_threads_at_once(store):
    errors = []
    target = Func(store, FuncType([], []), lambda: None)

    def other_thread():
        try:
            target(store)
        except WasmtimeError as e:
            errors.append(e)

    def host():
        # Runs inside a call on this thread's store; another thread tries
        # to enter the same store meanwhile.
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()

    f = Func(store, FuncType([], []), host)
    inst = instantiate(store, '(module (import "" "h" (func $h)) (func (export "run") call $h))', [f])
    inst.exports(store)["run"](store)
    assert len(errors) == 1
    assert "thread" in str(errors[0])
    target(store)  # usable again once the first call is done
