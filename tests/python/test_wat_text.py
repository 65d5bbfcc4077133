"""The text format against the `wasmtime` package: `wat2wasm` gives the same
bytes and the same texts are refused. Guards three defects: tokens after the
`(func ...)` of a `(type ...)` field (and other trailing junk in fields) were
dropped, `(@custom ...)` annotations were ignored, and empty text compiled to
an empty module.
"""
import re

import pytest

import ember

import wasmtime  # the reference (installed by scripts/install-deps.sh)


def wt_bytes(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def em_bytes(text: str) -> bytes:
    return bytes(ember.wat2wasm(text))


# ---- 1. trailing tokens inside module fields ----------------------------------

TRAILING_JUNK = [
    "(module (type (func (param i32)) (result i64)))",
    "(type (func (param i32)) (result i64))",
    "(module (type $t (func) x))",
    "(module (type (func) (func)))",
    "(module (func) x)",
    "(module (func (result i32) (i32.const 1) junk))",
    "(module (memory 1 2 3))",
    "(module (memory 1 (data \"a\") x))",
    "(module (table 1 funcref x))",
    "(module (global i32 (i32.const 0) x))",
    "(module (global (mut i32 x) (i32.const 0)))",
    "(module (export \"a\" (func 0) x) (func))",
    "(module (export \"a\" (func 0 x)) (func))",
    "(module (start 0 x) (func))",
    "(module (import \"a\" \"b\" (func) x))",
    "(module (import \"a\" \"b\" (func x)))",
    "(module (func (import \"a\" \"b\" x)))",
    "(module (func (export \"a\" x)))",
    "(module (func (type 0 x)) (type (func)))",
    "(module (func (param $x i32 i64)))",
    "(module (data \"a\" x))",
    "(module (elem func 0 x) (func))",
    "(module (memory 1) (data (i32.const 0) \"a\" 1))",
]


@pytest.mark.parametrize("text", TRAILING_JUNK)
def test_trailing_tokens_in_fields_are_refused(text):
    with pytest.raises(wasmtime.WasmtimeError):
        wasmtime.wat2wasm(text)
    with pytest.raises(ember.WasmtimeError):
        ember.wat2wasm(text)


def test_type_field_result_after_func_is_unexpected_token():
    text = "(module (type (func (param i32)) (result i64)))"
    with pytest.raises(ember.WasmtimeError, match=r"^malformed: unexpected token \(at 1:34\)$"):
        ember.wat2wasm(text)
    with pytest.raises(ember.WasmtimeError, match="unexpected token"):
        ember.Module(ember.Engine(), text)
    with pytest.raises(wasmtime.WasmtimeError, match=":1:34"):
        wasmtime.Module(wasmtime.Engine(), text)


# ---- 2. annotations ---------------------------------------------------------------

# Names other than the module's and functions' are left out: Ember's name
# section holds only those two.
SAME_BYTES = [
    # testsuite custom/custom_annot.wast, first module ($t, $g removed)
    """(module
      (type (func))
      (@custom "my-section1" "contents-bytes1")
      (@custom "my-section2" "more-contents-bytes0")
      (@custom "my-section1" "contents-bytes2")
      (@custom "my-section2" (before global) "more-contents-bytes1")
      (@custom "my-section2" (after func) "more-contents-bytes2")
      (@custom "my-section2" (after func) "more-contents-bytes3")
      (@custom "my-section2" (before global) "more-contents-bytes4")
      (func)
      (@custom "my-section2" "more-contents-bytes5")
      (global i32 (i32.const 0))
      (@custom "my-section3")
      (@custom "my-section4" "" "1" "" "2" "3" "")
      (@custom "")
    )""",
    "(module $m (func $f) (@custom \"a\" (before first) \"x\") (@custom \"b\" (after last) \"y\")"
    " (@custom \"c\" \"z\"))",
    "(module (@custom \"a\" (after type) \"1\") (@custom \"b\" (before type) \"2\")"
    " (@custom \"c\" (after data) \"3\") (@custom \"d\" (before data) \"4\")"
    " (@custom \"e\" (after code) \"5\") (@custom \"f\" (before code) \"6\"))",
    "(module (memory 1) (data \"a\") (func (drop (data.drop 0)))"
    " (@custom \"e\" (after code) \"5\") (@custom \"f\" (before code) \"6\")"
    " (@custom \"x\" (after elem) \"9\") (@custom \"y\" (before start) \"10\")"
    " (@custom \"z\" (after export) \"11\") (@custom \"t\" (before tag) \"12\")"
    " (@custom \"w\" (after tag) \"13\") (@custom \"v\" (after last) \"14\")"
    " (@custom \"u\" (before first) \"15\"))",
    "(module (import \"a\" \"b\" (func)) (table 1 funcref) (elem (i32.const 0) func)"
    " (export \"t\" (table 0)) (start 0) (@custom \"i\" (after import) \"1\")"
    " (@custom \"t\" (before table) \"2\") (@custom \"s\" (after start) \"3\"))",
    "(module (@custom \"name\" \"abc\") (func $f))",
    "(module (func $f) (@custom \"name\" (before first) \"abc\"))",
    "(module (func $f) (@custom \"name\" \"x\") (@custom \"name\" \"y\"))",
    "(@custom \"a\" \"b\")",
    "(@custom \"a\")",
    "(@custom \"a\" \"b\" \"c\") (func)",
    "(func) (@custom \"a\" ( before first ) \"x\" \"y\")",
    "(@\"custom\" \"a\" \"b\")",
    "(@custom \"\\u{e9}\" \"\\ff\\00\")",
    "(module (@custom \"a\" (@x y) (;c;) \"b\" ;; hi\n))",
    # other annotations are ignored
    "(@foo)",
    "(@foo) ;; c",
    "(@customx \"a\")",
    "(module (@a) (func (@b (c)) (export \"f\" (@e)) (result i32) (i32.const (@k) 7)) (@z))",
    "((@a) module (@a) $m (@a) (memory (@m 1) 1) (@a)) (@after)",
    "(module (type (func)) (@custom \"a\" \"b\") (func (type 0)) (@x) (@custom \"c\" (after code) \"d\"))",
]


@pytest.mark.parametrize("text", SAME_BYTES)
def test_wat2wasm_bytes_match_wasmtime(text):
    assert em_bytes(text) == wt_bytes(text)


def test_custom_sections_survive_module_compilation():
    text = "(module (@custom \"a\" \"b\") (func (export \"f\")))"
    assert ember.Module(ember.Engine(), text).exports[0].name == "f"
    ember.Module(ember.Engine(), wt_bytes(text))


REFUSED_ANNOTATIONS = [
    "(@custom)",
    "(@custom 4)",
    "(@custom bla)",
    "(@custom \"\\df\")",
    "(@custom \"bla\" here)",
    "(@custom \"bla\" after)",
    "(@custom \"bla\" (after))",
    "(@custom \"bla\" (type))",
    "(@custom \"bla\" (aft type))",
    "(@custom \"bla\" (before types))",
    "(@custom \"a\" (before first x))",
    "(@custom \"a\" (before type) (after type))",
    "(@custom \"a\" \"x\" (before type))",
    "(@custom \"a\" \"x\" $y)",
    "(@custom \"a\" (before $x))",
    "(@custom \"a\" 1)",
    "(@custom \"a\"",
    "(@custom\"a\"\"b\")",
    "(type (@custom \"bla\") $t (func))",
    "(func (@custom \"bla\"))",
    "(func (block (@custom \"bla\")))",
    "(func (nop (@custom \"bla\")))",
    "(module (@custom \"a\" \"b\") $m)",
    "((@custom \"a\" \"b\") module)",
    "(module) (@custom \"a\" \"b\")",
    "(@custom \"a\" \"b\") (module)",
]


@pytest.mark.parametrize("text", REFUSED_ANNOTATIONS)
def test_malformed_or_misplaced_custom_is_refused(text):
    with pytest.raises(wasmtime.WasmtimeError):
        wasmtime.wat2wasm(text)
    with pytest.raises(ember.WasmtimeError, match="malformed: "):
        ember.wat2wasm(text)


def test_custom_annotation_messages_are_the_reference_interpreters():
    cases = {
        "(@custom)": "@custom annotation: missing section name",
        "(@custom \"bla\" (after))": "@custom annotation: malformed section kind",
        "(@custom \"bla\" (aft type))": "@custom annotation: malformed placement",
        "(@custom \"bla\" here)": "@custom annotation: unexpected token",
        "(func (@custom \"bla\"))": "misplaced @custom annotation",
    }
    for text, message in cases.items():
        with pytest.raises(ember.WasmtimeError, match=re.escape(message)):
            ember.wat2wasm(text)


# ---- 3. empty text ------------------------------------------------------------------

EMPTY = ["", "  ", ";; c\n", "(; x ;)", "\n\t(;a;) ;;b"]


def position(message: str, pattern: str) -> "tuple[int, int]":
    m = re.search(pattern, message)
    assert m, message
    return int(m.group(1)), int(m.group(2))


@pytest.mark.parametrize("text", EMPTY)
def test_empty_text_is_refused_like_wasmtime(text):
    with pytest.raises(wasmtime.WasmtimeError) as wt:
        wasmtime.wat2wasm(text)
    with pytest.raises(ember.WasmtimeError) as em:
        ember.wat2wasm(text)
    assert "expected at least one module field" in str(wt.value)
    assert "expected at least one module field" in str(em.value)
    assert position(str(em.value), r"\(at (\d+):(\d+)\)") == \
        position(str(wt.value), r"<anon>:(\d+):(\d+)")


@pytest.mark.parametrize("text", [t for t in EMPTY if t])
def test_module_from_blank_text_is_refused_like_wasmtime(text):
    with pytest.raises(wasmtime.WasmtimeError, match="expected at least one module field"):
        wasmtime.Module(wasmtime.Engine(), text)
    with pytest.raises(ember.WasmtimeError, match="expected at least one module field"):
        ember.Module(ember.Engine(), text)


def test_module_from_empty_str_raises_type_error_like_wasmtime():
    # wasmtime's _to_wasm only parses a non-empty str as text.
    with pytest.raises(TypeError, match="expected wasm bytes"):
        wasmtime.Module(wasmtime.Engine(), "")
    with pytest.raises(TypeError, match="expected wasm bytes"):
        ember.Module(ember.Engine(), "")


def test_empty_module_forms_still_compile():
    for text in ["(module)", "(module) ;; c", "(module $m)", "(@foo)"]:
        assert em_bytes(text) == wt_bytes(text)
        ember.Module(ember.Engine(), text)
