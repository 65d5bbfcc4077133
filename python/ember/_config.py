"""`Config`: engine settings, frozen when an `Engine` consumes them.

Every setting is a *write-only attribute that is also callable*, so both the
seed's method form and wasmtime's property form work:

    config.wasm_simd(True)      # seed
    config.wasm_simd = True     # wasmtime

Reading `config.wasm_simd` does not give the value (settings are write-only,
as in wasmtime): it gives a bound setter that applies its argument when
called. Using that object as a value (`bool(...)`) raises AttributeError.

This module keeps only what is particular to Python: the type of each
argument (TypeError), the two calling forms, and ValueError for a setter on
a consumed or closed Config. Every rule about a *value* (ranges, the choice
lists, the target, the cache path) lives once in the C++ API's
`ember::Config`, which the extension's `ConfigHandle` calls by setting name:
a number out of range raises ValueError, an unknown name or an unusable
file WasmtimeError (docs/decisions.md). `Engine(config)` builds its engine
from that `ember::Config`.
"""
import os
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _ember
from ._error import WasmtimeError
from ._managed import Managed

_Apply = Callable[[Any, str, Any], None]


def _bool(h: Any, name: str, v: Any) -> None:
    if not isinstance(v, bool):
        raise TypeError("expected a bool")
    h.set_bool(name, v)


def _truthy(h: Any, name: str, v: Any) -> None:
    h.set_bool(name, bool(v))


def _int(h: Any, name: str, v: Any) -> None:
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError("expected an int")
    h.set_int(name, v)


def _str(h: Any, name: str, v: Any) -> None:
    if not isinstance(v, str):
        raise TypeError("expected a str")
    h.set_str(name, v)


def _cache(h: Any, name: str, v: Any) -> None:
    """True is the default cache directory; a path is a cache directory if it
    names one, else wasmtime's TOML cache configuration file (the rule is
    `ember::Config::cache_path`). False is refused as wasmtime's property
    refuses it: the property form can only enable the cache."""
    if isinstance(v, bool):
        if not v:
            raise WasmtimeError("cache can only be enabled (True or a configuration path)")
        h.cache(True)
    elif isinstance(v, (str, os.PathLike)):
        h.cache_path(os.fsdecode(os.fspath(v)))
    else:
        raise TypeError("expected a bool or a str")


def _choices(name: str) -> str:
    return " | ".join(repr(v) for v in _ember.config_choices(name))


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


# What each kind of setting accepts, appended to its docstring.
_KINDS: Dict[_Apply, str] = {
    _bool: "Write-only, a bool (TypeError otherwise).",
    _truthy: "Write-only; any value, taken as its truth value.",
    _int: "Write-only, an int (TypeError otherwise); a negative one raises ValueError.",
    _str: "Write-only, a str (TypeError otherwise); an unknown value raises WasmtimeError.",
    _cache: "Write-only, True or a str / os.PathLike (TypeError otherwise); False and an "
            "unusable path raise WasmtimeError.",
}


class _Setting:
    """Descriptor: assignment and call both type-check the value and hand it
    to the extension, whose ember::Config setter checks and records it."""

    def __init__(self, apply: _Apply, doc: str) -> None:
        self.apply = apply
        self.name = ""
        self.__doc__ = f"{doc[:1].upper()}{doc[1:]}.\n\n{_KINDS[apply]}"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return _BoundSetting(obj, self)

    def __set__(self, obj: "Config", value: Any) -> None:
        self.apply(obj.ptr(), self.name, value)
        obj._log.append((self.name, value))


class Config(Managed):
    """Settings for an `Engine`; consumed by `Engine(config)`.

    Every setting is write-only and can be given in two forms,
    `config.wasm_simd = True` (wasmtime's) or `config.wasm_simd(True)`.
    Reading a setting gives a bound setter, not the value. A value of the
    wrong Python type raises TypeError; a number out of range ValueError;
    an unknown choice, a foreign target or an unusable cache path
    WasmtimeError. Any setter raises ValueError once the config is closed
    or consumed by an Engine.
    """

    _h: Optional[_ember.ConfigHandle]

    def __init__(self) -> None:
        self._h = _ember.ConfigHandle()
        # Every accepted setting in order, so an Engine can be pickled and
        # built again elsewhere (ember/_pickle.py).
        self._log: List[Tuple[str, Any]] = []

    # Compilation
    debug_info = _Setting(_bool, "emit debug info (accepted; no effect on the interpreter)")
    strategy = _Setting(_str, f"compilation strategy, one of {_choices('strategy')}: auto = "
                        "interpret first, compile hot code in the background; cranelift = compile "
                        "every function with the module; interpreter and winch = interpret only")
    tier_up_after = _Setting(_int, "Ember's own: calls and loop iterations of a function before "
                             "strategy auto compiles it (0 = at once; at most 2**31 - 1)")
    profiler = _Setting(_str, f"profiler, one of {_choices('profiler')}: perfmap lists "
                        "compiled code in /tmp/perf-<pid>.map, jitdump writes it to "
                        "/tmp/jit-<pid>.dump (for perf inject --jit), named after the wasm "
                        "functions; vtune is accepted and writes nothing")
    cranelift_debug_verifier = _Setting(_bool, "accepted for compatibility (LLVM's verifier "
                                        "always runs on compiled code)")
    cranelift_opt_level = _Setting(_str, "optimisation level of compiled code, one of "
                                   f"{_choices('cranelift_opt_level')}")
    cranelift_nan_canonicalization = _Setting(_bool, "canonicalize NaN results")
    parallel_compilation = _Setting(_bool, "translate large modules on several threads and compile "
                                    "hot code beside the program (off: the program waits for it)")
    cache = _Setting(_cache, "True, a cache directory, or a wasmtime cache configuration file")
    target = _Setting(_str, "target triple; only the host's is accepted")
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
    wasm_wide_arithmetic = _Setting(_bool, "wide-arithmetic proposal: i64.add128, i64.sub128, "
                                    "i64.mul_wide_s and i64.mul_wide_u (on by default)")
    wasm_custom_page_sizes = _Setting(_bool, "custom page sizes proposal: modules may state a "
                                      "memory's page size, 1 byte or 64 KiB (default off)")
    wasm_stack_switching = _Setting(_bool, "stack switching proposal")
    wasm_extended_const = _Setting(_bool, "extended constant expressions")
    # Execution
    consume_fuel = _Setting(_bool, "charge fuel for executed code")
    epoch_interruption = _Setting(_truthy, "interrupt at epoch deadlines")
    max_wasm_stack = _Setting(_int, "bytes of wasm stack (1 byte to 1 GiB, else ValueError)")
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
        """Enables a code generator flag (recorded; no effect on the interpreter).

        Args:
            flag: The flag's name, e.g. "preserve_frame_pointers".

        Raises:
            TypeError: If `flag` is not a str.
            ValueError: If the config was closed or consumed.
        """
        if not isinstance(flag, str):
            raise TypeError("expected a str")
        self.ptr().cranelift_flag(flag, "true")
        self._log.append(("cranelift_flag_enable", flag))

    def cranelift_flag_set(self, key: str, value: str) -> None:
        """Sets a code generator flag (recorded; no effect on the interpreter).

        Args:
            key: The flag's name, e.g. "opt_level".
            value: Its value, e.g. "speed".

        Raises:
            TypeError: If `key` or `value` is not a str.
            ValueError: If the config was closed or consumed.
        """
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("expected a str")
        self.ptr().cranelift_flag(key, value)
        self._log.append(("cranelift_flag_set", (key, value)))
