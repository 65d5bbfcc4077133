"""Custom page sizes: `Config.wasm_custom_page_sizes`, memories of 1-byte
pages made by the host and by modules (sizes, growth, accesses at the exact
end), import matching, the page size in module types and in serialized
modules, and store limits in bytes. Where the `wasmtime` package behaves
observably, it is the reference."""
from typing import Any, List

import pytest

import ember
from conftest import required
from ember import (Engine, Instance, Limits, Memory, MemoryType, Module, Store, Trap,
                   WasmtimeError)

SIZED = """(module
  (memory (export "mem") 5 9 (pagesize 1))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))"""


def pages_engine(mod: Any = ember, on: bool = True) -> Any:
    config = mod.Config()
    config.wasm_custom_page_sizes = on
    return mod.Engine(config)


def test_off_by_default_and_invalid_while_off() -> None:
    for wat in ("(module (memory 1 (pagesize 1)))", "(module (memory 1 (pagesize 65536)))"):
        for engine in (Engine(), pages_engine(on=False)):
            with pytest.raises(WasmtimeError,
                               match="custom page sizes proposal must be enabled"):
                Module(engine, wat)
        Module(pages_engine(), wat)
    Module(Engine(), "(module (memory 1))")


def test_host_memory_of_byte_pages(store: Store) -> None:
    # As in wasmtime, the host makes one without the switch.
    mem = Memory(store, MemoryType(Limits(3, 5), page_size_log2=0))
    assert (mem.size(store), mem.data_len(store)) == (3, 3)
    assert (mem.page_size(store), mem.page_size_log2(store)) == (1, 0)
    ty = mem.type(store)
    assert (ty.page_size, ty.page_size_log2, ty.limits) == (1, 0, Limits(3, 5))
    assert ty == MemoryType(Limits(3, 5), page_size_log2=0)
    assert ty != MemoryType(Limits(3, 5))
    assert "page_size_log2=0" in repr(ty)
    assert mem.grow(store, 2) == 3
    assert (mem.size(store), mem.data_len(store)) == (5, 5)
    with pytest.raises(WasmtimeError):
        mem.grow(store, 1)
    assert mem.write(store, b"\x07", 4) == 1
    assert mem.read(store, 4, 5) == bytearray(b"\x07")
    assert mem.read(store, 0, 100) == bytearray(4) + bytearray(b"\x07")
    with pytest.raises(IndexError):
        mem.write(store, b"\x01", 5)
    with pytest.raises(IndexError):
        mem.write(store, b"\x01\x02", 4)
    with pytest.raises(WasmtimeError):
        MemoryType(Limits(1, None), page_size_log2=12)


def test_store_limit_counts_bytes() -> None:
    store = Store()
    store.set_limits(memory_size=10)
    mem = Memory(store, MemoryType(Limits(8, None), page_size_log2=0))
    assert mem.grow(store, 2) == 8
    with pytest.raises(WasmtimeError):
        mem.grow(store, 1)
    with pytest.raises(WasmtimeError):
        Memory(store, MemoryType(Limits(11, None), page_size_log2=0))


def test_module_memory_grows_and_traps_at_the_exact_end() -> None:
    store = Store(pages_engine())
    ex = Instance(store, Module(store.engine, SIZED), []).exports(store)
    mem = ex["mem"]
    assert isinstance(mem, Memory)
    assert (mem.page_size(store), mem.size(store), mem.data_len(store)) == (1, 5, 5)
    assert ex["size"](store) == 5
    assert ex["load"](store, 4) == 0
    assert ex["load32"](store, 1) == 0
    for bad in ((ex["load"], 5), (ex["load32"], 2), (ex["load"], 0xFFFFFFFF)):
        with pytest.raises(Trap, match="out of bounds memory access") as e:
            bad[0](store, bad[1])
        assert "memory fault" not in str(e.value)  # checked explicitly, as wasmtime does
    assert ex["grow"](store, 1) == 5
    assert ex["size"](store) == 6 and mem.data_len(store) == 6
    ex["store"](store, 5, 0xAB)
    assert ex["load"](store, 5) == 0xAB and mem.read(store, 5, 6) == bytearray(b"\xab")
    assert ex["grow"](store, 4) == -1  # past the maximum of 9 bytes
    assert mem.grow(store, 3) == 6 and ex["size"](store) == 9


def test_imports_match_only_the_same_page_size() -> None:
    store = Store(pages_engine())
    small = Memory(store, MemoryType(Limits(1, None), page_size_log2=0))
    large = Memory(store, MemoryType(Limits(1, None)))
    wants_small = Module(store.engine, '(module (import "m" "m" (memory 1 (pagesize 1))))')
    wants_large = Module(store.engine, '(module (import "m" "m" (memory 1)))')
    Instance(store, wants_small, [small])
    Instance(store, wants_large, [large])
    for module, mem in ((wants_small, large), (wants_large, small)):
        with pytest.raises(WasmtimeError, match="page size"):
            Instance(store, module, [mem])


def memory_types(module: Module) -> List[Any]:
    return ([(i.name, i.type) for i in module.imports]
            + [(e.name, e.type) for e in module.exports])


def test_types_and_serialization_keep_the_page_size() -> None:
    engine = pages_engine()
    wat = """(module
      (import "m" "in" (memory 2 (pagesize 1)))
      (memory (export "out") (pagesize 1) (data "xyz"))
      (memory (export "big") 1 2)
      (func (export "size") (result i32) (memory.size 1)))"""
    module = Module(engine, wat)
    want = [("in", MemoryType(Limits(2, None), page_size_log2=0)),
            ("out", MemoryType(Limits(3, 3), page_size_log2=0)),
            ("big", MemoryType(Limits(1, 2)))]
    assert [t for t in memory_types(module) if isinstance(t[1], MemoryType)] == want
    back = Module.deserialize(engine, module.serialize())
    assert memory_types(back) == memory_types(module)
    store = Store(engine)
    imported = Memory(store, MemoryType(Limits(2, None), page_size_log2=0))
    ex = Instance(store, back, [imported]).exports(store)
    assert ex["size"](store) == 3
    out = ex["out"]
    assert isinstance(out, Memory)
    assert out.read(store, 0, 3) == bytearray(b"xyz") and out.page_size_log2(store) == 0


def scenario(mod: Any) -> List[Any]:
    """What a program observes of a 1-byte-page memory, in either engine."""
    store = mod.Store(pages_engine(mod))
    ex = mod.Instance(store, mod.Module(store.engine, SIZED), []).exports(store)
    mem = ex["mem"]
    out: List[Any] = [ex["size"](store), mem.size(store), mem.data_len(store),
                      mem.page_size(store), mem.page_size_log2(store)]
    for f, arg in ((ex["load"], 4), (ex["load"], 5), (ex["load32"], 1), (ex["load32"], 2)):
        try:
            out.append(f(store, arg))
        except mod.Trap as e:
            out.append(str(e).splitlines()[-1])
    out += [ex["grow"](store, 4), ex["grow"](store, 5), ex["size"](store)]
    t = mem.type(store)  # (its minimum is the current size in Ember, the declared one in wasmtime)
    out += [t.limits.max, t.page_size_log2]
    host = mod.Memory(store, mod.MemoryType(mod.Limits(2, 4), page_size_log2=0))
    out += [host.size(store), host.grow(store, 2), host.data_len(store)]
    return out


def test_observations_match_wasmtime() -> None:
    try:
        import wasmtime
    except ImportError:
        required("the `wasmtime` package")
    assert scenario(ember) == scenario(wasmtime)


def test_cli_switch(ember_cli: str, tmp_path: Any) -> None:
    import subprocess
    wat = tmp_path / "p.wat"
    wat.write_text('(module (memory (export "m") 3 (pagesize 1))'
                   ' (func (export "s") (result i32) memory.size))')
    off = subprocess.run([ember_cli, "run", "--invoke", "s", str(wat)], capture_output=True,
                         text=True)
    assert off.returncode != 0 and "custom page sizes proposal" in off.stderr
    on = subprocess.run([ember_cli, "run", "--wasm", "custom_page_sizes=on", "--invoke", "s",
                         str(wat)], capture_output=True, text=True)
    assert on.returncode == 0 and on.stdout.strip() == "3", on.stderr
    inspect = subprocess.run([ember_cli, "inspect", str(wat)], capture_output=True, text=True)
    assert inspect.returncode == 0, inspect.stderr
    assert "memory 3 pages (pagesize 1)" in inspect.stdout

