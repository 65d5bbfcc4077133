"""Golden tests of the `ember` command line (the build tree's executable, or
$EMBER_CLI), mostly `ember run`: exit status, argv[0], --dir, --env,
--invoke, --fuel, bad command lines, missing files, the trap report, the
option parser every command shares (tools/options.hh), and `python -m ember`.
"""
import os
import re
import shutil
import subprocess
import sys
import threading
from typing import Any, List

import pytest

BIN = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "wasi", "bin"))
ECHO = os.path.join(BIN, "echo.wasm")
FAC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "fac.wat"))

TRAP_WAT = """(module $m
  (func $inner unreachable)
  (func $outer call $inner)
  (func (export "_start") call $outer))
"""


def run(cli: str, *args: str, stdin: bytes = b"",
        cwd: Any = None) -> "subprocess.CompletedProcess[bytes]":
    return subprocess.run([cli, *args], input=stdin, capture_output=True, timeout=60, cwd=cwd)


def text(p: "subprocess.CompletedProcess[bytes]") -> str:
    return p.stdout.decode()


def err(p: "subprocess.CompletedProcess[bytes]") -> str:
    return p.stderr.decode()


# ---- running WASI commands ---------------------------------------------------------------


def test_argv_env_stdio_and_exit_status(ember_cli: str) -> None:
    p = run(ember_cli, "run", "--env", "A=1", "--env=B=x=y", ECHO, "one", "two words",
            stdin=b"piped in\n")
    assert p.returncode == 0, err(p)
    assert text(p) == (f"argv[0]={ECHO}\nargv[1]=one\nargv[2]=two words\n"
                       "env A=1\nenv B=x=y\npiped in\nstdin bytes=9\n")
    assert err(p) == "to stderr\n"
    p = run(ember_cli, "run", "--env", "EXIT_CODE=42", ECHO)
    assert p.returncode == 42


def test_argv0_is_the_file_as_given(ember_cli: str) -> None:
    p = run(ember_cli, "run", "echo.wasm", cwd=BIN)
    assert text(p).startswith("argv[0]=echo.wasm\n")
    p = run(ember_cli, "run", "./bin/echo.wasm", cwd=os.path.dirname(BIN))
    assert text(p).startswith("argv[0]=./bin/echo.wasm\n")


def test_host_environment_is_not_inherited(ember_cli: str) -> None:
    p = subprocess.run([ember_cli, "run", ECHO], capture_output=True, timeout=60,
                       env=dict(os.environ, EMBER_SECRET="no"))
    assert "EMBER_SECRET" not in text(p)


def test_everything_after_file_goes_to_the_guest(ember_cli: str) -> None:
    p = run(ember_cli, "run", ECHO, "--env", "X=1", "--help")
    assert p.returncode == 0
    assert "argv[1]=--env\nargv[2]=X=1\nargv[3]=--help\n" in text(p)
    assert "env X=1" not in text(p)
    p = run(ember_cli, "run", "--", ECHO, "a")
    assert "argv[1]=a\n" in text(p)


def test_dir_mapping(ember_cli: str, tmp_path: Any) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "in.txt").write_text("hello from the host\n")
    p = run(ember_cli, "run", "--dir", f"{host}::/guest", ECHO, "cat", "/guest/in.txt")
    assert p.returncode == 0, err(p)
    assert text(p) == "hello from the host\n"
    p = run(ember_cli, "run", f"--dir={host}::/g", ECHO, "write", "/g/out.txt", "written")
    assert p.returncode == 0, err(p)
    assert (host / "out.txt").read_text() == "written"
    # HOST alone: the guest sees it under the same (relative) name.
    p = run(ember_cli, "run", "--dir", "host", ECHO, "ls", "host", cwd=tmp_path)
    assert p.returncode == 0, err(p)
    assert text(p) == "in.txt\nout.txt\n"
    # Two directories; nothing outside them.
    other = tmp_path / "other"
    other.mkdir()
    p = run(ember_cli, "run", "--dir", f"{host}::/a", "--dir", f"{other}::/b", ECHO, "cat",
            "/a/in.txt", "/b/../../host/in.txt")
    assert p.returncode == 1
    assert text(p) == "hello from the host\n"


def test_dir_with_an_empty_guest_path(ember_cli: str, tmp_path: Any) -> None:
    # `HOST::` is an unnamed preopen, as WasiConfig.preopen_dir(host, "")
    # and wasmtime's --dir; wasi-libc resolves relative paths in it.
    host = tmp_path / "host"
    host.mkdir()
    (host / "in.txt").write_text("unnamed\n")
    p = run(ember_cli, "run", "--dir", f"{host}::", ECHO, "cat", "in.txt")
    assert (p.returncode, text(p)) == (0, "unnamed\n"), err(p)
    p = run(ember_cli, "run", f"--dir=host::", ECHO, "ls", ".", cwd=tmp_path)
    assert (p.returncode, text(p)) == (0, "in.txt\n"), err(p)


def test_report_program(ember_cli: str, tmp_path: Any) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "input.txt").write_text("1\n2\n39\n")
    p = run(ember_cli, "run", "--dir", "data::/data", "--env", "GREETING=hi",
            os.path.join(BIN, "report.wasm"), "/data/input.txt", "/data/out.txt", "5",
            stdin=b"stdin data\n", cwd=tmp_path)
    assert p.returncode == 5, err(p)
    assert "input lines=3 sum=42\nstdin bytes=11 checksum=2de3c67f\n" in text(p)
    assert (data / "out.txt").read_text() == "lines 3\nsum 42\nstdin 11\ngreeting hi\n"


def test_module_without_start_does_nothing(ember_cli: str, tmp_path: Any) -> None:
    (tmp_path / "empty.wat").write_text("(module)")
    p = run(ember_cli, "run", str(tmp_path / "empty.wat"))
    assert (p.returncode, text(p), err(p)) == (0, "", "")


# ---- --invoke and --fuel -------------------------------------------------------------------


def test_invoke(ember_cli: str) -> None:
    p = run(ember_cli, "run", "--invoke", "fac", FAC, "20")
    assert (p.returncode, text(p)) == (0, "2432902008176640000\n")
    p = run(ember_cli, "run", "--invoke=fac_iter", FAC, "5")
    assert text(p) == "120\n"
    p = run(ember_cli, "run", "--invoke", "fac", FAC, "notanumber")
    assert p.returncode == 2 and "not a valid i64" in err(p)
    p = run(ember_cli, "run", "--invoke", "fac", FAC)
    assert p.returncode == 2 and "takes 1 arguments" in err(p)
    p = run(ember_cli, "run", "--invoke", "nope", FAC)
    assert p.returncode == 1 and "no exported function `nope`" in err(p)


IDENTITY_WAT = """(module
  (func (export "i32") (param i32) (result i32) (local.get 0))
  (func (export "i64") (param i64) (result i64) (local.get 0))
  (func (export "f32") (param f32) (result f32) (local.get 0))
  (func (export "f64") (param f64) (result f64) (local.get 0))
  (func (export "v128") (param v128))
  (func (export "ref") (param externref)))"""


@pytest.fixture
def identity(tmp_path: Any) -> str:
    wat = tmp_path / "identity.wat"
    wat.write_text(IDENTITY_WAT)
    return str(wat)


# Accepted: what wasmtime's `run --invoke` reads (decimal, 0x hex, a leading
# '+', inf/nan), integers also up to the unsigned maximum (two's complement).
@pytest.mark.parametrize("ty,arg,printed", [
    ("i32", "-2147483648", "-2147483648"), ("i32", "2147483647", "2147483647"),
    ("i32", "2147483648", "-2147483648"), ("i32", "4294967295", "-1"), ("i32", "-0", "0"),
    ("i32", "+7", "7"), ("i32", "0x7fffffff", "2147483647"), ("i32", "0XFFFFFFFF", "-1"),
    ("i64", "-9223372036854775808", "-9223372036854775808"),
    ("i64", "9223372036854775807", "9223372036854775807"),
    ("i64", "18446744073709551615", "-1"), ("i64", "0xffffffffffffffff", "-1"),
    ("f32", "3.4028235e38", "3.4028235e+38"), ("f32", "-3.4028235e38", "-3.4028235e+38"),
    ("f32", "1e-45", "1e-45"), ("f32", "1e-50", "0"), ("f32", "-1e-50", "-0"),
    ("f32", "+1.5", "1.5"), ("f32", ".5", "0.5"), ("f32", "inf", "inf"), ("f32", "-inf", "-inf"),
    ("f32", "NaN", "nan"),
    ("f64", "1.7976931348623157e308", "1.7976931348623157e+308"), ("f64", "5e-324", "5e-324"),
    ("f64", "1e-400", "0"), ("f64", "-infinity", "-inf"), ("f64", "nan", "nan"),
])
def test_invoke_arguments_at_the_edges(ember_cli: str, identity: str, ty: str, arg: str,
                                       printed: str) -> None:
    p = run(ember_cli, "run", "--invoke", ty, identity, arg)
    assert (p.returncode, text(p)) == (0, printed + "\n"), err(p)


@pytest.mark.parametrize("ty,arg,message", [
    ("i32", "4294967296", "is out of range for i32 (-2147483648 to 4294967295)"),
    ("i32", "-2147483649", "is out of range for i32"),
    ("i32", "99999999999999999999", "is out of range for i32"),
    ("i32", "-99999999999999999999", "is out of range for i32"),
    ("i32", "0x100000000", "is out of range for i32"),
    ("i64", "18446744073709551616", "is out of range for i64"),
    ("i64", "-9223372036854775809", "is out of range for i64"),
    ("i64", "0x10000000000000000", "is out of range for i64"),
    ("f32", "3.5e38", "is out of range for f32"),
    ("f32", "-1e39", "is out of range for f32"),
    ("f64", "1.8e308", "is out of range for f64"),
    ("f64", "-1e999", "is out of range for f64"),
    ("i32", "abc", "is not a valid i32"), ("i32", "", "is not a valid i32"),
    ("i32", "1.5", "is not a valid i32"), ("i32", "1e3", "is not a valid i32"),
    ("i32", "0x", "is not a valid i32"), ("i32", "-0x5", "is not a valid i32"),
    ("i32", "--1", "is not a valid i32"), ("i32", "+-1", "is not a valid i32"),
    ("i32", " 1", "is not a valid i32"), ("i64", "12abc", "is not a valid i64"),
    ("f32", "abc", "is not a valid f32"), ("f32", "1e", "is not a valid f32"),
    ("f32", "0x1p3", "is not a valid f32"), ("f64", "", "is not a valid f64"),
    ("f64", "1,5", "is not a valid f64"),
    ("v128", "0", "v128 parameter, which the command line cannot give"),
    ("ref", "0", "externref parameter, which the command line cannot give"),
])
def test_invoke_refuses_arguments_that_do_not_fit(ember_cli: str, identity: str, ty: str, arg: str,
                                                  message: str) -> None:
    # 99999999999999999999 used to become 0 (and 3.5e38 garbage) silently.
    p = run(ember_cli, "run", "--invoke", ty, identity, arg)
    assert p.returncode == 2 and text(p) == ""
    assert err(p).startswith(f"ember run: {identity}: argument 1 `{arg}` ") and message in err(p)


def test_invoke_runs_initialize_first(ember_cli: str, tmp_path: Any) -> None:
    wat = tmp_path / "reactor.wat"
    wat.write_text("""(module
      (global $g (mut i32) (i32.const 1))
      (func (export "_initialize") (global.set $g (i32.const 41)))
      (func (export "get") (param i32) (result i32) (i32.add (global.get $g) (local.get 0))))""")
    p = run(ember_cli, "run", "--invoke", "get", str(wat), "1")
    assert (p.returncode, text(p)) == (0, "42\n")


def test_old_invoke_position_gets_a_hint(ember_cli: str) -> None:
    p = run(ember_cli, "run", FAC, "--invoke", "fac", "5")
    assert p.returncode == 0 and text(p) == ""
    assert "write them before FILE" in err(p)


def test_fuel_flag(ember_cli: str) -> None:
    p = run(ember_cli, "run", "--fuel", "1000000000000", ECHO)
    assert p.returncode == 0, err(p)
    assert text(p).startswith("argv[0]=")
    p = run(ember_cli, "run", "--fuel=0", "--invoke", "fac", FAC, "3")
    assert p.returncode == 134
    assert "wasm trap: all fuel consumed by WebAssembly" in err(p)
    p = run(ember_cli, "run", "--fuel=1000", "--invoke", "fac", FAC, "3")
    assert p.returncode == 0, err(p)
    assert text(p) == "6\n"


# ---- bad command lines and files ---------------------------------------------------------------


@pytest.mark.parametrize("args,message", [
    (["--dir", "/no/such/dir", ECHO], "cannot open directory `/no/such/dir`"),
    (["--dir", FAC, ECHO], "is not a directory"),
    (["--dir", "::/x", ECHO], "expected HOST or HOST::GUEST"),
    (["--dir", "::", ECHO], "expected HOST or HOST::GUEST"),
    (["--env", "NOEQUALS", ECHO], "--env `NOEQUALS`: expected NAME=VALUE"),
    (["--env", "=v", ECHO], "expected NAME=VALUE"),
    (["--fuel", "abc", ECHO], "--fuel `abc`: expected a non-negative integer"),
    (["--fuel", "-5", ECHO], "--fuel `-5`"),
    (["--fuel", "99999999999999999999999", ECHO], "--fuel"),
    (["--wasm", "nosuchfeature=on", ECHO], "unknown feature `nosuchfeature`"),
    (["--wasm", "simd=maybe", ECHO], "bad value `maybe`"),
    (["--bogus", ECHO], "unknown option `--bogus`"),
    (["--invoke"], "--invoke needs a value"),
    (["--dir"], "--dir needs a value"),
    (["--env", "A=1"], "no module file given"),
])
def test_bad_flags(ember_cli: str, args: List[str], message: str) -> None:
    p = run(ember_cli, "run", *args)
    assert p.returncode == 2
    assert message in err(p)
    assert err(p).startswith("ember run: ")
    assert text(p) == ""


def test_missing_and_broken_files(ember_cli: str, tmp_path: Any) -> None:
    missing = str(tmp_path / "missing.wasm")
    p = run(ember_cli, "run", missing)
    assert p.returncode == 1
    assert err(p) == (f"Error: failed to run main module `{missing}`\n\nCaused by:\n"
                      f"    0: failed to read `{missing}`\n    1: No such file or directory\n")
    p = run(ember_cli, "run", str(tmp_path))
    assert p.returncode == 1
    assert f"0: failed to read `{tmp_path}`\n    1: Is a directory\n" in err(p)
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0\x05")
    p = run(ember_cli, "run", str(bad))
    assert p.returncode == 1
    assert f"failed to compile `{bad}`" in err(p)
    wat = tmp_path / "imports.wat"
    wat.write_text('(module (import "env" "f" (func)))')
    p = run(ember_cli, "run", str(wat))
    assert p.returncode == 1
    assert f'0: failed to instantiate "{wat}"' in err(p)
    assert "env::f" in err(p)


def limit_memory() -> None:
    """In the child: a 3 GiB address space, so a reader without a bound
    fails fast instead of taking the machine's memory."""
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_endless_input_stops_at_the_limit(ember_cli: str) -> None:
    # /dev/zero never ends: read in chunks, refused once past 1 GiB.
    p = subprocess.run([ember_cli, "run", "/dev/zero"], capture_output=True, timeout=120,
                       preexec_fn=limit_memory)
    assert p.returncode == 1
    assert err(p) == ("Error: failed to run main module `/dev/zero`\n\nCaused by:\n"
                      "    0: failed to read `/dev/zero`\n"
                      "    1: larger than 1 GiB, the largest module Ember reads\n")


@pytest.mark.parametrize("cmd", ["run", "compile", "validate", "inspect", "wat2wasm"])
def test_large_and_unreadable_inputs(ember_cli: str, tmp_path: Any, cmd: str) -> None:
    big = tmp_path / "big.wasm"
    with open(big, "wb") as f:
        f.truncate((1 << 30) + 1)  # sparse: refused by its size, before any read
    cases = [(str(big), "larger than 1 GiB, the largest module Ember reads"),
             (str(tmp_path), "Is a directory"),
             ("/proc/self/mem", "Input/output error"),  # opens, but read(2) fails
             (str(tmp_path / "missing.wasm"), "No such file or directory")]
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.wat"
        locked.write_text("(module)")
        locked.chmod(0)
        cases.append((str(locked), "Permission denied"))
    for path, reason in cases:
        p = subprocess.run([ember_cli, cmd, path], capture_output=True, timeout=60,
                           preexec_fn=limit_memory)
        assert p.returncode == 1, (path, err(p))
        if cmd == "run":
            assert err(p).endswith(f"    0: failed to read `{path}`\n    1: {reason}\n")
        else:
            assert err(p) == f"ember {cmd}: {path}: {reason}\n"
        assert not (tmp_path / "big.cwasm").exists()


def test_module_from_a_fifo(ember_cli: str, tmp_path: Any) -> None:
    fifo = tmp_path / "m.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(IDENTITY_WAT,))
    writer.start()
    p = run(ember_cli, "run", "--invoke", "i64", str(fifo), "-5")
    writer.join(timeout=60)
    assert (p.returncode, text(p)) == (0, "-5\n"), err(p)


def test_wasi_signature_mismatch_is_a_link_error(ember_cli: str, tmp_path: Any) -> None:
    wat = tmp_path / "m.wat"
    wat.write_text('(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))))')
    p = run(ember_cli, "run", str(wat))
    assert p.returncode == 1
    assert "failed to instantiate" in err(p) and "fd_write" in err(p)


# ---- the option parser every command shares ---------------------------------------------------

SIMD_WAT = "(module (func (result v128) (v128.const i64x2 0 0)))"


@pytest.mark.parametrize("separate,joined", [
    (["--invoke", "fac"], ["--invoke=fac"]),
    (["--fuel", "100000", "--invoke", "fac"], ["--fuel=100000", "--invoke=fac"]),
    (["--env", "A=1", "--dir", ".", "--invoke", "fac"], ["--env=A=1", "--dir=.", "--invoke=fac"]),
])
def test_option_value_as_next_argument_or_after_equals(ember_cli: str, separate: List[str],
                                                       joined: List[str]) -> None:
    a = run(ember_cli, "run", *separate, FAC, "5")
    b = run(ember_cli, "run", *joined, FAC, "5")
    assert (a.returncode, text(a), err(a)) == (0, "120\n", "")
    assert (b.returncode, text(b), err(b)) == (0, "120\n", "")


def test_option_value_is_taken_whatever_it_looks_like(ember_cli: str) -> None:
    # `-o -` is standard output, not an option.
    p = run(ember_cli, "wat2wasm", FAC, "-o", "-")
    assert p.returncode == 0 and p.stdout.startswith(b"\0asm"), err(p)
    p = run(ember_cli, "run", "--env", "--help", ECHO)
    assert (p.returncode, err(p)) == (2, "ember run: --env `--help`: expected NAME=VALUE\n")


@pytest.mark.parametrize("cmd", ["run", "compile", "wat2wasm", "wast"])
def test_unknown_option(ember_cli: str, cmd: str, tmp_path: Any) -> None:
    p = run(ember_cli, cmd, "--bogus", FAC, cwd=tmp_path)
    assert (p.returncode, text(p)) == (2, "")
    assert err(p) == f"ember {cmd}: unknown option `--bogus` (see `ember {cmd} --help`)\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [
    ["run", "--dir"], ["run", "--wasm"], ["compile", FAC, "-o"], ["compile", FAC, "--wasm"],
    ["wat2wasm", FAC, "-o"], ["wast", FAC, "--json"], ["wast", FAC, "--timeout"],
    ["validate", FAC, "--wasm"],
])
def test_option_missing_its_value(ember_cli: str, args: List[str], tmp_path: Any) -> None:
    # Nothing is done when the command line is wrong, not even for the
    # files named before the mistake.
    p = run(ember_cli, *args, cwd=tmp_path)
    assert (p.returncode, text(p)) == (2, "")
    assert err(p).startswith(f"ember {args[0]}: {args[-1]} needs a value")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,what", [
    (["run", "--env", "A=1"], "module file"), (["compile", "--fuel"], "input file"),
    (["wat2wasm", "-o", "x.wasm"], "input file"), (["wast", "-v"], "FILE or DIR"),
])
def test_missing_file(ember_cli: str, args: List[str], what: str) -> None:
    p = run(ember_cli, *args)
    assert p.returncode == 2
    assert err(p) == f"ember {args[0]}: no {what} given (see `ember {args[0]} --help`)\n"


@pytest.mark.parametrize("cmd", ["compile", "wat2wasm", "inspect"])
def test_one_file_only(ember_cli: str, cmd: str, tmp_path: Any) -> None:
    p = run(ember_cli, cmd, FAC, "second.wat", cwd=tmp_path)
    assert (p.returncode, text(p)) == (2, "")
    assert err(p) == f"ember {cmd}: unexpected argument `second.wat` (see `ember {cmd} --help`)\n"


@pytest.mark.parametrize("features,valid", [
    ([], True), (["--wasm", "simd=off"], False), (["--wasm", "simd=off", "--wasm", "simd"], True),
    (["--wasm", "simd=off", "--wasm-2.0"], True), (["--wasm-2.0", "--wasm", "simd=false"], False),
    (["--wasm", "simd=n", "--all-features"], True),
])
def test_feature_options_later_ones_win(ember_cli: str, tmp_path: Any, features: List[str],
                                        valid: bool) -> None:
    wat = tmp_path / "simd.wat"
    wat.write_text(SIMD_WAT)
    for cmd in (["validate"], ["compile", "-o", str(tmp_path / "out.cwasm")], ["run"]):
        p = run(ember_cli, *cmd, *features, str(wat))
        assert p.returncode == (0 if valid else 1), (cmd, err(p))


def test_validate_features_apply_to_the_files_after_them(ember_cli: str, tmp_path: Any) -> None:
    wat = tmp_path / "simd.wat"
    wat.write_text(SIMD_WAT)
    p = run(ember_cli, "validate", str(wat), "--wasm", "simd=off", str(wat))
    assert p.returncode == 1
    assert text(p) == f"{wat}: valid\n"
    assert err(p).startswith(f"ember validate: {wat}: ") and err(p).count("\n") == 1


# ---- traps -----------------------------------------------------------------------------------


def test_trap_report(ember_cli: str, tmp_path: Any) -> None:
    wat = tmp_path / "trap.wat"
    wat.write_text(TRAP_WAT)
    p = run(ember_cli, "run", str(wat))
    assert p.returncode == 134  # as `wasmtime run` on Unix (128 + SIGABRT)
    assert err(p) == (
        f"Error: failed to run main module `{wat}`\n"
        "\n"
        "Caused by:\n"
        "    0: failed to invoke command default\n"
        "    1: error while executing at wasm backtrace:\n"
        "           0:     0x25 - m!inner\n"
        "           1:     0x29 - m!outer\n"
        "           2:     0x2e - m!<wasm function 2>\n"
        "    2: wasm trap: wasm `unreachable` instruction executed\n")


def test_trap_in_a_c_program(ember_cli: str) -> None:
    p = run(ember_cli, "run", ECHO, "trap")
    assert p.returncode == 134
    lines = err(p).splitlines()
    assert lines[0] == f"Error: failed to run main module `{ECHO}`"
    assert "    1: error while executing at wasm backtrace:" in lines
    assert re.match(r"^           0: +0x[0-9a-f]+ - <unknown>!", lines[5])
    assert lines[-1] == "    2: wasm trap: wasm `unreachable` instruction executed"


def test_trap_in_invoke(ember_cli: str, tmp_path: Any) -> None:
    wat = tmp_path / "div.wat"
    wat.write_text('(module (func (export "div") (param i32 i32) (result i32) '
                   '(i32.div_s (local.get 0) (local.get 1))))')
    p = run(ember_cli, "run", "--invoke", "div", str(wat), "1", "0")
    assert p.returncode == 134
    assert "    0: failed to invoke `div`\n" in err(p)
    assert err(p).endswith("    2: wasm trap: integer divide by zero\n")


# ---- help and python -m ember -------------------------------------------------------------------


@pytest.mark.parametrize("cmd", ["run", "wast", "validate", "wat2wasm", "inspect", "compile"])
def test_help(ember_cli: str, cmd: str) -> None:
    p = run(ember_cli, cmd, "--help")
    assert p.returncode == 0
    assert text(p).startswith(f"usage: ember {cmd}")
    assert run(ember_cli, cmd, "-h").stdout == p.stdout
    # Without arguments: the same text as a usage error.
    q = run(ember_cli, cmd)
    assert (q.returncode, err(q), text(q)) == (2, text(p), "")


def test_top_level_help_and_errors(ember_cli: str) -> None:
    p = run(ember_cli, "--help")
    assert p.returncode == 0 and "run [OPTIONS] FILE [ARGS...]" in text(p)
    p = run(ember_cli)
    assert p.returncode == 2 and err(p).startswith("usage:")
    p = run(ember_cli, "frobnicate")
    assert p.returncode == 2 and "unknown command `frobnicate`" in err(p)
    p = run(ember_cli, "run")
    assert p.returncode == 2 and err(p).startswith("usage: ember run")


def test_python_dash_m_ember(ember_cli: str) -> None:
    env = dict(os.environ, EMBER_CLI=ember_cli)
    p = subprocess.run([sys.executable, "-m", "ember", "run", "--env", "EXIT_CODE=4", ECHO, "x"],
                       capture_output=True, timeout=60, env=env, input=b"")
    assert p.returncode == 4, p.stderr
    assert p.stdout.decode().startswith(f"argv[0]={ECHO}\nargv[1]=x\n")
    p = subprocess.run([sys.executable, "-m", "ember", "--version"], capture_output=True,
                       timeout=60, env=env)
    assert p.returncode == 0 and p.stdout.startswith(b"ember ")


def test_python_dash_m_ember_finds_the_tool_itself() -> None:
    """Without EMBER_CLI: next to the interpreter, in the scripts folder, in
    the build tree (PYTHONPATH=<build>/python), or on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "EMBER_CLI"}
    p = subprocess.run([sys.executable, "-m", "ember", "--version"], capture_output=True,
                       timeout=60, env=env)
    if p.returncode != 0 and shutil.which("ember", path=env.get("PATH")) is None:
        assert b"was not found" in p.stderr
        return
    assert p.returncode == 0 and p.stdout.startswith(b"ember ")


def test_S_http_is_for_components(ember_cli: str) -> None:
    p = run(ember_cli, "run", "-S", "http", ECHO)
    assert p.returncode == 2 and "-S http applies to components only" in err(p)
    p = run(ember_cli, "run", "-S", "sockets", ECHO)
    assert p.returncode == 2 and "unknown WASI option `sockets`" in err(p)
