"""Wasm 3.0 constructs Ember does not implement yet are refused by name.

A module that uses a proposal switched off in the Config is invalid and the
error names the proposal; one that uses a construct of a proposal that is on
but not implemented yet says so ("... are not supported yet"), never
"illegal opcode" or "malformed value type" (src/ir/pending.def).
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
    "gc_prefix": (func_module(b"\xfb\x00\x00"), "GC instructions are not supported yet",
                  "wasm_gc", "gc support is not enabled"),
}


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][1]))
def test_unimplemented_construct_is_named(name: str) -> None:
    wasm, on_msg, _, _ = CASES[name]
    assert on_msg is not None and on_msg in compile_error(wasm)


@pytest.mark.parametrize("name", sorted(n for n in CASES if not CASES[n][1]))
def test_implemented_construct_compiles(name: str) -> None:
    ember.Module(ember.Engine(), CASES[name][0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_switched_off_proposal_is_named(name: str) -> None:
    wasm, _, setting, off_msg = CASES[name]
    assert off_msg in compile_error(wasm, setting)


def test_text_names_the_construct() -> None:
    for wat, msg in [
        ("(module (type $s (struct)) (func (drop (struct.new $s))))", "GC instructions"),
        ("(module (func (drop (ref.i31 (i32.const 0)))))", "GC instructions"),
    ]:
        with pytest.raises(ember.WasmtimeError) as e:
            ember.Module(ember.Engine(), wat)
        assert msg in str(e.value) and "not supported yet" in str(e.value), (wat, str(e.value))
