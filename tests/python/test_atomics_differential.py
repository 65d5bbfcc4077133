"""Every atomic operator with a memarg against the `wasmtime` package.

Each of the 63 load, store, read-modify-write and cmpxchg operators, and
notify and the waits (on an unshared memory: they trap after the address
checks, or wake nobody), runs at
addresses around both ends of a one-page memory (aligned, misaligned, out of
bounds, with and without a memarg offset) with values that cross every
width's boundaries. The result or trap code, and the bytes around both ends
of the memory afterwards, must equal wasmtime's.
"""
import itertools
from typing import Any, Dict, List, Tuple

import pytest

import ember

wasmtime = pytest.importorskip("wasmtime")

WIDTHS = [("i32", "", 4), ("i64", "", 8), ("i32", "8", 1), ("i32", "16", 2),
          ("i64", "8", 1), ("i64", "16", 2), ("i64", "32", 4)]
RMW = ["add", "sub", "and", "or", "xor", "xchg"]


def operators() -> List[Tuple[str, str, str]]:
    """(mnemonic, value type, shape) of every atomic access operator."""
    ops = []
    for t, w, _ in WIDTHS:
        u = "_u" if w else ""
        ops.append((f"{t}.atomic.load{w}{u}", t, "load"))
        ops.append((f"{t}.atomic.store{w}", t, "store"))
        for r in RMW:
            ops.append((f"{t}.atomic.rmw{w}.{r}{u}", t, "rmw"))
        ops.append((f"{t}.atomic.rmw{w}.cmpxchg{u}", t, "cmpxchg"))
    ops.append(("memory.atomic.notify", "i32", "notify"))
    ops.append(("memory.atomic.wait32", "i32", "wait"))
    ops.append(("memory.atomic.wait64", "i64", "wait"))
    return ops


def function(index: int, op: str, t: str, shape: str, offset: int) -> str:
    params = {"load": "", "store": f" {t}", "rmw": f" {t}", "cmpxchg": f" {t} {t}",
              "notify": " i32", "wait": f" {t} i64"}[shape]
    result = {"store": "", "notify": " (result i32)", "wait": " (result i32)"}.get(
        shape, f" (result {t})")
    args = " ".join(f"(local.get {i})" for i in range(1 + len(params.split())))
    return (f'(func (export "f{index}") (param i32{params}){result} '
            f"({op} offset={offset} {args}))")


OPS = operators()
ADDRESSES = [0, 1, 2, 3, 4, 6, 8, 12, 65528, 65530, 65532, 65534, 65535, 65536,
             0xFFFFFFF0, 0xFFFFFFFD, 0xFFFFFFFF]
VALUES = [0, 1, 0x7F, 0x80, 0xFF, 0x1FF, 0xFFFF, 0x12345678, 0xFFFFFFFF,
          -1, 0x7FFFFFFFFFFFFFFF, -0x8000000000000000]
PATTERN = bytes(range(0xF0, 0x100)) + bytes(range(16))  # 32 bytes


def module_text(offset: int) -> str:
    funcs = "\n".join(function(i, op, t, shape, offset) for i, (op, t, shape) in enumerate(OPS))
    return f'(module (memory (export "mem") 1 1)\n{funcs})'


class Side:
    """One engine's instance of the operator module."""

    def __init__(self, lib: Any, offset: int) -> None:
        self.lib = lib
        self.store = lib.Store(lib.Engine())
        inst = lib.Instance(self.store, lib.Module(self.store.engine, module_text(offset)), [])
        self.exports = inst.exports(self.store)
        self.mem = self.exports["mem"]

    def run(self, index: int, args: List[int]) -> Tuple[Any, bytes]:
        self.mem.write(self.store, PATTERN, 0)
        self.mem.write(self.store, PATTERN, 65536 - len(PATTERN))
        try:
            out: Any = ("ok", self.exports[f"f{index}"](self.store, *args))
        except self.lib.Trap as e:
            out = ("trap", e.trap_code.value)
        edges = (self.mem.read(self.store, 0, 32) + self.mem.read(self.store, 65536 - 32, 65536))
        return out, bytes(edges)


def fit(v: int, t: str) -> int:
    """`v` as the signed integer a Python call of type `t` takes."""
    bits = 32 if t == "i32" else 64
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


@pytest.mark.parametrize("offset", [0, 3, 22, 65532])
def test_every_atomic_access_matches_wasmtime(offset: int) -> None:
    ours, theirs = Side(ember, offset), Side(wasmtime, offset)
    checked = 0
    mismatches: Dict[str, Any] = {}
    for index, (op, t, shape) in enumerate(OPS):
        if shape == "load":
            cases: List[List[int]] = [[]]
        elif shape == "wait":
            cases = [[0, 0]]
        elif shape == "cmpxchg":
            cases = [[e, r] for e, r in itertools.product(VALUES, VALUES[::4])]
        else:
            cases = [[v] for v in VALUES]
        for addr in ADDRESSES:
            for case in cases:
                types = [t, "i64"] if shape == "wait" else [t] * len(case)
                args = [fit(addr, "i32")] + [fit(v, ty) for v, ty in zip(case, types)]
                a, b = ours.run(index, args), theirs.run(index, args)
                checked += 1
                if a != b and op not in mismatches:
                    mismatches[op] = (args, a, b)
    assert not mismatches, mismatches
    per_address = 7 * (1 + 7 * len(VALUES) + 3 * len(VALUES)) + len(VALUES) + 2
    assert checked == per_address * len(ADDRESSES)
