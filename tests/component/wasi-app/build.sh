#!/usr/bin/env bash
# Builds the WASI 0.2 command component of tests/python/test_component_wasi.py:
# app.py, packaged by componentize-py as a `wasi:cli/command` (it exports
# `wasi:cli/run`). componentize-py carries its own copy of the WASI 0.2
# interfaces but takes a world only from WIT files, so the WIT is read off a
# first component (probe.wit + probe.py), which imports every WASI interface
# the Python runtime uses; the `run` interface is added to its wasi:cli
# package (OUTDIR/wasi.wit), and the command's world exports it.
#
# Usage: build.sh OUTDIR [wit]   (writes OUTDIR/cmd.wasm, about 15 s; with
# `wit` only OUTDIR/wasi.wit, which ../wasi-http/build.sh uses too)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
cd "$here"
componentize-py -q -d probe.wit -w probe componentize probe -o "$out/probe.wasm"
wasm-tools component wit "$out/probe.wasm" > "$out/probe-world.wit"
python3 - "$out/probe-world.wit" "$out/wasi.wit" <<'PY'
import re
import sys

text = open(sys.argv[1]).read()
packages = [p for p in re.split(r"\n(?=package )", text) if p.startswith("package wasi:")]
run = "  interface run {\n    run: func() -> result;\n  }\n"
packages = [p.replace("{\n", "{\n" + run, 1) if p.startswith("package wasi:cli@") else p
            for p in packages]
open(sys.argv[2], "w").write("\n".join(packages))
PY
[ "${2:-}" = wit ] && exit 0
version="$(sed -n 's/^package wasi:cli@\([0-9.]*\) {$/\1/p' "$out/wasi.wit")"
{ printf 'package example:cmd;\n\nworld cmd {\n  export wasi:cli/run@%s;\n}\n\n' "$version"
  cat "$out/wasi.wit"; } > "$out/cmd.wit"
componentize-py -q -d "$out/cmd.wit" -w cmd componentize app -o "$out/cmd.wasm"
