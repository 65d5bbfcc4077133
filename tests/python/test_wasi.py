"""WASI preview1 through the Python API: WasiConfig, Store.set_wasi,
Linker.define_wasi, ExitTrap.

Programs: the C test programs of tests/wasi (prebuilt .wasm) and small WAT
modules that call one WASI function and return its errno.
"""
import gc
import os
import subprocess
import sys
import weakref
from typing import Any, List, Optional, Tuple

import pytest

from ember import (DirPerms, Engine, ExitTrap, FilePerms, FuncType, Linker, Module, Store,
                   Trap, ValType, WasiConfig, WasmtimeError)

BIN = os.path.join(os.path.dirname(__file__), "..", "wasi", "bin")
EIO = 29  # WASI errno values
ESUCCESS = 0

# write(fd, ptr, len) -> errno (bytes written at 8); read likewise; exit(code).
IO_WAT = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $iov (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len)))
  (func (export "write") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (call $iov (local.get $ptr) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "read") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (call $iov (local.get $ptr) (local.get $len))
    (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "count") (result i32) (i32.load (i32.const 8)))
  (func (export "exit") (param i32) (call $proc_exit (local.get 0))))
"""


class Run:
    """One instance of a WASI module in its own store."""

    def __init__(self, cfg: WasiConfig, wasm: str = IO_WAT, linker: Optional[Linker] = None,
                 engine: Optional[Engine] = None) -> None:
        self.engine = engine or Engine()
        self.store = Store(self.engine)
        self.store.set_wasi(cfg)
        self.linker = linker or Linker(self.engine)
        if linker is None:
            self.linker.define_wasi()
        if wasm.endswith(".wasm"):
            self.module = Module.from_file(self.engine, os.path.join(BIN, wasm))
        else:
            self.module = Module(self.engine, wasm)
        self.instance = self.linker.instantiate(self.store, self.module)
        self.exports = self.instance.exports(self.store)

    def call(self, name: str, *args: Any) -> Any:
        return self.exports[name](self.store, *args)

    def write(self, fd: int, data: bytes) -> Tuple[int, int]:
        """(errno, bytes written) of one fd_write of `data`."""
        self.exports["memory"].write(self.store, data, 100)
        errno = self.call("write", fd, 100, len(data))
        return errno, self.call("count")

    def read(self, fd: int, n: int) -> Tuple[int, bytes]:
        errno = self.call("read", fd, 100, n)
        got = self.call("count")
        return errno, bytes(self.exports["memory"].read(self.store, 100, 100 + got))

    def start(self) -> int:
        """Runs `_start`; the exit code (0 when it returns)."""
        try:
            self.call("_start")
        except ExitTrap as e:
            return e.code
        return 0


def captured(cfg: WasiConfig) -> Tuple[List[bytes], List[bytes]]:
    out: List[bytes] = []
    err: List[bytes] = []
    cfg.stdout_custom = out.append
    cfg.stderr_custom = err.append
    return out, err


# ---- WasiConfig settings -------------------------------------------------------------


def test_settings_are_write_only() -> None:
    cfg = WasiConfig()
    for name in ("argv", "env", "stdin_file", "stdout_file", "stderr_file", "stdout_custom",
                 "stderr_custom", "stdin_bytes"):
        with pytest.raises(AttributeError):
            getattr(cfg, name)


def test_bad_setting_types() -> None:
    cfg = WasiConfig()
    for bad in (5, "abc", b"abc", [1], ["a", None]):
        with pytest.raises(TypeError):
            cfg.argv = bad
    for bad_env in (5, "ab", [("a",)], [("a", 1)], [3]):
        with pytest.raises(TypeError):
            cfg.env = bad_env
    with pytest.raises(WasmtimeError):
        cfg.env = [("A=B", "c")]
    with pytest.raises(TypeError):
        cfg.stdout_custom = "not callable"
    with pytest.raises(TypeError):
        cfg.stdin_bytes = "text"
    with pytest.raises(TypeError):
        cfg.stdin_file = 42
    with pytest.raises(TypeError):
        cfg.preopen_dir(".", 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cfg.preopen_dir(".", "/x", "rw")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cfg.preopen_dir(".", "/x", DirPerms.READ_ONLY, DirPerms.READ_ONLY)  # type: ignore[arg-type]


def test_files_and_directories_are_checked_when_given(tmp_path: Any) -> None:
    cfg = WasiConfig()
    with pytest.raises(WasmtimeError):
        cfg.stdin_file = tmp_path / "missing"
    with pytest.raises(WasmtimeError):
        cfg.stdout_file = tmp_path / "no-dir" / "out"
    with pytest.raises(WasmtimeError, match="failed to add preopen dir"):
        cfg.preopen_dir(str(tmp_path / "missing"), "/x")
    out = tmp_path / "out.txt"
    out.write_bytes(b"old contents")
    cfg.stdout_file = out  # created or truncated at once, as wasmtime
    assert out.read_bytes() == b""
    cfg.stderr_file = str(tmp_path / "new.txt")
    assert (tmp_path / "new.txt").exists()


def test_closed_and_consumed_configs() -> None:
    cfg = WasiConfig()
    cfg.close()
    with pytest.raises(ValueError):
        cfg.argv = ["x"]
    cfg = WasiConfig()
    store = Store()
    store.set_wasi(cfg)
    with pytest.raises(ValueError):  # set_wasi consumes the config
        cfg.inherit_stdout()
    with pytest.raises(ValueError):
        store.set_wasi(cfg)
    with pytest.raises(TypeError):
        store.set_wasi("config")  # type: ignore[arg-type]
    store.close()
    with pytest.raises(ValueError):
        store.set_wasi(WasiConfig())


def test_set_wasi_reports_unopenable_files(tmp_path: Any) -> None:
    cfg = WasiConfig()
    d = tmp_path / "d"
    d.mkdir()
    cfg.preopen_dir(str(d), "/d")
    d.rmdir()  # gone by the time the context is built
    with pytest.raises(WasmtimeError, match="preopened directory"):
        Store().set_wasi(cfg)


# ---- argv, env, stdio ---------------------------------------------------------------


def test_argv_env_stdin_bytes_and_custom_output() -> None:
    cfg = WasiConfig()
    cfg.argv = ["prog", "a b", "ünï"]
    cfg.env = [("A", "1"), ("EXIT_CODE", "3")]
    cfg.stdin_bytes = bytearray(b"from bytes\n")
    out, err = captured(cfg)
    assert Run(cfg, "echo.wasm").start() == 3
    assert b"".join(out).decode() == ("argv[0]=prog\nargv[1]=a b\nargv[2]=ünï\nenv A=1\n"
                                      "env EXIT_CODE=3\nfrom bytes\nstdin bytes=11\n")
    assert b"".join(err) == b"to stderr\n"
    assert all(isinstance(chunk, bytes) for chunk in out)


def test_env_from_a_mapping_and_defaults() -> None:
    cfg = WasiConfig()
    cfg.env = {"K": "v"}
    out, _ = captured(cfg)
    assert Run(cfg, "echo.wasm").start() == 0
    # no argv given: the guest has none; stdin is empty
    assert b"".join(out) == b"env K=v\nstdin bytes=0\n"


def test_defaults_give_nothing() -> None:
    run = Run(WasiConfig())
    assert run.write(1, b"lost") == (ESUCCESS, 4)  # discarded
    assert run.read(0, 10) == (ESUCCESS, b"")     # empty stdin


def test_inherit_env_and_argv(monkeypatch: Any) -> None:
    monkeypatch.setenv("EMBER_WASI_TEST", "inherited")
    cfg = WasiConfig()
    cfg.inherit_env()
    cfg.inherit_argv()
    out, _ = captured(cfg)
    Run(cfg, "echo.wasm").start()
    text = b"".join(out).decode()
    assert "env EMBER_WASI_TEST=inherited\n" in text
    for i, a in enumerate(sys.argv):
        assert f"argv[{i}]={a}\n" in text


def test_stdio_files(tmp_path: Any) -> None:
    (tmp_path / "in.txt").write_bytes(b"file input\n")
    cfg = WasiConfig()
    cfg.argv = ["echo"]
    cfg.stdin_file = str(tmp_path / "in.txt")
    cfg.stdout_file = str(tmp_path / "out.txt")
    cfg.stderr_file = tmp_path / "err.txt"
    assert Run(cfg, "echo.wasm").start() == 0
    assert (tmp_path / "out.txt").read_bytes() == b"argv[0]=echo\nfile input\nstdin bytes=11\n"
    assert (tmp_path / "err.txt").read_bytes() == b"to stderr\n"


def test_inherited_stdio_in_a_child_process() -> None:
    script = f"""
import ember
cfg = ember.WasiConfig()
cfg.argv = ["echo"]
cfg.inherit_stdin(); cfg.inherit_stdout(); cfg.inherit_stderr()
e = ember.Engine(); s = ember.Store(e); s.set_wasi(cfg)
l = ember.Linker(e); l.define_wasi()
i = l.instantiate(s, ember.Module.from_file(e, {os.path.join(BIN, 'echo.wasm')!r}))
i.exports(s)["_start"](s)
"""
    p = subprocess.run([sys.executable, "-c", script], input=b"through the pipe\n",
                       capture_output=True, timeout=60, env=dict(os.environ))
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"argv[0]=echo\nthrough the pipe\nstdin bytes=17\n"
    assert p.stderr == b"to stderr\n"


def test_later_stdio_settings_replace_earlier_ones(tmp_path: Any) -> None:
    cfg = WasiConfig()
    cfg.stdout_file = str(tmp_path / "unused.txt")
    out, _ = captured(cfg)
    run = Run(cfg)
    assert run.write(1, b"hi") == (ESUCCESS, 2)
    assert out == [b"hi"]
    assert (tmp_path / "unused.txt").read_bytes() == b""


# ---- custom output callbacks --------------------------------------------------------------


def test_custom_output_may_take_part_of_a_write() -> None:
    got: List[bytes] = []

    def take_two(b: bytes) -> int:
        got.append(b)
        return 2
    cfg = WasiConfig()
    cfg.stdout_custom = take_two
    run = Run(cfg)
    assert run.write(1, b"abcdef") == (ESUCCESS, 2)
    assert got == [b"abcdef"]


def test_custom_output_exception_is_reported_and_fails_the_write(monkeypatch: Any) -> None:
    seen: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)

    def broken(b: bytes) -> None:
        raise RuntimeError("sink is broken")
    cfg = WasiConfig()
    cfg.stderr_custom = broken
    run = Run(cfg)
    assert run.write(2, b"x")[0] == EIO
    assert len(seen) == 1
    assert isinstance(seen[0].exc_value, RuntimeError)
    assert seen[0].object is broken
    assert run.write(2, b"y")[0] == EIO  # the store stays usable


def test_custom_output_bad_return_value(monkeypatch: Any) -> None:
    seen: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    cfg = WasiConfig()
    cfg.stdout_custom = lambda b: "all of it"
    run = Run(cfg)
    assert run.write(1, b"x")[0] == EIO
    assert isinstance(seen[0].exc_value, TypeError)


def test_closing_the_store_releases_callbacks() -> None:
    class Sink:
        def __call__(self, b: bytes) -> None:
            pass
    sink = Sink()
    ref = weakref.ref(sink)
    cfg = WasiConfig()
    cfg.stdout_custom = sink
    run = Run(cfg)
    run.write(1, b"x")
    del sink, cfg
    run.store.close()
    gc.collect()
    assert ref() is None


def test_callbacks_from_threads_running_wasm() -> None:
    """Wasm runs without the GIL; each callback takes it (several stores at once)."""
    import threading
    results: List[Tuple[int, bytes]] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        cfg = WasiConfig()
        cfg.argv = [f"t{i}"]
        cfg.env = [("EXIT_CODE", str(i))]
        cfg.stdin_bytes = b"x" * 5000
        out, _ = captured(cfg)
        code = Run(cfg, "echo.wasm").start()
        with lock:
            results.append((code, b"".join(out)))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == [0, 1, 2, 3]
    for code, out in results:
        assert out.startswith(f"argv[0]=t{code}\n".encode())
        assert out.endswith(b"x" * 5000 + b"stdin bytes=5000\n")


# ---- exit --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 1, 7, 255, 1000])
def test_proc_exit_raises_exit_trap(code: int) -> None:
    run = Run(WasiConfig())
    with pytest.raises(ExitTrap) as info:
        run.call("exit", code)
    assert info.value.code == code
    assert isinstance(info.value, WasmtimeError)
    assert not isinstance(info.value, Trap)
    assert f"Exited with i32 exit status {code}" in str(info.value)


def test_exit_code_from_main_and_from_exit() -> None:
    cfg = WasiConfig()
    cfg.argv = ["misc", "9", "exit"]  # exit(9) from inside main
    assert Run(cfg, "misc.wasm").start() == 9
    cfg = WasiConfig()
    cfg.argv = ["misc", "4"]  # main returns 4: the C runtime calls proc_exit(4)
    assert Run(cfg, "misc.wasm").start() == 4
    cfg = WasiConfig()
    cfg.argv = ["echo"]
    run = Run(cfg, "echo.wasm")
    assert run.call("_start") is None  # main returns 0: no ExitTrap


def test_exit_during_instantiation() -> None:
    wat = """(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (func $s (call $exit (i32.const 4)))
      (start $s))"""
    with pytest.raises(ExitTrap) as info:
        Run(WasiConfig(), wat)
    assert info.value.code == 4


# ---- preopened directories -----------------------------------------------------------------


def _ro_dir(tmp_path: Any) -> Any:
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "data.txt").write_text("readonly")
    return ro


def test_read_only_preopen_refuses_every_write(tmp_path: Any) -> None:
    ro = _ro_dir(tmp_path)
    cfg = WasiConfig()
    cfg.preopen_dir(str(ro), "/ro", DirPerms.READ_ONLY, FilePerms.READ_ONLY)
    out, _ = captured(cfg)
    assert Run(cfg, "readonly.wasm").start() == 0
    text = b"".join(out).decode()
    assert "read: 8 readonly\n" in text
    assert "ALLOWED" not in text and "allowed=0\n" in text
    assert sorted(os.listdir(ro)) == ["data.txt"]
    assert (ro / "data.txt").read_text() == "readonly"


def test_fs_mutable_false_is_read_only(tmp_path: Any) -> None:
    ro = _ro_dir(tmp_path)
    cfg = WasiConfig()
    cfg.preopen_dir(str(ro), "/ro", False)  # older wasmtime's signature
    out, _ = captured(cfg)
    assert Run(cfg, "readonly.wasm").start() == 0
    assert sorted(os.listdir(ro)) == ["data.txt"]


def test_read_write_preopen_allows_writes(tmp_path: Any) -> None:
    ro = _ro_dir(tmp_path)
    cfg = WasiConfig()
    cfg.preopen_dir(ro, "/ro")  # READ_WRITE by default; a PathLike works too
    out, _ = captured(cfg)
    assert Run(cfg, "readonly.wasm").start() == 1
    text = b"".join(out).decode()
    assert 'ALLOWED: open("/ro/new.txt", O_CREAT | O_WRONLY, 0644)' in text
    assert 'ALLOWED: mkdir("/ro/dir", 0755)' in text
    assert (ro / "new.txt").exists() and (ro / "dir").is_dir()


def test_read_only_files_in_a_writable_directory(tmp_path: Any) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "f.txt").write_text("kept")
    cfg = WasiConfig()
    cfg.argv = ["echo", "write", "/d/f.txt", "changed"]
    cfg.preopen_dir(str(d), "/d", DirPerms.READ_WRITE, FilePerms.READ_ONLY)
    captured(cfg)
    assert Run(cfg, "echo.wasm").start() == 1
    assert (d / "f.txt").read_text() == "kept"
    cfg = WasiConfig()
    cfg.argv = ["echo", "cat", "/d/f.txt"]
    cfg.preopen_dir(str(d), "/d", DirPerms.READ_WRITE, FilePerms.READ_ONLY)
    out, _ = captured(cfg)
    assert Run(cfg, "echo.wasm").start() == 0
    assert b"".join(out) == b"kept"


def test_guest_paths_map_to_host_directories(tmp_path: Any) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x.txt").write_text("in a")
    cfg = WasiConfig()
    cfg.argv = ["echo", "write", "/second/made.txt", "made by the guest"]
    cfg.preopen_dir(str(a), "/first")
    cfg.preopen_dir(str(b), "/second")
    captured(cfg)
    assert Run(cfg, "echo.wasm").start() == 0
    assert (b / "made.txt").read_text() == "made by the guest"
    cfg = WasiConfig()
    cfg.argv = ["echo", "cat", "/first/x.txt", "/first/../../secret"]
    cfg.preopen_dir(str(a), "/first")
    out, err = captured(cfg)
    assert Run(cfg, "echo.wasm").start() == 1  # the escape fails
    assert b"".join(out) == b"in a"


def test_bytes_and_undecodable_host_paths(tmp_path: Any) -> None:
    raw = os.fsencode(str(tmp_path)) + b"/dir\xff"
    os.mkdir(raw)
    with open(raw + b"/f.txt", "wb") as f:
        f.write(b"found")
    for path in (raw, os.fsdecode(raw)):
        cfg = WasiConfig()
        cfg.argv = ["echo", "cat", "/d/f.txt"]
        cfg.preopen_dir(path, "/d")
        out, _ = captured(cfg)
        assert Run(cfg, "echo.wasm").start() == 0
        assert b"".join(out) == b"found"
    cfg = WasiConfig()
    with pytest.raises(UnicodeEncodeError):
        cfg.argv = ["bad \udcff"]
    with pytest.raises(UnicodeEncodeError):
        cfg.preopen_dir(raw, "/\udcff")


def test_escape_attempts_are_denied(tmp_path: Any) -> None:
    box = tmp_path / "box"
    (box / "sub").mkdir(parents=True)
    (box / "inside").write_text("x")
    (tmp_path / "secret").write_text("OUTSIDE")
    cfg = WasiConfig()
    cfg.argv = ["escape"]
    cfg.preopen_dir(str(box), "/box")
    out, _ = captured(cfg)
    assert Run(cfg, "escape.wasm").start() == 0
    text = b"".join(out).decode()
    assert "ESCAPED" not in text and "escaped=0\n" in text


# ---- a program reading stdin ----------------------------------------------------------------


def test_program_reading_stdin(tmp_path: Any) -> None:
    cfg = WasiConfig()
    cfg.argv = ["misc"]
    cfg.stdin_bytes = b"line one\nline two\n"
    out, _ = captured(cfg)
    assert Run(cfg, "misc.wasm").start() == 0
    text = b"".join(out).decode()
    assert "poll stdin: r=1 readable=1\n" in text
    assert "stdin: line one\n" in text
    run = Run(WasiConfig())
    cfg = WasiConfig()
    cfg.stdin_bytes = b"abcdef"
    run = Run(cfg)
    assert run.read(0, 4) == (ESUCCESS, b"abcd")
    assert run.read(0, 4) == (ESUCCESS, b"ef")
    assert run.read(0, 4) == (ESUCCESS, b"")


# ---- Linker and stores ------------------------------------------------------------------------


def test_define_wasi_defines_every_function() -> None:
    engine = Engine()
    store = Store(engine)
    linker = Linker(engine)
    linker.define_wasi()
    f = linker.get(store, "wasi_snapshot_preview1", "fd_write")
    assert f.type(store) == FuncType([ValType.i32()] * 4, [ValType.i32()])
    for name in ("args_get", "clock_time_get", "path_open", "poll_oneoff", "proc_exit",
                 "random_get", "sock_accept", "fd_readdir"):
        linker.get(store, "wasi_snapshot_preview1", name)
    assert linker.get(store, "wasi_snapshot_preview1", "fd_write") == f  # one per store
    with pytest.raises(WasmtimeError, match="defined twice"):
        linker.define_wasi()
    linker.allow_shadowing = True
    linker.define_wasi()


def test_instantiating_without_set_wasi() -> None:
    """As wasmtime: instantiation works; a WASI call needs the context (wasmtime
    aborts the process there; Ember raises)."""
    engine = Engine()
    linker = Linker(engine)
    linker.define_wasi()
    module = Module(engine, IO_WAT)
    store = Store(engine)
    inst = linker.instantiate(store, module)
    with pytest.raises(WasmtimeError, match="set_wasi"):
        inst.exports(store)["exit"](store, 0)
    cfg = WasiConfig()
    out, _ = captured(cfg)
    store.set_wasi(cfg)  # a context given later is used from then on
    inst.exports(store)["memory"].write(store, b"late", 100)
    assert inst.exports(store)["write"](store, 1, 100, 4) == ESUCCESS
    assert out == [b"late"]


def test_each_store_has_its_own_context() -> None:
    engine = Engine()
    linker = Linker(engine)
    linker.define_wasi()
    outs = []
    runs = []
    for i in range(3):
        cfg = WasiConfig()
        cfg.argv = [f"prog{i}"]
        out, _ = captured(cfg)
        outs.append(out)
        runs.append(Run(cfg, "echo.wasm", linker=linker, engine=engine))
    for r in runs:
        r.start()
    for i, out in enumerate(outs):
        assert b"".join(out) == f"argv[0]=prog{i}\nstdin bytes=0\n".encode()


def test_wasi_beside_other_definitions() -> None:
    wat = """(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "env" "note" (func $note (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hello")
      (func (export "go") (result i32)
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 5))
        (call $note (i32.const 1))
        (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))"""
    engine = Engine()
    linker = Linker(engine)
    linker.define_wasi()
    notes: List[int] = []
    linker.define_func("env", "note", FuncType([ValType.i32()], []), notes.append)
    cfg = WasiConfig()
    out, _ = captured(cfg)
    run = Run(cfg, wat, linker=linker, engine=engine)
    assert run.call("go") == ESUCCESS
    assert notes == [1] and out == [b"hello"]


def test_set_wasi_while_running_is_refused() -> None:
    engine = Engine()
    linker = Linker(engine)
    linker.define_wasi()
    holder: List[Store] = []

    def reenter() -> None:
        holder[0].set_wasi(WasiConfig())
    linker.define_func("env", "reenter", FuncType([], []), reenter)
    wat = """(module (import "env" "reenter" (func $r)) (func (export "go") (call $r)))"""
    store = Store(engine)
    holder.append(store)
    store.set_wasi(WasiConfig())
    inst = linker.instantiate(store, Module(engine, wat))
    with pytest.raises(WasmtimeError, match="executing"):
        inst.exports(store)["go"](store)


def test_wrong_store_arguments() -> None:
    engine = Engine()
    linker = Linker(engine)
    linker.define_wasi()
    with pytest.raises(TypeError):
        linker.get("not a store", "wasi_snapshot_preview1", "fd_write")
    store = Store(engine)
    store.close()
    with pytest.raises(ValueError):
        linker.get(store, "wasi_snapshot_preview1", "fd_write")
