"""Config: both call forms, write-only reads, type and value errors, consumption."""
import pytest

from ember import Config, Engine, WasmtimeError

BOOL_SETTINGS = [
    "debug_info", "wasm_threads", "wasm_reference_types", "wasm_simd", "wasm_bulk_memory",
    "wasm_multi_value", "wasm_tail_call", "wasm_multi_memory", "wasm_memory64",
    "wasm_relaxed_simd", "wasm_relaxed_simd_deterministic", "cranelift_debug_verifier",
    "consume_fuel", "parallel_compilation", "wasm_exceptions", "wasm_gc",
    "cranelift_nan_canonicalization", "shared_memory", "signals_based_traps",
]


@pytest.mark.parametrize("name", BOOL_SETTINGS)
def test_bool_setting_both_forms(name):
    c = Config()
    getattr(c, name)(True)      # seed: method form
    setattr(c, name, False)     # wasmtime: property form
    with pytest.raises(TypeError):
        setattr(c, name, 1)
    with pytest.raises(TypeError):
        getattr(c, name)("yes")


def test_reading_is_not_a_value():
    c = Config()
    reader = c.wasm_simd
    assert callable(reader)
    with pytest.raises(AttributeError):
        bool(reader)


@pytest.mark.parametrize("name,good,bad", [
    ("strategy", ["auto", "cranelift"], "llvm"),
    ("profiler", ["none", "jitdump", "vtune", "perfmap"], "gprof"),
    ("cranelift_opt_level", ["none", "speed", "speed_and_size"], "fast"),
])
def test_string_settings(name, good, bad):
    c = Config()
    for v in good:
        getattr(c, name)(v)
        setattr(c, name, v)
    with pytest.raises(WasmtimeError):
        setattr(c, name, bad)
    with pytest.raises(WasmtimeError):
        getattr(c, name)(bad)
    with pytest.raises(TypeError):
        setattr(c, name, 3)


def test_cache():
    c = Config()
    c.cache(True)
    c.cache = True
    with pytest.raises(WasmtimeError):
        c.cache = False
    with pytest.raises(WasmtimeError):
        c.cache = "./definitely-missing-cache.toml"
    with pytest.raises(TypeError):
        c.cache = 3


def test_int_settings():
    c = Config()
    c.max_wasm_stack = 1 << 20
    c.memory_reservation = 1 << 32
    with pytest.raises(TypeError):
        c.max_wasm_stack = "big"


def test_epoch_interruption_truthy():
    c = Config()
    c.epoch_interruption = True
    c.epoch_interruption(1)


def test_target():
    import platform
    c = Config()
    c.target = f"{platform.machine()}-unknown-linux-gnu"
    with pytest.raises(WasmtimeError):
        c.target = "not-a-real-target"


def test_cranelift_flags():
    c = Config()
    c.cranelift_flag_enable("preserve_frame_pointers")
    c.cranelift_flag_set("opt_level", "speed")
    with pytest.raises(TypeError):
        c.cranelift_flag_enable(1)  # type: ignore


def test_consumed_by_engine():
    c = Config()
    Engine(c)
    with pytest.raises(ValueError):
        c.wasm_simd = True
    with pytest.raises(ValueError):
        c.wasm_simd(True)
    with pytest.raises(ValueError):
        Engine(c)


def test_seed_config_example_settings():
    config = Config()
    config.debug_info(True)
    config.wasm_simd(True)
    config.consume_fuel(True)
    Engine(config)
