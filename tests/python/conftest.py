"""Shared fixtures for the `ember` package tests.

The package is imported from PYTHONPATH (tests/run-all.sh points it at the
build tree). `xfail_later` marks tests of features owned by later issues:
strict, so the run fails as soon as one of them starts passing.
"""
import os
from typing import Any, Iterable, List, NoReturn, Optional

import pytest

import ember


# EMBER_TEST_STRATEGY=cranelift runs every engine a test makes with that
# Config.strategy (tests/run-all.sh runs the differential and
# execution-control tests so, over code the compiled tier compiled);
# =tiered with strategy "auto" and tiering forced: every function compiled
# at its first call, which waits for it (Config.tier_up_after 0,
# parallel_compilation off); =tiered-loops the same with a budget of one
# unit: a function's first loop header asks for its OSR entry before its
# second call asks for its own, so the OSR entry serves that call.
def set_strategy(config: ember.Config, strategy: str) -> ember.Config:
    """`strategy` as Config.strategy takes it, "tiered": every function
    tiers up at its first call, compiled before the call goes on, or
    "tiered-loops": loops tier up first."""
    if strategy in ("tiered", "tiered-loops"):
        config.strategy = "auto"
        config.tier_up_after = 0 if strategy == "tiered" else 1
        config.parallel_compilation = False
    else:
        config.strategy = strategy
    return config


_FORCED_STRATEGY = os.environ.get("EMBER_TEST_STRATEGY", "")
if _FORCED_STRATEGY:
    _engine_init = ember.Engine.__init__

    def _engine_with_forced_strategy(self: ember.Engine, config: Optional[ember.Config] = None) -> None:
        _engine_init(self, set_strategy(config if config is not None else ember.Config(), _FORCED_STRATEGY))

    ember.Engine.__init__ = _engine_with_forced_strategy  # type: ignore[method-assign]


def xfail_later(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"not implemented yet: {reason}")


@pytest.fixture
def engine() -> ember.Engine:
    return ember.Engine()


@pytest.fixture
def store(engine: ember.Engine) -> ember.Store:
    return ember.Store(engine)


def instantiate(store: ember.Store, wat: str, imports: Iterable[Any] = ()) -> ember.Instance:
    module = ember.Module(store.engine, wat)
    return ember.Instance(store, module, list(imports))


def required(what: str) -> NoReturn:
    """Skips a test that needs `what`; under CI=true the absence fails it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing (required under CI=true)")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def ember_cli() -> str:
    """The `ember` executable: $EMBER_CLI, the build tree's, or the installed one."""
    from ember.__main__ import _find_cli
    try:
        return _find_cli()
    except SystemExit:
        required("the `ember` command-line tool (set EMBER_CLI)")


def perf_map_names() -> List[str]:
    """The symbol names in this process's perf map (Config.profiler = "perfmap")."""
    try:
        with open(f"/tmp/perf-{os.getpid()}.map") as f:
            return [line.split(" ", 2)[2].strip() for line in f if line.count(" ") >= 2]
    except FileNotFoundError:
        return []


def gc_exports(strategy: str, wat: str) -> Any:
    """(store, exports, module) of `wat` instantiated with GC on and
    `strategy` as set_strategy takes it."""
    config = ember.Config()
    config.wasm_gc = True
    config.wasm_function_references = True
    set_strategy(config, strategy)
    engine = ember.Engine(config)
    store = ember.Store(engine)
    module = ember.Module(engine, wat)
    return store, ember.Instance(store, module, []).exports(store), module
