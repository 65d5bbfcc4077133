"""Config.profiler "perfmap": compiled code is listed in /tmp/perf-<pid>.map
with the wasm functions' names, so that `perf report` names them."""
import os
from typing import List, Tuple

import pytest

import ember
from test_compiled_tier import _tier_built

pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

WAT = """
(module $demo
  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "sum_squares") (param $n i32) (result i32)
    (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $square (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (local.get $acc)))
"""

MAP = f"/tmp/perf-{os.getpid()}.map"


def map_size() -> int:
    return os.path.getsize(MAP) if os.path.exists(MAP) else 0


def new_lines(since: int) -> List[Tuple[int, int, str]]:
    with open(MAP) as f:
        f.seek(since)
        out = []
        for line in f.read().splitlines():
            start, size, name = line.split(" ", 2)
            out.append((int(start, 16), int(size, 16), name))
        return out


def executable(address: int) -> bool:
    with open("/proc/self/maps") as f:
        for line in f:
            span, perms = line.split()[:2]
            lo, hi = (int(x, 16) for x in span.split("-"))
            if lo <= address < hi:
                return "x" in perms
    return False


def engine(strategy: str, profiler: str = "perfmap") -> ember.Engine:
    config = ember.Config()
    config.strategy = strategy
    config.profiler = profiler
    config.tier_up_after = 0
    config.parallel_compilation = False
    return ember.Engine(config)


def test_eagerly_compiled_functions_are_listed_with_their_wasm_names():
    since = map_size()
    module = ember.Module(engine("cranelift"), WAT)  # (its code lives as long as it)
    lines = new_lines(since)
    names = [name for _, _, name in lines]
    assert "wasm[demo]::square" in names
    assert "wasm[demo]::function[1]" in names  # no name in the name section
    for start, size, _ in lines:
        assert size > 0 and executable(start)
    assert module.compiled_functions == 2


def test_tiered_code_and_loop_entries_are_listed():
    eng = engine("auto")
    module = ember.Module(eng, WAT)
    store = ember.Store(eng)
    since = map_size()
    assert ember.Instance(store, module, []).exports(store)["sum_squares"](store, 10) == 385
    names = [name for _, _, name in new_lines(since)]
    assert "wasm[demo]::square" in names
    assert "wasm[demo]::function[1]::osr" in names


def test_no_map_without_the_profiler():
    since = map_size()
    ember.Module(engine("cranelift", profiler="none"), WAT)
    assert map_size() == since
