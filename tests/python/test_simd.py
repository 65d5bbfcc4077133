"""SIMD from Python: v128 code runs; v128 values at the boundary are refused
with a clear error, as the wasmtime package does (it has no v128 value)."""
import pytest

from conftest import instantiate
from ember import (Config, Engine, Func, FuncType, Instance, Module, Store, ValType,
                   WasmtimeError)

SIMD = """(module
  (func (export "dot") (param i32 i32 i32 i32) (result i32)
    (local $v v128)
    (local.set $v (i32x4.mul (i32x4.splat (i32.const 3))
      (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1
        (i32x4.splat (local.get 0)) (local.get 1)) (local.get 2)) (local.get 3))))
    (i32.add (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
             (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
  (func (export "id") (param v128) (result v128) (local.get 0))
  (func (export "make") (result v128) (v128.const i64x2 1 2))
  (global (export "g") (mut v128) (v128.const i32x4 0 0 0 0)))"""


def test_v128_code_runs_behind_scalar_signatures(store):
    dot = instantiate(store, SIMD).exports(store)["dot"]
    assert dot(store, 1, 2, 3, 4) == 30


def test_v128_types_are_visible(store):
    ex = instantiate(store, SIMD).exports(store)
    assert str(ex["id"].type(store).params[0]) == "v128"
    assert str(ex["g"].type(store).content) == "v128"


def test_v128_values_are_refused_clearly(store):
    ex = instantiate(store, SIMD).exports(store)
    with pytest.raises(TypeError, match="v128"):
        ex["id"](store, 1)
    with pytest.raises(WasmtimeError, match="v128"):
        ex["make"](store)
    with pytest.raises(WasmtimeError, match="v128"):
        ex["g"].value(store)
    # The store stays usable.
    assert ex["dot"](store, 0, 0, 0, 1) == 3


def test_host_function_with_v128_param_traps_instead_of_crashing(store):
    host = Func(store, FuncType([ValType.v128()], []), lambda x: None)
    call = """(module (import "" "f" (func (param v128)))
      (func (export "r") (call 0 (v128.const i64x2 0 0))))"""
    inst = Instance(store, Module(store.engine, call), [host])
    with pytest.raises(Exception, match="v128"):
        inst.exports(store)["r"](store)


@pytest.mark.parametrize("deterministic", [False, True])
def test_relaxed_simd_modes(deterministic):
    c = Config()
    c.wasm_relaxed_simd = True
    c.wasm_relaxed_simd_deterministic = deterministic
    store = Store(Engine(c))
    # relaxed_trunc of NaN: INT32_MIN natively (x86), 0 in the deterministic profile.
    wat = """(module (func (export "f") (result i32)
      (i32x4.extract_lane 0 (i32x4.relaxed_trunc_f32x4_s (f32x4.splat (f32.const nan))))))"""
    got = instantiate(store, wat).exports(store)["f"](store)
    assert got == (0 if deterministic else -2**31)


def test_simd_can_be_switched_off():
    c = Config()
    c.wasm_simd = False
    c.wasm_relaxed_simd = False
    with pytest.raises(WasmtimeError):
        Module(Engine(c), SIMD)
