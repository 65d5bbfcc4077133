"""Live modules (docs/decisions.md, decision 62): `Module(engine, bytes)` of
bytes the engine compiled already, while that module is alive, returns the
same compiled module -- instantly, with the code tiering gave it -- and
nothing else about it is shared: instances, stores and their state stay
apart, other bytes or another engine compile anew, a module compiled
without validation never answers a validating compile, and invalid bytes
fail every time.
"""
import gc
import threading
import time
from typing import List

import pytest

import ember
from test_compiled_tier import _tier_built

WAT = """
(module
  (memory (export "mem") 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $g))
    (global.get $g))
  (func (export "sum") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
"""


def binary() -> bytes:
    return bytes(ember.wat2wasm(WAT))


def with_custom_section(wasm: bytes, name: bytes) -> bytes:
    content = bytes([len(name)]) + name
    return wasm + b"\x00" + bytes([len(content)]) + content


def tiering_engine(tier_up_after: int = 0) -> ember.Engine:
    config = ember.Config()
    config.tier_up_after = tier_up_after
    config.parallel_compilation = False  # compiled code is installed before the call returns
    return ember.Engine(config)


def wait_compiled(module: ember.Module, at_least: int) -> int:
    deadline = time.monotonic() + 30
    while module.compiled_functions < at_least and time.monotonic() < deadline:
        time.sleep(0.01)
    return module.compiled_functions


@pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")
def test_a_second_module_of_the_same_bytes_keeps_the_code_the_first_got_hot():
    engine = tiering_engine()
    first = ember.Module(engine, binary())
    store = ember.Store(engine)
    ex = ember.Instance(store, first, []).exports(store)
    assert ex["sum"](store, 10_000) == 49995000
    assert wait_compiled(first, 1) >= 1
    second = ember.Module(engine, binary())
    assert second.compiled_functions == first.compiled_functions
    store2 = ember.Store(engine)
    assert ember.Instance(store2, second, []).exports(store2)["sum"](store2, 100) == 4950


@pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")
def test_other_bytes_another_engine_or_a_module_that_has_gone_start_afresh():
    engine = tiering_engine()
    first = ember.Module(engine, binary())
    store = ember.Store(engine)
    ember.Instance(store, first, []).exports(store)["sum"](store, 10_000)
    assert wait_compiled(first, 1) >= 1
    # one byte of difference (a custom section): a module of its own
    assert ember.Module(engine, with_custom_section(binary(), b"x")).compiled_functions == 0
    # the same bytes in another engine
    assert ember.Module(tiering_engine(), binary()).compiled_functions == 0
    # once nothing holds the first module, the same bytes compile anew
    del first, store
    gc.collect()
    deadline = time.monotonic() + 30
    while ember.Module(engine, binary()).compiled_functions and time.monotonic() < deadline:
        gc.collect()  # the tier lets go of a module once its last batch is done
        time.sleep(0.01)
    assert ember.Module(engine, binary()).compiled_functions == 0


def test_instances_of_the_two_modules_keep_their_own_state():
    engine = ember.Engine()
    a = ember.Module(engine, binary())
    b = ember.Module(engine, binary())
    sa, sb = ember.Store(engine), ember.Store(engine)
    ea = ember.Instance(sa, a, []).exports(sa)
    eb = ember.Instance(sb, b, []).exports(sb)
    assert [ea["bump"](sa) for _ in range(3)] == [1, 2, 3]
    assert eb["bump"](sb) == 1
    assert ea["g"].value(sa) == 3 and eb["g"].value(sb) == 1
    assert ea["mem"].read(sa, 0, 4) == b"\x03\x00\x00\x00"
    assert eb["mem"].read(sb, 0, 4) == b"\x01\x00\x00\x00"
    # a second instance of the shared module in the same store is fresh too
    ec = ember.Instance(sa, b, []).exports(sa)
    assert ec["bump"](sa) == 1 and ea["g"].value(sa) == 3


def test_the_modules_describe_the_same_imports_exports_and_sections():
    engine = ember.Engine()
    wasm = with_custom_section(binary(), b"meta")
    a, b = ember.Module(engine, wasm), ember.Module(engine, wasm)
    assert [(e.name, str(e.type)) for e in a.exports] == [(e.name, str(e.type)) for e in b.exports]
    assert a.custom_sections("meta") == b.custom_sections("meta") == [b""]
    assert a.serialize() == b.serialize()


# Function bodies are always type-checked; without validation only some
# module-level checks are skipped (decision 11), unique export names among them.
TWO_EXPORTS = bytes(ember.wat2wasm(
    '(module (func (export "a") (result i32) i32.const 1) (export "b" (func 0)))'))
DUPLICATE_EXPORTS = TWO_EXPORTS.replace(b"\x01b\x00", b"\x01a\x00")
# A body that does not type-check: `i32.add` of one operand.
INVALID_BODY = bytes(ember.wat2wasm("(module (func (result i32) i32.const 1 i32.const 2 i32.add))"))
INVALID_BODY = INVALID_BODY.replace(b"\x41\x01\x41\x02\x6a", b"\x41\x01\x01\x01\x6a")


def test_invalid_bytes_fail_every_time():
    engine = ember.Engine()
    for wasm in (INVALID_BODY, DUPLICATE_EXPORTS):
        for _ in range(3):
            with pytest.raises(ember.WasmtimeError):
                ember.Module(engine, wasm)


def test_a_module_compiled_without_validation_never_answers_a_validating_compile():
    engine = ember.Engine()
    assert DUPLICATE_EXPORTS != TWO_EXPORTS
    unchecked = ember.Module(engine, DUPLICATE_EXPORTS, validate=False)
    with pytest.raises(ember.WasmtimeError, match="duplicate export"):
        ember.Module(engine, DUPLICATE_EXPORTS)
    with pytest.raises(ember.WasmtimeError, match="duplicate export"):
        ember.Module.validate(engine, DUPLICATE_EXPORTS)
    # while a validated module answers an unvalidated compile of its bytes
    checked = ember.Module(engine, binary())
    store = ember.Store(engine)
    ex = ember.Instance(store, ember.Module(engine, binary(), validate=False), []).exports(store)
    assert ex["bump"](store) == 1
    del unchecked, checked


def test_threads_compiling_the_same_bytes_at_once_all_get_a_working_module():
    engine = ember.Engine()
    wasm = binary()
    errors: List[BaseException] = []
    results: List[int] = []
    barrier = threading.Barrier(4)

    def job() -> None:
        try:
            barrier.wait()
            for _ in range(20):
                module = ember.Module(engine, wasm)
                store = ember.Store(engine)
                results.append(ember.Instance(store, module, []).exports(store)["sum"](store, 1000))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=job) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [499500] * 80


def test_closing_one_module_object_leaves_the_other_usable():
    engine = ember.Engine()
    a, b = ember.Module(engine, binary()), ember.Module(engine, binary())
    assert a is not b
    a.close()
    store = ember.Store(engine)
    assert ember.Instance(store, b, []).exports(store)["bump"](store) == 1
    with pytest.raises(ValueError):
        ember.Instance(store, a, [])
