"""C++ exceptions compiled by clang to the standard exception instructions
(try_table, throw, throw_ref, exnref): the programs of tests/eh (prebuilt in
tests/eh/bin by tests/eh/build.sh).

`exceptions.wasm` is a WASI command that throws across frames, catches by
type and with catch(...), rethrows and nests handlers; it must print the
same transcript under the `wasmtime` package, Ember's Python API and
`ember run`. `host_calls.wasm` throws from a wasm function that a host
function called: Ember lets the exception go on through the host frame to
the wasm caller's handler, where the `wasmtime` package traps with "thrown
Wasm exception" instead (a documented difference).
"""
import os
import re
import subprocess
from types import ModuleType
from typing import Any, Tuple

import pytest

import ember
from conftest import required

BIN = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "eh", "bin"))
EXCEPTIONS = os.path.join(BIN, "exceptions.wasm")
HOST_CALLS = os.path.join(BIN, "host_calls.wasm")

# What exceptions.wasm prints (see tests/eh/src/exceptions.cc).
TRANSCRIPT = """\
deep throw:
  ~Guard level4
  ~Guard level3
  ~Guard level2
  ~Guard level1
  main caught Error 3
  level4 returned
  ~Guard level4
  ~Guard level3
  level2 returned
  ~Guard level2
  ~Guard level1
catch by type:
  caught int 42
 kind 0 -> int
  caught Error 7
 kind 1 -> Error
  caught Other other
 kind 2 -> Other
 kind 3 -> escaped to catch(...)
 kind 4 -> nothing
rethrow:
  ~Guard level4
  ~Guard level3
  ~Guard level2
  inner caught 5, rethrowing
  ~Guard rethrower
  outer caught 105
nested:
  caught int 1
  inner catch(...)
  rethrown int 1
  still handling int 1, now throwing Error
  outer caught Error 2
  missed the inner clause, caught Error 9
live Error objects: 0
"""


@pytest.fixture(scope="module")
def wasmtime() -> ModuleType:
    try:
        import wasmtime
    except ImportError:
        required("the `wasmtime` package")
    return wasmtime


def run_program(mod: ModuleType, folder: Any) -> Tuple[int, str]:
    """exceptions.wasm's exit code and stdout under a wasmtime-like module."""
    engine = mod.Engine()
    store = mod.Store(engine)
    cfg = mod.WasiConfig()
    cfg.argv = [EXCEPTIONS]
    out = os.path.join(str(folder), f"{mod.__name__}.stdout")
    cfg.stdout_file = out
    store.set_wasi(cfg)
    linker = mod.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, mod.Module.from_file(engine, EXCEPTIONS))
    code = 0
    try:
        instance.exports(store)["_start"](store)
    except mod.ExitTrap as e:
        code = e.code
    with open(out, encoding="utf-8") as f:
        return code, f.read()


@pytest.fixture(scope="module")
def reference(wasmtime: ModuleType, tmp_path_factory: Any) -> Tuple[int, str]:
    return run_program(wasmtime, tmp_path_factory.mktemp("eh"))


def test_wasmtime_prints_the_transcript(reference: Tuple[int, str]) -> None:
    assert reference == (0, TRANSCRIPT)


def test_python_api_same_as_wasmtime(reference: Tuple[int, str], tmp_path: Any) -> None:
    got = run_program(ember, tmp_path)
    assert got == (0, TRANSCRIPT)
    assert got == reference


def test_cli_same_as_wasmtime(ember_cli: str, reference: Tuple[int, str]) -> None:
    p = subprocess.run([ember_cli, "run", EXCEPTIONS], capture_output=True, timeout=60)
    assert (p.returncode, p.stdout.decode()) == (0, TRANSCRIPT)
    assert (p.returncode, p.stdout.decode()) == reference


def host_calls(mod: ModuleType) -> Tuple[Any, Any]:
    """A store and host_calls.wasm's exports, its host.call_back calling the
    exported `thrower` with its argument and not catching what it throws."""
    engine = mod.Engine()
    store = mod.Store(engine)

    def call_back(caller: Any, v: int) -> None:
        thrower = caller.get("thrower")
        assert thrower is not None
        thrower(caller, v)

    i32 = mod.ValType.i32()
    f = mod.Func(store, mod.FuncType([i32], []), call_back, access_caller=True)
    instance = mod.Instance(store, mod.Module.from_file(engine, HOST_CALLS), [f])
    return store, instance.exports(store)


def test_wasmtime_stops_the_exception_at_the_host_frame(wasmtime: ModuleType) -> None:
    store, exports = host_calls(wasmtime)
    assert exports["through_host"](store, -1) == 0  # nothing thrown
    assert exports["cleanups"](store) == 2
    with pytest.raises(wasmtime.Trap, match="thrown Wasm exception"):
        exports["through_host"](store, 7)
    # thrower's destructor ran before the exception left wasm; through_host's
    # frame was abandoned by the trap.
    assert exports["cleanups"](store) == 3


def test_exception_crosses_the_host_frame() -> None:
    store, exports = host_calls(ember)
    assert exports["through_host"](store, -1) == 0
    assert exports["cleanups"](store) == 2
    # thrower's int goes out through call_back into through_host's handler.
    assert exports["through_host"](store, 7) == 1007
    # Both frames' destructors ran: thrower's unwinding, through_host's return.
    assert exports["cleanups"](store) == 4


@pytest.mark.parametrize("path", [EXCEPTIONS, HOST_CALLS])
def test_every_function_compiles(ember_cli: str, path: str) -> None:
    # clang puts catch_all_ref + throw_ref in every function with a cleanup
    # (decision 57): none of them is left to the interpreter.
    p = subprocess.run([ember_cli, "inspect", "--compiled", path], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    m = re.search(r"compiled tier: (\d+) of (\d+) defined functions compiled", p.stdout.decode())
    assert m is not None, p.stdout.decode()
    assert int(m.group(1)) == int(m.group(2)) > 30
