"""Module.serialize / deserialize / deserialize_file, the compilation cache
(also across processes), validate=False, parallel compilation and the
code-generator settings (docs/serialization.md, docs/decisions.md)."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

import ember
from ember import Config, Engine, Func, FuncType, Instance, Module, Store, Trap, ValType, WasmtimeError

RICH = """(module $rich
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (type $ii (func (param i32) (result i32)))
  (memory (export "mem") 1)
  (data (i32.const 16) "hello")
  (table 3 funcref)
  (elem (i32.const 0) $sq $twice)
  (global $g (mut i32) (i32.const 7))
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func (export "dispatch") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "sum") (param i32) (result i64) (local i64)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get 0)))
      (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get 1))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func $deep (export "trap") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $deep (i32.sub (local.get 0) (i32.const 1))))
      (else (unreachable)))))"""


def run_rich(engine, module):
    store = Store(engine)
    twice = Func(store, FuncType([ValType.i32()], [ValType.i32()]), lambda x: 2 * x)
    ex = Instance(store, module, [twice]).exports(store)
    out = [ex["dispatch"](store, i, 9) for i in (0, 1)]
    out += [ex["sum"](store, 100), ex["load"](store, 17)]
    with pytest.raises(Trap) as info:
        ex["trap"](store, 2)
    out.append([(f.func_index, f.func_name, f.module_name, f.module_offset, f.func_offset)
                for f in info.value.frames])
    out.append(str(info.value))
    with pytest.raises(Trap):
        ex["dispatch"](store, 2, 1)  # null table entry
    return out


def test_roundtrip_runs_the_same():
    engine = Engine()
    m = Module(engine, RICH)
    blob = m.serialize()
    assert isinstance(blob, bytearray)
    again = Module.deserialize(engine, blob)
    assert run_rich(engine, again) == run_rich(engine, m)
    assert run_rich(engine, again)[:4] == [81, 18, 5050, ord("e")]
    assert again.name == "rich"
    assert [e.name for e in again.exports] == [e.name for e in m.exports]
    assert [(i.module, i.name) for i in again.imports] == [("env", "twice")]
    # bytes work as well as bytearray; serializing again gives the same bytes
    assert Module.deserialize(engine, bytes(blob)).serialize() == blob
    # another engine with the same configuration
    other = Engine()
    assert run_rich(other, Module.deserialize(other, blob))[:4] == [81, 18, 5050, ord("e")]


def test_custom_sections_survive():
    engine = Engine()
    wasm = bytearray(ember.wat2wasm("(module)"))
    for payload in (b"one", b"two"):
        body = bytes([4]) + b"meta" + payload
        wasm += bytes([0, len(body)]) + body
    m = Module(engine, wasm)
    assert m.custom_sections("meta") == [b"one", b"two"]
    assert m.custom_sections("none") == []
    assert Module.deserialize(engine, m.serialize()).custom_sections("meta") == [b"one", b"two"]
    with pytest.raises(TypeError):
        m.custom_sections(3)  # type: ignore


def engine_with(**settings):
    c = Config()
    for k, v in settings.items():
        setattr(c, k, v)
    return Engine(c)


@pytest.mark.parametrize("setting,reason", [
    ({"consume_fuel": True}, "consume_fuel is off in the module but on in the engine"),
    ({"epoch_interruption": True}, "epoch_interruption is off in the module but on in the engine"),
    ({"wasm_memory64": False}, "wasm_memory64 is on"),
    ({"wasm_simd": False}, "wasm_simd is on"),
])
def test_refuses_another_configuration(setting, reason):
    blob = Module(Engine(), RICH).serialize()
    engine = engine_with(**setting)
    with pytest.raises(WasmtimeError) as info:
        Module.deserialize(engine, blob)
    assert reason in str(info.value)
    # the engine and a store of it stay usable
    store = Store(engine)
    if setting.get("consume_fuel"):
        store.set_fuel(1000)
    if setting.get("epoch_interruption"):
        store.set_epoch_deadline(1000)
    m = Module(engine, '(module (func (export "f") (result i32) i32.const 4))')
    assert Instance(store, m, []).exports(store)["f"](store) == 4


def test_settings_without_effect_on_code_do_not_matter():
    blob = Module(Engine(), RICH).serialize()
    engine = engine_with(max_wasm_stack=1 << 20, cranelift_opt_level="none", strategy="cranelift",
                         profiler="perfmap", debug_info=True, parallel_compilation=False)
    run_rich(engine, Module.deserialize(engine, blob))


def test_refuses_damaged_blobs():
    engine = Engine()
    blob = Module(engine, RICH).serialize()
    damaged = [bytearray(), blob[:10], blob[:40], blob[:len(blob) // 2], blob[:-1], blob + b"\0",
               bytearray(ember.wat2wasm("(module)"))]
    for at in (40, len(blob) // 2, len(blob) - 3):
        b = bytearray(blob)
        b[at] ^= 0x04
        damaged.append(b)
    for b in damaged:
        with pytest.raises(WasmtimeError):
            Module.deserialize(engine, b)
    with pytest.raises(TypeError):
        Module.deserialize(engine, "text")  # type: ignore
    with pytest.raises(TypeError):
        Module.deserialize(3, blob)  # type: ignore
    # still fine afterwards
    assert run_rich(engine, Module.deserialize(engine, blob))[0] == 81


def test_message_names_the_reason():
    engine = Engine()
    blob = Module(engine, RICH).serialize()
    with pytest.raises(WasmtimeError, match="truncated"):
        Module.deserialize(engine, blob[:100])
    b = bytearray(blob)
    b[len(b) // 2] ^= 1
    with pytest.raises(WasmtimeError, match="checksum"):
        Module.deserialize(engine, b)
    with pytest.raises(WasmtimeError, match="not a serialized"):
        Module.deserialize(engine, b"\0asm\1\0\0\0")


# A module whose every kind of name is a distinct 8-byte marker.
NAMED = """(module $MODULENM
  (import "IMPMODUL" "IMPFIELD" (func))
  (func $FUNCNAME (export "EXPORTNM"))
  (@custom "CUSTOMNM" "payload"))"""
NAMES = [b"MODULENM", b"IMPMODUL", b"IMPFIELD", b"FUNCNAME", b"EXPORTNM", b"CUSTOMNM"]

M64 = (1 << 64) - 1


def _mix64(x):
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & M64
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def checksum64(data):
    """src/support/hash.cc's checksum64 (seed 0), to reseal a tampered blob."""
    mul, odd = 0x9e3779b97f4a7c15, 0xd6e8feb86659fd93
    lane = [_mix64(((i + 1) * mul) & M64) for i in range(4)]
    whole = len(data) // 32 * 32
    for at in range(0, whole, 32):
        for i in range(4):
            v = lane[i] ^ ((int.from_bytes(data[at + 8 * i:at + 8 * i + 8], "little") * odd) & M64)
            lane[i] = (((v << 29) | (v >> 35)) & M64) * mul & M64
    h = _mix64(len(data))
    for i in range(4):
        h = _mix64(h ^ lane[i]) * mul & M64
    for at in range(whole, len(data), 8):
        word = data[at:at + 8]
        h = _mix64(h ^ ((int.from_bytes(word, "little") * odd) & M64) ^ len(word))
    return _mix64(h)


def reseal(blob):
    blob[24:32] = checksum64(bytes(blob[32:])).to_bytes(8, "little")
    return bytes(blob)


@pytest.mark.parametrize("name", NAMES)
def test_refuses_names_that_are_not_utf8(name):
    # Before the fix these loaded, and .exports / .imports / custom_sections
    # raised UnicodeDecodeError.
    engine = Engine()
    blob = Module(engine, NAMED).serialize()
    assert name in blob
    assert reseal(bytearray(blob)) == blob  # the test's checksum is the engine's
    bad = reseal(bytearray(blob.replace(name, b"\xff" + name[1:])))
    with pytest.raises(WasmtimeError, match="serialized module is corrupted: .*not valid UTF-8"):
        Module.deserialize(engine, bad)
    m = Module.deserialize(engine, blob)  # the engine is still fine
    assert [e.name for e in m.exports] == ["EXPORTNM"]
    assert [(i.module, i.name) for i in m.imports] == [("IMPMODUL", "IMPFIELD")]


def test_deserialize_file(tmp_path):
    engine = Engine()
    path = tmp_path / "m.cwasm"
    path.write_bytes(Module(engine, RICH).serialize())
    assert run_rich(engine, Module.deserialize_file(engine, str(path)))[0] == 81
    assert run_rich(engine, Module.deserialize_file(engine, path))[0] == 81  # PathLike
    with pytest.raises(WasmtimeError):
        Module.deserialize_file(engine, str(tmp_path / "missing.cwasm"))
    (tmp_path / "m.wat").write_text("(module)")
    with pytest.raises(WasmtimeError):
        Module.deserialize_file(engine, str(tmp_path / "m.wat"))


def test_cli_compile_output_loads(tmp_path, ember_cli):
    (tmp_path / "m.wat").write_text('(module (func (export "f") (result i32) i32.const 11))')
    subprocess.run([ember_cli, "compile", str(tmp_path / "m.wat")], check=True)
    engine = Engine()
    m = Module.deserialize_file(engine, str(tmp_path / "m.cwasm"))
    store = Store(engine)
    assert Instance(store, m, []).exports(store)["f"](store) == 11
    # ... and `ember run` runs it; a blob for fuel engines needs --fuel
    out = subprocess.run([ember_cli, "run", "--invoke", "f", str(tmp_path / "m.cwasm")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == "11\n", out.stderr
    out = subprocess.run([ember_cli, "run", "--fuel", "100", "--invoke", "f", str(tmp_path / "m.cwasm")],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "consume_fuel is off in the module" in out.stderr
    subprocess.run([ember_cli, "compile", "--fuel", str(tmp_path / "m.wat"), "-o", str(tmp_path / "f.cwasm")],
                   check=True)
    out = subprocess.run([ember_cli, "run", "--fuel", "100", "--invoke", "f", str(tmp_path / "f.cwasm")],
                         capture_output=True, text=True)
    assert out.stdout == "11\n", out.stderr
    c = Config()
    c.consume_fuel = True
    fuel_engine = Engine(c)
    Module.deserialize_file(fuel_engine, str(tmp_path / "f.cwasm"))


# ---- cache ------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import json, sys
    import ember
    from ember import _ember
    c = ember.Config()
    c.cache = sys.argv[1]
    engine = ember.Engine(c)
    m = ember.Module(engine, sys.argv[2])
    store = ember.Store(engine)
    r = ember.Instance(store, m, []).exports(store)["f"](store, 6)
    print(json.dumps({"stats": _ember.cache_stats(), "result": r}))
""")

CACHED = '(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 7))))'


def run_child(cache, wat=CACHED, env=None):
    out = subprocess.run([sys.executable, "-c", CHILD, str(cache), wat], check=True, capture_output=True,
                         text=True, env=env or os.environ.copy())
    return json.loads(out.stdout)


def entries(d):
    return sorted(p for p in d.rglob("*.cwasm"))


def test_cache_hit_in_a_second_process(tmp_path):
    first = run_child(tmp_path)
    assert first["result"] == 42
    assert first["stats"]["misses"] == 1 and first["stats"]["writes"] == 1 and first["stats"]["hits"] == 0
    assert len(entries(tmp_path)) == 1
    second = run_child(tmp_path)
    assert second["result"] == 42
    assert second["stats"]["hits"] == 1 and second["stats"]["misses"] == 0
    # a damaged entry is ignored and replaced, never fatal
    (entry,) = entries(tmp_path)
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(data)
    third = run_child(tmp_path)
    assert third["result"] == 42
    assert third["stats"]["rejected"] == 1 and third["stats"]["writes"] == 1
    assert run_child(tmp_path)["stats"]["hits"] == 1


def test_cache_processes_at_once(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), CACHED], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    for p in procs:
        out, _ = p.communicate()
        assert p.returncode == 0
        assert json.loads(out)["result"] == 42
    assert len(entries(tmp_path)) == 1
    assert not [p for p in tmp_path.rglob(".tmp-*")]
    assert run_child(tmp_path)["stats"]["hits"] == 1


def test_cache_true_uses_xdg_cache_home(tmp_path):
    env = os.environ.copy()
    env["XDG_CACHE_HOME"] = str(tmp_path)
    child = CHILD.replace("c.cache = sys.argv[1]", "c.cache = True")
    subprocess.run([sys.executable, "-c", child, "-", CACHED], check=True, env=env, capture_output=True)
    assert len(entries(tmp_path / "ember")) == 1


def test_cache_configuration_file(tmp_path):
    toml = tmp_path / "cache.toml"
    toml.write_text('[cache]\nenabled = true\ndirectory = "entries"\n')
    assert run_child(toml)["stats"]["writes"] == 1
    assert len(entries(tmp_path / "entries")) == 1
    toml.write_text("[cache]\nenabled = false\n")
    assert run_child(toml)["stats"]["misses"] == 0  # no cache at all
    c = Config()
    toml.write_text("[cache]\nenabled = sometimes\n")
    with pytest.raises(WasmtimeError):
        c.cache = str(toml)
    with pytest.raises(WasmtimeError):
        c.cache = str(tmp_path / "missing.toml")
    c.cache = tmp_path  # an existing directory is the cache directory (PathLike too)


# ---- validate=False, Module.validate --------------------------------------

def test_validate_false():
    engine = Engine()
    # duplicate export names: invalid, but harmless to run
    wasm = bytes(ember.wat2wasm('(module (func $f (result i32) i32.const 3) (export "a" (func $f)))'))
    one = bytes([7, 5, 1, 1, ord("a"), 0, 0])  # export section: "a" -> func 0
    two = bytes([7, 9, 2, 1, ord("a"), 0, 0, 1, ord("a"), 0, 0])
    assert wasm.count(one) == 1
    dup = bytearray(wasm.replace(one, two))
    with pytest.raises(WasmtimeError):
        Module(engine, dup)
    m = Module(engine, dup, validate=False)
    store = Store(engine)
    assert Instance(store, m, []).exports(store)["a"](store) == 3
    # a body with a type error is refused either way (never a crash)
    bad = '(module (func (result i32) i64.const 1))'
    with pytest.raises(WasmtimeError):
        Module(engine, bad, validate=False)
    with pytest.raises(WasmtimeError):
        Module.validate(engine, ember.wat2wasm(bad))
    Module.validate(engine, ember.wat2wasm(RICH))


# ---- parallel compilation and settings ---------------------------------------

def big_wat(n):
    funcs = "\n".join(
        f'(func (export "f{i}") (param i32) (result i32) (local i32)'
        f' (block $d (loop $l (br_if $d (i32.ge_u (local.get 1) (local.get 0)))'
        f' (local.set 1 (i32.add (local.get 1) (i32.const {i % 7 + 1}))) (br $l))) (local.get 1))'
        for i in range(n))
    return f"(module {funcs})"


def test_parallel_compilation_gives_the_same_code():
    wat = big_wat(4000)
    serial = Module(engine_with(parallel_compilation=False), wat).serialize()
    parallel = Module(engine_with(parallel_compilation=True), wat).serialize()
    assert serial == parallel
    engine = Engine()
    store = Store(engine)
    ex = Instance(store, Module(engine, wat), []).exports(store)
    assert ex["f3"](store, 10) == 12


def test_parallel_loading_gives_the_same_module():
    # Large enough (over 128 KB of code) to be verified on several threads
    # when the engine compiles in parallel, and on one when it does not.
    wat = big_wat(6000)
    blob = Module(engine_with(parallel_compilation=False), wat).serialize()
    for parallel in (True, False):
        engine = engine_with(parallel_compilation=parallel)
        module = Module.deserialize(engine, blob)
        assert module.serialize() == blob
        store = Store(engine)
        ex = Instance(store, module, []).exports(store)
        # f<i> counts up from 0 in steps of i % 7 + 1 until reaching the argument.
        assert [ex[f"f{i}"](store, 20) for i in (0, 2998, 5997)] == [20, 21, 24]


def test_code_generator_settings():
    assert Engine().is_pulley() is False
    c = Config()
    for s in ("auto", "cranelift", "winch"):
        c.strategy = s
    with pytest.raises(WasmtimeError, match="unknown strategy: pulley"):
        c.strategy = "pulley"
    for p in ("none", "jitdump", "vtune", "perfmap"):
        c.profiler = p
    with pytest.raises(WasmtimeError):
        c.profiler = "gprof"
    c.cranelift_opt_level = "speed_and_size"
    c.cranelift_debug_verifier = True
    c.debug_info = True
    engine = Engine(c)
    assert engine.is_pulley() is False
    store = Store(engine)
    m = Module(engine, '(module (func (export "f") (result i32) i32.const 9))')
    assert Instance(store, m, []).exports(store)["f"](store) == 9


# ---- machine code (strategy "cranelift") ---------------------------------------

def eager_engine(**settings):
    return engine_with(strategy="cranelift", **settings)


def tier_built():
    m = Module(eager_engine(), '(module (func (export "f")))')
    return m.compiled_functions == 1


needs_tier = pytest.mark.skipif(not tier_built(), reason="this build has no compiled tier (EMBER_JIT=OFF)")

LOAD_CHILD = textwrap.dedent("""
    import json, sys
    import ember
    c = ember.Config()
    c.strategy = sys.argv[2]
    engine = ember.Engine(c)
    m = ember.Module.deserialize_file(engine, sys.argv[1])
    store = ember.Store(engine)
    twice = ember.Func(store, ember.FuncType([ember.ValType.i32()], [ember.ValType.i32()]), lambda x: 2 * x)
    ex = ember.Instance(store, m, [twice]).exports(store)
    print(json.dumps({"compiled": m.compiled_functions, "sum": ex["sum"](store, 1000),
                      "dispatch": ex["dispatch"](store, 1, 21)}))
""")


@needs_tier
def test_eager_blob_brings_its_machine_code(tmp_path):
    engine = eager_engine()
    m = Module(engine, RICH)
    assert m.compiled_functions == 5
    blob = m.serialize()
    interp_blob = Module(engine_with(strategy="interpreter"), RICH).serialize()
    assert len(blob) > len(interp_blob) + 1000  # the object files
    back = Module.deserialize(engine, blob)
    assert back.compiled_functions == 5
    assert back.serialize() == blob
    reference = run_rich(engine_with(strategy="interpreter"), Module(engine_with(strategy="interpreter"), RICH))
    assert run_rich(engine, back) == reference
    # In another process (other addresses): linked there, the same results;
    # a tiering engine uses the code too, an interpreter-only one the IR.
    path = tmp_path / "rich.cwasm"
    path.write_bytes(blob)
    for strategy, compiled in (("cranelift", 5), ("auto", 5), ("interpreter", 0)):
        out = subprocess.run([sys.executable, "-c", LOAD_CHILD, str(path), strategy], check=True,
                             capture_output=True, text=True)
        assert json.loads(out.stdout) == {"compiled": compiled, "sum": 500500, "dispatch": 42}


@needs_tier
def test_damaged_machine_code_is_refused():
    engine = eager_engine()
    blob = bytearray(Module(engine, RICH).serialize())
    blob[len(blob) - 100] ^= 0x01  # inside the last object file
    with pytest.raises(WasmtimeError, match="corrupted"):
        Module.deserialize(engine, bytes(blob))
    assert run_rich(engine, Module(engine, RICH))[0] == 81  # the engine is fine


CACHE_CHILD = CHILD.replace("c = ember.Config()", "c = ember.Config()\nc.strategy = 'cranelift'").replace(
    '"result": r}', '"result": r, "compiled": m.compiled_functions}')


@needs_tier
def test_cache_keeps_machine_code(tmp_path):
    def child():
        out = subprocess.run([sys.executable, "-c", CACHE_CHILD, str(tmp_path), CACHED], check=True,
                             capture_output=True, text=True)
        return json.loads(out.stdout)
    first = child()
    assert first["stats"]["writes"] == 1 and first["compiled"] == 1 and first["result"] == 42
    second = child()
    assert second["stats"]["hits"] == 1 and second["compiled"] == 1 and second["result"] == 42
    # A tiering engine keeps its own entry (no machine code in it).
    assert run_child(tmp_path)["stats"]["misses"] == 1
    assert len(entries(tmp_path)) == 2


@needs_tier
def test_cli_compile_machine_code_and_progress(tmp_path, ember_cli):
    src = tmp_path / "big.wat"
    src.write_text(big_wat(3000))
    out = subprocess.run([ember_cli, "compile", str(src), "-o", str(tmp_path / "eager.cwasm")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == ""  # quiet when not on a terminal
    subprocess.run([ember_cli, "compile", "--strategy", "interpreter", str(src), "-o",
                    str(tmp_path / "ir.cwasm")], check=True)
    assert (tmp_path / "eager.cwasm").stat().st_size > (tmp_path / "ir.cwasm").stat().st_size + 100_000
    engine = Engine()
    m = Module.deserialize_file(engine, str(tmp_path / "eager.cwasm"))
    assert m.compiled_functions == 3000
    store = Store(engine)
    assert Instance(store, m, []).exports(store)["f3"](store, 10) == 12
    bad = subprocess.run([ember_cli, "compile", "--opt-level", "fast", str(src)], capture_output=True, text=True)
    assert bad.returncode == 2 and "expected none, speed or speed_and_size" in bad.stderr
    # On a terminal: a progress line, erased at the end.
    import pty
    parent, child = pty.openpty()
    proc = subprocess.Popen([ember_cli, "compile", "--opt-level", "speed", str(src), "-o",
                             str(tmp_path / "tty.cwasm")], stderr=child)
    os.close(child)
    shown = b""
    while True:
        try:
            chunk = os.read(parent, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait() == 0
    os.close(parent)
    assert b"of 3000 functions compiled" in shown, shown
    assert shown.endswith(b"\r\x1b[K")


COMPONENT_CHILD = textwrap.dedent("""
    import json, sys
    import ember
    from ember import _ember, component
    c = ember.Config()
    c.cache = sys.argv[1]
    c.strategy = sys.argv[2]
    engine = ember.Engine(c)
    comp = component.Component(engine, '''
        (component
          (core module $m (func (export "f") (param i32) (result i32)
            (i32.mul (local.get 0) (i32.const 7))))
          (core instance $i (instantiate $m))
          (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))''')
    store = ember.Store(engine)
    inst = component.Linker(engine).instantiate(store, comp)
    r = inst.get_func(store, "f")(store, 6)
    print(json.dumps({"stats": _ember.cache_stats(), "result": r}))
""")


@pytest.mark.parametrize("strategy", ["auto", "cranelift"])
def test_cache_covers_the_core_modules_of_components(tmp_path, strategy):
    def run():
        out = subprocess.run([sys.executable, "-c", COMPONENT_CHILD, str(tmp_path), strategy],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout)
    first = run()
    assert first["result"] == 42
    assert first["stats"]["misses"] == 1 and first["stats"]["writes"] == 1
    assert len(entries(tmp_path)) == 1
    second = run()
    assert second["result"] == 42
    assert second["stats"]["hits"] == 1 and second["stats"]["misses"] == 0
