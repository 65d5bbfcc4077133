"""A real component: a Python application packaged by componentize-py.

tests/component/python-app/ holds the application (app.py) and its world
(hello.wit); the test builds the component with `componentize-py` (from
PyPI, installed by scripts/install-deps.sh; about 18 MB, 10 s) once per run
and runs it in Ember and in the `wasmtime` package with the same Python
host: the `log` import, the two WASI functions the interpreter calls on its
first export call (environment and random bytes), every other import a
stand-in that traps (`define_unknown_imports_as_traps`). Both must give the
same results and the same log.
"""
import shutil
import subprocess
from pathlib import Path
from typing import Any, List, Tuple

import pytest
import wasmtime
import wasmtime.component as wc

import ember
import ember.component as ec

APP = Path(__file__).parents[1] / "component" / "python-app"


@pytest.fixture(scope="module")
def app_wasm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tool = shutil.which("componentize-py")
    assert tool, "componentize-py is missing: scripts/install-deps.sh installs it"
    out = tmp_path_factory.mktemp("python-app") / "app.wasm"
    subprocess.run([tool, "-d", str(APP / "hello.wit"), "-w", "hello", "componentize",
                    "app", "-o", str(out)], cwd=APP, check=True, capture_output=True,
                   timeout=300)
    return out.read_bytes()


def run_app(mod: Any, comp_mod: Any, wasm: bytes) -> Tuple[List[Any], List[str]]:
    engine = mod.Engine()
    store = mod.Store(engine)
    component = comp_mod.Component(engine, wasm)
    linker = comp_mod.Linker(engine)
    logs: List[str] = []
    with linker.root() as r:
        with r.add_instance("example:hello/host") as h:
            h.add_func("log", lambda sc, m: logs.append(m))
        with r.add_instance("wasi:cli/environment@0.2.9") as h:
            h.add_func("get-environment", lambda sc: [])
            h.add_func("get-arguments", lambda sc: [])
            h.add_func("initial-cwd", lambda sc: None)
        with r.add_instance("wasi:random/random@0.2.9") as h:
            h.add_func("get-random-bytes", lambda sc, n: bytes(n))
            h.add_func("get-random-u64", lambda sc: 4)
    linker.define_unknown_imports_as_traps(component)
    inst = linker.instantiate(store, component)
    results = [
        inst.get_func(store, "compute")(store, 10),
        inst.get_func(store, "greet")(store, "Ember"),
        inst.get_func(store, "compute")(store, 1000),
        inst.get_func(store, "stats")(store, [1.5, -2.0, 9.25]),
        inst.get_func(store, "stats")(store, []),
    ]
    return results, logs


def test_the_python_app_runs_as_in_wasmtime(app_wasm: bytes) -> None:
    ours = run_app(ember, ec, app_wasm)
    theirs = run_app(wasmtime, wc, app_wasm)
    assert ours == theirs
    results, logs = ours
    assert results[:3] == [285, "Hello, Ember!", sum(i * i for i in range(1000))]
    assert results[3] == (sum([1.5, -2.0, 9.25]) / 3, 9.25)
    assert logs == ["computing 10", "computing 1000"]


def test_an_import_left_undefined_traps_when_called(app_wasm: bytes) -> None:
    engine = ember.Engine()
    store = ember.Store(engine)
    component = ec.Component(engine, app_wasm)
    linker = ec.Linker(engine)
    with linker.root() as r:
        with r.add_instance("example:hello/host") as h:
            h.add_func("log", lambda sc, m: None)
    linker.define_unknown_imports_as_traps(component)
    inst = linker.instantiate(store, component)
    compute = inst.get_func(store, "compute")
    assert compute is not None
    with pytest.raises(ember.WasmtimeError,
                       match="unknown import: `wasi:cli/environment@0.2.9#get-environment` "
                             "has not been defined"):
        compute(store, 10)


EXIT_SCRIPT = """
import sys, time
import ember, ember.component as ec
engine = ember.Engine()  # the default strategy: tiered
store = ember.Store(engine)
c = ec.Component.from_file(engine, sys.argv[1])
linker = ec.Linker(engine)
linker.add_wasip2()
store.set_wasi(ember.WasiConfig())
with linker.root() as r:
    with r.add_instance("example:hello/host") as h:
        h.add_func("log", lambda sc, m: None)
f = linker.instantiate(store, c).get_func(store, "compute")
print(f(store, 1000), f(store, 200000), flush=True)
print(time.monotonic(), flush=True)
sys.exit(3)
"""


def test_exit_does_not_wait_for_a_compile_in_flight(app_wasm: bytes, tmp_path: Path) -> None:
    # The calls make CPython's dispatch loop hot; compiling it takes LLVM
    # many seconds (longer under a sanitizer), which the exit must not wait
    # for: the process ends right after Python does, with its status.
    import os
    import sys
    import time
    wasm = tmp_path / "app.wasm"
    wasm.write_bytes(app_wasm)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, str(wasm)], capture_output=True,
                       text=True, env=env, timeout=600)
    ended = time.monotonic()
    assert r.returncode == 3, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == f"{sum(i * i for i in range(1000))} {sum(i * i for i in range(200000))}"
    assert ended - float(lines[1]) < 5.0
