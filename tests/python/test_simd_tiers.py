"""Every SIMD operator gives the same bits in both tiers.

The compiled tier expands most v128 operators into LLVM vector operations
and calls the interpreter's own functions for the rest (src/jit/llvm_simd.cc).
For every operator of ir/operators.def with a v128 shape (lane arithmetic,
comparisons, shifts, splats, lanes, shuffles, conversions, the relaxed
ones, the memory accesses), each function here runs over operands chosen to
hit the edges (NaNs with payloads and signs, signed zeros, infinities, lane
minima and maxima, shift counts past the lane width) and seeded random
ones; the result bytes (and traps) must be identical in the interpreter,
eagerly compiled, and with tier-up forced, except that a NaN lane of a float
operator's result may be another NaN (see same()).
"""
import os
import random
import re
import subprocess
from typing import Any, Dict, List, Tuple

import pytest

import ember

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..", "..")
CLI = os.environ.get("EMBER_CLI")


def _tier_built() -> bool:
    if not CLI:
        return False
    out = subprocess.run([CLI, "inspect", "--compiled", os.path.join(ROOT, "examples", "fac.wat")],
                         capture_output=True, text=True).stdout
    return "compiled tier: 2 of 2" in out


pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

Row = Tuple[str, str, str, str, str, int]  # name, imm, kind, in, out, size


def simd_rows() -> List[Row]:
    rows = []
    pattern = re.compile(r'^EMBER_OP\((\w+), 0xFD, \w+, "([^"]+)", (\w+), (\w+), (\w+), (\w+), (\d+), (\w+)\)')
    with open(os.path.join(ROOT, "src", "ir", "operators.def")) as f:
        for line in f:
            m = pattern.match(line)
            if m and m.group(8) in ("Simd", "RelaxedSimd") and m.group(4).startswith("V"):
                rows.append((m.group(2), m.group(3), m.group(4), m.group(5), m.group(6), int(m.group(7))))
    return rows


def v128(lo: int, hi: int) -> str:
    return f"(i64x2.replace_lane 1 (i64x2.replace_lane 0 (v128.const i64x2 0 0) (local.get {lo})) (local.get {hi}))"


SCALAR_IN = {
    "I32": "(i32.wrap_i64 (local.get 0))",
    "I64": "(local.get 0)",
    "F32": "(f32.reinterpret_i32 (i32.wrap_i64 (local.get 0)))",
    "F64": "(f64.reinterpret_i64 (local.get 0))",
}
STORE = {"V128": "v128.store", "I32": "i32.store", "I64": "i64.store", "F32": "f32.store", "F64": "f64.store"}
SHUFFLES = ["0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", "31 0 30 1 29 2 28 3 16 17 18 19 7 7 7 7",
            "16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31"]
ACCESS_OFFSETS = [0, 3, 65520, 65529]  # the last ones partly or wholly out of bounds


def functions() -> Dict[str, str]:
    """Exported name -> body; each function takes (a_lo a_hi b_lo b_hi c_lo c_hi n) as i64."""
    out: Dict[str, str] = {}
    a, b, c = v128(0, 1), v128(2, 3), v128(4, 5)
    n = "(i32.wrap_i64 (local.get 6))"
    for name, imm, kind, tin, tout, size in simd_rows():
        key = name.replace(".", "_")
        if kind == "VUnary":
            out[key] = f"(i32.const 0) ({name} {a if tin == 'V128' else SCALAR_IN[tin]}) {STORE[tout]}"
        elif kind == "VBinary" and imm == "Shuffle":
            for k, lanes in enumerate(SHUFFLES):
                out[f"{key}_{k}"] = f"(i32.const 0) ({name} {lanes} {a} {b}) v128.store"
        elif kind == "VBinary":
            out[key] = f"(i32.const 0) ({name} {a} {b}) v128.store"
        elif kind == "VTernary":
            out[key] = f"(i32.const 0) ({name} {a} {b} {c}) v128.store"
        elif kind == "VShift":
            out[key] = f"(i32.const 0) ({name} {a} {n}) v128.store"
        elif kind in ("VExtract", "VReplace"):
            for lane in (0, 16 // size - 1):
                if kind == "VExtract":
                    out[f"{key}_{lane}"] = f"(i32.const 0) ({name} {lane} {a}) {STORE[tout]}"
                else:
                    x = SCALAR_IN[tin].replace("local.get 0", "local.get 2")
                    out[f"{key}_{lane}"] = f"(i32.const 0) ({name} {lane} {a} {x}) v128.store"
        elif kind in ("VLoad", "VLoadLane"):
            at = f" {16 // size - 1}" if kind == "VLoadLane" else ""
            vec = f" {a}" if kind == "VLoadLane" else ""
            out[key] = f"(i32.const 0) ({name} offset=16{at} {n}{vec}) v128.store"
        elif kind in ("VStore", "VStoreLane"):
            at = f" {16 // size - 1}" if kind == "VStoreLane" else ""
            out[key] = f"({name} offset=16{at} {n} {a})"
    return out


def module_text(fns: Dict[str, str]) -> str:
    params = "(param i64 i64 i64 i64 i64 i64 i64)"
    body = "\n".join(f'  (func (export "{k}") {params} {v})' for k, v in fns.items())
    return f"(module (memory (export \"mem\") 1)\n{body}\n)"


F32_EDGES = [0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000,
             0xFFC00000, 0x7FA00001, 0xFFC12345, 0x7F7FFFFF, 0x00000001, 0x4F000000, 0xCF000000,
             0x4F800000, 0x3F000000, 0xBFC00000, 0x5F000000]
F64_EDGES = [0x0, 0x8000000000000000, 0x3FF0000000000000, 0xBFF8000000000000, 0x7FF0000000000000,
             0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000001, 0x7FF4000000000000,
             0x41E0000000000000, 0xC1E0000000000000, 0x41F0000000000000, 0x0000000000000001,
             0x43E0000000000000]
INT_EDGES = [0, 1, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0x8080808080808080,
             0x7F7F7F7F7F7F7F7F, 0x8000800080008000, 0x7FFF7FFF7FFF7FFF, 0x800000007FFFFFFF,
             0x0102030405060708, 0xFF00FF00FF00FF00]


def operand_sets() -> List[List[int]]:
    rng = random.Random(0x51D)
    f32_pairs = [F32_EDGES[i] | F32_EDGES[j] << 32 for i in range(len(F32_EDGES)) for j in (0, 4, 6, 8)]
    words = INT_EDGES + F64_EDGES + f32_pairs + [rng.getrandbits(64) for _ in range(16)]
    counts = [0, 1, 7, 8, 15, 16, 31, 33, 63, 64, 65, 0xFFFFFFFF, 0x80000001]
    sets = []
    for k in range(90):
        pick = [words[(k * 7 + i * 13) % len(words)] if k < 60 else rng.choice(words) for i in range(6)]
        sets.append(pick + [counts[k % len(counts)]])
    return sets


def run(strategy: str, fns: Dict[str, str], sets: List[List[int]], forced: bool = False) -> Dict[str, list]:
    config = ember.Config()
    config.strategy = strategy
    config.wasm_relaxed_simd = True
    if forced:
        config.tier_up_after = 0
        config.parallel_compilation = False
    engine = ember.Engine(config)
    store = ember.Store(engine)
    module = ember.Module(engine, module_text(fns))
    inst = ember.Instance(store, module, [])
    mem = inst.exports(store)["mem"]
    results: Dict[str, list] = {}
    for name in fns:
        f = inst.exports(store)[name]
        seen: List[Tuple[Any, ...]] = []
        for args in sets:
            signed = [a - (1 << 64) if a >= 1 << 63 else a for a in args]
            for addr in ACCESS_OFFSETS if name.startswith("v128_load") or name.startswith("v128_store") else [None]:
                call_args = signed if addr is None else signed[:6] + [addr]
                mem.write(store, bytes(range(256)) * 4, 0) if addr is not None else None
                try:
                    f(store, *call_args)
                    seen.append(("ok", mem.read(store, 0, 16 if addr is None else 1024)))
                except ember.Trap as t:
                    seen.append(("trap", t.trap_code, t.message))
        results[name] = seen
    return results


FNS = functions()
SETS = operand_sets()


@pytest.fixture(scope="module")
def interpreted() -> Dict[str, list]:
    return run("interpreter", FNS, SETS)


def test_the_list_covers_every_simd_operator():
    rows = simd_rows()
    assert len(rows) > 230, "operators.def's SIMD rows could not be read"
    covered = {re.sub(r"_\d+$", "", k) for k in FNS}
    for name, *_ in rows:
        assert name.replace(".", "_") in covered, name


def is_nan(lane: bytes) -> bool:
    bits = int.from_bytes(lane, "little")
    if len(lane) == 4:
        return (bits & 0x7FFFFFFF) > 0x7F800000
    return (bits & 0x7FFFFFFFFFFFFFFF) > 0x7FF0000000000000


def same(name: str, want: tuple, have: tuple) -> bool:
    """Equal results; in the float lanes of a float operator's result, any
    NaN equals any NaN: with two NaN operands x86 keeps the payload of the
    one the compiler put first, and either tier's compiler may swap the
    operands of a commutative operation (the spec allows either)."""
    if want == have:
        return True
    width = {"f32x4": 4, "f64x2": 8}.get(name[:5])
    if width is None or want[0] != "ok" or have[0] != "ok" or len(want[1]) != 16:
        return False
    for i in range(0, 16, width):
        x, y = bytes(want[1][i:i + width]), bytes(have[1][i:i + width])
        if x != y and not (is_nan(x) and is_nan(y)):
            return False
    return True


def compare(expected: Dict[str, list], got: Dict[str, list]) -> List[str]:
    bad = []
    for name, rows in expected.items():
        for k, (want, have) in enumerate(zip(rows, got[name])):
            if not same(name, want, have):
                bad.append(f"{name} operands {[hex(x) for x in SETS[k % len(SETS)]]}: {want} != {have}")
                break
    return bad


def test_compiled_simd_matches_the_interpreter_bit_for_bit(interpreted):
    compiled = run("cranelift", FNS, SETS)
    assert compare(interpreted, compiled) == []


def test_tiered_simd_matches_the_interpreter_bit_for_bit(interpreted):
    tiered = run("auto", FNS, SETS, forced=True)
    assert compare(interpreted, tiered) == []


def test_simd_functions_are_all_compiled():
    config = ember.Config()
    config.strategy = "cranelift"
    config.wasm_relaxed_simd = True
    module = ember.Module(ember.Engine(config), module_text(FNS))
    assert module.compiled_functions == len(FNS)
