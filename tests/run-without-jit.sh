#!/usr/bin/env bash
# The build without the compiled tier (-DEMBER_JIT=OFF: no LLVM, every
# strategy interprets), as a machine without llvm-22-dev gets it: the
# library, the CLI and the unit tests built, and CTest run over them (the
# unit tests, both spec lists interpreter-only, the CLI golden tests).
# Part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build/nojit -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_JIT=OFF >/dev/null
cmake --build build/nojit -j"$jobs"
ctest --test-dir build/nojit -j"$jobs" --output-on-failure
