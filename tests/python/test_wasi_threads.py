"""`ember run -S threads`: wasi-threads programs (wasm32-wasip1-threads).

The main program, tests/wasi/threads/spawn_sum.wat, spawns 4 threads through
`wasi::thread-spawn` that work on one shared memory with atomics, and waits
for them with memory.atomic.wait32; its output must equal that of
spawn_sum.c, the same computation with real pthreads built natively here.
Small programs below check how a thread ends the process (proc_exit, trap,
`_start` returning), the thread ids, and the command line.
"""
import os
import shutil
import struct
import subprocess
from typing import Any

import pytest

from conftest import required

HERE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "wasi", "threads"))
SPAWN_SUM = os.path.join(HERE, "spawn_sum.wat")
TRAP = "wasm trap: wasm `unreachable` instruction executed"


def run(cli: str, *args: str, timeout: float = 60) -> "subprocess.CompletedProcess[bytes]":
    return subprocess.run([cli, "run", *args], capture_output=True, timeout=timeout)


def program(tmp_path: Any, thread: str, main: str) -> str:
    """A wasi-threads module: `thread` is the body of wasi_thread_start
    ($tid, $arg), `main` that of _start. $say prints "waiting\\n";
    $wait_forever parks on a word nobody notifies; the words from 64 on are
    free for the test."""
    wat = f"""(module $prog
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (data $text "waiting\\n")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $say
    (memory.init $text (i32.const 32) (i32.const 0) (i32.const 8))
    (call $write (i32.const 32) (i32.const 8)))
  (func $wait_forever
    (loop $again
      (drop (memory.atomic.wait32 (i32.const 60) (i32.const 0) (i64.const -1)))
      (br $again)))
  (func $crash unreachable)
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32) {thread})
  (func (export "_start") {main}))
"""
    path = tmp_path / "prog.wat"
    path.write_text(wat)
    return str(path)


# ---- a pthreads-like program against its native twin ---------------------------------------


@pytest.fixture(scope="module")
def native_output(tmp_path_factory: Any) -> bytes:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        required("a native C compiler (gcc)")
    exe = tmp_path_factory.mktemp("native") / "spawn_sum"
    subprocess.run([cc, "-O2", "-pthread", "-o", str(exe), os.path.join(HERE, "spawn_sum.c")],
                   check=True)
    out = subprocess.run([str(exe)], capture_output=True, check=True, timeout=60).stdout
    assert out.endswith(b"counter=2000000\n")
    return out


def test_four_threads_print_what_native_pthreads_print(ember_cli: str,
                                                      native_output: bytes) -> None:
    p = run(ember_cli, "-W", "threads=y", "-S", "threads=y", SPAWN_SUM)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == native_output
    assert p.stderr == b""


@pytest.mark.parametrize("spelling", [["-S", "threads"], ["--wasi", "threads=yes"],
                                      ["-W", "threads,simd=n", "--wasi", "threads=true"]])
def test_other_spellings(ember_cli: str, native_output: bytes, spelling: Any) -> None:
    p = run(ember_cli, *spelling, SPAWN_SUM)
    assert (p.returncode, p.stdout) == (0, native_output), p.stderr.decode()


def test_every_thread_gets_the_fuel(ember_cli: str, native_output: bytes) -> None:
    p = run(ember_cli, "-S", "threads", "--fuel", "100000000000", SPAWN_SUM)
    assert (p.returncode, p.stdout) == (0, native_output), p.stderr.decode()


def test_thread_ids(ember_cli: str, tmp_path: Any) -> None:
    # Three threads: what thread-spawn returned at 96 + 4i, what thread i
    # was given at 108 + 4i; the main thread prints those 24 bytes.
    prog = program(
        tmp_path,
        thread="""
          (i32.store (i32.add (i32.const 108) (i32.shl (local.get $arg) (i32.const 2)))
                     (local.get $tid))
          (drop (i32.atomic.rmw.add (i32.const 64) (i32.const 1)))
          (drop (memory.atomic.notify (i32.const 64) (i32.const 1)))""",
        main="""(local $i i32) (local $d i32)
          (loop $spawning
            (i32.store (i32.add (i32.const 96) (i32.shl (local.get $i) (i32.const 2)))
                       (call $spawn (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $spawning (i32.lt_u (local.get $i) (i32.const 3))))
          (block $all
            (loop $wait
              (local.set $d (i32.atomic.load (i32.const 64)))
              (br_if $all (i32.eq (local.get $d) (i32.const 3)))
              (drop (memory.atomic.wait32 (i32.const 64) (local.get $d) (i64.const -1)))
              (br $wait)))
          (call $write (i32.const 96) (i32.const 24))""")
    p = run(ember_cli, "-S", "threads", prog)
    assert p.returncode == 0, p.stderr.decode()
    words = struct.unpack("<6i", p.stdout)
    returned, given = words[:3], words[3:]
    assert returned == given
    assert len(set(returned)) == 3
    assert all(0 < t < 1 << 29 for t in returned)


# ---- how the process ends ------------------------------------------------------------------


def test_proc_exit_in_a_thread_ends_the_process(ember_cli: str, tmp_path: Any) -> None:
    prog = program(tmp_path, thread="(call $proc_exit (i32.const 17))",
                   main="(call $say) (drop (call $spawn (i32.const 0))) (call $wait_forever)")
    p = run(ember_cli, "-S", "threads", prog)
    assert (p.returncode, p.stdout, p.stderr) == (17, b"waiting\n", b"")


def test_trap_in_a_thread_ends_the_process(ember_cli: str, tmp_path: Any) -> None:
    prog = program(tmp_path, thread="(call $crash)",
                   main="(drop (call $spawn (i32.const 0))) (call $wait_forever)")
    p = run(ember_cli, "-S", "threads", prog)
    assert p.returncode == 134  # as a trap in the main thread
    lines = p.stderr.decode().splitlines()
    assert lines[:4] == [f"Error: failed to run main module `{prog}`", "", "Caused by:",
                         "    0: failed to invoke `wasi_thread_start` in thread 1"]
    assert "    1: error while executing at wasm backtrace:" in lines
    assert any(line.endswith(" - prog!crash") for line in lines)
    assert lines[-1] == "    2: " + TRAP


def test_start_returning_ends_the_process(ember_cli: str, tmp_path: Any) -> None:
    prog = program(tmp_path, thread="(call $wait_forever)",
                   main="(drop (call $spawn (i32.const 0))) (call $say)")
    p = run(ember_cli, "-S", "threads", prog, timeout=20)
    assert (p.returncode, p.stdout, p.stderr) == (0, b"waiting\n", b"")


def test_proc_exit_in_main_while_a_thread_runs(ember_cli: str, tmp_path: Any) -> None:
    prog = program(tmp_path, thread="(call $wait_forever)",
                   main="(drop (call $spawn (i32.const 0))) (call $proc_exit (i32.const 5))")
    p = run(ember_cli, "-S", "threads", prog, timeout=20)
    assert (p.returncode, p.stderr) == (5, b"")


def test_trap_in_main_while_a_thread_runs(ember_cli: str, tmp_path: Any) -> None:
    prog = program(tmp_path, thread="(call $wait_forever)",
                   main="(drop (call $spawn (i32.const 0))) (call $crash)")
    p = run(ember_cli, "-S", "threads", prog, timeout=20)
    assert p.returncode == 134
    assert "    0: failed to invoke command default\n" in p.stderr.decode()
    assert p.stderr.decode().endswith(TRAP + "\n")


# ---- linking and the command line ----------------------------------------------------------


def test_without_dash_s_threads_linking_fails(ember_cli: str) -> None:
    p = run(ember_cli, SPAWN_SUM)
    assert p.returncode == 1
    e = p.stderr.decode()
    assert e.startswith(f"Error: failed to run main module `{SPAWN_SUM}`\n")
    assert "    0: failed to instantiate" in e
    assert "env::memory" in e
    assert e.endswith(f"ember run: note: `{SPAWN_SUM}` imports `wasi::thread-spawn` "
                      "(wasi-threads); run it with `-S threads`\n")
    p = run(ember_cli, "-S", "threads=n", SPAWN_SUM)
    assert p.returncode == 1 and "run it with `-S threads`" in p.stderr.decode()


def test_entry_point_is_required(ember_cli: str, tmp_path: Any) -> None:
    wat = tmp_path / "no_entry.wat"
    wat.write_text('(module (import "env" "memory" (memory 1 1 shared))'
                   ' (import "wasi" "thread-spawn" (func (param i32) (result i32)))'
                   ' (func (export "_start")))')
    p = run(ember_cli, "-S", "threads", str(wat))
    assert p.returncode == 1
    assert ("the module imports `wasi::thread-spawn` but does not export `wasi_thread_start` "
            "of type (i32, i32) -> ()") in p.stderr.decode()


def test_a_module_without_threads_runs_as_before(ember_cli: str, tmp_path: Any) -> None:
    wat = tmp_path / "plain.wat"
    wat.write_text('(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'
                   ' (func (export "_start") (call $exit (i32.const 3))))')
    assert run(ember_cli, "-S", "threads", str(wat)).returncode == 3


def test_threads_proposal_off(ember_cli: str) -> None:
    p = run(ember_cli, "-W", "threads=n", "-S", "threads", SPAWN_SUM)
    assert p.returncode == 1
    assert "    0: failed to compile" in p.stderr.decode()


@pytest.mark.parametrize("args, message", [
    (["-S", "nosuch", SPAWN_SUM],
     "unknown WASI option `nosuch` (Ember has threads, http, preview1 and cli)"),
    (["-S", "threads=maybe", SPAWN_SUM], "bad value `maybe` for --wasi threads (use on or off)"),
    (["-S", "cli=n", SPAWN_SUM],
     "--wasi cli cannot be turned off (every module gets WASI preview1)"),
    (["-W", "threads=y,nosuch", SPAWN_SUM], "unknown feature `nosuch`"),
    (["-S"], "-S needs a value (NAME[=y|n][,...])"),
])
def test_bad_options(ember_cli: str, args: Any, message: str) -> None:
    p = run(ember_cli, *args)
    assert p.returncode == 2
    assert p.stderr.decode() == f"ember run: {message}\n"
