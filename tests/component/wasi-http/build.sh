#!/usr/bin/env bash
# Builds the wasi:http test client of tests/python/test_component_http.py:
# app.py, packaged by componentize-py with the world of http.wit. The
# wasi:io, wasi:clocks and wasi:cli interfaces it uses are read off the
# probe component of ../wasi-app (componentize-py carries WASI 0.2 but takes
# a world only from WIT files), with wasi:cli's `run` added; wasi:http is
# written out in http.wit.
#
# Usage: build.sh OUTDIR   (writes OUTDIR/http.wasm; about 15 s)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
cd "$here/../wasi-app"
componentize-py -q -d probe.wit -w probe componentize probe -o "$out/probe.wasm"
wasm-tools component wit "$out/probe.wasm" > "$out/probe-world.wit"
python3 - "$out/probe-world.wit" "$here/http.wit" "$out/http-world.wit" <<'PY'
import re
import sys

probe = open(sys.argv[1]).read()
packages = [p for p in re.split(r"\n(?=package )", probe)
            if p.startswith(("package wasi:io@", "package wasi:clocks@", "package wasi:cli@"))]
run = "  interface run {\n    run: func() -> result;\n  }\n"
packages = [p.replace("{\n", "{\n" + run, 1) if p.startswith("package wasi:cli@") else p
            for p in packages]
open(sys.argv[3], "w").write(open(sys.argv[2]).read() + "\n" + "\n".join(packages))
PY
cd "$here"
componentize-py -q -d "$out/http-world.wit" -w http-client componentize app -o "$out/http.wasm"
