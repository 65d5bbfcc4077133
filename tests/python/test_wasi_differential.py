"""WASI programs under three surfaces against the `wasmtime` package.

Each C program of tests/wasi/src (prebuilt in tests/wasi/bin) runs in a fresh
folder under `wasmtime`'s WASI, under `ember run` and under Ember's Python
API; the exit code, stdout and every file left behind must be identical.
`report` is the issue's showcase: it lists and reads the files of a
preopened directory, writes a result file, and uses argv, env, stdin,
clocks and random (printing properties of clock values and random bytes,
never the values). The driver is tests/wasi/differential.py; every run is a
separate process, so the two engines never share one.
"""
import importlib.util
import os
from types import ModuleType
from typing import Any

import pytest

from conftest import required

_PATH = os.path.join(os.path.dirname(__file__), "..", "wasi", "differential.py")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ember_wasi_differential", _PATH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


diff = _load()


@pytest.fixture(scope="module")
def wasmtime_available() -> None:
    if importlib.util.find_spec("wasmtime") is None:
        required("the wasmtime package (pip install wasmtime)")


@pytest.fixture(scope="module")
def references(wasmtime_available: None) -> "dict[str, tuple[Any, ...]]":
    return {}


def _reference(references: "dict[str, tuple[Any, ...]]", name: str) -> "tuple[Any, ...]":
    if name not in references:
        references[name] = diff.reference(name)
    return references[name]


# A read-only preopen has no `ember run` flag (nor a `wasmtime run` one).
_CASES = [(surface, name) for surface in ("cli", "python") for name in sorted(diff.SCENARIOS)
          if (surface, name) != ("cli", "readonly")]


@pytest.mark.parametrize("surface,name", _CASES)
def test_same_as_wasmtime(surface: str, name: str, references: dict, ember_cli: str) -> None:
    ref = _reference(references, name)
    runner = dict(diff.surfaces(ember_cli))[surface]
    got = diff.one(name, runner)
    assert got is not None
    assert got == ref, diff.describe(ref, got)


def test_report_shows_everything(references: dict) -> None:
    """The reference run itself exercises what the issue asks for."""
    code, out, files = _reference(references, "report")
    assert code == 5
    text = out.decode()
    for line in ("argv[3]=5", "GREETING=hi", "/data: 3 entries", "  sub/",
                 "input lines=3 sum=42", "stdin bytes=11",
                 "monotonic ok=1 realtime after 2020=1", "random ok=1"):
        assert line in text
    assert files[os.path.join("data", "out.txt")] == b"lines 3\nsum 42\nstdin 11\ngreeting hi\n"
