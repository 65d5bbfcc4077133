#!/usr/bin/env python3
"""Micro-benchmarks of the Python boundary and of module loading, beside the
`wasmtime` package:

  call      Python -> wasm call of add(i32, i32) -> i32, ns per call
  host      wasm -> Python host call (an imported i32 -> i32 function called
            in a wasm loop), ns per call
  compile   Module(engine, bytes) of a generated module with a large code
            section, MB of code section per second
  recompile Module(engine, bytes) of the large module's bytes again while the
            first module of them is alive, milliseconds
  instance  Instance(store, module, []) of a module with a memory, data, a
            table with elements, globals and 200 exports, microseconds
  startup   Module + Store + Instance + one call of a one-instruction export
            (a program that runs once and briefly), microseconds; also for
            `ember-interp` (Config.strategy "interpreter"), so that the
            default strategy's start-up is seen beside the interpreter's
  deser     Module.deserialize of the large module's serialized form, ms
  cstring   Python -> component call of a `string -> string` export with a
            100-character string (lowered, lifted back), ns per call
  cbytes    Python -> component call of a `list<u8> -> u32` export with 1 KiB,
            ns per call
  threads   speed-up of N threads, each with its own Store, running a wasm
            loop through a ThreadPoolExecutor (N = the machine's cores)

    python3 bench/micro.py                 all, writes docs/performance.md
    python3 bench/micro.py --quick         smaller loops, print only
    python3 bench/micro.py --engines ember,wasmtime --only call,host

Each engine runs in its own worker process; each figure is the median of
--reps measurements. A feature an engine lacks is reported as
"unavailable: <reason>".
"""
import argparse
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import report  # noqa: E402

ENGINES = ["ember", "ember-interp", "wasmtime", "pulley"]
MICROS = ["call", "host", "cstring", "cbytes", "compile", "recompile", "instance", "startup",
          "deser", "threads"]
# Engines that run only some micro-benchmarks (the others show "–").
ENGINE_MICROS = {"ember-interp": {"startup"}}
UNITS = {"call": "ns/call", "host": "ns/call", "cstring": "ns/call", "cbytes": "ns/call",
         "compile": "MB/s", "recompile": "ms", "instance": "µs",
         "startup": "µs", "deser": "ms", "threads": "x"}
LOWER_IS_BETTER = {"call", "host", "cstring", "cbytes", "recompile", "instance", "startup",
                   "deser"}
LEGEND = [
    "- call: `add(store, i, 1)` on an exported `(i32, i32) -> i32` function from a Python "
    "loop; the figure includes the loop.",
    "- host: a wasm loop calling an imported Python function `lambda x: x + 1`, per call.",
    "- cstring, cbytes: calls of a component's exports (tests/component/run/bench.wasm) "
    "through `wasmtime.component` / `ember.component`: `echo(store, s)` with a "
    "100-character `str` (`string -> string`), `count(store, b)` with 1 KiB of `bytes` "
    "(`list<u8> -> u32`); the figure includes the Python loop.",
    "- compile: `Module(engine, bytes)` of a generated module (arithmetic, loads and stores, "
    "loops, branches, calls, i64 and f64), megabytes of code section per second; the "
    "`wasmtime` package compiles in parallel on all cores.",
    "- recompile: `Module(engine, bytes)` of the compile module's bytes again while the "
    "module compiled from them first is alive (Ember hands out that module: decision 62).",
    "- instance: `Instance(store, module, [])` into a fresh store, for a module with a "
    "memory, two data segments, a 200-entry table with its element segment, 10 globals and "
    "200 exported functions.",
    "- startup: `Module(engine, bytes)` + `Store` + `Instance` + one call of an export that "
    "returns a constant, per start-up; `ember-interp` is Ember with `Config.strategy = "
    "\"interpreter\"` (the default, \"auto\", tiers up hot code in the background).",
    "- deser: `Module.deserialize` of the compile module's `serialize()` output.",
    "- threads: N jobs on a `concurrent.futures.ThreadPoolExecutor` of N threads (N = the "
    "machine's cores), each job a fresh Store running a loop of the same module (a xorshift "
    "generator), against one job alone: N x (time of one job) / (time of the N jobs). N is ideal; calls "
    "release the GIL while wasm runs.",
]

ADD_WAT = """(module (func (export "add") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.add))"""

HOST_WAT = """(module
  (import "env" "h" (func $h (param i32) (result i32)))
  (func (export "run") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (call $h (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc)))"""


def instance_wat(exports: int = 200) -> str:
    parts = ['(module (memory (export "mem") 2)',
             '(data (i32.const 16) "' + "ember-benchmark-" * 64 + '")',
             '(data (i32.const 4096) "' + "\\01\\02\\03\\04" * 256 + '")',
             f"(table {exports} funcref)"]
    for g in range(10):
        parts.append(f'(global $g{g} (export "g{g}") (mut i32) (i32.const {g}))')
    for i in range(exports):
        parts.append(f'(func $f{i} (export "f{i}") (param i32) (result i32) '
                     f'(i32.add (local.get 0) (i32.const {i})))')
    parts.append("(elem (i32.const 0) func " + " ".join(f"$f{i}" for i in range(exports)) + ")")
    parts.append(")")
    return "\n".join(parts)


def large_module_wat(functions: int, seed: int = 6) -> str:
    """A module of many varied functions: arithmetic on locals, loads and
    stores with offsets, loops, branches, calls to earlier functions, i64 and
    f64 work; about 300 bytes of code per function."""
    rnd = random.Random(seed)

    def stmt(i: int) -> str:
        k = rnd.randrange(1, 1 << 12)
        off = rnd.randrange(0, 1024) * 4
        choice = rnd.randrange(10)
        if choice == 0:
            return f"(local.set $x (i32.add (local.get $x) (i32.mul (local.get $a) (i32.const {k}))))"
        if choice == 1:
            return "(local.set $y (i32.xor (local.get $y) (i32.shr_u (local.get $x) (i32.const 3))))"
        if choice == 2:
            return (f"(i32.store offset={off} (i32.and (local.get $x) (i32.const 0xfffc)) "
                    f"(local.get $y))")
        if choice == 3:
            return (f"(local.set $x (i32.add (local.get $x) (i32.load offset={off} "
                    f"(i32.and (local.get $y) (i32.const 0xfffc)))))")
        if choice == 4:
            return ("(if (i32.lt_u (local.get $x) (local.get $y)) "
                    "(then (local.set $x (i32.sub (local.get $y) (local.get $x)))) "
                    f"(else (local.set $y (i32.rotl (local.get $y) (i32.const {k & 31})))))")
        if choice == 5:
            return "(local.set $l (i64.add (local.get $l) (i64.extend_i32_u (local.get $x))))"
        if choice == 6:
            return "(local.set $f (f64.add (local.get $f) (f64.convert_i32_s (local.get $y))))"
        if choice == 7:
            return ("(block $B (loop $L (local.set $x (i32.add (local.get $x) (i32.const 1))) "
                    "(br_if $B (i32.gt_u (local.get $x) (local.get $b))) "
                    "(local.set $y (i32.add (local.get $y) (local.get $x))) (br $L)))")
        if choice == 8 and i > 0:
            callee = rnd.randrange(max(0, i - 50), i)
            return (f"(local.set $x (i32.add (local.get $x) "
                    f"(call $f{callee} (local.get $y) (local.get $a))))")
        return ("(local.set $x (select (local.get $x) (local.get $y) "
                "(i32.eqz (local.get $a))))")

    parts = ["(module (memory 1)"]
    for i in range(functions):
        body = " ".join(stmt(i) for _ in range(rnd.randrange(8, 16)))
        parts.append(f"(func $f{i} (export \"f{i}\") (param $a i32) (param $b i32) (result i32) "
                     f"(local $x i32) (local $y i32) (local $l i64) (local $f f64) {body} "
                     f"(i32.add (i32.add (local.get $x) (i32.wrap_i64 (local.get $l))) "
                     f"(i32.trunc_sat_f64_s (local.get $f))))")
    parts.append(")")
    return "\n".join(parts)


def section_size(wasm: bytes, wanted: int) -> int:
    """Size in bytes of the first section with id `wanted` (10: code)."""
    def leb(pos: int):
        result = shift = 0
        while True:
            b = wasm[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result, pos
    pos = 8
    while pos < len(wasm):
        sid = wasm[pos]
        size, pos = leb(pos + 1)
        if sid == wanted:
            return size
        pos += size
    return 0


# n rounds of a xorshift generator: a loop no compiler folds away (a plain
# counting loop compiles to nothing, and then the threads figure measured
# only the thread pool).
XORSHIFT_WAT = """(module (func (export "mix") (param $n i32) (param $x i32) (result i32)
  (loop $l
    (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
    (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
    (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
  (local.get $x)))"""


STARTUP_WAT = '(module (func (export "f") (result i32) i32.const 7))'


def _leb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def distinct(wasm: bytes, i: int) -> bytes:
    """`wasm` with a custom section naming `i` appended: the same module in
    other bytes, so that each compile is a compile (Ember shares the module
    of bytes it compiled already while that module is alive)."""
    name = f"bench-{i}".encode()
    content = _leb(len(name)) + name
    return wasm + b"\x00" + _leb(len(content)) + content


def _timeit(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---------------------------------------------------------------------------
# Worker: every micro-benchmark for one engine.

def worker(engine: str, only: List[str], quick: bool, reps: int, ember_build: str,
           large_path: str) -> Dict[str, object]:
    is_ember = engine.startswith("ember")
    if is_ember:
        sys.path.insert(0, os.path.join(ember_build, "python"))
    mod = importlib.import_module("ember" if is_ember else "wasmtime")
    config = mod.Config()
    if engine == "pulley":
        config.target = "pulley64"
    if engine == "ember-interp":
        config.strategy = "interpreter"
    only = [m for m in only if m in ENGINE_MICROS.get(engine, MICROS)]
    eng = mod.Engine(config)
    out: Dict[str, object] = {}
    n_calls = 20_000 if quick else 400_000

    if "call" in only:
        store = mod.Store(eng)
        add = mod.Instance(store, mod.Module(eng, ADD_WAT), []).exports(store)["add"]
        assert add(store, 2, 3) == 5

        def calls() -> None:
            for i in range(n_calls):
                add(store, i, 1)
        out["call"] = _timeit(calls, reps) / n_calls * 1e9

    if "host" in only:
        store = mod.Store(eng)
        i32 = mod.ValType.i32()
        h = mod.Func(store, mod.FuncType([i32], [i32]), lambda x: x + 1)
        run = mod.Instance(store, mod.Module(eng, HOST_WAT), [h]).exports(store)["run"]
        expect = sum(range(1, 11)) + 10
        assert run(store, 10) == expect, run(store, 10)
        out["host"] = _timeit(lambda: run(store, n_calls), reps) / n_calls * 1e9

    if "cstring" in only or "cbytes" in only:
        out.update(component_calls(mod, eng, only, reps, n_calls // 10))

    with open(large_path, "rb") as f:
        large = f.read()
    code_mb = section_size(large, 10) / 1e6
    if "compile" in only:
        variants = iter([distinct(large, i) for i in range(max(1, reps // 2))])
        out["compile"] = code_mb / _timeit(lambda: mod.Module(eng, next(variants)),
                                           max(1, reps // 2))
        out["compile_detail"] = f"{code_mb:.1f} MB code section"

    if "recompile" in only:
        first = mod.Module(eng, large)
        out["recompile"] = _timeit(lambda: mod.Module(eng, large), max(1, reps // 2)) * 1e3
        del first

    if "instance" in only:
        # Each repetition instantiates into its own batch of fresh stores
        # (made before the clock starts); the median of the batches counts.
        module = mod.Module(eng, instance_wat())
        batch = 200 if quick else 2000
        times = []
        for _ in range(reps):
            stores = [mod.Store(eng) for _ in range(batch)]
            t0 = time.perf_counter()
            for s in stores:
                mod.Instance(s, module, [])
            times.append(time.perf_counter() - t0)
            del stores
        out["instance"] = statistics.median(times) / batch * 1e6

    if "startup" in only:
        wasm = bytes(mod.wat2wasm(STARTUP_WAT))
        batch = 200 if quick else 2000
        # Every start-up compiles bytes of its own (made before the clock starts).
        variants = iter([distinct(wasm, i) for i in range(batch * reps)])

        def startups() -> None:
            for _ in range(batch):
                store = mod.Store(eng)
                inst = mod.Instance(store, mod.Module(eng, next(variants)), [])
                assert inst.exports(store)["f"](store) == 7
        out["startup"] = _timeit(startups, reps) / batch * 1e6

    if "deser" in only:
        try:
            blob = mod.Module(eng, large).serialize()
            again = mod.Module.deserialize(eng, blob)
            assert len(again.exports) == len(mod.Module(eng, large).exports)
            out["deser"] = _timeit(lambda: mod.Module.deserialize(eng, blob), reps) * 1e3
        except mod.WasmtimeError as e:
            out["deser"] = f"unavailable: {e}"

    if "threads" in only:
        out.update(thread_scaling(mod, eng, reps, 3_000_000 if quick else 60_000_000))
    return out


def component_calls(mod: Any, eng: Any, only: List[str], reps: int,
                    n: int) -> Dict[str, object]:
    """ns per call of the component exports `echo` and `count`."""
    comp = importlib.import_module(mod.__name__ + ".component")
    with open(os.path.join(ROOT, "tests", "component", "run", "bench.wasm"), "rb") as f:
        wasm = f.read()
    store = mod.Store(eng)
    inst = comp.Linker(eng).instantiate(store, comp.Component(eng, wasm))
    out: Dict[str, object] = {}
    for name, func, arg, want in (("cstring", "echo", "x" * 100, "x" * 100),
                                  ("cbytes", "count", bytes(1024), 1024)):
        if name not in only:
            continue
        f = inst.get_func(store, func)
        assert f(store, arg) == want

        def calls() -> None:
            for _ in range(n):
                f(store, arg)
        out[name] = _timeit(calls, reps) / n * 1e9
    return out


def thread_scaling(mod: Any, eng: Any, reps: int, iterations: int) -> Dict[str, object]:
    """N threads with a Store each against one thread: the speed-up."""
    import concurrent.futures
    n = os.cpu_count() or 1
    module = mod.Module(eng, XORSHIFT_WAT)
    results = set()

    def job(_: int = 0) -> None:
        store = mod.Store(eng)
        mix = mod.Instance(store, module, []).exports(store)["mix"]
        results.add(mix(store, iterations, 1))

    one = _timeit(job, reps)
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        together = _timeit(lambda: list(pool.map(job, range(n))), reps)
    assert len(results) == 1, results  # every job computed the same
    return {"threads": n * one / together, "threads_detail": f"{n} threads"}


def worker_main(argv: List[str]) -> int:
    engine, only, quick, reps, ember_build, large_path = argv
    try:
        res = worker(engine, only.split(","), quick == "1", int(reps), ember_build, large_path)
    except BaseException as e:
        res = {"error": f"{type(e).__name__}: {e}"}
    sys.stdout.write("\n@@RESULT@@" + json.dumps(res) + "\n")
    return 0


# ---------------------------------------------------------------------------

def build_large_module(path: str, functions: int) -> None:
    try:
        import wasmtime
        wasm = wasmtime.wat2wasm(large_module_wat(functions))
    except ImportError:
        sys.path.insert(0, os.path.join(ROOT, "build", "test", "python"))
        import ember
        wasm = ember.wat2wasm(large_module_wat(functions))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(bytes(wasm))


def fmt(micro: str, v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if micro == "compile":
        return f"{v:.1f}"
    if micro in ("deser", "threads"):
        return f"{v:.2f}"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def table(results: Dict[str, dict], engines: List[str], only: List[str]) -> List[str]:
    header = ["micro-benchmark", "unit"] + engines
    if "ember" in engines and "wasmtime" in engines:
        header.append("wasmtime / ember")
    rows = []
    for m in only:
        row = [m, UNITS[m]] + [fmt(m, results[e].get(m, results[e].get("error"))) for e in engines]
        if "ember" in engines and "wasmtime" in engines:
            a, b = results["ember"].get(m), results["wasmtime"].get(m)
            if isinstance(a, float) and isinstance(b, float):
                # For a rate (compile) the ratio is inverted: above 1 means Ember is better.
                row.append(f"{(b / a if m in LOWER_IS_BETTER else a / b):.2f}")
            else:
                row.append("–")
        rows.append(row)
    out = report._table(header, rows)
    out += ["", "The last column is the factor by which Ember is better (cheaper calls, "
            "faster compile, quicker instantiation): above 1 Ember wins."]
    details = {e: results[e].get("compile_detail") for e in engines if
               results[e].get("compile_detail")}
    if details:
        out.append("Compile module: " + str(next(iter(details.values()))) + ", generated by "
                   "`bench/micro.py` (`large_module_wat`).")
    return out


def main(argv: List[str]) -> int:
    if argv[:1] == ["--worker"]:
        return worker_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small loops; does not write docs/")
    ap.add_argument("--only", default=",".join(MICROS))
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--reps", type=int, default=None, help="default 5, quick 1")
    ap.add_argument("--functions", type=int, default=None,
                    help="functions in the large module (default 20000, quick 1000)")
    ap.add_argument("--ember-build", default=os.path.join(ROOT, "build", "test"))
    ap.add_argument("--docs", default=None, help="default docs/performance.md (not with --quick)")
    ap.add_argument("--no-docs", action="store_true")
    args = ap.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    only = [m for m in args.only.split(",") if m]
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e!r}")
    for m in only:
        if m not in MICROS:
            ap.error(f"unknown micro-benchmark {m!r}; choose from {', '.join(MICROS)}")
    reps = args.reps or (1 if args.quick else 5)
    functions = args.functions or (1000 if args.quick else 20000)
    large = os.path.join(ROOT, "build", "bench-micro", f"large-{functions}.wasm")
    if not os.path.exists(large):
        build_large_module(large, functions)

    results: Dict[str, dict] = {}
    failed = False
    for e in engines:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", e, ",".join(only),
               "1" if args.quick else "0", str(reps), args.ember_build, large]
        p = subprocess.run(cmd, capture_output=True, text=True)
        mark = p.stdout.rfind("@@RESULT@@")
        if mark < 0:
            results[e] = {"error": f"worker exit status {p.returncode}: "
                                   + " | ".join(p.stderr.strip().splitlines()[-3:])}
        else:
            results[e] = json.loads(p.stdout[mark + len("@@RESULT@@"):])
        if "error" in results[e]:
            failed = True
            print(f"{e}: {results[e]['error']}", file=sys.stderr)
        print(f"  {e} done", flush=True)

    lines = table(results, engines, only)
    print()
    print("\n".join(lines))
    if failed:
        return 1
    if not args.no_docs and (args.docs is not None or not args.quick):
        machine = report.machine_facts(ROOT)
        command = "python3 bench/micro.py" + ("" if not argv else " " + " ".join(argv))
        body = ["## Micro-benchmarks", "", f"Command: `{command}` — {reps} repetitions, median.",
                ""]
        body += report.machine_lines(machine) + [""] + lines + [""] + LEGEND
        path = args.docs or os.path.join(ROOT, "docs", "performance.md")
        report.replace_section(path, "micro", body)
        print(f"\nwrote {os.path.relpath(path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
