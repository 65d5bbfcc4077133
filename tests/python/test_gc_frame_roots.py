"""The collector reads running wasm frames precisely (stack maps): a
reference a frame still uses survives a collection in the middle of the
frame -- in a local, or as an operand under a call or an allocation, in a
module compiled here (on one thread or several) or loaded from its
serialized form -- and a stale reference left in the value stack by a
finished call keeps nothing alive."""
import gc
import weakref
from typing import Any, Callable, List

import pytest

from ember import Config, Engine, Func, FuncType, Instance, Module, Store, ValType

WAT = """(module
  (type $box (struct (field (mut i64))))
  (type $pair (struct (field externref) (field (ref null $box))))
  (import "" "make" (func $make (result externref)))
  (import "" "collect" (func $collect))
  (import "" "check" (func $collect_and_check (result i32)))
  ;; An externref the host made, held only as an operand under a call that collects.
  (func (export "extern_under_call") (result externref)
    (call $make) (call $collect))
  ;; A struct held only as an operand under the collecting call; allocations
  ;; after the collection would reuse its memory if it had been freed.
  (func (export "struct_under_call") (result i64)
    (struct.new $box (i64.const 42))
    (call $collect)
    (call $churn)
    (struct.get $box 0))
  ;; Both as inputs of an allocation, made by calls that collect in between.
  (func (export "pair") (result externref i64)
    (local $p (ref null $pair))
    (local.set $p (struct.new $pair (call $make_after_collect) (call $box_after_collect)))
    (call $collect)
    (call $churn)
    (struct.get $pair 0 (local.get $p))
    (struct.get $box 0 (struct.get $pair 1 (local.get $p))))
  (func $make_after_collect (result externref) (call $make) (call $collect))
  (func $box_after_collect (result (ref $box))
    (struct.new $box (i64.const 9)) (call $collect) (call $churn))
  (func $churn (local $i i32)
    (loop $l
      (drop (struct.new $box (i64.const 7)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000)))))
  (func (export "take") (param externref))
  (func (export "collect_in_a_fresh_frame") (result i32) (call $collect_and_check)))
"""


class Payload:
    pass


class Host:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.made: List[Payload] = []
        self.made_refs: List[weakref.ref] = []
        self.collections = 0

    def make(self) -> Payload:
        p = Payload()
        self.made_refs.append(weakref.ref(p))
        return p

    def collect(self) -> None:
        gc.collect()
        self.store.gc()
        self.collections += 1


# Functions enough for a module to be translated on several threads.
FILLER = "".join(
    "(func (param i32) (result i32) "
    + "".join(f"(local.set 0 (i32.add (local.get 0) (i32.const {k})))" for k in range(300))
    + " (local.get 0))"
    for _ in range(64)
)
WAYS = ["compiled", "serialized", "parallel"]


def instantiate(way: str, check: Callable[[], int] = lambda: 0) -> Any:
    config = Config()
    config.wasm_gc = True
    config.parallel_compilation = way == "parallel"
    engine = Engine(config)
    # The filler goes first: the functions that matter then come from a
    # later part, whose positions are rebased when the parts are joined.
    text = WAT.replace("(func (export", FILLER + "(func (export", 1) if way == "parallel" else WAT
    module = Module(engine, text)
    if way == "serialized":
        module = Module.deserialize(engine, module.serialize())
    store = Store(engine)
    host = Host(store)
    imports = [
        Func(store, FuncType([], [ValType.externref()]), host.make),
        Func(store, FuncType([], []), host.collect),
        Func(store, FuncType([], [ValType.i32()]), check),
    ]
    return store, host, Instance(store, module, imports).exports(store)


@pytest.mark.parametrize("way", WAYS)
def test_an_externref_operand_under_a_call_survives(way: str) -> None:
    store, host, ex = instantiate(way)
    got = ex["extern_under_call"](store)
    assert host.collections == 1
    assert isinstance(got, Payload) and got is host.made_refs[0]()


@pytest.mark.parametrize("way", WAYS)
def test_a_struct_operand_under_a_call_survives(way: str) -> None:
    store, host, ex = instantiate(way)
    assert ex["struct_under_call"](store) == 42
    assert host.collections == 1


@pytest.mark.parametrize("way", WAYS)
def test_allocation_inputs_survive_collections_in_the_calls_making_them(way: str) -> None:
    store, host, ex = instantiate(way)
    ext, n = ex["pair"](store)
    assert host.collections == 3
    assert n == 9
    assert isinstance(ext, Payload) and ext is host.made_refs[0]()


def test_a_stale_reference_in_the_value_stack_keeps_nothing_alive() -> None:
    # `take` leaves its argument in the first slot of the value stack; the
    # next call's frame starts there but never writes that slot before its
    # host call collects. A conservative scan of the stack would keep it.
    seen: List[bool] = []
    holder: List[Any] = []

    def check() -> int:
        gc.collect()
        holder[0].gc()
        seen.append(w() is None)
        return 0

    store, _, ex = instantiate("compiled", check)
    holder.append(store)
    obj = Payload()
    w = weakref.ref(obj)
    ex["take"](store, obj)
    del obj
    gc.collect()
    assert w() is not None  # until a collection runs
    ex["collect_in_a_fresh_frame"](store)
    assert seen == [True]
