"""Compiled code keeps the references its frames hold alive: a function with
reference-typed locals, or a reference operand under a call, is compiled
(eagerly, tiered at its first call, or entered at a running loop) and a
collection that a host function runs in the middle of it (Store.gc())
keeps every externref a compiled frame still uses, through several
compiled frames, call_indirect, a caught exception and a trap that left
compiled code from a nested call. What nothing holds any more is freed."""
import gc
import weakref
from typing import Any, Callable, Dict, List, Tuple

import pytest

from ember import Config, Engine, Func, FuncType, Instance, Module, Store, Trap, ValType

from conftest import perf_map_names, set_strategy

WAT = """(module
  (import "" "make" (func $make (result externref)))
  (import "" "collect" (func $collect))
  (import "" "nested" (func $nested))
  (type $v (func))
  (table $t 1 funcref)
  (elem (table $t) (i32.const 0) func $collect_via_table)
  (tag $e)
  (memory 1)
  ;; A parameter (a reference local) used after the collecting call.
  (func (export "param") (param $x externref) (result externref)
    (call $collect)
    (local.get $x))
  ;; A reference made by the host, held only as an operand under the call.
  (func (export "operand") (result externref)
    (call $make)
    (call $collect))
  ;; Two compiled frames each holding a reference of its own.
  (func (export "two_frames") (param $x externref) (result externref externref)
    (local.get $x)
    (call $inner))
  (func $inner (result externref)
    (local $y externref)
    (local.set $y (call $make))
    (call $collect)
    (local.get $y))
  ;; The collection behind call_indirect.
  (func $collect_via_table (call $collect))
  (func (export "indirect") (param $x externref) (result externref)
    (call_indirect $t (type $v) (i32.const 0))
    (local.get $x))
  ;; A loop that collects at every iteration while its local holds a
  ;; reference (tiered: entered compiled at its header).
  (func $loop (export "loop") (param $x externref) (param $n i32) (result externref)
    (local $y externref)
    (local.set $y (local.get $x))
    (loop $l
      (call $collect)
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $y))
  ;; An exception thrown by a callee and caught here, then a collection.
  (func $thrower (param externref) (call $collect) (throw $e))
  (func (export "caught") (param $x externref) (result externref)
    (block $h
      (try_table (catch $e $h)
        (call $thrower (call $make))))
    (call $collect)
    (local.get $x))
  ;; The host calls "fault" from inside this frame, then collects.
  (func (export "around_nested") (param $x externref) (result externref)
    (call $nested)
    (local.get $x))
  (func (export "fault") (param $x externref) (result i32)
    (drop (call $load_oob))
    (i32.const 0))
  (func $load_oob (result i32) (i32.load (i32.const 65536))))
"""

# How each engine runs the module: every function compiled in Module(); each
# compiled at its first call; a running loop entered at its header.
STRATEGIES = ["cranelift", "tiered", "osr"]


class Payload:
    pass


def make_engine(strategy: str) -> Engine:
    config = Config()
    config.wasm_exceptions = True
    if strategy == "osr":
        config.strategy = "auto"
        config.tier_up_after = 3
        config.parallel_compilation = False
        config.profiler = "perfmap"  # (lists the loop's entry: test_the_module_runs_compiled)
    else:
        set_strategy(config, strategy)
    return Engine(config)


def setup(strategy: str) -> Tuple[Store, Any, List[weakref.ref], Module]:
    store = Store(make_engine(strategy))
    made: List[weakref.ref] = []
    holder: Dict[str, Any] = {}

    def make() -> Any:
        obj = Payload()
        made.append(weakref.ref(obj))
        return obj

    def collect() -> None:
        gc.collect()
        store.gc()

    def nested() -> None:
        with pytest.raises(Trap):
            holder["fault"](store, Payload())
        collect()

    module = Module(store.engine, WAT)
    ext = ValType.externref()
    imports = [Func(store, FuncType([], [ext]), make), Func(store, FuncType([], []), collect),
               Func(store, FuncType([], []), nested)]
    exports = Instance(store, module, imports).exports(store)
    holder.update({name: exports[name] for name in ("fault",)})
    return store, exports, made, module


def call_dropping(f: Callable[[Any], Any], arg: Any) -> Tuple[Any, weakref.ref]:
    """Calls f(arg) with `arg` held by nothing but the call."""
    w = weakref.ref(arg)
    return f(arg), w


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_module_runs_compiled(strategy: str) -> None:
    store, ex, _, module = setup(strategy)
    for _ in range(2):
        ex["param"](store, Payload())
    ex["loop"](store, Payload(), 10)
    if strategy == "cranelift":
        assert module.compiled_functions == 12
    elif strategy == "tiered":
        assert module.compiled_functions >= 2
    else:
        assert any(name.endswith("::loop::osr") for name in perf_map_names())


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_reference_local_survives_a_collection_in_a_call(strategy: str) -> None:
    store, ex, _, _ = setup(strategy)
    for _ in range(3):  # (tiered: the later calls run compiled code)
        obj = Payload()
        assert ex["param"](store, obj) is obj
        result, w = call_dropping(lambda o: ex["param"](store, o), Payload())
        assert result is w() is not None
        del result
        store.gc()
        assert w() is None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_operand_under_a_call_survives(strategy: str) -> None:
    store, ex, made, _ = setup(strategy)
    for _ in range(3):
        result = ex["operand"](store)
        assert result is made[-1]() is not None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_two_compiled_frames_keep_their_references(strategy: str) -> None:
    store, ex, made, _ = setup(strategy)
    for _ in range(3):
        obj = Payload()
        outer, inner = ex["two_frames"](store, obj)
        assert outer is obj
        assert inner is made[-1]() is not None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_call_indirect_and_loops_keep_references(strategy: str) -> None:
    store, ex, _, _ = setup(strategy)
    for _ in range(3):
        obj = Payload()
        assert ex["indirect"](store, obj) is obj
        assert ex["loop"](store, obj, 20) is obj


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_caught_exception_leaves_the_frame_parked_correctly(strategy: str) -> None:
    store, ex, made, _ = setup(strategy)
    for _ in range(3):
        obj = Payload()
        assert ex["caught"](store, obj) is obj
        # The thrower's argument is held by nothing once it has thrown.
        store.gc()
        assert made[-1]() is None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_trap_from_a_nested_call_leaves_no_stale_frame(strategy: str) -> None:
    # The trap leaves compiled code through the fault handler, skipping the
    # frames between; the collection after it must not read them.
    store, ex, _, _ = setup(strategy)
    for _ in range(3):
        obj = Payload()
        assert ex["around_nested"](store, obj) is obj
        assert ex["param"](store, obj) is obj
