"""Externrefs are released: Store.gc() drops every Python object passed into
wasm as an externref that no table, global or element segment still holds
(its destructor runs), keeps the ones that are held (same object back), and
never frees what a running wasm frame holds. A store that never calls gc()
collects on its own before calls once many externrefs are live."""
import gc
import weakref
from typing import Any, List

import ember
from ember import Engine, Func, FuncType, Instance, Module, Store, ValType

WAT = """(module
  (import "" "host" (func $host))
  (table $t (export "t") 4 externref)
  (global $g (export "g") (mut externref) (ref.null extern))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "keep") (param externref) (table.set $t (i32.const 0) (local.get 0)))
  (func (export "keep_global") (param externref) (global.set $g (local.get 0)))
  (func (export "through_host") (param externref) (result externref)
    (call $host) (local.get 0)))"""


class Payload:
    pass


def setup(host: Any = lambda: None) -> Any:
    store = Store(Engine())
    module = Module(store.engine, WAT)
    instance = Instance(store, module, [Func(store, FuncType([], []), host)])
    return store, instance.exports(store)


def test_gc_drops_unheld_externrefs() -> None:
    store, ex = setup()
    refs: List[weakref.ref] = []
    for _ in range(10_000):
        obj = Payload()
        refs.append(weakref.ref(obj))
        assert ex["id"](store, obj) is obj
        del obj
    gc.collect()
    store.gc()
    assert sum(r() is not None for r in refs) == 0


def test_gc_keeps_what_tables_and_globals_hold() -> None:
    store, ex = setup()
    in_table, in_global, loose = Payload(), Payload(), Payload()
    ex["keep"](store, in_table)
    ex["keep_global"](store, in_global)
    ex["id"](store, loose)
    wt, wg, wl = weakref.ref(in_table), weakref.ref(in_global), weakref.ref(loose)
    del in_table, in_global, loose
    store.gc()
    assert wl() is None
    assert ex["t"].get(store, 0) is wt() is not None
    assert ex["g"].value(store) is wg() is not None
    # Passing a held object again gives the same reference (identity kept).
    ex["keep"](store, wt())
    assert ex["t"].get(store, 0) is wt()


def test_gc_inside_a_host_call_keeps_live_frames() -> None:
    calls: List[int] = []
    holder: List[Any] = []

    def host() -> None:
        holder[0].gc()
        calls.append(1)

    store, ex = setup(host)
    holder.append(store)
    obj = Payload()
    w = weakref.ref(obj)
    assert ex["through_host"](store, obj) is obj
    del obj
    assert calls == [1]
    store.gc()
    assert w() is None


def test_temporaries_are_collected_without_gc_calls() -> None:
    store, ex = setup()
    refs: List[weakref.ref] = []
    for _ in range(60_000):
        obj = Payload()
        refs.append(weakref.ref(obj))
        ex["id"](store, obj)
        del obj
    alive = sum(r() is not None for r in refs)
    assert alive <= 10_000  # the first collection comes at 10,000 live objects


def test_externref_in_an_elem_segment_survives() -> None:
    store = Store(Engine())
    glob = ember.Global(store, ember.GlobalType(ValType.externref(), False), Payload())
    w = weakref.ref(glob.value(store))
    module = Module(store.engine, """(module
      (import "" "g" (global $g externref))
      (table $t 1 externref)
      (elem $e externref (global.get $g))
      (func (export "init") (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1)))
      (func (export "get") (result externref) (table.get $t (i32.const 0))))""")
    ex = Instance(store, module, [glob]).exports(store)
    store.gc()
    assert w() is not None
    ex["init"](store)
    assert ex["get"](store) is w()
