"""Memory: size, grow, read/write slice semantics, raw pointers."""
import ctypes

import pytest

from conftest import instantiate
from ember import Limits, Memory, MemoryType, Store, WasmtimeError


@pytest.fixture
def mem(store: Store) -> Memory:
    return Memory(store, MemoryType(Limits(1, 3)))


def test_create_and_size(store, mem):
    assert mem.size(store) == 1
    assert mem.data_len(store) == 65536
    assert mem.type(store).limits == Limits(1, 3)
    assert mem.page_size(store) == 65536
    assert mem.page_size_log2(store) == 16


def test_grow(store: Store, mem: Memory) -> None:
    assert mem.grow(store, 1) == 1
    assert mem.size(store) == 2
    assert mem.grow(store, 0) == 2
    with pytest.raises(WasmtimeError):
        mem.grow(store, 5)          # past max
    with pytest.raises(WasmtimeError):
        mem.grow(store, -1)
    with pytest.raises(TypeError):
        mem.grow(store, "")  # type: ignore
    assert mem.size(store) == 2


def test_read_write(store: Store, mem: Memory) -> None:
    assert mem.write(store, b"hello", 100) == 5
    assert mem.read(store, 100, 105) == bytearray(b"hello")
    assert isinstance(mem.read(store, 0, 1), bytearray)
    mem.write(store, bytearray(b"end"), -3)
    assert mem.read(store, -3) == bytearray(b"end")
    assert mem.read(store, 70000, 80000) == bytearray()   # clamped
    assert mem.read(store, 10, 5) == bytearray()
    assert len(mem.read(store)) == 65536
    with pytest.raises(IndexError):
        mem.write(store, b"x", 65536)
    with pytest.raises(IndexError):
        mem.write(store, b"xy", 65535)
    with pytest.raises(TypeError):
        mem.write(store, "str")  # type: ignore


def test_data_ptr_and_buffer(store, mem):
    p = mem.data_ptr(store)
    p[7] = 99
    assert mem.read(store, 7, 8) == bytearray(b"\x63")
    mem.write(store, b"abc", 20)
    buf = mem.get_buffer_ptr(store, 3, 20)
    assert bytes(buf) == b"abc"
    assert len(mem.get_buffer_ptr(store)) == 65536
    assert bytes(memoryview(buf)) == b"abc"
    assert isinstance(buf, ctypes.Array)


def test_numpy_view(store, mem):
    np = pytest.importorskip("numpy")
    mem.write(store, bytes(range(8)), 0)
    arr = np.frombuffer(mem.get_buffer_ptr(store, 8), dtype=np.uint8)
    assert list(arr) == list(range(8))


def test_constructor_errors(store):
    with pytest.raises(AttributeError):
        Memory(1, MemoryType(Limits(1, None)))  # type: ignore
    with pytest.raises(AttributeError):
        Memory(store, 1)  # type: ignore


def test_wasm_sees_host_writes(store):
    inst = instantiate(store, """
        (module (memory (export "m") 1)
          (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
          (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store8))""")
    ex = inst.exports(store)
    m = ex["m"]
    m.write(store, b"\x2a", 5)
    assert ex["load"](store, 5) == 42
    ex["store"](store, 6, 7)
    assert m.read(store, 6, 7) == bytearray(b"\x07")


def test_wrong_store(store, mem):
    with pytest.raises(WasmtimeError):
        mem.size(Store(store.engine))
