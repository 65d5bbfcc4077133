"""A WASI 0.2 command (a `wasi:cli/command` component) made by componentize-py
(build.sh): it does what its first argument names, with files in the
preopened directory /data, stdio, the environment, clocks and random bytes,
so tests/python/test_component_wasi.py can run each in Ember and in the
`wasmtime` package and compare what they print.
"""
import os
import sys
from wit_world import exports


class Run(exports.Run):
    def run(self) -> None:
        args = sys.argv[1:]
        cmd = args[0] if args else "cat"
        if cmd == "cat":
            with open("/data/input.txt") as f:
                text = f.read()
            print("read", len(text), "bytes:", text.strip().upper())
        elif cmd == "argv":
            print(sys.argv)
        elif cmd == "env":
            print(os.environ.get("GREETING"))
        elif cmd == "ls":
            print(sorted(os.listdir("/data")))
        elif cmd == "write":
            with open("/data/out.txt", "w") as f:
                f.write("written by the guest\n")
            print(os.stat("/data/out.txt").st_size)
        elif cmd == "missing":
            try:
                open("/data/nope.txt")
            except FileNotFoundError as e:
                print("FileNotFoundError", e.errno)
        elif cmd == "escape":
            try:
                open("/data/../../etc/passwd")
            except OSError as e:
                print(type(e).__name__, e.errno)
        elif cmd == "stdin":
            print(sys.stdin.read().upper())
        elif cmd == "stderr":
            print("to stderr", file=sys.stderr)
        elif cmd == "exit":
            sys.exit(int(args[1]))
        elif cmd == "time":
            import time
            t = time.time()
            time.sleep(0.01)
            print(t > 1.7e9, time.time() >= t)
        elif cmd == "mkdir":
            os.mkdir("/data/sub")
            os.rename("/data/sub", "/data/sub2")
            print(sorted(os.listdir("/data")))
            os.rmdir("/data/sub2")
        elif cmd == "random":
            print(len(os.urandom(16)))
