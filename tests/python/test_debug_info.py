"""Config.debug_info: compiled code carries DWARF (each function named after
its wasm function, at its body's offset in the module) and is registered
with GDB's JIT interface, so gdb's backtrace through compiled wasm names the
wasm functions. The whole path a user takes: gdb runs Python, wasm calls a
host function that stops the process, gdb prints the backtrace."""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import ember
from test_compiled_tier import _tier_built

pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

SCRIPT = """
import os, signal, sys
sys.path[:0] = {path!r}
import ember
c = ember.Config()
c.strategy = {strategy!r}
c.debug_info = {debug!r}
c.tier_up_after = 0
c.parallel_compilation = False  # (auto: the calling thread waits for the code)
e = ember.Engine(c)
s = ember.Store(e)
m = ember.Module(e, '''(module $demo (import "host" "stop" (func $stop))
  (func $inner_wasm_fn (export "go") call $stop)
  (func $outer_wasm_fn (export "outer") call $inner_wasm_fn))''')
armed = []
def on_stop():
    if armed:
        os.kill(os.getpid(), signal.SIGTRAP)
stop = ember.Func(s, ember.FuncType([], []), on_stop)
outer = ember.Instance(s, m, [stop]).exports(s)["outer"]
outer(s)  # (auto: the first calls run interpreted and compile the functions)
armed.append(True)
outer(s)
"""


def backtrace(tmp_path: pathlib.Path, strategy: str, debug: bool) -> str:
    gdb = shutil.which("gdb")
    if gdb is None:
        pytest.skip("gdb is not installed")
    if os.environ.get("LD_PRELOAD"):
        pytest.skip("under a sanitizer runtime (LD_PRELOAD), gdb would debug the preloaded process")
    script = tmp_path / "stop.py"
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(ember.__file__)))
    script.write_text(SCRIPT.format(path=[pkg] + sys.path, strategy=strategy, debug=debug))
    out = subprocess.run([gdb, "-nx", "-batch", "-ex", "run", "-ex", "bt", "--args", sys.executable, str(script)],
                         capture_output=True, text=True, timeout=300)
    return out.stdout


@pytest.mark.parametrize("strategy", ["cranelift", "auto"])
def test_gdb_backtrace_names_the_wasm_functions(tmp_path: pathlib.Path, strategy: str) -> None:
    bt = backtrace(tmp_path, strategy, True)
    assert "SIGTRAP" in bt, bt
    # innermost first; the line is the module offset of the call each frame is in
    inner = re.search(r"in inner_wasm_fn \(\) at demo\.wasm:(\d+)", bt)
    outer = re.search(r"in outer_wasm_fn \(\) at demo\.wasm:(\d+)", bt)
    assert inner and outer and outer.start() > inner.start(), bt
    # each at its call: inner's body comes first in the module
    assert 0 < int(inner.group(1)) < int(outer.group(1)), bt


def test_no_debug_information_without_the_setting(tmp_path: pathlib.Path) -> None:
    bt = backtrace(tmp_path, "cranelift", False)
    assert "SIGTRAP" in bt, bt
    assert "inner_wasm_fn" not in bt and "demo.wasm" not in bt, bt
