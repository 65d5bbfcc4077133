"""GC values from Python: a function returning anyref gives an `ember.AnyRef`
(the `wasmtime` package cannot return these values), which keeps its object
alive and goes back into wasm wherever its type fits; an externref that
wasm made from one of its own values comes back as an AnyRef too and is
accepted as that externref again. i31 values are made and read from Python."""
import pytest

import ember
from ember import AnyRef, Engine, Instance, Module, Store

WAT = """(module
  (type $s (struct (field i32)))
  (type $a (array i8))
  (func (export "make") (param i32) (result anyref) (struct.new $s (local.get 0)))
  (func (export "make-arr") (result anyref) (array.new_default $a (i32.const 3)))
  (func (export "i31") (param i32) (result anyref) (ref.i31 (local.get 0)))
  (func (export "read") (param (ref $s)) (result i32) (struct.get $s 0 (local.get 0)))
  (func (export "read-any") (param anyref) (result i32)
    (struct.get $s 0 (ref.cast (ref $s) (local.get 0))))
  (func (export "i31-get") (param i31ref) (result i32) (i31.get_s (local.get 0)))
  (func (export "out") (param anyref) (result externref) (extern.convert_any (local.get 0)))
  (func (export "in") (param externref) (result anyref) (any.convert_extern (local.get 0)))
  (func (export "churn") (param $n i32)
    (loop $l
      (drop (array.new_default $a (i32.const 1000)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))))"""


def setup() -> tuple:
    store = Store(Engine())
    return store, Instance(store, Module(store.engine, WAT), []).exports(store)


def test_struct_returned_held_and_passed_back() -> None:
    store, ex = setup()
    r = ex["make"](store, 42)
    assert isinstance(r, AnyRef) and r.kind == "struct" and r.as_i31() is None
    ex["churn"](store, 20_000)  # collections while Python holds the value
    store.gc()
    assert ex["read"](store, r) == 42
    assert ex["read-any"](store, r) == 42
    assert ex["make-arr"](store).kind == "array"


def test_types_are_checked_by_the_object() -> None:
    store, ex = setup()
    arr = ex["make-arr"](store)
    with pytest.raises(TypeError):
        ex["read"](store, arr)  # an array where (ref $s) is expected
    with pytest.raises(TypeError):
        ex["i31-get"](store, arr)
    with pytest.raises(TypeError):
        ex["read-any"](store, 5)  # plain ints are not anyrefs
    other, other_ex = setup()
    with pytest.raises(ember.WasmtimeError):
        other_ex["read-any"](other, ex["make"](store, 1))


def test_i31_values() -> None:
    store, ex = setup()
    r = ex["i31"](store, -5)
    assert r.kind == "i31" and r.as_i31() == -5 and r.as_i31(signed=False) == 0x7FFFFFFB
    assert ex["i31-get"](store, AnyRef.from_i31(store, 123)) == 123
    assert AnyRef.from_i31(store, 7) == AnyRef.from_i31(store, 7)
    assert AnyRef.from_i31(store, 7) != AnyRef.from_i31(store, 8)
    with pytest.raises(ValueError):
        AnyRef.from_i31(store, 1 << 31)
    with pytest.raises(TypeError):
        AnyRef.from_i31(store, 1.5)  # type: ignore[arg-type]


def test_externalized_values_round_trip() -> None:
    store, ex = setup()
    s = ex["make"](store, 9)
    e = ex["out"](store, s)
    assert isinstance(e, AnyRef) and e.externalized and e.kind == "struct"
    back = ex["in"](store, e)
    assert back == s and ex["read"](store, back) == 9
    # A Python object passed as externref stays a Python object.
    obj = object()
    assert ex["out"](store, ex["in"](store, obj)) is obj
