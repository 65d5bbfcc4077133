"""Feature defaults and the errors for a disabled feature match the
`wasmtime` package: memory64 is on by default, and a module that needs a
feature that is off is refused with the feature's name."""
from typing import Any, Optional

import pytest

import ember
from conftest import required

MODULES = {
    "memory64": "(module (memory i64 1))",
    "table64": "(module (table i64 1 funcref))",
    "shared": "(module (memory 1 1 shared))",
    "table_init": "(module (table 10 funcref (ref.null func)))",
    "const_global": "(module (global i32 (i32.const 0)) (global i32 (global.get 0)))",
    "pagesize": "(module (memory 1 (pagesize 1)))",
}
DISABLED = {
    "memory64": ("wasm_memory64", "memory64 must be enabled for 64-bit memories"),
    "table64": ("wasm_memory64", "memory64 must be enabled for 64-bit tables"),
    "shared": ("wasm_threads", "threads must be enabled for shared memories"),
    "table_init": ("wasm_function_references",
                   "tables with expression initializers require the function-references proposal"),
    "const_global": ("wasm_gc", "constant expression required: global.get of locally defined global"),
    "pagesize": ("wasm_custom_page_sizes", "the custom page sizes proposal must be enabled to "
                 "customize a memory's page size"),
}


def compile_error(mod: Any, wat: str, off: Optional[str]) -> Optional[str]:
    config = mod.Config()
    if off:
        setattr(config, off, False)
    try:
        mod.Module(mod.Engine(config), wat)
        return None
    except mod.WasmtimeError as e:
        return str(e)


def test_memory64_is_on_by_default() -> None:
    assert compile_error(ember, MODULES["memory64"], None) is None
    assert compile_error(ember, MODULES["table64"], None) is None


@pytest.mark.parametrize("name", sorted(DISABLED))
def test_disabled_feature_is_named(name: str) -> None:
    setting, text = DISABLED[name]
    err = compile_error(ember, MODULES[name], setting)
    assert err is not None and text in err


@pytest.mark.parametrize("name", sorted(DISABLED))
def test_disabled_feature_matches_wasmtime(name: str) -> None:
    try:
        import wasmtime
    except ImportError:
        required("the `wasmtime` package")
    setting, text = DISABLED[name]
    theirs = compile_error(wasmtime, MODULES[name], setting)
    assert theirs is not None and text in theirs
    assert compile_error(ember, MODULES["memory64"], None) == compile_error(wasmtime, MODULES["memory64"], None)
