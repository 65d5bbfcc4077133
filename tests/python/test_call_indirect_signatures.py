"""call_indirect checks the callee's signature exactly: over every pair of
function signatures with at most two values (parameters plus results) of
every value type, a call traps with "indirect call type mismatch" unless the
two signatures are the same, and agrees with the `wasmtime` package pair by
pair. A wrongly accepted pair lets a module reinterpret an f64 as a
reference, so this is a sandbox check, not a nicety."""
import itertools
from typing import Any, Callable, Dict, List, Sequence, Tuple

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


def module_text(sigs: List[Sig], zero: Dict[str, str] = ZERO,
                declare: Callable[[int, str], str] = lambda i, body: body,
                prelude: Sequence[str] = ()) -> str:
    """Function i has signature i and sits at table index i; export `c{j}`
    calls table[i] (its parameter) as signature j and drops the results.
    `declare(i, "(func ...)")` is type i's declaration; `prelude` comes
    first (its types before the signatures')."""
    lines = ["(module", *prelude]
    for i, (params, results) in enumerate(sigs):
        body = f"(func (param {' '.join(params)}) (result {' '.join(results)}))"
        lines.append(f"  (type $t{i} {declare(i, body)})")
    lines.append(f"  (table {len(sigs)} funcref)")
    lines.append(f"  (elem (i32.const 0) {' '.join(f'$f{i}' for i in range(len(sigs)))})")
    for i, (_, results) in enumerate(sigs):
        lines.append(f"  (func $f{i} (type $t{i}) {' '.join(zero[r] for r in results)})")
    for j, (params, results) in enumerate(sigs):
        args = " ".join(zero[p] for p in params)
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


# ---- typed references and declared subtypes -----------------------------------
#
# The same exhaustive check over signatures of typed references: at most one
# parameter and one result of five reference types around one function type
# $x, each signature declared twice (final, and as an open `sub` type), plus
# declared subtypes of some of the open ones. Two signatures match exactly
# when their canonical types are equal or the callee's type declares the
# call's, directly or further up; structural subtyping alone never does.
# Decided pair by pair against the `wasmtime` package.

REFS = ["(ref $x)", "(ref null $x)", "(ref func)", "funcref", "nullfuncref"]
REF_ZERO = {"(ref $x)": "(ref.func $xf)", "(ref null $x)": "(ref.null $x)",
            "(ref func)": "(ref.func $xf)", "funcref": "(ref.null func)",
            "nullfuncref": "(ref.null nofunc)"}


def typed_signatures() -> List[Sig]:
    out: List[Sig] = [((), ())]
    for t in REFS:
        out += [((t,), ()), ((), (t,))]
    for p, r in itertools.product(REFS, repeat=2):
        out.append(((p,), (r,)))
    return out


def typed_types() -> List[Tuple[Sig, str]]:
    """(signature, declaration) of every type: final, open, and subtypes
    that narrow an open type's result (valid covariant declarations)."""
    sigs = typed_signatures()
    types: List[Tuple[Sig, str]] = [(s, "final") for s in sigs]
    types += [(s, "open") for s in sigs]
    narrower = {"(ref null $x)": "(ref $x)", "funcref": "(ref func)", "(ref func)": "(ref $x)"}
    for k, (params, results) in enumerate(sigs):
        if len(results) == 1 and results[0] in narrower:
            types.append(((params, (narrower[results[0]],)), f"sub {len(sigs) + k}"))
    return types


def typed_module_text(types: List[Tuple[Sig, str]]) -> str:
    def declare(i: int, body: str) -> str:
        decl = types[i][1]
        if decl == "open":
            return f"(sub {body})"
        if decl.startswith("sub "):
            return f"(sub $t{decl[4:]} {body})"
        return body
    prelude = ["  (type $x (func))", "  (func $xf (type $x))", "  (elem declare func $xf)"]
    return module_text([sig for sig, _ in types], REF_ZERO, declare, prelude)


TYPED = typed_types()
TYPED_WAT = typed_module_text(TYPED)


def test_typed_signatures_match_by_canonical_type_and_declared_supertype() -> None:
    got = outcomes(ember, TYPED_WAT, len(TYPED))
    for (j, i), r in got.items():
        same = TYPED[i][0] == TYPED[j][0] and (TYPED[i][1] == "final") == (TYPED[j][1] == "final")
        # A final and an open declaration of one signature are different
        # types; a `sub` type is its own type, below the open one it names.
        if TYPED[i][1].startswith("sub ") or TYPED[j][1].startswith("sub "):
            same = i == j
        declares = TYPED[i][1] == f"sub {j}"
        want = "ok" if same or declares else "mismatch"
        assert r == want, (TYPED[j], TYPED[i], r)


def test_typed_signatures_agree_with_wasmtime() -> None:
    try:
        import wasmtime
    except ImportError:
        required("the `wasmtime` package")
    assert outcomes(ember, TYPED_WAT, len(TYPED)) == outcomes(wasmtime, TYPED_WAT, len(TYPED))
