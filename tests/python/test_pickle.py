"""Pickling Engine and Module: shipping compiled wasm to other processes
(multiprocessing, ProcessPoolExecutor, Dask) and running it there."""
import concurrent.futures
import multiprocessing
import os
import pickle
import subprocess
import sys
from typing import Any, List

import pytest

import ember
from ember import _pickle

WAT = """(module
  (type $t (func (param i64) (result i64)))
  (table 1 funcref) (elem (i32.const 0) $fib)
  (func $fib (type $t)
    local.get 0 i64.const 2 i64.lt_u
    if (result i64) local.get 0
    else
      local.get 0 i64.const 1 i64.sub i32.const 0 call_indirect (type $t)
      local.get 0 i64.const 2 i64.sub call $fib
      i64.add
    end)
  (func (export "fib") (param i64) (result i64) local.get 0 call $fib))"""

INPUTS = list(range(20))


def fuel_engine() -> ember.Engine:
    config = ember.Config()
    config.consume_fuel = True
    config.wasm_simd = False
    config.cranelift_flag_set("opt_level", "speed")
    return ember.Engine(config)


def run_fib(module: ember.Module, n: int) -> int:
    """What a worker does: a store of the module's engine, one call."""
    store = ember.Store(module.engine)
    store.set_fuel(10**9)
    instance = ember.Instance(store, module, [])
    result: int = instance.exports(store)["fib"](store, n)
    return result


def local_results() -> List[int]:
    module = ember.Module(fuel_engine(), WAT)
    return [run_fib(module, n) for n in INPUTS]


def test_engine_pickles_as_its_settings() -> None:
    engine = fuel_engine()
    copy = pickle.loads(pickle.dumps(engine))
    assert isinstance(copy, ember.Engine) and copy != engine
    assert copy._config_log == engine._config_log
    store = ember.Store(copy)
    store.set_fuel(5)  # consume_fuel came along
    assert store.get_fuel() == 5


def test_module_unpickles_without_compiling_and_runs() -> None:
    engine = fuel_engine()
    module = ember.Module(engine, WAT)
    engine2, module2 = pickle.loads(pickle.dumps((engine, module)))
    assert module2.engine is engine2  # one engine, as pickled
    assert module2.ptr().binary() == b""  # loaded from the serialized form
    assert [run_fib(module2, n) for n in INPUTS] == local_results()
    assert [e.name for e in module2.exports] == ["fib"]


def test_module_runs_in_a_store_of_any_engine_configured_alike() -> None:
    module = pickle.loads(pickle.dumps(ember.Module(fuel_engine(), WAT)))
    mine = fuel_engine()
    store = ember.Store(mine)
    store.set_fuel(10**6)
    assert ember.Instance(store, module, []).exports(store)["fib"](store, 10) == 55
    linker = ember.Linker(mine)
    assert linker.instantiate(store, module).exports(store)["fib"](store, 11) == 89
    with pytest.raises(ember.WasmtimeError, match="configurations differ.*consume_fuel"):
        ember.Instance(ember.Store(ember.Engine()), module, [])


def test_a_build_that_cannot_load_the_blob_compiles_the_binary() -> None:
    module = ember.Module(fuel_engine(), WAT)
    restore, (engine, blob, binary) = module.__reduce__()
    assert binary == ember.wat2wasm(WAT)
    # Another build refuses the serialized form; the binary is compiled.
    foreign = bytearray(blob)
    foreign[-1] ^= 0xFF
    again = restore(engine, bytes(foreign), binary)
    assert again.ptr().binary() == binary
    assert run_fib(again, 12) == 144
    with pytest.raises(ember.WasmtimeError, match="carries no binary"):
        restore(engine, bytes(foreign), None)


def test_cache_setting_is_not_carried(tmp_path: Any) -> None:
    config = ember.Config()
    config.cache = str(tmp_path)
    config.consume_fuel = True
    engine = ember.Engine(config)
    assert [name for name, _ in engine._config_log] == ["consume_fuel"]
    assert _pickle.portable_settings([("cache", True), ("wasm_simd", False)]) == [
        ("wasm_simd", False)]


def test_closed_objects_refuse_to_pickle() -> None:
    engine = fuel_engine()
    module = ember.Module(engine, WAT)
    module.close()
    with pytest.raises(ValueError):
        pickle.dumps(module)
    engine.close()
    with pytest.raises(ValueError):
        pickle.dumps(engine)


def test_process_pool_maps_a_wasm_function() -> None:
    module = ember.Module(fuel_engine(), WAT)
    for method in ("fork", "spawn"):
        ctx = multiprocessing.get_context(method)
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
            results = list(pool.map(run_fib, [module] * len(INPUTS), INPUTS))
        assert results == local_results(), method


def test_dask_local_cluster_maps_a_wasm_function() -> None:
    distributed = pytest.importorskip("dask.distributed")
    module = ember.Module(fuel_engine(), WAT)

    def work(m: ember.Module, n: int) -> int:  # by value: workers cannot import tests
        store = ember.Store(m.engine)
        store.set_fuel(10**9)
        out: int = ember.Instance(store, m, []).exports(store)["fib"](store, n)
        return out

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        shipped = client.scatter(module, broadcast=True)
        futures = client.map(work, [shipped] * len(INPUTS), INPUTS)
        assert client.gather(futures) == local_results()
        pids = set(client.run(lambda: __import__("os").getpid()).values())
        assert len(pids) == 2 and __import__("os").getpid() not in pids


@pytest.mark.parametrize("mode", [[], ["--dask"]])
def test_the_documented_example_runs(mode: List[str]) -> None:
    """examples/parallel_map.py (docs/parallel.md) checks its own results."""
    if mode:
        pytest.importorskip("dask.distributed")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run = subprocess.run([sys.executable, os.path.join(root, "examples", "parallel_map.py")]
                         + mode, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("[0, 1, 7, 2, 5, 8, 16, 3, 19, 6")
