#!/usr/bin/env python3
"""Differential test of the WASI programs in tests/wasi/bin.

Runs every scenario under the `wasmtime` package (the reference; install it
with `pip install wasmtime`, tests only) and under each available Ember
surface -- the `ember run` CLI (path in $EMBER, default `ember` on PATH) and
the `ember` Python package -- and compares stdout, the exit code and the
files the program leaves behind. Surfaces that are missing or do not yet
provide WASI are reported as skipped, never as passed.

Usage: differential.py [--ember PATH] [--only NAME]
Exit status: 0 when every comparison that ran matched (and at least one ran).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "bin")


def layout_report(root):
    data = os.path.join(root, "data")
    os.mkdir(data)
    with open(os.path.join(data, "input.txt"), "w") as f:
        f.write("1\n2\n39\n")
    return dict(argv=["/data/input.txt", "/data/out.txt", "5"], dirs=[(data, "/data", True)],
                env={"GREETING": "hi"}, stdin=b"stdin data\n")


def layout_fs_ops(root):
    work = os.path.join(root, "work")
    os.mkdir(work)
    return dict(argv=[], dirs=[(work, "/work", True)], env={}, stdin=b"")


def layout_escape(root):
    box = os.path.join(root, "box")
    os.makedirs(os.path.join(box, "sub"))
    with open(os.path.join(root, "secret"), "w") as f:
        f.write("OUTSIDE")
    with open(os.path.join(box, "inside"), "w") as f:
        f.write("x")
    return dict(argv=[], dirs=[(box, "/box", True)], env={}, stdin=b"")


def layout_misc(root):
    return dict(argv=["7", "exit"], dirs=[], env={}, stdin=b"line one\n")


def layout_readonly(root):
    ro = os.path.join(root, "ro")
    os.mkdir(ro)
    with open(os.path.join(ro, "data.txt"), "w") as f:
        f.write("readonly")
    return dict(argv=[], dirs=[(ro, "/ro", False)], env={}, stdin=b"")


SCENARIOS = {
    "report": layout_report,
    "fs_ops": layout_fs_ops,
    "escape": layout_escape,
    "misc": layout_misc,
    "readonly": layout_readonly,
}


def snapshot(root):
    """Every file under root (relative path -> bytes)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                out[os.path.relpath(p, root)] = b"->" + os.readlink(p).encode()
            else:
                with open(p, "rb") as f:
                    out[os.path.relpath(p, root)] = f.read()
    return out


def run_python_api(mod, name, sc, root):
    """Runs under a wasmtime-compatible Python module (wasmtime or ember)."""
    engine = mod.Engine()
    store = mod.Store(engine)
    cfg = mod.WasiConfig()
    cfg.argv = [name] + sc["argv"]
    cfg.env = list(sc["env"].items())
    stdin = os.path.join(root, ".stdin")
    stdout = os.path.join(root, ".stdout")
    with open(stdin, "wb") as f:
        f.write(sc["stdin"])
    cfg.stdin_file = stdin
    cfg.stdout_file = stdout
    for host, guest, writable in sc["dirs"]:
        if writable:
            cfg.preopen_dir(host, guest)
        elif hasattr(mod, "DirPerms"):
            cfg.preopen_dir(host, guest, mod.DirPerms.READ_ONLY, mod.FilePerms.READ_ONLY)
        else:
            cfg.preopen_dir(host, guest, False)
    store.set_wasi(cfg)
    linker = mod.Linker(engine)
    linker.define_wasi()
    inst = linker.instantiate(store, mod.Module.from_file(engine, os.path.join(BIN, name + ".wasm")))
    code = 0
    try:
        inst.exports(store)["_start"](store)
    except mod.ExitTrap as e:
        code = e.code
    with open(stdout, "rb") as f:
        out = f.read()
    os.remove(stdin)
    os.remove(stdout)
    return code, out


def run_cli(ember, name, sc, root):
    cmd = [ember, "run"]
    for host, guest, writable in sc["dirs"]:
        cmd += ["--dir", f"{host}::{guest}"]
        if not writable:
            return None  # the CLI has no read-only flag (like `wasmtime run`)
    for k, v in sc["env"].items():
        cmd += ["--env", f"{k}={v}"]
    cmd += [os.path.join(BIN, name + ".wasm")] + sc["argv"]
    p = subprocess.run(cmd, input=sc["stdin"], capture_output=True, timeout=60)
    return p.returncode, p.stdout


def one(name, runner, label):
    root = tempfile.mkdtemp(prefix=f"wasi-{name}-{label}-")
    try:
        sc = SCENARIOS[name](root)
        res = runner(name, sc, root)
        if res is None:
            return None
        return res + (snapshot(root),)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ember", default=os.environ.get("EMBER", shutil.which("ember") or ""))
    ap.add_argument("--only")
    args = ap.parse_args()
    try:
        import wasmtime
    except ImportError:
        print("SKIP: the wasmtime package is not installed (pip install wasmtime)")
        return 1
    surfaces = []
    if args.ember and os.path.exists(args.ember):
        surfaces.append(("cli", lambda n, sc, r: run_cli(args.ember, n, sc, r)))
    else:
        print("skip cli: no ember executable (--ember PATH)")
    try:
        import ember
        surfaces.append(("python", lambda n, sc, r: run_python_api(ember, n, sc, r)))
    except ImportError:
        print("skip python: the ember package is not importable")
    ran = failed = 0
    for name in SCENARIOS:
        if args.only and name != args.only:
            continue
        ref = one(name, lambda n, sc, r: run_python_api(wasmtime, n, sc, r), "wasmtime")
        for label, runner in surfaces:
            try:
                got = one(name, runner, label)
            except Exception as e:  # a surface without WASI yet
                print(f"skip {label} {name}: {type(e).__name__}: {e}")
                continue
            if got is None:
                print(f"skip {label} {name}: not expressible on this surface")
                continue
            ran += 1
            ok = got == ref
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {label} {name} (exit {got[0]}, want {ref[0]})")
            if not ok:
                print("  want stdout:", ref[1][:400])
                print("  got  stdout:", got[1][:400])
                if got[2] != ref[2]:
                    print("  files differ:", sorted(set(got[2]) ^ set(ref[2])) or "(contents)")
    print(f"{ran} comparisons, {failed} failed")
    return 0 if ran and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
