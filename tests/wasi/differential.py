#!/usr/bin/env python3
"""Differential test of the WASI programs in tests/wasi/bin.

Runs every scenario under the `wasmtime` package (the reference; tests only:
`pip install wasmtime`) and under each Ember surface -- the `ember run` CLI
and the `ember` Python package -- and compares the exit code, stdout and the
files the program leaves behind. Each run is its own process, in a fresh
folder laid out by the scenario, so the two engines never share a process.

The pytest test tests/python/test_wasi_differential.py drives `compare`;
run by hand:

    differential.py [--ember PATH] [--only NAME]

Exit status: 0 when every comparison that ran matched (and at least one ran).
Worker mode (used by `run_python_api`): differential.py --worker MODULE
SCENARIO ROOT runs one scenario in-process and prints a JSON result.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "bin")

# exit code, stdout, files left behind (relative path -> bytes)
Result = Tuple[int, bytes, Dict[str, bytes]]


def layout_report(root: str) -> dict:
    data = os.path.join(root, "data")
    os.makedirs(os.path.join(data, "sub"))
    with open(os.path.join(data, "input.txt"), "w") as f:
        f.write("1\n2\n39\n")
    with open(os.path.join(data, "notes.txt"), "w") as f:
        f.write("notes\n")
    return dict(argv=["/data/input.txt", "/data/out.txt", "5"], dirs=[("data", "/data", True)],
                env={"GREETING": "hi"}, stdin=b"stdin data\n")


def layout_fs_ops(root: str) -> dict:
    os.mkdir(os.path.join(root, "work"))
    return dict(argv=[], dirs=[("work", "/work", True)], env={}, stdin=b"")


def layout_escape(root: str) -> dict:
    box = os.path.join(root, "box")
    os.makedirs(os.path.join(box, "sub"))
    with open(os.path.join(root, "secret"), "w") as f:
        f.write("OUTSIDE")
    with open(os.path.join(box, "inside"), "w") as f:
        f.write("x")
    return dict(argv=[], dirs=[("box", "/box", True)], env={}, stdin=b"")


def layout_misc(root: str) -> dict:
    return dict(argv=["7", "exit"], dirs=[], env={}, stdin=b"line one\n")


def layout_readonly(root: str) -> dict:
    ro = os.path.join(root, "ro")
    os.mkdir(ro)
    with open(os.path.join(ro, "data.txt"), "w") as f:
        f.write("readonly")
    return dict(argv=[], dirs=[("ro", "/ro", False)], env={}, stdin=b"")


def layout_echo(root: str) -> dict:
    return dict(argv=["one", "two words"], dirs=[], env={"A": "1", "EXIT_CODE": "3"},
                stdin=b"piped\n")


SCENARIOS: Dict[str, Callable[[str], dict]] = {
    "report": layout_report,
    "fs_ops": layout_fs_ops,
    "escape": layout_escape,
    "misc": layout_misc,
    "readonly": layout_readonly,
    "echo": layout_echo,
}

def wasm_path(name: str) -> str:
    return os.path.join(BIN, name + ".wasm")


# The files a run leaves besides the scenario's own (stdio of the API runs).
_STDIO = (".stdin", ".stdout")


def snapshot(root: str) -> Dict[str, bytes]:
    """Every file under root (relative path -> bytes; symlinks as targets)."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if rel in _STDIO:
                continue
            if os.path.islink(p):
                out[rel] = b"->" + os.readlink(p).encode()
            else:
                with open(p, "rb") as f:
                    out[rel] = f.read()
    return out


def _in_process(module_name: str, name: str, sc: dict, root: str) -> Tuple[int, bytes]:
    """Runs a scenario under a wasmtime-compatible Python module, in root."""
    mod = __import__(module_name)
    engine = mod.Engine()
    store = mod.Store(engine)
    cfg = mod.WasiConfig()
    cfg.argv = [wasm_path(name)] + sc["argv"]  # argv[0] as `ember run` gives it
    cfg.env = list(sc["env"].items())
    stdin = os.path.join(root, ".stdin")
    stdout = os.path.join(root, ".stdout")
    with open(stdin, "wb") as f:
        f.write(sc["stdin"])
    cfg.stdin_file = stdin
    cfg.stdout_file = stdout
    for host, guest, writable in sc["dirs"]:
        host = os.path.join(root, host)
        if writable:
            cfg.preopen_dir(host, guest)
        elif hasattr(mod, "DirPerms"):
            cfg.preopen_dir(host, guest, mod.DirPerms.READ_ONLY, mod.FilePerms.READ_ONLY)
        else:  # wasmtime releases without DirPerms: fs_mutable
            cfg.preopen_dir(host, guest, False)
    store.set_wasi(cfg)
    linker = mod.Linker(engine)
    linker.define_wasi()
    module = mod.Module.from_file(engine, wasm_path(name))
    inst = linker.instantiate(store, module)
    code = 0
    try:
        inst.exports(store)["_start"](store)
    except mod.ExitTrap as e:
        code = e.code
    with open(stdout, "rb") as f:
        out = f.read()
    return code, out


def run_python_api(module_name: str, name: str, sc: dict, root: str) -> Tuple[int, bytes]:
    """`_in_process` in a child Python (so engines never share a process)."""
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", module_name, name, root],
                       capture_output=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"{module_name} worker failed ({p.returncode}): "
                           f"{p.stderr.decode(errors='replace')[-2000:]}")
    r = json.loads(p.stdout)
    return r["exit"], base64.b64decode(r["stdout"])


def run_cli(ember: str, name: str, sc: dict, root: str) -> Optional[Tuple[int, bytes]]:
    cmd = [ember, "run"]
    for host, guest, writable in sc["dirs"]:
        if not writable:
            return None  # no read-only flag on the command line (as `wasmtime run`)
        cmd += ["--dir", f"{host}::{guest}"]
    for k, v in sc["env"].items():
        cmd += ["--env", f"{k}={v}"]
    cmd += [wasm_path(name)] + sc["argv"]
    p = subprocess.run(cmd, input=sc["stdin"], capture_output=True, timeout=120, cwd=root)
    return p.returncode, p.stdout


def one(name: str, runner: Callable[[str, dict, str], Optional[Tuple[int, bytes]]]) -> Optional[Result]:
    """A fresh folder laid out for `name`, the run, and what it left."""
    root = tempfile.mkdtemp(prefix=f"ember-wasi-{name}-")
    try:
        sc = SCENARIOS[name](root)
        res = runner(name, sc, root)
        if res is None:
            return None
        return res[0], res[1], snapshot(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def reference(name: str) -> Result:
    r = one(name, lambda n, sc, root: run_python_api("wasmtime", n, sc, root))
    assert r is not None
    return r


def surfaces(ember_cli: Optional[str]) -> List[Tuple[str, Callable]]:
    out: List[Tuple[str, Callable]] = [
        ("python", lambda n, sc, root: run_python_api("ember", n, sc, root))]
    if ember_cli:
        out.insert(0, ("cli", lambda n, sc, root: run_cli(ember_cli, n, sc, root)))
    return out


def describe(ref: Result, got: Result) -> str:
    """What differs, for a failure message."""
    lines = []
    if got[0] != ref[0]:
        lines.append(f"exit {got[0]}, want {ref[0]}")
    if got[1] != ref[1]:
        lines.append(f"stdout:\n  got  {got[1]!r}\n  want {ref[1]!r}")
    if got[2] != ref[2]:
        keys = sorted(set(got[2]) | set(ref[2]))
        diff = [k for k in keys if got[2].get(k) != ref[2].get(k)]
        lines.append("files differ: " + ", ".join(
            f"{k} (got {got[2].get(k)!r}, want {ref[2].get(k)!r})" for k in diff))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ember", default=os.environ.get("EMBER_CLI", shutil.which("ember") or ""))
    ap.add_argument("--only")
    ap.add_argument("--worker", nargs=3, metavar=("MODULE", "SCENARIO", "ROOT"))
    args = ap.parse_args()
    if args.worker:
        module_name, name, root = args.worker
        # ROOT was laid out by the parent; lay out a scratch copy only to get
        # the scenario's description (argv, env, dirs, stdin).
        scratch = tempfile.mkdtemp()
        try:
            sc = SCENARIOS[name](scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        code, out = _in_process(module_name, name, sc, root)
        print(json.dumps({"exit": code, "stdout": base64.b64encode(out).decode()}))
        return 0
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        print("SKIP: the wasmtime package is not installed (pip install wasmtime)")
        return 1
    ran = failed = 0
    for name in SCENARIOS:
        if args.only and name != args.only:
            continue
        ref = reference(name)
        for label, runner in surfaces(args.ember if args.ember and os.path.exists(args.ember) else None):
            got = one(name, runner)
            if got is None:
                print(f"skip {label} {name}: not expressible on this surface")
                continue
            ran += 1
            ok = got == ref
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {label} {name} (exit {got[0]}, want {ref[0]})")
            if not ok:
                print("  " + describe(ref, got).replace("\n", "\n  "))
    print(f"{ran} comparisons, {failed} failed")
    return 0 if ran and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
