"""Pickling of `Engine` and `Module`, so compiled wasm can go to other
processes and machines (multiprocessing, ProcessPoolExecutor, Dask).

- An Engine pickles as the settings its Config was given, in order, and
  unpickles as a new Engine built from them. The compilation cache setting
  is left out: a path of one machine means nothing on another.
- A Module pickles as its Engine, its serialized form (`Module.serialize()`)
  and the binary it was compiled from. Unpickling loads the serialized form
  without translating again; where that is refused (another Ember version or
  build), it compiles the binary instead. A deserialized module keeps no
  binary, so it unpickles only into the same build.

A module of one Engine is accepted by a Store of any Engine configured
alike (`ember::Module::for_engine`), so an unpickled module runs in the
worker's own stores. The rule is in docs/decisions.md.
"""
from typing import Any, List, Optional, Tuple

from ._config import Config
from ._error import WasmtimeError

Settings = List[Tuple[str, Any]]


def portable_settings(log: Settings) -> Settings:
    """The settings worth carrying to another process (not the cache)."""
    return [(name, value) for (name, value) in log if name != "cache"]


def config_from_settings(settings: Settings) -> Config:
    """A Config with `settings` applied in order."""
    config = Config()
    for name, value in settings:
        if name == "cranelift_flag_enable":
            config.cranelift_flag_enable(value)
        elif name == "cranelift_flag_set":
            config.cranelift_flag_set(*value)
        else:
            setattr(config, name, value)
    return config


def restore_engine(settings: Settings) -> Any:
    """`pickle` entry point: a new Engine with these settings."""
    from ._runtime import Engine
    return Engine(config_from_settings(settings))


def restore_module(engine: Any, serialized: bytes, binary: Optional[bytes]) -> Any:
    """`pickle` entry point: the module, loaded without compiling when this
    build can load its serialized form, else compiled from its binary."""
    from ._runtime import Module
    try:
        return Module.deserialize(engine, serialized)
    except WasmtimeError as refused:
        if not binary:
            raise WasmtimeError(f"cannot unpickle the module: {refused} (and it carries no "
                                "binary to compile: it was itself deserialized)") from None
    return Module(engine, binary)
