"""Integers beyond 64 bits given as indices, sizes or deltas raise the error a
Python user expects for an out-of-range argument, never an internal one:
reads clamp like slices, writes and buffers raise IndexError, grows fail with
WasmtimeError naming the amount, table reads of a missing index give None."""
from typing import Any, Tuple

import pytest

import ember
from ember import Engine, Instance, Module, Store, WasmtimeError

BIG = [2**63, 2**64 + 5, 2**100]


@pytest.fixture
def exports() -> Tuple[Store, Any]:
    store = Store(Engine())
    module = Module(store.engine, '(module (memory (export "m") 1) (table (export "t") 1 funcref))')
    return store, Instance(store, module, []).exports(store)


@pytest.mark.parametrize("n", BIG)
def test_memory(exports: Tuple[Store, Any], n: int) -> None:
    store, ex = exports
    m = ex["m"]
    assert m.read(store, n) == bytearray()
    assert len(m.read(store, 0, n)) == 65536
    assert len(m.read(store, -n)) == 65536
    for start in (n, -n):
        with pytest.raises(IndexError):
            m.write(store, b"a", start)
    with pytest.raises(WasmtimeError, match=f"failed to grow memory by `{n}`"):
        m.grow(store, n)
    with pytest.raises(IndexError):
        m.get_buffer_ptr(store, n)
    with pytest.raises(IndexError):
        m.get_buffer_ptr(store, 1, n)
    assert m.size(store) == 1


@pytest.mark.parametrize("n", BIG)
def test_table(exports: Tuple[Store, Any], n: int) -> None:
    store, ex = exports
    t = ex["t"]
    assert t.get(store, n) is None
    assert t.get(store, -n) is None
    with pytest.raises(WasmtimeError, match="out of bounds"):
        t.set(store, n, None)
    with pytest.raises(WasmtimeError, match=f"failed to grow table by `{n}`"):
        t.grow(store, n, None)
    assert t.size(store) == 1


def test_values_wrap_as_in_wasmtime() -> None:
    # wasmtime's Val and call arguments keep the low bits of an int.
    assert ember.Val.i64(2**64 + 5).value == 5
    assert ember.Val.i32(2**32 + 7).value == 7
