#!/usr/bin/env bash
# Builds the wasi:http test client of tests/python/test_component_http.py:
# app.py, packaged by componentize-py with the world of http.wit. The
# wasi:io and wasi:clocks interfaces it uses are read off the probe
# component of ../wasi-app (componentize-py carries WASI 0.2 but takes a
# world only from WIT files); wasi:http is written out in http.wit.
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
            if p.startswith("package wasi:io@") or p.startswith("package wasi:clocks@")]
open(sys.argv[3], "w").write(open(sys.argv[2]).read() + "\n" + "\n".join(packages))
PY
cd "$here"
componentize-py -q -d "$out/http-world.wit" -w http-client componentize app -o "$out/http.wasm"
