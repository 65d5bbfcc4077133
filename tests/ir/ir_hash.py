#!/usr/bin/env python3
"""The translator's output, hashed: a check for refactors that must not
change the IR.

Converts every .wast of the 2.0 spec testsuite to modules (wabt's
wast2json), adds the benchmark programs, compiles each under three engine
configurations (plain; fuel; epochs with NaN canonicalization) and prints
one line per module and configuration with the SHA-256 of
`Module.serialize()`, which holds the translated code words and the pc map.
Run it on a build from before and after a change and compare the outputs:

    PYTHONPATH=<old build>/python python3 tests/ir/ir_hash.py > before.txt
    PYTHONPATH=<new build>/python python3 tests/ir/ir_hash.py > after.txt
    cmp before.txt after.txt

The blob has no build stamp, so equal lines mean byte-identical IR.
"""
import glob
import hashlib
import os
import subprocess
import sys
import tempfile

import ember

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = os.path.join(os.path.dirname(ROOT), "shared", "wasm-testsuite-2.0")


def modules(tmp: str) -> list:
    wasts = sorted(glob.glob(os.path.join(SUITE, "*.wast")) +
                   glob.glob(os.path.join(SUITE, "proposals", "*", "*.wast")))
    for w in wasts:
        name = os.path.basename(os.path.dirname(w)) + "_" + os.path.basename(w)[:-5]
        subprocess.run(["wast2json", "--enable-all", w, "-o", os.path.join(tmp, name + ".json")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    found = sorted(glob.glob(os.path.join(tmp, "*.wasm")))
    return found + sorted(glob.glob(os.path.join(ROOT, "bench", "wasm", "*.wasm")))


def engines() -> list:
    out = []
    for fuel, epoch, nan in [(False, False, False), (True, False, False), (False, True, True)]:
        c = ember.Config()
        c.consume_fuel = fuel
        c.epoch_interruption = epoch
        c.cranelift_nan_canonicalization = nan
        out.append(ember.Engine(c))
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        files = modules(tmp)
        configs = engines()
        for f in files:
            data = open(f, "rb").read()
            label = os.path.relpath(f, tmp) if f.startswith(tmp) else os.path.relpath(f, ROOT)
            for i, engine in enumerate(configs):
                try:
                    digest = hashlib.sha256(ember.Module(engine, data).serialize()).hexdigest()
                except ember.WasmtimeError as e:
                    digest = "error: " + str(e).splitlines()[0][:60]
                print(f"{label} {i} {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
