"""Module: text/binary inputs, validation, reflection, custom sections."""
import os
import tempfile

import pytest

from ember import (Engine, ExportType, FuncType, GlobalType, ImportType, MemoryType, Module,
                   TableType, ValType, WasmtimeError, wat2wasm)

WAT = """
(module $demo
  (import "env" "f" (func (param i32 i64) (result f32)))
  (import "env" "g" (global (mut i32)))
  (import "env" "m" (memory 1 2))
  (import "env" "t" (table 3 funcref))
  (func (export "run") (result i32) i32.const 42)
  (memory (export "mem") 2)
  (global (export "glob") f64 (f64.const 1.5))
  (table (export "tab") 1 5 externref))
"""


def test_wat2wasm_empty_module():
    assert wat2wasm("(module)") == bytearray(b"\x00asm\x01\x00\x00\x00")
    assert isinstance(wat2wasm(b"(module)"), bytearray)
    with pytest.raises(WasmtimeError):
        wat2wasm("(module (func (foo)))")
    with pytest.raises(TypeError):
        wat2wasm(3)  # type: ignore


def test_inputs(engine):
    binary = bytes(wat2wasm(WAT))
    Module(engine, WAT)                   # str: text
    Module(engine, WAT.encode())          # bytes not starting with 0: text
    Module(engine, binary)                # bytes starting with 0: binary
    Module(engine, bytearray(binary))     # bytearray: binary


def test_bad_inputs(engine):
    with pytest.raises(TypeError):
        Module(1, b"")  # type: ignore
    with pytest.raises(TypeError):
        Module(engine, 2)  # type: ignore
    with pytest.raises(WasmtimeError):
        Module(engine, b"")
    with pytest.raises(WasmtimeError):
        Module(engine, b"\x00")
    with pytest.raises(WasmtimeError):
        Module(engine, bytearray(b"(module)"))  # bytearray is always binary
    with pytest.raises(WasmtimeError):
        Module(engine, "(module (func (result i32)))")  # invalid


def test_a_component_is_not_a_module(engine):
    # As the wasmtime package says it: the bytes are a component (layer 1).
    component = open(os.path.join(os.path.dirname(__file__), "..", "component", "strings.wasm"), "rb").read()
    with pytest.raises(WasmtimeError, match="expected a WebAssembly module but was given a WebAssembly component"):
        Module(engine, component)
    with pytest.raises(WasmtimeError, match="given a WebAssembly component"):
        Module.validate(engine, component)


def test_validate(engine):
    Module.validate(engine, wat2wasm("(module)"))
    with pytest.raises(WasmtimeError):
        Module.validate(engine, b"\x00asm\x02\x00\x00\x00")
    with pytest.raises(TypeError):
        Module.validate(engine, 2)  # type: ignore


def test_from_file(engine):
    with tempfile.TemporaryDirectory() as d:
        wat_path = os.path.join(d, "m.wat")
        wasm_path = os.path.join(d, "m.wasm")
        with open(wat_path, "w") as f:
            f.write(WAT)
        with open(wasm_path, "wb") as f:
            f.write(wat2wasm(WAT))
        assert len(Module.from_file(engine, wat_path).exports) == 4
        assert len(Module.from_file(engine, wasm_path).exports) == 4
        with pytest.raises(OSError):
            Module.from_file(engine, os.path.join(d, "missing.wasm"))


def test_imports(engine):
    imports = Module(engine, WAT).imports
    assert [type(i) for i in imports] == [ImportType] * 4
    assert [(i.module, i.name) for i in imports] == [
        ("env", "f"), ("env", "g"), ("env", "m"), ("env", "t")]
    f, g, m, t = (i.type for i in imports)
    assert isinstance(f, FuncType)
    assert f.params == [ValType.i32(), ValType.i64()]
    assert f.results == [ValType.f32()]
    assert isinstance(g, GlobalType) and g.content == ValType.i32() and g.mutable
    assert isinstance(m, MemoryType) and m.limits.min == 1 and m.limits.max == 2
    assert isinstance(t, TableType) and t.element == ValType.funcref() and t.limits.min == 3


def test_exports(engine):
    exports = Module(engine, WAT).exports
    assert [type(e) for e in exports] == [ExportType] * 4
    assert [e.name for e in exports] == ["run", "mem", "glob", "tab"]
    run, mem, glob, tab = (e.type for e in exports)
    assert run == FuncType([], [ValType.i32()])
    assert isinstance(mem, MemoryType) and mem.limits.min == 2 and mem.limits.max is None
    assert glob == GlobalType(ValType.f64(), False)
    assert isinstance(tab, TableType)
    assert tab == TableType(ValType.externref(), tab.limits) and tab.limits.max == 5


def test_custom_sections(engine):
    # A module with two custom sections named "hello" and one "other".
    def custom(name: bytes, payload: bytes) -> bytes:
        body = bytes([len(name)]) + name + payload
        return b"\x00" + bytes([len(body)]) + body
    binary = (b"\x00asm\x01\x00\x00\x00" + custom(b"hello", b"abc") +
              custom(b"other", b"x") + custom(b"hello", b"de"))
    m = Module(engine, binary)
    assert m.custom_sections("hello") == [b"abc", b"de"]
    assert m.custom_sections("other") == [b"x"]
    assert m.custom_sections("none") == []


def test_module_shared_between_stores(engine):
    from ember import Instance, Store
    m = Module(engine, "(module (func (export \"f\") (result i32) i32.const 7))")
    for _ in range(3):
        s = Store(engine)
        assert Instance(s, m, []).exports(s)["f"](s) == 7


def test_module_engine_mismatch():
    """An engine configured differently refuses the module; one configured
    alike takes it (decision 31 in docs/decisions.md; wasmtime refuses both)."""
    from ember import Config, Instance, Store
    m = Module(Engine(), '(module (func (export "f") (result i32) i32.const 7))')
    fuel = Config()
    fuel.consume_fuel = True
    with pytest.raises(WasmtimeError, match="configurations differ"):
        Instance(Store(Engine(fuel)), m, [])
    store = Store(Engine())
    assert Instance(store, m, []).exports(store)["f"](store) == 7


def test_closed_module(engine):
    m = Module(engine, "(module)")
    m.close()
    with pytest.raises(ValueError):
        m.exports
