"""The wide-arithmetic operators (i64.add128, i64.sub128, i64.mul_wide_s,
i64.mul_wide_u) through the Python API, checked against Python's integers
over edge values and seeded random ones; `Config.wasm_wide_arithmetic`
gating them (and `--wasm wide_arithmetic` on the command line); and the
same results and fuel as the `wasmtime` package.

Each operator returns a 128-bit integer as two i64 results, low half first.
Besides the plain operators the module holds the shapes the interpreter's
register allocation has to get right: operands that are stack temporaries
(the results land in their slots), one operator's result pair feeding the
next, and halves stored to locals one at a time (the low half's local.set
must not write the local after it).
"""
import random
import subprocess
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import ember
from conftest import required

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1

WAT = """(module
  (func (export "add128") (param i64 i64 i64 i64) (result i64 i64)
    (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "sub128") (param i64 i64 i64 i64) (result i64 i64)
    (i64.sub128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "mul_wide_s") (param i64 i64) (result i64 i64)
    (i64.mul_wide_s (local.get 0) (local.get 1)))
  (func (export "mul_wide_u") (param i64 i64) (result i64 i64)
    (i64.mul_wide_u (local.get 0) (local.get 1)))

  ;; Operands computed into stack slots, which the results then reuse.
  (func (export "add128_tmp") (param i64 i64 i64 i64) (result i64 i64)
    (i64.add128 (i64.xor (local.get 0) (i64.const 0)) (i64.or (local.get 1) (i64.const 0))
                (i64.xor (local.get 2) (i64.const 0)) (i64.or (local.get 3) (i64.const 0))))
  (func (export "sub128_const") (param i64 i64) (result i64 i64)
    (i64.sub128 (i64.const 0) (i64.const 0) (local.get 0) (local.get 1)))
  ;; (a + b) * ... : the sum's halves are the multiplication's operands.
  (func (export "chain") (param i64 i64 i64 i64) (result i64 i64)
    (i64.mul_wide_u
      (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3))))
  ;; The low half to a local, the high half dropped: the local after it keeps 7.
  (func (export "low_to_local") (param i64 i64) (result i64 i64) (local i64 i64)
    (local.set 3 (i64.const 7))
    (i64.mul_wide_s (local.get 0) (local.get 1))
    drop
    local.set 2
    (local.get 2) (local.get 3))
  ;; Both halves to locals, high first.
  (func (export "halves_to_locals") (param i64 i64) (result i64 i64) (local i64 i64)
    (i64.mul_wide_u (local.get 0) (local.get 1))
    local.set 2
    local.set 3
    (local.get 3) (local.get 2))
)"""

NAMES = ["add128", "sub128", "mul_wide_s", "mul_wide_u", "add128_tmp", "sub128_const", "chain",
         "low_to_local", "halves_to_locals"]

EDGES = [0, 1, -1, 2**63 - 1, -2**63, 2**32, 2**32 - 1, -2**32]


def signed(v: int) -> int:
    v &= M64
    return v - (1 << 64) if v >> 63 else v


def halves(v: int) -> List[int]:
    v &= M128
    return [signed(v), signed(v >> 64)]


def join(lo: int, hi: int) -> int:
    return ((hi & M64) << 64) | (lo & M64)


def expected(name: str, args: Tuple[int, ...]) -> List[int]:
    if name in ("add128", "add128_tmp"):
        return halves(join(args[0], args[1]) + join(args[2], args[3]))
    if name == "sub128":
        return halves(join(args[0], args[1]) - join(args[2], args[3]))
    if name == "sub128_const":
        return halves(-join(args[0], args[1]))
    if name in ("mul_wide_s", "low_to_local"):
        r = halves(signed(args[0]) * signed(args[1]))
        return [r[0], 7] if name == "low_to_local" else r
    if name in ("mul_wide_u", "halves_to_locals"):
        return halves((args[0] & M64) * (args[1] & M64))
    assert name == "chain"
    lo, hi = halves(join(args[0], args[1]) + join(args[2], args[3]))
    return halves((lo & M64) * (hi & M64))


def arity(name: str) -> int:
    return 4 if name in ("add128", "sub128", "add128_tmp", "chain") else 2


def cases() -> List[Tuple[str, Tuple[int, ...]]]:
    rng = random.Random(20240615)
    values = EDGES + [signed(rng.getrandbits(64)) for _ in range(8)]
    out: List[Tuple[str, Tuple[int, ...]]] = []
    for name in NAMES:
        if arity(name) == 2:
            out += [(name, (a, b)) for a in values for b in values]
        else:
            out += [(name, (a, b, c, d)) for a in EDGES for b in EDGES
                    for c, d in ((EDGES[i], EDGES[-1 - i]) for i in range(len(EDGES)))]
            out += [(name, tuple(signed(rng.getrandbits(64)) for _ in range(4)))
                    for _ in range(64)]
    return out


CASES = cases()


def module_in(mod: Any, enabled: Optional[bool], **settings: Any) -> Tuple[Any, Any]:
    config = mod.Config()
    if enabled is not None:
        config.wasm_wide_arithmetic = enabled
    for k, v in settings.items():
        setattr(config, k, v)
    engine = mod.Engine(config)
    return engine, mod.Module(engine, WAT)


def exports(mod: Any, engine: Any, module: Any) -> Tuple[Any, Dict[str, Callable[..., Any]]]:
    store = mod.Store(engine)
    inst = mod.Instance(store, module, [])
    return store, {name: inst.exports(store)[name] for name in NAMES}


def test_results_match_python_integers() -> None:
    engine, module = module_in(ember, True)
    store, funcs = exports(ember, engine, module)
    for name, args in CASES:
        assert funcs[name](store, *args) == expected(name, args), (name, args)


def test_serialized_module_gives_the_same_results() -> None:
    engine, module = module_in(ember, True)
    again = ember.Module.deserialize(engine, module.serialize())
    store, funcs = exports(ember, engine, again)
    for name, args in CASES[::7]:
        assert funcs[name](store, *args) == expected(name, args), (name, args)


@pytest.mark.parametrize("op", ["i64.add128", "i64.sub128", "i64.mul_wide_s", "i64.mul_wide_u"])
def test_switched_off_the_operators_are_invalid(op: str) -> None:
    n = 4 if op.endswith("128") else 2
    wat = (f"(module (func (param {'i64 ' * n}) (result i64 i64) "
           f"{' '.join(f'local.get {i}' for i in range(n))} {op}))")
    config = ember.Config()
    config.wasm_wide_arithmetic = False
    with pytest.raises(ember.WasmtimeError, match=rf"{op}.*wide.arithmetic"):
        ember.Module(ember.Engine(config), wat)
    config = ember.Config()
    config.wasm_wide_arithmetic = True
    ember.Module(ember.Engine(config), wat)


def test_command_line_switch(ember_cli: str, tmp_path: Any) -> None:
    wat = tmp_path / "wide.wat"
    wat.write_text(WAT)
    args = ["run", "--invoke", "mul_wide_u", str(wat), "-1", "-1"]
    p = subprocess.run([ember_cli, *args[:1], "--wasm", "wide_arithmetic=off", *args[1:]],
                       capture_output=True, timeout=60)
    assert p.returncode == 1 and "wide_arithmetic" in p.stderr.decode()
    p = subprocess.run([ember_cli, *args[:1], "--wasm", "wide_arithmetic=on", *args[1:]],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    # (2^64 - 1)^2 = 2^128 - 2^65 + 1: low half 1, high half 2^64 - 2.
    assert p.stdout.decode().split() == ["1", str(-2)]


def test_same_results_and_fuel_as_wasmtime() -> None:
    try:
        import wasmtime
    except ImportError:
        required("the `wasmtime` package")
    ours = module_in(ember, True, consume_fuel=True)
    theirs = module_in(wasmtime, True, consume_fuel=True)
    s1, f1 = exports(ember, *ours)
    s2, f2 = exports(wasmtime, *theirs)
    for name, args in CASES[::3]:
        s1.set_fuel(1000)
        s2.set_fuel(1000)
        r1, r2 = f1[name](s1, *args), f2[name](s2, *args)
        assert r1 == r2, (name, args)
        assert s1.get_fuel() == s2.get_fuel(), name
