"""When the wasm stack cannot be mapped (address space or mappings used up),
a call fails with a WasmtimeError that says so, not with a "call stack
exhausted" trap that blames the program; the store stays usable for a call
once mapping succeeds again."""
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import resource
    import ember
    config = ember.Config()
    config.max_wasm_stack = 1 << 30  # an 8 GiB value stack reservation
    engine = ember.Engine(config)
    store = ember.Store(engine)
    f = ember.Instance(store, ember.Module(engine, '(module (func (export "f") (result i32) i32.const 7))'),
                       []).exports(store)["f"]
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, hard))
    try:
        f(store)
        print("ran")
    except ember.Trap as e:
        print("trap:", e)
    except ember.WasmtimeError as e:
        print("error:", e)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    print("then:", f(store))
""")


def test_unmappable_stack_is_reported_as_such() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("error: could not allocate the wasm stack"), lines
    assert lines[1] == "then: 7"


RECURSE = """(module (func $r (export "r") (param i32) (result i32)
  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
    (else (i32.add (i32.const 1) (call $r (i32.sub (local.get 0) (i32.const 1))))))))"""


def depth_limit(max_wasm_stack: int, strategy: str) -> int:
    """The deepest recursion that returns (each call takes one frame record)."""
    import ember
    config = ember.Config()
    config.max_wasm_stack = max_wasm_stack
    # Not "auto" with a background compile: whether the search's probes run
    # interpreted, compiled or half and half would depend on timing (a stack
    # of interpreted frames under compiled ones may go one frame deeper).
    config.strategy = strategy
    engine = ember.Engine(config)
    store = ember.Store(engine)
    r = ember.Instance(store, ember.Module(engine, RECURSE), []).exports(store)["r"]
    lo, hi = 0, 1 << 20
    while lo < hi:  # r(n) nests n calls
        mid = (lo + hi + 1) // 2
        try:
            r(store, mid)
            lo = mid
        except ember.Trap as e:
            assert "call stack exhausted" in str(e)
            hi = mid - 1
    return lo


def test_small_max_wasm_stack_is_honoured() -> None:
    # max_wasm_stack / 8 frame records, down to one: a 64-byte budget allows
    # 8 nested calls, 8 bytes one; compiled code counts its frames the same.
    for strategy in ("interpreter", "cranelift"):
        assert depth_limit(64, strategy) == 8
        assert depth_limit(8, strategy) == 1
        assert depth_limit(4096, strategy) == 512


def test_interpreted_frames_under_compiled_ones_count_the_same() -> None:
    """A recursion that tiers up half way (the first calls interpreted, each
    with its frame record, the rest compiled) reaches the same depth."""
    import ember

    def returns(n: int, tier_up_after: int) -> bool:
        config = ember.Config()
        config.max_wasm_stack = 4096
        config.strategy = "auto"
        config.tier_up_after = tier_up_after
        config.parallel_compilation = False  # compiled at that call, which waits for it
        engine = ember.Engine(config)
        store = ember.Store(engine)
        module = ember.Module(engine, RECURSE)
        r = ember.Instance(store, module, []).exports(store)["r"]
        try:
            r(store, n)
            return True
        except ember.Trap as e:
            assert "call stack exhausted" in str(e)
            return False
        finally:
            if module.compiled_functions == 0:
                pytest.skip("this build has no compiled tier (EMBER_JIT=OFF)")

    for tier_up_after in (1, 100, 300):
        assert returns(512, tier_up_after)
        assert not returns(513, tier_up_after)
