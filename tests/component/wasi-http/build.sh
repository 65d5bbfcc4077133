#!/usr/bin/env bash
# Builds the wasi:http test client of tests/python/test_component_http.py:
# app.py, packaged by componentize-py with the world of http.wit. The WASI
# 0.2 interfaces it uses (with wasi:cli's `run`) come from
# ../wasi-app/build.sh's WIT, read off componentize-py's own copy; wasi:http
# is written out in http.wit.
#
# Usage: build.sh OUTDIR   (writes OUTDIR/http.wasm; about 15 s)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
bash "$here/../wasi-app/build.sh" "$out" wit
cat "$here/http.wit" "$out/wasi.wit" > "$out/http-world.wit"
cd "$here"
componentize-py -q -d "$out/http-world.wit" -w http-client componentize app -o "$out/http.wasm"
