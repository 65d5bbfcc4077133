"""The seed's examples, run as written with `import ember as wasmtime`.

Where the seed leaves `...` (a wasm file, the code being run) the tests fill
in real wasm. Examples that need fuel accounting or epoch interruption are
expected failures until those features land.
"""
import os
import tempfile
import threading
import time

import pytest

from conftest import xfail_later

GCD_WAT = """
(module
  (func $gcd (export "gcd") (param i32 i32) (result i32)
    (local i32)
    block
      block
        local.get 0
        br_if 0
        local.get 1
        local.set 2
        br 1
      end
      loop
        local.get 1
        local.get 0
        local.tee 2
        i32.rem_u
        local.set 0
        local.get 2
        local.set 1
        local.get 0
        br_if 0
      end
    end
    local.get 2)
  (memory (export "memory") 1))
"""

# Finite (n iterations) so a missing interruption cannot hang the suite.
LOOP_WAT = """(module (func (export "spin") (param i32)
  (loop local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0)))"""


def test_config_example():
    import ember as wasmtime
    config = wasmtime.Config()
    config.debug_info(True)
    config.wasm_simd(True)
    config.consume_fuel(True)
    engine = wasmtime.Engine(config)
    user_data = {"request_id": "123", "user": "alice"}
    store = wasmtime.Store(engine, user_data)
    store.set_fuel(1000000)
    assert store.data() is user_data
    assert store.get_fuel() == 1000000


def test_module_example_without_serialization(capsys):
    import ember as wasmtime
    engine = wasmtime.Engine()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "module.wasm")
        with open(path, "wb") as f:
            f.write(wasmtime.wat2wasm(GCD_WAT))

        def load_wasm_file(p):
            with open(os.path.join(d, p), "rb") as f:
                return f.read()
        wasm_bytes = load_wasm_file("module.wasm")
        module = wasmtime.Module(engine, wasm_bytes)
        print(f"Module imports: {len(module.imports)}")
        print(f"Module exports: {len(module.exports)}")
        for export in module.exports:
            print(f" Export: {export.name} ({export.type})")
    out = capsys.readouterr().out
    assert "Module imports: 0" in out
    assert "Module exports: 2" in out
    assert " Export: gcd (" in out


@xfail_later("Module.serialize / Module.deserialize")
def test_module_example_serialization():
    import ember as wasmtime
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, GCD_WAT)
    cache = {}
    cached_data = module.serialize()
    cache["m"] = cached_data
    module = wasmtime.Module.deserialize(engine, cache["m"])
    assert len(module.exports) == 2


def test_fuel_example(capsys):
    import ember as wasmtime
    config = wasmtime.Config()
    config.consume_fuel(True)
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_fuel(100000)
    module = wasmtime.Module(engine, GCD_WAT)
    func = wasmtime.Instance(store, module, []).exports(store)["gcd"]
    func(store, 6, 27)
    remaining = store.get_fuel()
    print(f"Fuel remaining: {remaining}")
    if remaining < 10000:
        store.set_fuel(100000)
    assert 0 < remaining < 100000


def test_epoch_example():
    import ember as wasmtime
    config = wasmtime.Config()
    config.epoch_interruption(True)
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(100)

    def epoch_incrementer():
        time.sleep(0.05)
        for _ in range(200):
            engine.increment_epoch()
            time.sleep(0.001)
    thread = threading.Thread(target=epoch_incrementer)
    thread.start()
    spin = wasmtime.Instance(store, wasmtime.Module(engine, LOOP_WAT), []).exports(store)["spin"]
    try:
        with pytest.raises(wasmtime.Trap) as info:
            spin(store, 1_000_000_000)
        assert info.value.trap_code == wasmtime.TrapCode.INTERRUPT
    finally:
        thread.join()


def test_gcd_like_wasmtime_examples():
    import ember as wasmtime
    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, GCD_WAT)
    instance = wasmtime.Instance(store, module, [])
    gcd = instance.exports(store)["gcd"]
    assert gcd(store, 6, 27) == 3


def test_hello_like_wasmtime_examples(capsys):
    import ember as wasmtime
    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, """(module
        (func $hello (import "" "hello"))
        (func (export "run") (call $hello)))""")

    def say_hello():
        print("Hello from Python!")
    hello = wasmtime.Func(store, wasmtime.FuncType([], []), say_hello)
    instance = wasmtime.Instance(store, module, [hello])
    instance.exports(store)["run"](store)
    assert capsys.readouterr().out == "Hello from Python!\n"
