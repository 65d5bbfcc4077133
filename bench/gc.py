#!/usr/bin/env python3
"""Ember's GC benchmark: binary-trees (bench/gc/binary_trees.wat, WasmGC
structs) in Ember and in the `wasmtime` package with wasm_gc on (Cranelift),
side by side in one run; the median of --reps runs of the `run` export, and
Ember's time as a ratio of the package's.

    python3 bench/gc.py                 depth 16, 5 repetitions
    python3 bench/gc.py --depth 12 --reps 1
"""
import argparse
import importlib
import os
import statistics
import time
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))


def expected(depth: int) -> int:
    """The checksum `run` returns: nodes of every tree checked."""
    def nodes(d: int) -> int:
        return (1 << (d + 1)) - 1
    total = nodes(depth + 1) + nodes(depth)
    for d in range(4, depth + 1, 2):
        total += (1 << (depth - d + 4)) * nodes(d)
    return total & 0xFFFFFFFF


def engine_config(mod: Any) -> Any:
    config = mod.Config()
    config.wasm_gc = True
    config.wasm_function_references = True
    return config


def time_engine(name: str, depth: int, reps: int) -> List[float]:
    mod = importlib.import_module(name)
    engine = mod.Engine(engine_config(mod))
    with open(os.path.join(HERE, "gc", "binary_trees.wat")) as f:
        module = mod.Module(engine, f.read())
    times = []
    for _ in range(reps):
        store = mod.Store(engine)  # a fresh heap each time
        run = mod.Instance(store, module, []).exports(store)["run"]
        start = time.perf_counter()
        result = run(store, depth)
        times.append(time.perf_counter() - start)
        if result & 0xFFFFFFFF != expected(depth):
            raise SystemExit(f"{name}: checksum {result}, expected {expected(depth)}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=16)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    medians: Dict[str, float] = {}
    for name in ["ember", "wasmtime"]:
        times = time_engine(name, args.depth, args.reps)
        medians[name] = statistics.median(times)
        print(f"{name:9} binary-trees depth {args.depth}: {medians[name]:.3f} s "
              f"(median of {args.reps}: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"ember / wasmtime: {medians['ember'] / medians['wasmtime']:.2f}x")


if __name__ == "__main__":
    main()
