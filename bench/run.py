#!/usr/bin/env python3
"""Ember's benchmark harness: every program in bench/ on every engine, one run.

    python3 bench/run.py                  full sizes, 5 repetitions, writes docs/
    python3 bench/run.py --quick          tiny sizes, 1 repetition (CI smoke run)
    python3 bench/run.py --only fib,sort --engines ember,pulley --reps 3

Engines:
  native    the same C source built with clang -O2 for the host (the limit)
  wasmtime  the `wasmtime` package, default strategy (Cranelift)
  pulley    the `wasmtime` package with target pulley64 (its interpreter)
  node      V8 through node:wasi (bench/run-node.mjs)
  ember     Ember's Python API with WASI (`import ember as wasmtime`), default
            Config: strategy "auto", the interpreter first, hot code compiled with
            LLVM in the background (on-stack replacement for running loops)
  ember-eager  the same, Config.strategy "cranelift": every function the compiled
            tier lowers is compiled with LLVM in Module()
  ember-interp  the same, Config.strategy "interpreter": Ember's interpreter only

The Python engines run in a worker subprocess per program (python3 bench/run.py
--worker ...): compile, instantiate with WASI, then call `_start`; only the
`_start` call is the run time, compile time is reported on its own. node is
timed the same way inside bench/run-node.mjs. native is the wall time of the
process. Each figure is the median of --reps repetitions.

Every output is compared with the native build's and with bench/expected.txt
(for the sizes listed there): a mismatch or a failing engine prints the
details and makes the exit status non-zero. An engine that cannot run here
(Ember before its WASI support, Pulley if the package cannot select it) is
reported as "unavailable: <reason>", never with a number.
"""
import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import report  # noqa: E402  (bench/report.py: tables, docs, chart)

# name: (full size, quick size). The size is each program's argv[1]; the full
# sizes make the native build run for roughly 0.2-0.4 s.
PROGRAMS: Dict[str, tuple] = {
    "fib": (40, 20),
    "collatz": (2000000, 2000),
    "mandel": (1800, 40),
    "nbody": (48000, 20),
    "matmul": (864, 24),
    "memcopy": (256, 2),
    "hashtab": (16000000, 20000),
    "sort": (1200000, 2000),
    "vm": (380000, 3000),
    "strings": (6000, 4),
    "arx": (1100000, 400),
    "life": (600, 3),
    "simd": (80000, 20),
}

ENGINES = ["native", "wasmtime", "pulley", "node", "ember", "ember-eager", "ember-interp"]
PY_ENGINES = {"wasmtime", "pulley", "ember", "ember-eager", "ember-interp"}
INTERPRETERS = {"pulley"}  # other interpreters Ember is compared with
DEFAULT_EMBER_BUILD = os.path.join(ROOT, "build", "test")


class Unavailable(Exception):
    """The engine cannot run on this machine or build; carries the reason."""


# ---------------------------------------------------------------------------
# Worker: one Python engine, one program, several repetitions.

def load_engine_module(engine: str, ember_build: str):
    if engine.startswith("ember"):
        pkg = os.path.join(ember_build, "python")
        if not os.path.isdir(os.path.join(pkg, "ember")):
            raise Unavailable(f"no Ember build at {ember_build} (build with -DEMBER_PYTHON=ON)")
        sys.path.insert(0, pkg)
        try:
            return importlib.import_module("ember")
        except ImportError as e:
            raise Unavailable(f"cannot import ember from {pkg}: {e}")
    try:
        return importlib.import_module("wasmtime")
    except ImportError as e:
        raise Unavailable(f"the wasmtime package is not installed: {e}")


def make_engine(mod, engine: str):
    config = mod.Config()
    if engine == "ember-eager":  # every function the compiled tier lowers, compiled in Module()
        config.strategy = "cranelift"
    if engine == "ember-interp":
        config.strategy = "interpreter"
    if engine == "pulley":
        try:
            config.target = "pulley64"
        except Exception as e:  # an older package without Pulley
            raise Unavailable(f"wasmtime package cannot select pulley64: {e}")
    return mod.Engine(config)


def worker(engine: str, wasm: str, size: int, reps: int, ember_build: str) -> dict:
    mod = load_engine_module(engine, ember_build)
    with open(wasm, "rb") as f:
        wasm_bytes = f.read()
    name = os.path.splitext(os.path.basename(wasm))[0]
    exit_trap = getattr(mod, "ExitTrap", None)
    result: Dict[str, list] = {"compile": [], "instantiate": [], "run": [], "outputs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(reps):
            # An engine per repetition: each one compiles and runs from the
            # start (Ember would otherwise hand the second Module() of the
            # same bytes the first one's module, with its tiered code).
            eng = make_engine(mod, engine)
            t0 = time.perf_counter()
            module = mod.Module(eng, wasm_bytes)
            t1 = time.perf_counter()
            store = mod.Store(eng)
            linker = mod.Linker(eng)
            out_path = os.path.join(tmp, f"out{rep}.txt")
            try:
                linker.define_wasi()
                wasi = mod.WasiConfig()
                wasi.argv = [name, str(size)]
                wasi.stdout_file = out_path
                wasi.inherit_stderr()
                store.set_wasi(wasi)
            except mod.WasmtimeError as e:
                raise Unavailable(f"no WASI in this build ({e})")
            t2 = time.perf_counter()
            instance = linker.instantiate(store, module)
            start = instance.exports(store)["_start"]
            t3 = time.perf_counter()
            status = 0
            try:
                start(store)
            except Exception as e:
                if exit_trap is not None and isinstance(e, exit_trap):
                    status = e.code
                else:
                    raise
            t4 = time.perf_counter()
            if status != 0:
                raise RuntimeError(f"{name} exited with status {status}")
            del instance, start, store, linker, module, eng
            with open(out_path) as f:
                result["outputs"].append(f.read())
            result["compile"].append(t1 - t0)
            result["instantiate"].append(t3 - t2)
            result["run"].append(t4 - t3)
    return result


def worker_main(argv: List[str]) -> int:
    engine, wasm, size, reps, ember_build = argv
    try:
        res = worker(engine, wasm, int(size), int(reps), ember_build)
    except Unavailable as e:
        res = {"unavailable": str(e)}
    except BaseException as e:  # a trap or crash in the engine: report it
        res = {"error": f"{type(e).__name__}: {e}"}
    sys.stdout.write("\n@@RESULT@@" + json.dumps(res) + "\n")
    return 0


# ---------------------------------------------------------------------------
# Driver side: run one (engine, program) and return a result dict.

def run_python_engine(engine: str, wasm: str, size: int, reps: int, args) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine, wasm, str(size),
           str(reps), args.ember_build]
    return run_json_subprocess(cmd, args.timeout)


def run_node(wasm: str, size: int, reps: int, args) -> dict:
    node = shutil.which("node")
    if node is None:
        return {"unavailable": "node is not installed"}
    cmd = [node, "--no-warnings", os.path.join(HERE, "run-node.mjs"), wasm, str(size), str(reps)]
    return run_json_subprocess(cmd, args.timeout)


def run_json_subprocess(cmd: List[str], timeout: float) -> dict:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    marker = p.stdout.rfind("@@RESULT@@")
    if marker < 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-5:]
        return {"error": f"exit status {p.returncode}: " + " | ".join(tail)}
    res = json.loads(p.stdout[marker + len("@@RESULT@@"):])
    if p.returncode != 0 and "error" not in res:
        res["error"] = f"exit status {p.returncode}"
    return res


PEER_ATTEMPTS = 3


def crashed(res: dict) -> bool:
    """Killed by a signal (negative exit status): the process crashed."""
    return res.get("error", "").startswith("exit status -")


def run_engine(engine: str, name: str, wasm: str, size: int, reps: int, args) -> dict:
    """One (engine, program) run. A peer engine that crashes (node 20's WASI
    does, now and then) is run again, and after PEER_ATTEMPTS crashes shown
    as unavailable; a crash of Ember's is never retried: it is a bug."""
    attempts = 1 if engine.startswith("ember") else PEER_ATTEMPTS
    for attempt in range(attempts):
        if engine == "native":
            res = run_native(name, size, reps, args)
        elif engine == "node":
            res = run_node(wasm, size, reps, args)
        else:
            res = run_python_engine(engine, wasm, size, reps, args)
        if not crashed(res) or engine.startswith("ember"):
            return res
        print(f"  {name:8} {engine:9} crashed ({res['error']}), attempt {attempt + 1}", flush=True)
    return {"unavailable": f"crashed {PEER_ATTEMPTS} times ({res['error']})"}


def build_native(out_dir: str) -> Optional[str]:
    """Builds the native programs; returns an error message or None."""
    p = subprocess.run(["sh", os.path.join(HERE, "build.sh"), "--native", out_dir],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return "native build failed: " + p.stderr.strip()[-500:]
    return None


def run_native(name: str, size: int, reps: int, args) -> dict:
    exe = os.path.join(args.native_dir, name)
    res: Dict[str, list] = {"run": [], "outputs": []}
    for _ in range(reps):
        t0 = time.perf_counter()
        try:
            p = subprocess.run([exe, str(size)], capture_output=True, text=True,
                               timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {args.timeout:.0f} s"}
        t1 = time.perf_counter()
        if p.returncode != 0:
            return {"error": f"exit status {p.returncode}: {p.stderr.strip()[-300:]}"}
        res["run"].append(t1 - t0)
        res["outputs"].append(p.stdout)
    return res


def read_expected() -> Dict[tuple, str]:
    """bench/expected.txt: "name size output" lines, written by --update-expected."""
    path = os.path.join(HERE, "expected.txt")
    expected = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                name, size, out = line.split(None, 2)
                expected[(name, int(size))] = out
    return expected


def write_expected(results: dict, sizes: Dict[str, int]) -> None:
    old = read_expected()
    for name, per_engine in results.items():
        nat = per_engine.get("native", {})
        if nat.get("outputs"):
            old[(name, sizes[name])] = nat["outputs"][0].strip()
    with open(os.path.join(HERE, "expected.txt"), "w") as f:
        f.write("# Output of each benchmark program at a given size, from the native build:\n"
                "# name size output. Written by `python3 bench/run.py --update-expected`;\n"
                "# read by the harness and by tests/python/test_bench_smoke.py.\n")
        for (name, size), out in sorted(old.items()):
            f.write(f"{name} {size} {out}\n")


def check_outputs(name: str, size: int, per_engine: dict, expected: Dict[tuple, str]) -> List[str]:
    """Compares every engine's output with native's and the expected file."""
    problems = []
    want = expected.get((name, size))
    nat = per_engine.get("native", {}).get("outputs")
    ref = nat[0].strip() if nat else want
    if nat and want is not None and nat[0].strip() != want:
        problems.append(f"{name}: native output {nat[0].strip()!r} differs from "
                        f"bench/expected.txt {want!r}")
    if ref is None:
        problems.append(f"{name}: nothing to check against (no native run, size {size} not "
                        f"in bench/expected.txt)")
        return problems
    for engine, res in per_engine.items():
        for out in res.get("outputs", []):
            if out.strip() != ref:
                problems.append(f"{name} on {engine}: output {out.strip()!r}, expected {ref!r}")
                res["mismatch"] = True
                break
    return problems


def median(xs: List[float]) -> float:
    return statistics.median(xs)


def main(argv: List[str]) -> int:
    if argv[:1] == ["--worker"]:
        return worker_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes and 1 repetition; does not write docs/")
    ap.add_argument("--only", default="", help="comma-separated program names")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help=f"comma-separated, from {','.join(ENGINES)}")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 5, quick 1)")
    ap.add_argument("--ember-build", default=DEFAULT_EMBER_BUILD,
                    help="Ember build directory (with python/ember inside)")
    ap.add_argument("--native-dir", default=os.path.join(ROOT, "build", "bench-native"),
                    help="where the native programs are built")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per engine and program")
    ap.add_argument("--docs", default=None,
                    help="write the report here (default docs/performance.md; not with --quick)")
    ap.add_argument("--no-docs", action="store_true", help="print only")
    ap.add_argument("--update-expected", action="store_true",
                    help="record the native outputs in bench/expected.txt")
    args = ap.parse_args(argv)

    engines = [e for e in args.engines.split(",") if e]
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e!r}; choose from {', '.join(ENGINES)}")
    names = [n for n in args.only.split(",") if n] or list(PROGRAMS)
    for n in names:
        if n not in PROGRAMS:
            ap.error(f"unknown program {n!r}; choose from {', '.join(PROGRAMS)}")
    reps = args.reps or (1 if args.quick else 5)
    sizes = {n: PROGRAMS[n][1 if args.quick else 0] for n in names}
    write_docs = not args.no_docs and (args.docs is not None or not args.quick)
    docs_path = args.docs or os.path.join(ROOT, "docs", "performance.md")
    if write_docs and (why := report.chart_unavailable()):
        ap.error(why)  # before the run, not after it

    if "native" in engines:
        err = build_native(args.native_dir)
        if err:
            print(err, file=sys.stderr)
            return 1
    expected = read_expected()
    machine = report.machine_facts(ROOT)
    print(f"# {machine['cpu']}, {machine['cores']} cores, load {machine['load']}", flush=True)

    results: Dict[str, Dict[str, dict]] = {}
    problems: List[str] = []
    for name in names:
        wasm = os.path.join(HERE, "wasm", name + ".wasm")
        results[name] = {}
        for engine in engines:
            t0 = time.perf_counter()
            res = run_engine(engine, name, wasm, sizes[name], reps, args)
            results[name][engine] = res
            if "error" in res:
                problems.append(f"{name} on {engine} failed: {res['error']}")
            status = (f"{median(res['run']):.4f} s" if res.get("run")
                      else res.get("unavailable") or res.get("error"))
            print(f"  {name:8} {engine:9} {status}   ({time.perf_counter() - t0:.1f} s)",
                  flush=True)
        problems += check_outputs(name, sizes[name], results[name], expected)

    summary = report.summarise(results, engines, INTERPRETERS)
    print()
    print(report.text_table(summary))
    if args.update_expected:
        write_expected(results, sizes)
    command = "python3 bench/run.py" + ("" if not argv else " " + " ".join(argv))
    if problems:
        print("\nFAILED:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        print("(docs not written)", file=sys.stderr)
        return 1
    if write_docs:
        report.write_suite_docs(docs_path, summary, command, machine, reps, sizes)
        print(f"\nwrote {os.path.relpath(docs_path, ROOT)} and its chart")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
