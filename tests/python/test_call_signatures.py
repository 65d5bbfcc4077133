"""Every small signature through a direct call between compiled functions
(the register convention for one result or none, the frame for two;
decision 48), against the interpreter, bit for bit: each parameter type
(i32, i64, f32, f64, v128) in each of three positions, signaling-NaN
payloads included, each returned alone, mixed into an i64, or with a
second result."""
import itertools
from typing import Any, Dict, List, Tuple

import pytest

import ember
from test_compiled_tier import _tier_built

pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

TYPES = ["i32", "i64", "f32", "f64", "v128"]
# Values whose bits must survive the call: a signaling NaN with a payload,
# a negative zero, all ones.
CONST = {
    "i32": "(i32.const -1)",
    "i64": "(i64.const 0x8000000000000001)",
    "f32": "(f32.reinterpret_i32 (i32.const 0x7fa00001))",
    "f64": "(f64.reinterpret_i64 (i64.const 0xfff4000000000003))",
    "v128": "(v128.const i32x4 0x7fa00001 -1 0 0x80000000)",
}
# Each type folded into an i64 by its bits.
AS_I64 = {
    "i32": "(i64.extend_i32_u (local.get {i}))",
    "i64": "(local.get {i})",
    "f32": "(i64.extend_i32_u (i32.reinterpret_f32 (local.get {i})))",
    "f64": "(i64.reinterpret_f64 (local.get {i}))",
    "v128": "(i64.xor (i64x2.extract_lane 0 (local.get {i})) (i64x2.extract_lane 1 (local.get {i})))",
}


def signatures() -> List[Tuple[str, ...]]:
    out: List[Tuple[str, ...]] = [()]
    for n in (1, 2, 3):
        out += list(itertools.product(TYPES, repeat=n)) if n < 3 else \
            [(a, b, c) for a, b, c in itertools.product(TYPES, repeat=3) if len({a, b, c}) == 3]
    return out


def module_text() -> Tuple[str, List[str]]:
    funcs, exports = [], []
    for k, sig in enumerate(signatures()):
        params = " ".join(f"(param {t})" for t in sig)
        mix = "(i64.const 7)"
        for i, t in enumerate(sig):
            mix = f"(i64.add (i64.mul {mix} (i64.const 31)) {AS_I64[t].format(i=i)})"
        args = " ".join(CONST[t] for t in sig)
        # One result (register body) and two (the frame): the mix, and the
        # last parameter itself as a second result.
        funcs.append(f"(func $mix{k} {params} (result i64) {mix})")
        funcs.append(f'(func (export "mix{k}") (result i64) (call $mix{k} {args}))')
        exports.append(f"mix{k}")
        if sig:
            last = sig[-1]
            funcs.append(f"(func $same{k} {params} (result {last}) (local.get {len(sig) - 1}))")
            funcs.append(f'(func (export "same{k}") (result i64) {AS_I64[last].format(i=0)})'
                         .replace("(local.get 0)", f"(call $same{k} {args})"))
            funcs.append(f"(func $two{k} {params} (result i64 {last}) {mix} (local.get {len(sig) - 1}))")
            funcs.append(f'(func (export "two{k}") (result i64) (local {last}) (local i64)'
                         f" (call $two{k} {args}) (local.set 0) (local.set 1)"
                         f" (i64.xor (local.get 1) {AS_I64[last].format(i=0)}))")
            exports += [f"same{k}", f"two{k}"]
        funcs.append(f"(func $none{k} {params} (global.set $g {mix}))")
        funcs.append(f'(func (export "none{k}") (result i64) (call $none{k} {args}) (global.get $g))')
        exports.append(f"none{k}")
    return "(module (global $g (mut i64) (i64.const 0))\n" + "\n".join(funcs) + ")", exports


def run(strategy: str) -> Dict[str, Any]:
    config = ember.Config()
    config.strategy = strategy
    if strategy == "auto":  # tiering forced: compiled at the first call, which waits for it
        config.tier_up_after = 0
        config.parallel_compilation = False
    engine = ember.Engine(config)
    store = ember.Store(engine)
    text, exports = module_text()
    module = ember.Module(engine, text)
    inst = ember.Instance(store, module, [])
    ex = inst.exports(store)
    out = {name: ex[name](store) for name in exports}
    out.update({name: ex[name](store) for name in exports})  # (tiered: compiled by now)
    out["compiled"] = module.compiled_functions
    return out


def test_every_small_signature_passes_the_same_bits_compiled_and_interpreted() -> None:
    interpreted = run("interpreter")
    compiled = run("cranelift")
    compiled_count = compiled.pop("compiled")
    interpreted.pop("compiled")
    assert len(interpreted) > 300
    assert compiled == interpreted
    # The signaling NaN's payload came through the call unchanged.
    sig = signatures().index(("f32",))
    assert compiled[f"same{sig}"] == 0x7fa00001
    # Every function was compiled: the calls above were compiled calls.
    assert compiled_count == 2 * len(compiled)  # (each export and its callee)
    tiered = run("auto")
    assert tiered.pop("compiled") == compiled_count
    assert tiered == interpreted
