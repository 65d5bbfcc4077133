#!/usr/bin/env python3
"""SIMD differential fuzzing against the `wasmtime` package (optional, by hand).

Random valid modules with SIMD come from binaryen (`wasm-opt -ttf`); each one
runs in Ember and in wasmtime, every `*_invoker` export and `hashMemory` in
turn, with the `fuzzing-support.log-*` imports recording what the module
logs (a v128 is logged through a small wasm helper as four i32 lanes, since
neither Python API passes v128 values). Results, trap codes and logs must
agree; NaNs match any NaN. Modules that exhaust the stack in either engine
are skipped (the depth at which that happens legitimately differs).
Mismatching modules are written to OUT_DIR.

  usage: PYTHONPATH=build/test/python tests/fuzz/simd_differential.py [N] [SEED] [OUT_DIR]
  needs: binaryen's wasm-opt, `pip install wasmtime` (tests only)
"""
import math
import os
import random
import subprocess
import sys
import tempfile

import ember
import wasmtime

HELPER = """(module (import "h" "lanes" (func $l (param i32 i32 i32 i32)))
  (func (export "log-v128") (param v128)
    (call $l (i32x4.extract_lane 0 (local.get 0)) (i32x4.extract_lane 1 (local.get 0))
             (i32x4.extract_lane 2 (local.get 0)) (i32x4.extract_lane 3 (local.get 0)))))"""

FEATURES = ["--enable-simd", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
            "--enable-bulk-memory", "--enable-multivalue"]


class StackExhausted(Exception):
    pass


def run(mod, wasm):
    """Runs `wasm` in engine package `mod`: (outcome, per-export results, log)."""
    engine = mod.Engine()
    store = mod.Store(engine)
    linker = mod.Linker(engine)
    V = mod.ValType
    log = []

    def recorder(name):
        return lambda *args: log.append((name, args))

    for name, t in (("log-i32", V.i32()), ("log-i64", V.i64()), ("log-f32", V.f32()),
                    ("log-f64", V.f64())):
        linker.define_func("fuzzing-support", name, mod.FuncType([t], []), recorder(name))
    linker.define_func("h", "lanes", mod.FuncType([V.i32()] * 4, []), recorder("log-v128"))
    helper = linker.instantiate(store, mod.Module(engine, HELPER))
    linker.define(store, "fuzzing-support", "log-v128", helper.exports(store)["log-v128"])
    try:
        inst = linker.instantiate(store, mod.Module(engine, wasm))
    except Exception as e:  # a compile or link failure is a result too
        return ("error", type(e).__name__), [], log
    exports = inst.exports(store)
    names = list(exports.keys())
    results = []
    for name in names:
        if not (name.endswith("_invoker") or name == "hashMemory"):
            continue
        if "hangLimitInitializer" in names:
            exports["hangLimitInitializer"](store)
        try:
            results.append((name, "ok", exports[name](store)))
        except Exception as e:
            text = str(e)
            if "stack" in text and ("exhausted" in text or "overflow" in text):
                raise StackExhausted()
            results.append((name, "trap", str(getattr(e, "trap_code", type(e).__name__))))
    return ("ran",), results, log


def canonical(x):
    if isinstance(x, float):
        return "nan" if math.isnan(x) else repr(x)
    if isinstance(x, (tuple, list)):
        return tuple(canonical(y) for y in x)
    return x


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    out_dir = sys.argv[3] if len(sys.argv) > 3 else "simd-mismatches"
    rng = random.Random(seed)
    compared = mismatches = 0
    with tempfile.TemporaryDirectory() as tmp:
        seed_file, wasm_file = os.path.join(tmp, "in.dat"), os.path.join(tmp, "m.wasm")
        for i in range(n):
            with open(seed_file, "wb") as f:
                f.write(bytes(rng.getrandbits(8) for _ in range(rng.randint(2000, 20000))))
            gen = subprocess.run(["wasm-opt", "-ttf", seed_file, *FEATURES, "-o", wasm_file],
                                 capture_output=True)
            if gen.returncode != 0:
                continue
            with open(wasm_file, "rb") as f:
                wasm = f.read()
            try:
                a, b = run(ember, wasm), run(wasmtime, wasm)
            except StackExhausted:
                continue
            compared += 1
            if canonical(a) != canonical(b):
                mismatches += 1
                os.makedirs(out_dir, exist_ok=True)
                path = os.path.join(out_dir, f"{seed}_{i}.wasm")
                with open(path, "wb") as f:
                    f.write(wasm)
                print(f"mismatch: {path}\n  ember:    {canonical(a)}"[:600])
                print(f"  wasmtime: {canonical(b)}"[:600])
    print(f"{compared} modules compared, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
