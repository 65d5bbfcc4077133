"""WASI 0.2: a real command component, in Ember and in the `wasmtime` package.

tests/component/wasi-app/build.sh builds the command (a Python program
packaged by componentize-py, ~15 s, once per run). Each test runs one of its
subcommands through `Linker.add_wasip2()` and `Store.set_wasi()` in both
engines, with stdio in files and a preopened directory, and compares the
output, the files left behind and how the call ended; `ember run` runs the
same component from the command line.
"""
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import wasmtime
import wasmtime.component as wc

import ember
import ember.component as ec

APP = Path(__file__).parents[1] / "component" / "wasi-app"
RUN = "wasi:cli/run@0.2.9"
INPUT = "hello from a preopened directory\n"


@pytest.fixture(scope="module")
def cmd_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("componentize-py"), "scripts/install-deps.sh installs componentize-py"
    out = tmp_path_factory.mktemp("wasi-app")
    subprocess.run(["bash", str(APP / "build.sh"), str(out)], check=True, capture_output=True,
                   timeout=600)
    return out / "cmd.wasm"


Outcome = Tuple[str, str, Any, List[str]]
_loaded: Dict[Tuple[str, Path], Tuple[Any, Any]] = {}


def load(mod: Any, comp_mod: Any, wasm: Path) -> Tuple[Any, Any]:
    """An engine and the command compiled in it, once per engine kind (the
    package takes seconds to compile the 18 MB component)."""
    key = (mod.__name__, wasm)
    if key not in _loaded:
        engine = mod.Engine()
        _loaded[key] = (engine, comp_mod.Component.from_file(engine, str(wasm)))
    return _loaded[key]


def run(mod: Any, comp_mod: Any, wasm: Path, work: Path, args: List[str],
        stdin: str = "", read_only: bool = False) -> Outcome:
    """Runs the command with `args` in a fresh directory; what it printed to
    stdout and stderr, how `run` ended, and the directory's files after."""
    data = work / "data"
    data.mkdir(parents=True)
    (data / "input.txt").write_text(INPUT)
    (work / "stdin.txt").write_text(stdin)
    engine, component = load(mod, comp_mod, wasm)
    store = mod.Store(engine)
    linker = comp_mod.Linker(engine)
    linker.add_wasip2()
    cfg = mod.WasiConfig()
    cfg.argv = ["cmd.wasm"] + args
    cfg.env = [("GREETING", "hey")]
    cfg.stdin_file = str(work / "stdin.txt")
    cfg.stdout_file = str(work / "stdout.txt")
    cfg.stderr_file = str(work / "stderr.txt")
    if read_only:
        cfg.preopen_dir(str(data), "/data", False)  # the package's `fs_mutable`
    else:
        cfg.preopen_dir(str(data), "/data")
    store.set_wasi(cfg)
    instance = linker.instantiate(store, component)
    index = instance.get_export_index(store, "run", instance.get_export_index(store, RUN))
    func = instance.get_func(store, index)
    try:
        ended: Any = ("returned", repr(func(store)))
    except mod.ExitTrap as e:
        ended = ("exit", e.code)
    except mod.WasmtimeError as e:
        ended = ("error", type(e).__name__)
    files = sorted(str(p.relative_to(data)) for p in data.rglob("*"))
    return ((work / "stdout.txt").read_text(), (work / "stderr.txt").read_text(), ended, files)


def both(wasm: Path, tmp_path: Path, args: List[str], **kw: Any) -> Outcome:
    theirs = run(wasmtime, wc, wasm, tmp_path / "wasmtime", args, **kw)
    ours = run(ember, ec, wasm, tmp_path / "ember", args, **kw)
    assert ours == theirs
    return ours


def test_reads_a_preopened_file_and_prints_it(cmd_wasm: Path, tmp_path: Path) -> None:
    out, err, ended, _ = both(cmd_wasm, tmp_path, ["cat"])
    assert out == "read 33 bytes: HELLO FROM A PREOPENED DIRECTORY\n"
    assert (err, ended) == ("", ("returned", "Variant(tag='ok', payload=None)"))


@pytest.mark.parametrize("args", [["argv", "x", "y z"], ["env"], ["ls"], ["time"], ["random"]])
def test_arguments_environment_listing_clocks_random(cmd_wasm: Path, tmp_path: Path,
                                                     args: List[str]) -> None:
    out, _, ended, _ = both(cmd_wasm, tmp_path, args)
    assert ended[0] == "returned"
    expected = {"argv": "['cmd.wasm', 'argv', 'x', 'y z']\n", "env": "hey\n",
                "ls": "['input.txt']\n", "time": "True True\n", "random": "16\n"}
    assert out == expected[args[0]]


def test_writes_creates_renames_and_removes_files(cmd_wasm: Path, tmp_path: Path) -> None:
    out, _, _, files = both(cmd_wasm, tmp_path, ["write"])
    assert (out, files) == ("21\n", ["input.txt", "out.txt"])
    assert (tmp_path / "ember" / "data" / "out.txt").read_text() == "written by the guest\n"
    out, _, _, files = both(cmd_wasm, tmp_path / "2", ["mkdir"])
    assert out == "['input.txt', 'sub2']\n" and files == ["input.txt"]


def test_errors_reach_the_program_as_errno(cmd_wasm: Path, tmp_path: Path) -> None:
    out, _, _, _ = both(cmd_wasm, tmp_path, ["missing"])
    assert out == "FileNotFoundError 44\n"
    out, _, _, files = both(cmd_wasm, tmp_path / "2", ["escape"])
    assert out == "PermissionError 63\n" and files == ["input.txt"]


def test_a_read_only_preopen_refuses_writes(cmd_wasm: Path, tmp_path: Path) -> None:
    out, err, ended, files = both(cmd_wasm, tmp_path, ["write"], read_only=True)
    assert files == ["input.txt"] and "PermissionError" in err
    assert ended == ("error", "WasmtimeError")  # the uncaught exception ends the program
    out, _, _, _ = both(cmd_wasm, tmp_path / "2", ["cat"], read_only=True)
    assert out.startswith("read 33 bytes")


def test_stdin_stderr_and_exit(cmd_wasm: Path, tmp_path: Path) -> None:
    assert both(cmd_wasm, tmp_path, ["stdin"], stdin="abc\n")[0] == "ABC\n\n"
    assert both(cmd_wasm, tmp_path / "2", ["stderr"])[1] == "to stderr\n"
    # sys.exit(3) in the Python program ends it through wasi:cli/exit with
    # an error status, which the host sees as status 1.
    assert both(cmd_wasm, tmp_path / "3", ["exit", "3"])[2] == ("exit", 1)


def test_a_store_without_wasi_fails_clearly(cmd_wasm: Path) -> None:
    engine = ember.Engine()
    store = ember.Store(engine)
    linker = ec.Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, ec.Component.from_file(engine, str(cmd_wasm)))
    index = instance.get_export_index(store, "run", instance.get_export_index(store, RUN))
    assert index is not None
    func = instance.get_func(store, index)
    assert func is not None
    with pytest.raises(ember.WasmtimeError, match="wasi context must be populated"):
        func(store)


def test_add_wasip2_twice_is_refused_unless_shadowing() -> None:
    linker = ec.Linker(ember.Engine())
    linker.add_wasip2()
    with pytest.raises(ember.WasmtimeError, match="defined twice"):
        linker.add_wasip2()
    linker.allow_shadowing = True
    linker.add_wasip2()


def ember_run(*args: str, stdin: Optional[str] = None) -> "subprocess.CompletedProcess[str]":
    cli = os.environ.get("EMBER_CLI") or shutil.which("ember")
    assert cli, "set EMBER_CLI to the ember command line"
    return subprocess.run([cli, "run", *args], capture_output=True, text=True, input=stdin,
                          timeout=120)


def test_ember_run_runs_a_command_component(cmd_wasm: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "input.txt").write_text(INPUT)
    r = ember_run("--dir", f"{data}::/data", str(cmd_wasm), "cat")
    assert (r.returncode, r.stdout, r.stderr) == (
        0, "read 33 bytes: HELLO FROM A PREOPENED DIRECTORY\n", "")
    r = ember_run("--env", "GREETING=hi", str(cmd_wasm), "env")
    assert (r.returncode, r.stdout) == (0, "hi\n")
    r = ember_run(str(cmd_wasm), "stdin", stdin="piped\n")
    assert r.stdout == "PIPED\n\n"
    r = ember_run(str(cmd_wasm), "exit", "3")
    assert (r.returncode, r.stderr) == (1, "")
    # No preopen: the program's uncaught exception ends in a trap (as in the
    # package), which `ember run` reports with wasmtime's exit status.
    r = ember_run(str(cmd_wasm), "cat")
    assert r.returncode == 134 and "FileNotFoundError" in r.stderr
    assert "wasm trap: wasm `unreachable` instruction executed" in r.stderr


def test_ember_run_refuses_a_component_that_is_not_a_command(tmp_path: Path) -> None:
    wasm = Path(__file__).parents[1] / "component" / "run" / "values.wasm"
    r = ember_run(str(wasm))
    assert r.returncode == 1
    assert "without a `wasi:cli/run@0.2.x` export" in r.stderr


def test_an_import_declared_with_fewer_parameters_traps() -> None:
    # A component declares the types of what it imports: here WASI's
    # `output-stream.write` without its `contents`. Ember's WASI functions
    # read their arguments by position and must not read past them (the
    # package refuses the import when linking; Ember traps at the call).
    text = """
    (component
      (import "wasi:io/streams@0.2.0" (instance $streams
        (export "output-stream" (type $os (sub resource)))
        (export "[method]output-stream.write" (func (param "self" (borrow $os)) (result u32)))))
      (alias export $streams "output-stream" (type $output-stream))
      (import "wasi:cli/stdout@0.2.0" (instance $stdout
        (export "output-stream" (type $os (eq $output-stream)))
        (export "get-stdout" (func (result (own $os))))))
      (core func $get (canon lower (func $stdout "get-stdout")))
      (core func $write (canon lower (func $streams "[method]output-stream.write")))
      (core module $M
        (import "h" "get" (func $get (result i32)))
        (import "h" "write" (func $write (param i32) (result i32)))
        (func (export "run") (result i32) (call $write (call $get))))
      (core instance $m (instantiate $M (with "h" (instance
        (export "get" (func $get)) (export "write" (func $write))))))
      (func (export "run") (result u32) (canon lift (core func $m "run"))))
    """
    engine = ember.Engine()
    store = ember.Store(engine)
    store.set_wasi(ember.WasiConfig())
    linker = ec.Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, ec.Component(engine, text))
    run = instance.get_func(store, "run")
    assert run is not None
    with pytest.raises(ember.WasmtimeError, match="fewer parameters than WASI gives it"):
        run(store)
