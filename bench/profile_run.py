#!/usr/bin/env python3
"""Runs one benchmark program on Ember, for profiling the interpreter:

    PYTHONPATH=build/test/python perf record -g -- python3 bench/profile_run.py fib 30
    valgrind --tool=callgrind python3 bench/profile_run.py --minimal sort 20000

It prints the program's output and the `_start` time. With the engine's WASI
(`Linker.define_wasi`) when the build has it; otherwise, or with --minimal, it
supplies the seven WASI preview1 functions the benchmark programs import
(args, fd_write to stdout/stderr, fd_seek, fd_close, fd_fdstat_get,
proc_exit) as Python host functions. They are called only a handful of times
per run, so the profile is the interpreter's. This is a profiling aid, not a
WASI implementation: the harness (bench/run.py) uses only the real one.
"""
import argparse
import os
import struct
import sys
import time
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

WASI = "wasi_snapshot_preview1"
EBADF, ESPIPE = 8, 70


class Exit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"exit {code}")
        self.code = code


def define_minimal_wasi(mod, linker, argv, out) -> None:
    i32, i64 = mod.ValType.i32(), mod.ValType.i64()
    encoded = [a.encode() + b"\0" for a in argv]

    def mem(caller):
        return caller.get("memory")

    def args_sizes_get(caller, argc_ptr, size_ptr):
        m = mem(caller)
        m.write(caller, struct.pack("<I", len(encoded)), argc_ptr)
        m.write(caller, struct.pack("<I", sum(map(len, encoded))), size_ptr)
        return 0

    def args_get(caller, argv_ptr, buf_ptr):
        m = mem(caller)
        for i, a in enumerate(encoded):
            m.write(caller, struct.pack("<I", buf_ptr), argv_ptr + 4 * i)
            m.write(caller, a, buf_ptr)
            buf_ptr += len(a)
        return 0

    def fd_write(caller, fd, iovs, n, nwritten_ptr):
        if fd not in (1, 2):
            return EBADF
        m = mem(caller)
        total = 0
        for i in range(n):
            base, length = struct.unpack("<II", bytes(m.read(caller, iovs + 8 * i,
                                                            iovs + 8 * i + 8)))
            data = bytes(m.read(caller, base, base + length))
            (out if fd == 1 else sys.stderr.buffer).write(data)
            total += length
        m.write(caller, struct.pack("<I", total), nwritten_ptr)
        return 0

    def fd_fdstat_get(caller, fd, stat_ptr):
        if fd not in (0, 1, 2):
            return EBADF
        # filetype character device, no flags, all rights.
        stat = struct.pack("<BxHxxxxQQ", 2, 0, (1 << 64) - 1, (1 << 64) - 1)
        mem(caller).write(caller, stat, stat_ptr)
        return 0

    def fd_seek(caller, fd, offset, whence, new_ptr):
        return ESPIPE if fd in (0, 1, 2) else EBADF

    def fd_close(caller, fd):
        return 0 if fd in (0, 1, 2) else EBADF

    def proc_exit(caller, code):
        raise Exit(code)

    FT = mod.FuncType
    linker.define_func(WASI, "args_sizes_get", FT([i32, i32], [i32]), args_sizes_get, True)
    linker.define_func(WASI, "args_get", FT([i32, i32], [i32]), args_get, True)
    linker.define_func(WASI, "fd_write", FT([i32, i32, i32, i32], [i32]), fd_write, True)
    linker.define_func(WASI, "fd_fdstat_get", FT([i32, i32], [i32]), fd_fdstat_get, True)
    linker.define_func(WASI, "fd_seek", FT([i32, i64, i32, i32], [i32]), fd_seek, True)
    linker.define_func(WASI, "fd_close", FT([i32], [i32]), fd_close, True)
    linker.define_func(WASI, "proc_exit", FT([i32], []), proc_exit, True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("program")
    ap.add_argument("size", nargs="?")
    ap.add_argument("--minimal", action="store_true",
                    help="always use the minimal host functions, not the engine's WASI")
    ap.add_argument("--ember-build", default=os.path.join(ROOT, "build", "test"))
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.ember_build, "python"))
    import ember as mod

    wasm = os.path.join(HERE, "wasm", args.program + ".wasm")
    argv = [args.program] + ([args.size] if args.size else [])
    engine = mod.Engine()
    t0 = time.perf_counter()
    module = mod.Module.from_file(engine, wasm)
    t1 = time.perf_counter()
    store = mod.Store(engine)
    linker = mod.Linker(engine)
    how = "minimal host functions"
    if not args.minimal:
        try:
            linker.define_wasi()
            wasi = mod.WasiConfig()
            wasi.argv = argv
            wasi.inherit_stdout()
            wasi.inherit_stderr()
            store.set_wasi(wasi)
            how = "engine WASI"
        except mod.WasmtimeError:
            linker = mod.Linker(engine)
    if how != "engine WASI":
        define_minimal_wasi(mod, linker, argv, sys.stdout.buffer)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    t2 = time.perf_counter()
    code = 0
    try:
        start(store)
    except Exception as e:
        cause: Optional[BaseException] = e
        while cause is not None and not isinstance(cause, Exit):
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, Exit):
            code = cause.code
        elif isinstance(e, getattr(mod, "ExitTrap", ())):
            code = getattr(e, "code", 1)
        else:
            raise
    t3 = time.perf_counter()
    sys.stdout.flush()
    print(f"# {args.program}: compile {1e3 * (t1 - t0):.1f} ms, _start {t3 - t2:.3f} s, "
          f"exit {code} ({how})", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
