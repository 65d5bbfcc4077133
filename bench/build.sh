#!/bin/sh
# Builds the benchmark programs (bench/src/*.c).
#
#   bench/build.sh               wasm32-wasi at -O2 into bench/wasm/ (committed)
#   bench/build.sh --native DIR  native x86-64 (or host) at -O2 into DIR
#
# Both use the same compiler (clang by default, CC overrides) and the same
# sources, so the native build is the limit the engines are measured
# against. Needs Debian's clang, lld and wasi-libc for the wasm build:
#   apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-clang}
CFLAGS="-O2 -Wall -Wextra -Werror"

if [ "${1:-}" = "--native" ]; then
  out=${2:?usage: build.sh --native DIR}
  mkdir -p "$out"
  for src in "$here"/src/*.c; do
    name=$(basename "$src" .c)
    $CC $CFLAGS -o "$out/$name" "$src" -lm
  done
  exit 0
fi

SYSROOT=${WASI_SYSROOT:-}
if [ -z "$SYSROOT" ] && [ -d /usr/share/wasi-sysroot ]; then SYSROOT=/usr/share/wasi-sysroot; fi
sysroot_flag=""
[ -n "$SYSROOT" ] && sysroot_flag="--sysroot=$SYSROOT"   # Debian: found without it
# 64 MiB of initial memory: enough for every program at full size, so none
# grows its memory while it runs. node 20's WASI keeps using the memory it saw
# at start after a memory.grow moves it (nodejs/node#51303) and crashes or
# loses output; without growth all engines run the same code either way.
mkdir -p "$here/wasm"
# simd.c is the vector benchmark: built with -msimd128 so the compiler
# vectorises it into v128 code. Compiled and linked apart: at -O2 the clang
# driver also runs binaryen's wasm-opt after linking when it is installed
# (and without enabling SIMD); linking at -O0 keeps the output the
# compiler's alone, the same on every machine.
obj=$(mktemp)
trap 'rm -f "$obj"' EXIT
for src in "$here"/src/*.c; do
  name=$(basename "$src" .c)
  extra=""
  [ "$name" = simd ] && extra="-msimd128"
  echo "cc $name.c $extra"
  $CC --target=wasm32-wasi $sysroot_flag $CFLAGS $extra -c -o "$obj" "$src"
  $CC --target=wasm32-wasi $sysroot_flag -O0 -Wl,--strip-all \
      -Wl,--initial-memory=67108864 -o "$here/wasm/$name.wasm" "$obj"
done
