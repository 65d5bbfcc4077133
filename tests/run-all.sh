#!/usr/bin/env bash
# The whole test suite: one build (C++ library, CLI, unit tests, Python
# extension), then every test against that build: CTest (unit tests, spec
# testsuite, examples), pytest (the Python package, the CLI) and mypy.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EMBER_BUILD_DIR:-build/test}
jobs=$(nproc)

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_PYTHON=ON \
      ${EMBER_CMAKE_ARGS:-}
cmake --build "$build" -j"$jobs"

status=0
ctest --test-dir "$build" -j"$jobs" --output-on-failure || status=1

if [ -d tests/python ] && ls "$build"/python/ember/_ember*.so >/dev/null 2>&1; then
  # tests/python also drives the CLI (test_cli.py, the WASI differential test).
  PYTHONPATH="$PWD/$build/python" EMBER_CLI="$PWD/$build/ember" \
    python3 -m pytest tests/python -q || status=1
  # The package (with its stubs) and the tests must type-check.
  MYPYPATH="$PWD/$build/python" python3 -m mypy --no-error-summary \
    "$build/python/ember" tests/python || status=1
elif [ -d tests/python ] && ls tests/python/test_*.py >/dev/null 2>&1; then
  echo "error: Python tests exist but the extension was not built" >&2
  status=1
fi
exit $status
