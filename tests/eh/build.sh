#!/bin/sh
# Builds the C++ exception programs (tests/eh/src) into tests/eh/bin/*.wasm
# with the standard Wasm exception instructions (try_table, throw,
# throw_ref, exnref), not the legacy try/catch/rethrow. Needs clang 20 or
# later for -wasm-use-legacy-eh=false (clang-19 emits only legacy ones):
#   apt-get install clang-22 lld-22 libc++-22-dev-wasm32 \
#     libc++abi-22-dev-wasm32 libclang-rt-22-dev-wasm32 wasi-libc
# Debian's wasm32 libc++abi has no exception support, so src/cxxabi_shim.cc
# supplies the runtime (libc++/libc++abi still give the type_info classes).
# The .wasm files are committed, so the test suite itself needs no clang.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CXX=${CXX:-clang++-22}
# Debian keeps the sysroot under the wasm32-wasi triple, which clang 22
# calls deprecated: hence -Wno-deprecated.
target="--target=wasm32-wasi -Wno-deprecated"
eh="-fwasm-exceptions -mllvm -wasm-use-legacy-eh=false"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$here/bin"
for src in "$here"/src/*.cc; do
  name=$(basename "$src" .cc)
  echo "c++ $name.cc"
  $CXX $target $eh -O2 -Wall -Wextra -c -o "$tmp/$name.o" "$src"
done
# Linked without -O: at -O2 the driver would run wasm-opt, whose Debian
# version predates exnref.
echo "link exceptions.wasm"
$CXX $target -Wl,--strip-all -o "$here/bin/exceptions.wasm" "$tmp/exceptions.o" "$tmp/cxxabi_shim.o"
# No main and no constructors to run: a library module without an entry.
echo "link host_calls.wasm"
$CXX $target -nostartfiles -Wl,--no-entry -Wl,--strip-all \
    -o "$here/bin/host_calls.wasm" "$tmp/host_calls.o" "$tmp/cxxabi_shim.o"
