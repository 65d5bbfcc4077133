"""call_indirect checks the callee's signature exactly: over every pair of
function signatures with at most two values (parameters plus results) of
every value type, a call traps with "indirect call type mismatch" unless the
two signatures are the same, and agrees with the `wasmtime` package pair by
pair. A wrongly accepted pair lets a module reinterpret an f64 as a
reference, so this is a sandbox check, not a nicety."""
import itertools
from typing import Any, Dict, List, Tuple

import pytest

import ember
from conftest import required

TYPES = ["i32", "i64", "f32", "f64", "v128", "funcref", "externref"]
ZERO = {"i32": "(i32.const 0)", "i64": "(i64.const 0)", "f32": "(f32.const 0)",
        "f64": "(f64.const 0)", "v128": "(v128.const i64x2 0 0)",
        "funcref": "(ref.null func)", "externref": "(ref.null extern)"}

Sig = Tuple[Tuple[str, ...], Tuple[str, ...]]


def signatures(max_values: int) -> List[Sig]:
    out: List[Sig] = []
    for n in range(max_values + 1):
        for values in itertools.product(TYPES, repeat=n):
            for k in range(n + 1):
                out.append((values[:k], values[k:]))
    return out


def module_text(sigs: List[Sig]) -> str:
    """Function i has signature i and sits at table index i; export `c{j}`
    calls table[i] (its parameter) as signature j and drops the results."""
    lines = ["(module"]
    for i, (params, results) in enumerate(sigs):
        lines.append(f"  (type $t{i} (func (param {' '.join(params)}) (result {' '.join(results)})))")
    lines.append(f"  (table {len(sigs)} funcref)")
    lines.append(f"  (elem (i32.const 0) {' '.join(f'$f{i}' for i in range(len(sigs)))})")
    for i, (_, results) in enumerate(sigs):
        lines.append(f"  (func $f{i} (type $t{i}) {' '.join(ZERO[r] for r in results)})")
    for j, (params, results) in enumerate(sigs):
        args = " ".join(ZERO[p] for p in params)
        drops = "(drop)" * len(results)
        lines.append(f"  (func (export \"c{j}\") (param i32)"
                     f" (call_indirect (type $t{j}) {args} (local.get 0)) {drops})")
    lines.append(")")
    return "\n".join(lines)


def outcomes(engine_mod: Any, wat: str, n: int) -> Dict[Tuple[int, int], str]:
    """'ok' or the trap message's first line for every (caller j, callee i)."""
    engine = engine_mod.Engine()
    store = engine_mod.Store(engine)
    module = engine_mod.Module(engine, wat)
    exports = engine_mod.Instance(store, module, []).exports(store)
    result: Dict[Tuple[int, int], str] = {}
    for j in range(n):
        caller = exports[f"c{j}"]
        for i in range(n):
            try:
                caller(store, i)
                result[(j, i)] = "ok"
            except engine_mod.Trap as e:
                result[(j, i)] = "mismatch" if "indirect call type mismatch" in str(e) else str(e)
    return result


SIGS = signatures(2)
WAT = module_text(SIGS)


def test_signatures_are_all_distinct() -> None:
    assert len(SIGS) == 1 + 2 * 7 + 3 * 49 == len(set(SIGS))


def test_every_pair_of_signatures_is_checked_exactly() -> None:
    got = outcomes(ember, WAT, len(SIGS))
    wrong = {(SIGS[j], SIGS[i]): r for (j, i), r in got.items()
             if r != ("ok" if i == j else "mismatch")}
    assert wrong == {}


def test_every_pair_agrees_with_wasmtime() -> None:
    try:
        import wasmtime
    except ImportError:
        required("the `wasmtime` package")
    ours = outcomes(ember, WAT, len(SIGS))
    theirs = outcomes(wasmtime, WAT, len(SIGS))
    assert ours == theirs


# The shapes whose old registry keys collided (the separator was f64's code):
# the first forged an externref from an f64 and crashed the process.
FORGERIES = [
    """(module (type $real (func (result f64 externref)))
      (type $claimed (func (param f64) (result externref)))
      (table 1 funcref) (elem (i32.const 0) $g)
      (func $g (type $real) (f64.const 0x1.4141414141414p-491) (ref.null extern))
      (func (export "forge") (result externref)
        (call_indirect (type $claimed) (f64.const 0) (i32.const 0))))""",
    """(module (type $real (func (param i32 f64)))
      (type $claimed (func (param i32) (result f64)))
      (table 1 funcref) (elem (i32.const 0) $g)
      (func $g (type $real))
      (func (export "forge") (result f64)
        (call_indirect (type $claimed) (i32.const 1) (i32.const 0))))""",
]


@pytest.mark.parametrize("wat", FORGERIES)
def test_forged_signature_traps(wat: str) -> None:
    store = ember.Store(ember.Engine())
    forge = ember.Instance(store, ember.Module(store.engine, wat), []).exports(store)["forge"]
    with pytest.raises(ember.Trap, match="indirect call type mismatch"):
        forge(store)
