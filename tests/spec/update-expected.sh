#!/usr/bin/env bash
# Rewrites tests/spec/expected-2.0.txt and expected-3.0.txt from a build's
# `ember` binary, with the same flags the CTest tests use. Run it after an
# improvement (the spec tests fail until the lists match the results).
#   usage: tests/spec/update-expected.sh [BUILD_DIR] [SUITE_ROOT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/test}
root=${2:-${EMBER_TESTSUITE:-$here/../../../shared}}
ember="$build/ember"
[ -x "$ember" ] || { echo "error: $ember not found (build the ember_cli target)" >&2; exit 2; }
for d in "$root/wasm-testsuite-2.0" "$root/wasm-testsuite"; do
  [ -d "$d" ] || { echo "error: spec testsuite not found: $d" >&2; exit 2; }
done
rm -f "$here"/expected-*.txt.new
"$ember" wast --wasm-2.0 --root "$root/wasm-testsuite-2.0" \
  --write-expect "$here/expected-2.0.txt.new" "$root/wasm-testsuite-2.0" | tail -1 || true
"$ember" wast --all-features --root "$root/wasm-testsuite" \
  --write-expect "$here/expected-3.0.txt.new" "$root/wasm-testsuite" | tail -1 || true
# The threads proposal's files on the features they were written for.
"$ember" wast --wasm-2.0 --wasm threads=on --root "$root/wasm-testsuite" \
  --write-expect "$here/expected-threads-2.0.txt.new" "$root/wasm-testsuite/proposals/threads" \
  | tail -1 || true
mv "$here/expected-2.0.txt.new" "$here/expected-2.0.txt"
mv "$here/expected-3.0.txt.new" "$here/expected-3.0.txt"
mv "$here/expected-threads-2.0.txt.new" "$here/expected-threads-2.0.txt"
git -C "$here" diff --stat -- expected-2.0.txt expected-3.0.txt expected-threads-2.0.txt || true
