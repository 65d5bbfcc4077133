"""The GC heap seen from Python: an externref that wasm keeps inside a GC
struct survives Store.gc() and collections inside wasm, and its Python
object is released once the struct is unreachable; a wasm loop that
allocates and drops objects runs in bounded memory; one that keeps
everything reachable stops at the store's memory limit with a trap."""
import gc
import os
import resource
import subprocess
import sys
import weakref
from typing import Any

import pytest

import ember
from ember import Engine, Instance, Module, Store, Trap

WAT = """(module
  (type $box (struct (field anyref)))
  (type $node (struct (field (mut i64)) (field (ref null $node))))
  (global $g (mut (ref null $box)) (ref.null $box))
  (func (export "box") (param externref)
    (global.set $g (struct.new $box (any.convert_extern (local.get 0)))))
  (func (export "unbox") (result externref)
    (extern.convert_any (struct.get $box 0 (ref.as_non_null (global.get $g)))))
  (func (export "clear") (global.set $g (ref.null $box)))
  ;; n nodes allocated and dropped; returns how many were made
  (func (export "churn") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (drop (struct.new $node (i64.extend_i32_u (local.get $i)) (ref.null $node)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  ;; a list of n nodes, all reachable; returns its length
  (func (export "list") (param $n i32) (result i32)
    (local $head (ref null $node)) (local $i i32)
    (loop $l
      (local.set $head (struct.new $node (i64.extend_i32_u (local.get $i)) (local.get $head)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))"""


class Payload:
    pass


def setup() -> Any:
    store = Store(Engine())
    instance = Instance(store, Module(store.engine, WAT), [])
    return store, instance.exports(store)


def test_externref_boxed_in_a_struct_lives_as_long_as_the_struct() -> None:
    store, ex = setup()
    p = Payload()
    ref = weakref.ref(p)
    ex["box"](store, p)
    del p
    ex["churn"](store, 200_000)  # collections inside wasm keep host externs
    store.gc()
    gc.collect()
    assert ref() is not None
    assert ex["unbox"](store) is ref()
    ex["clear"](store)
    store.gc()
    gc.collect()
    assert ref() is None


def test_list_builder_stops_at_the_memory_limit() -> None:
    store, ex = setup()
    store.set_limits(memory_size=1 << 20)
    assert ex["list"](store, 1000) == 1000
    with pytest.raises(Trap) as e:
        ex["list"](store, 10_000_000)
    assert "GC heap out of memory" in str(e.value)
    # The store is still usable, and what the trap left is collectable.
    assert ex["churn"](store, 100_000) == 100_000
    assert ex["list"](store, 1000) == 1000


def peak_rss_kib(cmd: list) -> int:
    """Runs `cmd` and returns its own peak resident set (KiB)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, cmd
    return usage.ru_maxrss


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's")
def test_ten_million_dropped_structs_run_in_bounded_memory(tmp_path: Any) -> None:
    wat = tmp_path / "gc.wat"
    wat.write_text(WAT)
    cli = os.environ.get("EMBER_CLI", "ember")
    small = peak_rss_kib([cli, "run", "--invoke", "churn", str(wat), "10000"])
    large = peak_rss_kib([cli, "run", "--invoke", "churn", str(wat), "10000000"])
    # 10 million nodes of 32 bytes are 320 MB: the run keeps within a few MiB
    # of the one that allocates a thousandth of them.
    assert large < small + 16 * 1024, (small, large)
