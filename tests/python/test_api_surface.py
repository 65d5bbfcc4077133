"""The package's names: wasmtime's __all__, star-import, Managed semantics."""
import ember
from ember import *  # noqa: F401,F403
from ember._managed import Managed

WASMTIME_ALL = [
    "wat2wasm", "Config", "Engine", "Store", "FuncType", "GlobalType", "MemoryType",
    "TableType", "ValType", "Limits", "ImportType", "ExportType", "Val", "Func", "Caller",
    "Table", "Memory", "SharedMemory", "Global", "Trap", "TrapCode", "ExitTrap", "Frame",
    "Module", "Instance", "WasiConfig", "FilePerms", "DirPerms", "Linker", "WasmtimeError",
    "StoreContext", "TagType", "Tag", "InstancePre",
]


def test_all_names_present():
    assert len(WASMTIME_ALL) == 34
    assert set(WASMTIME_ALL) <= set(ember.__all__)
    for name in ember.__all__:
        assert hasattr(ember, name), name


def test_star_import_gives_names():
    ns: dict = {}
    exec("from ember import *", ns)
    for name in WASMTIME_ALL:
        assert name in ns


def test_extra_importable_names():
    assert ember.Managed is Managed
    assert ember.Storelike is not None


def test_import_as_wasmtime():
    import ember as wasmtime
    assert wasmtime.Engine is ember.Engine


def test_managed_close_and_with():
    config = Config()
    config.close()
    config.close()  # idempotent
    try:
        config.wasm_simd = True
        raise AssertionError("expected ValueError")
    except ValueError:
        pass
    with Config() as c:
        c.wasm_simd = True
    try:
        c.wasm_simd = True
        raise AssertionError("expected ValueError")
    except ValueError:
        pass


def test_managed_types_have_close():
    for cls in (Config, Engine, Module, Linker, WasmtimeError, Trap, FuncType):
        assert issubclass(cls, Managed), cls


def test_engine_closed_raises_value_error():
    e = Engine()
    e.close()
    try:
        e.increment_epoch()
        raise AssertionError("expected ValueError")
    except ValueError:
        pass


def test_store_close_and_with():
    with Store() as s:
        assert s.data() is None
    try:
        s.data()
        raise AssertionError("expected ValueError")
    except ValueError:
        pass
    s.close()  # idempotent
