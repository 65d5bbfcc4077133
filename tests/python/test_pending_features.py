"""Wasm 3.0 constructs are refused by name when their proposal is off.

A module that uses a proposal switched off in the Config is invalid and the
error names the proposal, never "illegal opcode" or "malformed value type";
with the proposal on it compiles. (A construct of a proposal that is on but
not implemented yet would say "... are not supported yet": src/ir/pending.def
lists none today.)
"""
from typing import Optional

import pytest

import ember

HEADER = b"\x00asm\x01\x00\x00\x00"


def section(sid: int, body: bytes) -> bytes:
    assert len(body) < 128
    return bytes([sid, len(body)]) + body


def func_module(body: bytes, params: bytes = b"", tag: bool = False,
                nparams: Optional[int] = None) -> bytes:
    """One function of type [params] -> [] whose body (after `end`-less code)
    is given; `nparams` counts the params when one takes several bytes."""
    count = len(params) if nparams is None else nparams
    types = section(1, b"\x01\x60" + bytes([count]) + params + b"\x00")
    funcs = section(3, b"\x01\x00")
    tags = section(13, b"\x01\x00\x00") if tag else b""
    code_body = b"\x00" + body + b"\x0b"
    code = section(10, b"\x01" + bytes([len(code_body)]) + code_body)
    return HEADER + types + funcs + tags + code


def compile_error(wasm: bytes, off: Optional[str] = None) -> str:
    config = ember.Config()
    if off:
        setattr(config, off, False)
    with pytest.raises(ember.WasmtimeError) as e:
        ember.Module(ember.Engine(config), wasm)
    return str(e.value)


CASES = {
    # name: (module, message with the proposal on (None: implemented), setting,
    # message with it off)
    "throw": (func_module(b"\x08\x00", tag=True), None,
              "wasm_exceptions", "exceptions proposal not enabled"),
    "try_table": (func_module(b"\x1f\x40\x00\x0b"), None,
                  "wasm_exceptions", "exceptions support is not enabled"),
    "exnref": (func_module(b"", params=b"\x69"), None,
               "wasm_exceptions", "exceptions support is not enabled"),
    "legacy_try": (func_module(b"\x06\x40\x0b"), None,
                   "wasm_exceptions", "exceptions support is not enabled"),
    "call_ref": (func_module(b"\xd0\x00\x14\x00"), None,
                 "wasm_function_references", "function references support is not enabled"),
    "ref_null_ht": (func_module(b"", params=b"\x63\x70", nparams=1), None,
                    "wasm_function_references", "function references support is not enabled"),
    "br_on_null": (func_module(b"\xd0\x70\xd5\x00\x1a"), None,
                   "wasm_function_references", "function references support is not enabled"),
    "struct": (HEADER + section(1, b"\x01\x5f\x01\x7f\x00"), None,
               "wasm_gc", "gc support is not enabled"),
    "atomic_fence": (func_module(b"\xfe\x03\x00"), None,
                     "wasm_threads", "threads support is not enabled"),
    # struct.new_default of type 0 (an empty struct), dropped, in a function of type 1
    "gc_prefix": (HEADER + section(1, b"\x02\x5f\x00\x60\x00\x00") + section(3, b"\x01\x01")
                  + section(10, b"\x01\x06\x00\xfb\x01\x00\x1a\x0b"), None,
                  "wasm_gc", "gc support is not enabled"),
}


def test_every_case_is_implemented() -> None:
    assert all(on_msg is None for _, on_msg, _, _ in CASES.values())


@pytest.mark.parametrize("name", sorted(n for n in CASES if not CASES[n][1]))
def test_implemented_construct_compiles(name: str) -> None:
    ember.Module(ember.Engine(), CASES[name][0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_switched_off_proposal_is_named(name: str) -> None:
    wasm, _, setting, off_msg = CASES[name]
    assert off_msg in compile_error(wasm, setting)


def test_gc_text_compiles_and_is_refused_with_the_proposal_off() -> None:
    for wat in ["(module (type $s (struct)) (func (drop (struct.new $s))))",
                "(module (func (drop (ref.i31 (i32.const 0)))))"]:
        ember.Module(ember.Engine(), wat)
        config = ember.Config()
        config.wasm_gc = False
        with pytest.raises(ember.WasmtimeError) as e:
            ember.Module(ember.Engine(config), wat)
        assert "gc support is not enabled" in str(e.value), (wat, str(e.value))
