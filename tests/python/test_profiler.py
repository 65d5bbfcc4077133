"""Config.profiler: compiled code is named after its wasm functions for
perf -- "perfmap" lists it in /tmp/perf-<pid>.map, "jitdump" writes it, with
its machine code, to /tmp/jit-<pid>.dump for `perf inject --jit`."""
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


DUMP = f"/tmp/jit-{os.getpid()}.dump"


def jitdump_records() -> List[Tuple[int, int, str, bytes]]:
    """(address, size, name, code) of every JIT_CODE_LOAD record in this
    process's jitdump file, after checking its header."""
    import struct
    with open(DUMP, "rb") as f:
        data = f.read()
    magic, version, header_size, _mach, _pad, pid, _ts, _flags = struct.unpack_from("<6IQQ", data)
    assert (magic, version, header_size, pid) == (0x4A695444, 1, 40, os.getpid())
    out, at = [], header_size
    while at < len(data):
        rid, total, _ts = struct.unpack_from("<IIQ", data, at)
        assert total > 16 and at + total <= len(data)
        if rid == 0:  # JIT_CODE_LOAD
            _pid, _tid, vma, addr, size, _index = struct.unpack_from("<IIQQQQ", data, at + 16)
            assert vma == addr
            name_end = data.index(b"\0", at + 56)
            name = data[at + 56:name_end].decode()
            code = data[name_end + 1:name_end + 1 + size]
            assert name_end + 1 + size == at + total
            out.append((addr, size, name, code))
        at += total
    return out


def dump_is_mapped_executable() -> bool:
    with open("/proc/self/maps") as f:
        return any(line.rstrip().endswith(DUMP) and "x" in line.split()[1] for line in f)


def test_jitdump_records_carry_the_wasm_names_and_the_machine_code():
    import ctypes
    eng = engine("cranelift", profiler="jitdump")
    module = ember.Module(eng, WAT)  # (its code lives as long as it)
    records = [r for r in jitdump_records() if r[2].startswith("wasm[demo]::")]
    names = [name for _, _, name, _ in records]
    assert "wasm[demo]::square" in names and "wasm[demo]::function[1]" in names
    for addr, size, _, code in records[-2:]:  # this module's two functions
        assert size > 0 and executable(addr)
        assert ctypes.string_at(addr, size) == code  # the bytes that run
    assert dump_is_mapped_executable()  # how perf finds the file
    assert module.compiled_functions == 2


def test_jitdump_lists_tiered_loop_entries():
    eng = engine("auto", profiler="jitdump")
    module = ember.Module(eng, WAT)
    store = ember.Store(eng)
    assert ember.Instance(store, module, []).exports(store)["sum_squares"](store, 10) == 385
    names = [name for _, _, name, _ in jitdump_records()]
    assert "wasm[demo]::function[1]::osr" in names


FIB_SCRIPT = """
import sys
sys.path[:0] = {path!r}
import ember
c = ember.Config(); c.strategy = "cranelift"; c.profiler = "jitdump"
e = ember.Engine(c); s = ember.Store(e)
m = ember.Module(e, '''(module $demo (func $fib (export "fib") (param i32) (result i32)
  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
    (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                   (call $fib (i32.sub (local.get 0) (i32.const 2))))))))''')
assert ember.Instance(s, m, []).exports(s)["fib"](s, 30) == 832040
import os
print(os.getpid())
"""


def test_perf_reports_wasm_function_names_from_the_jitdump(tmp_path):
    """The whole path a user takes: perf record -k 1, perf inject --jit,
    perf report names the compiled wasm function."""
    import shutil
    import subprocess
    import sys
    perf = shutil.which("perf")
    if perf is None:
        pytest.skip("perf is not installed (Debian: linux-perf)")
    script = tmp_path / "fib.py"
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(ember.__file__)))
    script.write_text(FIB_SCRIPT.format(path=[pkg] + sys.path))
    rec = subprocess.run([perf, "record", "-k", "1", "-q", "-o", "perf.data", sys.executable, str(script)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    if rec.returncode != 0 and "perf_event_paranoid" in rec.stderr:
        pytest.skip("perf may not record here: " + rec.stderr.strip().splitlines()[0])
    assert rec.returncode == 0, rec.stderr
    child = rec.stdout.split()[-1]
    inj = subprocess.run([perf, "inject", "--jit", "-i", "perf.data", "-o", "perf.jit.data"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert inj.returncode == 0, inj.stderr
    rep = subprocess.run([perf, "report", "--stdio", "-i", "perf.jit.data", "--sort", "symbol"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    import glob
    for leftover in glob.glob(f"/tmp/jitted-{child}-*.so") + [f"/tmp/jit-{child}.dump"]:
        if os.path.exists(leftover):
            os.remove(leftover)
    assert "wasm[demo]::fib" in rep.stdout
