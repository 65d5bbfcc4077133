"""Config: both call forms, write-only reads, type and value errors, consumption."""
import pytest

from ember import Config, Engine, WasmtimeError

BOOL_SETTINGS = [
    "debug_info", "wasm_threads", "wasm_reference_types", "wasm_simd", "wasm_bulk_memory",
    "wasm_multi_value", "wasm_tail_call", "wasm_multi_memory", "wasm_memory64",
    "wasm_relaxed_simd", "wasm_relaxed_simd_deterministic", "cranelift_debug_verifier",
    "consume_fuel", "parallel_compilation", "wasm_exceptions", "wasm_gc",
    "cranelift_nan_canonicalization", "shared_memory", "signals_based_traps",
    "wasm_wide_arithmetic", "wasm_custom_page_sizes", "wasm_function_references",
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


# ---- the value rules live in ember::Config (C++); these check they reach Python
# with wasmtime's error types: out-of-range number -> ValueError, unknown name or
# unusable file -> WasmtimeError, wrong Python type -> TypeError.

def test_choice_lists_come_from_the_extension():
    from ember import _ember
    choices = {
        "strategy": ["auto", "cranelift", "winch", "interpreter"],
        "profiler": ["none", "jitdump", "vtune", "perfmap"],
        "cranelift_opt_level": ["none", "speed", "speed_and_size"],
    }
    c = Config()
    for name, values in choices.items():
        assert _ember.config_choices(name) == values
        for v in values:
            setattr(c, name, v)
    with pytest.raises(WasmtimeError, match="unknown opt_level: fast"):
        c.cranelift_opt_level = "fast"
    with pytest.raises(WasmtimeError, match="unknown profiler: gprof"):
        c.profiler = "gprof"


@pytest.mark.parametrize("bad", [0, -1, (1 << 30) + 1, 2**64, 2**70])
def test_max_wasm_stack_range_is_value_error(bad):
    c = Config()
    with pytest.raises(ValueError, match="max_wasm_stack"):
        c.max_wasm_stack = bad
    c.max_wasm_stack = 1
    c.max_wasm_stack = 1 << 30
    with pytest.raises(TypeError):
        c.max_wasm_stack = True


@pytest.mark.parametrize("name", ["memory_reservation", "memory_guard_size",
                                  "memory_reservation_for_growth"])
def test_memory_settings(name):
    c = Config()
    setattr(c, name, 0)
    setattr(c, name, 2**64 - 1)
    with pytest.raises(ValueError, match="must not be negative"):
        setattr(c, name, -1)
    with pytest.raises(ValueError):
        setattr(c, name, 2**64)
    with pytest.raises(TypeError):
        setattr(c, name, 1.5)
    Engine(c)


def test_target_message():
    c = Config()
    with pytest.raises(WasmtimeError, match="unsupported target: wasm32-wasi"):
        c.target = "wasm32-wasi"
    with pytest.raises(TypeError):
        c.target = None


def test_cache_paths(tmp_path, monkeypatch):
    c = Config()
    c.cache = str(tmp_path) + "/"        # a directory
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    c.cache = "sub"                       # relative directory
    (tmp_path / "c.toml").write_text("[cache]\nenabled = false\n")
    c.cache = "c.toml"                    # a configuration file
    with pytest.raises(WasmtimeError, match="failed to read cache configuration file"):
        c.cache = "nope.toml"
    with pytest.raises(WasmtimeError, match="can only be enabled"):
        c.cache(False)
    Engine(c)


def test_shared_memory_reaches_the_engine():
    from ember import MemoryType, Limits, SharedMemory
    ty = MemoryType(Limits(1, 1), shared=True)
    with pytest.raises(WasmtimeError, match="Config::shared_memory"):
        SharedMemory(Engine(), ty)
    c = Config()
    c.shared_memory = True
    assert SharedMemory(Engine(c), ty).size() == 1


@pytest.mark.parametrize("name", [
    "wasm_component_model", "wasm_component_model_map", "wasm_function_references",
    "wasm_stack_switching", "gc_support",
    "memory_may_move", "memory_init_cow", "native_unwind_info", "macos_use_mach_ports",
])
def test_accepted_bool_settings(name):
    c = Config()
    setattr(c, name, True)
    getattr(c, name)(False)
    with pytest.raises(TypeError):
        setattr(c, name, 0)
    Engine(c)


def test_closed_config_refuses_every_form():
    c = Config()
    c.close()
    for set_it in (lambda: setattr(c, "strategy", "nope"), lambda: c.max_wasm_stack(0),
                   lambda: c.cranelift_flag_set("a", "b"), lambda: setattr(c, "cache", 3)):
        with pytest.raises(ValueError):
            set_it()
