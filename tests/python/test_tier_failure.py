"""An internal error of LLVM on tiering's compile thread does not end the
process (batch.hh, fail_tier_thread): the program goes on in the
interpreter with the same results, a caller waiting for its batch
(parallel_compilation off) is woken, a process that exits meanwhile exits
with its own status and says nothing, and one that goes on is told on
stderr that the compiled tier stopped. (The error in practice: a process
exiting while a batch compiles, whose exit destroys LLVM's static objects
under it.) The error is injected with EMBER_TEST_TIER_FATAL."""
import os
import subprocess
import sys
import time

import pytest

from test_compiled_tier import _tier_built

pytestmark = pytest.mark.skipif(not _tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

PROGRAM = r"""
import sys, time
import ember
config = ember.Config()
config.tier_up_after = 100
config.parallel_compilation = sys.argv[1] == "parallel"
store = ember.Store(ember.Engine(config))
module = ember.Module(store.engine, '''(module
  (func (export "sum") (param $n i32) (result i64)
    (local $s i64)
    (loop $l
      (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s)))''')
sum_ = ember.Instance(store, module, []).exports(store)["sum"]
results = [sum_(store, 200000) for _ in range(5)]
print(results[0], len(set(results)), module.compiled_functions, flush=True)
if sys.argv[2] == "linger":
    time.sleep(3)
    print(sum_(store, 1000), flush=True)
sys.exit(int(sys.argv[3]))
"""


def run(mode: str, after: str, status: int, fault: bool = True) -> "subprocess.CompletedProcess[str]":
    env = dict(os.environ)
    if fault:
        env["EMBER_TEST_TIER_FATAL"] = "1"
    return subprocess.run([sys.executable, "-c", PROGRAM, mode, after, str(status)],
                          capture_output=True, text=True, env=env, timeout=60)


EXPECTED_SUM = 200000 * 200001 // 2


def test_without_the_fault_the_loop_compiles() -> None:
    r = run("serial", "exit", 0, fault=False)
    assert (r.returncode, r.stderr) == (0, "")
    total, distinct, compiled = r.stdout.split()
    assert (int(total), distinct, int(compiled) >= 1) == (EXPECTED_SUM, "1", True)


@pytest.mark.parametrize("mode", ["parallel", "serial"])
def test_the_program_goes_on_interpreted_and_exits_quietly(mode: str) -> None:
    start = time.monotonic()
    r = run(mode, "exit", 7)
    assert r.returncode == 7, r.stderr
    assert r.stderr == ""
    assert r.stdout.split() == [str(EXPECTED_SUM), "1", "0"]
    assert time.monotonic() - start < 30  # (the waiting caller was woken)


def test_a_process_that_goes_on_is_told() -> None:
    r = run("serial", "linger", 0)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(EXPECTED_SUM), "1", "0", str(1000 * 1001 // 2)]
    assert "the compiled tier stopped after an internal error of LLVM" in r.stderr
    assert "injected by EMBER_TEST_TIER_FATAL" in r.stderr
