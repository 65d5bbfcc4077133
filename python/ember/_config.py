"""`Config`: engine settings, frozen when an `Engine` consumes them.

Every setting is a *write-only attribute that is also callable*, so both the
seed's method form and wasmtime's property form work:

    config.wasm_simd(True)      # seed
    config.wasm_simd = True     # wasmtime

Reading `config.wasm_simd` does not give the value (settings are write-only,
as in wasmtime): it gives a bound setter that applies its argument when
called. Using that object as a value (`bool(...)`) raises AttributeError.
Bad types raise TypeError, unknown string values WasmtimeError, and any
setter on a consumed or closed Config raises ValueError.

The settings end up in a plain dict handed to the extension by `Engine`.
"""
import os
import platform
from typing import Any, Callable, Dict, Optional

from ._error import WasmtimeError
from ._managed import Managed

_Check = Callable[[str, Any], Any]


def _bool(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError("expected a bool")
    return v


def _truthy(name: str, v: Any) -> bool:
    return bool(v)


def _int(name: str, v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError("expected an int")
    if v < 0:
        raise WasmtimeError(f"{name} must not be negative")
    return v


_MAX_WASM_STACK = 1 << 30


def _stack_size(name: str, v: Any) -> int:
    """Bytes of wasm stack: 1 byte to 1 GiB (wasmtime aborts the process on
    0 or on sizes beyond its async stack; Ember refuses them here)."""
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError("expected an int")
    if v <= 0 or v > _MAX_WASM_STACK:
        raise ValueError(f"max_wasm_stack must be between 1 and {_MAX_WASM_STACK} bytes, not {v}")
    return v


def _choice(*allowed: str) -> _Check:
    def check(name: str, v: Any) -> str:
        if not isinstance(v, str):
            raise TypeError("expected a str")
        if v not in allowed:
            what = "strategy" if name == "strategy" else name.replace("cranelift_", "")
            raise WasmtimeError(f"unknown {what}: {v}")
        return v
    return check


def _cache(name: str, v: Any) -> Any:
    if isinstance(v, bool):
        if not v:
            raise WasmtimeError("cache can only be enabled (True or a configuration path)")
        return True
    if isinstance(v, (str, os.PathLike)):
        path = os.fspath(v)
        if not os.path.isfile(path):
            raise WasmtimeError(f"failed to read cache configuration file: {path}")
        return path
    raise TypeError("expected a bool or a str")


def _host_triples() -> set:
    arch = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)
    system = platform.system().lower()
    if system == "linux":
        return {f"{arch}-unknown-linux-gnu", f"{arch}-linux-gnu",
                f"{arch}-unknown-linux-musl", f"{arch}-linux"}
    if system == "darwin":
        return {f"{arch}-apple-darwin"}
    return {f"{arch}-pc-windows-msvc"}


def _target(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError("expected a str")
    if v not in _host_triples():
        raise WasmtimeError(f"unsupported target: {v} (Ember runs on the host only)")
    return v


class _BoundSetting:
    """What reading a setting yields: call it to set the value."""

    __slots__ = ("_config", "_setting")

    def __init__(self, config: "Config", setting: "_Setting") -> None:
        self._config = config
        self._setting = setting

    def __call__(self, value: Any) -> None:
        self._setting.__set__(self._config, value)

    def __bool__(self) -> bool:
        raise AttributeError(f"Config.{self._setting.name} is write-only")

    def __repr__(self) -> str:
        return f"<write-only setting Config.{self._setting.name}>"


class _Setting:
    """Descriptor: assignment and call both validate and record the value."""

    def __init__(self, check: _Check, doc: str) -> None:
        self.check = check
        self.name = ""
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return _BoundSetting(obj, self)

    def __set__(self, obj: "Config", value: Any) -> None:
        settings = obj.ptr()
        settings[self.name] = self.check(self.name, value)


class Config(Managed):
    """Settings for an `Engine`; consumed by `Engine(config)`."""

    _h: Optional[Dict[str, Any]]

    def __init__(self) -> None:
        self._h = {}

    # Compilation
    debug_info = _Setting(_bool, "emit debug info (accepted; no effect on the interpreter)")
    strategy = _Setting(_choice("auto", "cranelift", "winch", "pulley"), "'auto' | 'cranelift'")
    profiler = _Setting(_choice("none", "jitdump", "vtune", "perfmap"), "profiler name")
    cranelift_debug_verifier = _Setting(_bool, "accepted for compatibility")
    cranelift_opt_level = _Setting(_choice("none", "speed", "speed_and_size"), "optimisation level")
    cranelift_nan_canonicalization = _Setting(_bool, "canonicalize NaN results")
    parallel_compilation = _Setting(_bool, "compile functions in parallel")
    cache = _Setting(_cache, "True or the path of a cache configuration file")
    target = _Setting(_target, "target triple; only the host is supported")
    # Proposals
    wasm_threads = _Setting(_bool, "threads proposal")
    wasm_reference_types = _Setting(_bool, "reference types proposal")
    wasm_simd = _Setting(_bool, "SIMD proposal")
    wasm_relaxed_simd = _Setting(_bool, "relaxed SIMD proposal")
    wasm_relaxed_simd_deterministic = _Setting(
        _bool, "relaxed SIMD operators give the deterministic profile's results")
    wasm_bulk_memory = _Setting(_bool, "bulk memory proposal")
    wasm_multi_value = _Setting(_bool, "multi-value proposal")
    wasm_tail_call = _Setting(_bool, "tail-call proposal")
    wasm_multi_memory = _Setting(_bool, "multi-memory proposal")
    wasm_memory64 = _Setting(_bool, "memory64 proposal")
    wasm_component_model = _Setting(_bool, "component model (not supported)")
    wasm_component_model_map = _Setting(_bool, "component model maps (not supported)")
    wasm_exceptions = _Setting(_bool, "exception handling proposal")
    wasm_function_references = _Setting(_bool, "typed function references")
    wasm_gc = _Setting(_bool, "GC proposal")
    wasm_wide_arithmetic = _Setting(_bool, "wide arithmetic proposal")
    wasm_custom_page_sizes = _Setting(_bool, "custom page sizes proposal")
    wasm_stack_switching = _Setting(_bool, "stack switching proposal")
    wasm_extended_const = _Setting(_bool, "extended constant expressions")
    # Execution
    consume_fuel = _Setting(_bool, "charge fuel for executed code")
    epoch_interruption = _Setting(_truthy, "interrupt at epoch deadlines")
    max_wasm_stack = _Setting(_stack_size, "bytes of wasm stack (1 byte to 1 GiB)")
    shared_memory = _Setting(_bool, "allow SharedMemory")
    gc_support = _Setting(_bool, "GC support")
    memory_may_move = _Setting(_bool, "memory may move on growth")
    memory_init_cow = _Setting(_bool, "copy-on-write memory initialisation")
    native_unwind_info = _Setting(_bool, "native unwind info")
    macos_use_mach_ports = _Setting(_bool, "macOS trap handling")
    signals_based_traps = _Setting(_bool, "use guard pages and signals for bounds checks")
    memory_reservation = _Setting(_int, "bytes reserved per linear memory")
    memory_guard_size = _Setting(_int, "guard bytes after linear memory")
    memory_reservation_for_growth = _Setting(_int, "extra bytes reserved for growth")

    def cranelift_flag_enable(self, flag: str) -> None:
        """Enable a code generator flag (recorded; no effect on the interpreter)."""
        if not isinstance(flag, str):
            raise TypeError("expected a str")
        self.ptr().setdefault("cranelift_flags", {})[flag] = "true"

    def cranelift_flag_set(self, key: str, value: str) -> None:
        """Set a code generator flag (recorded; no effect on the interpreter)."""
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("expected a str")
        self.ptr().setdefault("cranelift_flags", {})[key] = value
