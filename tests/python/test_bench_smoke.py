"""Smoke test of the benchmark suite: every bench/wasm program at its tiny
size on Ember through WASI, output checked against bench/expected.txt (the
native build's output, recorded by `python3 bench/run.py --update-expected`).

The tiny size of a program is the smallest size listed for it in
bench/expected.txt. The whole file takes a few seconds.
"""
import os

import pytest

import ember

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")


def tiny_cases():
    smallest: "dict[str, tuple[int, str]]" = {}
    with open(os.path.join(BENCH, "expected.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, size, out = line.split(None, 2)
                if name not in smallest or int(size) < smallest[name][0]:
                    smallest[name] = (int(size), out.strip())
    return sorted((name, size, out) for name, (size, out) in smallest.items())


CASES = tiny_cases()


def test_every_program_has_a_tiny_size():
    programs = sorted(f[:-5] for f in os.listdir(os.path.join(BENCH, "wasm"))
                      if f.endswith(".wasm"))
    assert programs == [name for name, _, _ in CASES]
    assert len(programs) >= 10


@pytest.mark.parametrize("name,size,expected", CASES, ids=[c[0] for c in CASES])
def test_benchmark_tiny(tmp_path, name, size, expected):
    engine = ember.Engine()
    module = ember.Module.from_file(engine, os.path.join(BENCH, "wasm", name + ".wasm"))
    store = ember.Store(engine)
    linker = ember.Linker(engine)
    linker.define_wasi()
    wasi = ember.WasiConfig()
    wasi.argv = [name, str(size)]
    out = tmp_path / "stdout.txt"
    wasi.stdout_file = str(out)
    store.set_wasi(wasi)
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except ember.ExitTrap as e:
        assert e.code == 0
    assert out.read_text().strip() == expected


def run_micro(only: str, engines: str, functions: int) -> "tuple[dict, str]":
    """Runs bench/micro.py --quick; returns its table's rows by name and its output."""
    import subprocess
    import sys
    # (a build directory holds python/ember; an installed package is found
    # on the path the worker inherits)
    build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(ember.__file__))))
    p = subprocess.run([sys.executable, os.path.join(BENCH, "micro.py"), "--quick", "--no-docs",
                        "--only", only, "--engines", engines,
                        "--ember-build", build, "--functions", str(functions)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = {}
    for line in p.stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| micro-benchmark"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells
    return rows, p.stdout


def test_micro_startup_runs_for_both_strategies():
    """bench/micro.py's start-up case (Module + Store + Instance + one call)
    runs for the default strategy and for the interpreter alone."""
    rows, _ = run_micro("startup", "ember,ember-interp", 10)
    cells = rows["startup"]
    assert cells[1] == "µs" and float(cells[2]) > 0 and float(cells[3]) > 0


def test_micro_compile_figures_are_first_compiles_and_recompile_is_shared():
    """bench/micro.py's compile figure compiles other bytes each time (a
    first compile, though Ember shares a live module of the same bytes), and
    its recompile figure -- the same bytes again -- is far cheaper."""
    rows, out = run_micro("compile,recompile", "ember", 400)
    assert rows["compile"][1] == "MB/s" and rows["recompile"][1] == "ms"
    mb_per_s = float(rows["compile"][2].split()[0])
    recompile_ms = float(rows["recompile"][2].split()[0])
    size = [line for line in out.splitlines() if line.startswith("Compile module:")]
    code_mb = float(size[0].split()[2])
    compile_ms = code_mb / mb_per_s * 1e3
    assert mb_per_s > 0 and 0 <= recompile_ms < compile_ms / 2, (compile_ms, recompile_ms)
