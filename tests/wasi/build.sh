#!/bin/sh
# Builds the WASI test programs (tests/wasi/src/*.c) into tests/wasi/bin/*.wasm
# with Debian's clang, lld and wasi-libc:
#   apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
# The .wasm files are committed, so the test suite itself needs no clang.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-clang}
SYSROOT=${WASI_SYSROOT:-}
if [ -z "$SYSROOT" ] && [ -d /usr/share/wasi-sysroot ]; then SYSROOT=/usr/share/wasi-sysroot; fi
sysroot_flag=""
[ -n "$SYSROOT" ] && sysroot_flag="--sysroot=$SYSROOT"   # Debian: found without it
mkdir -p "$here/bin"
for src in "$here"/src/*.c; do
  name=$(basename "$src" .c)
  echo "cc $name.c"
  case $name in
    simd_*)
      # -msimd128. Compiled and linked apart: at -O2 the clang driver runs
      # wasm-opt after linking without enabling SIMD, which then fails.
      obj=$(mktemp)
      $CC --target=wasm32-wasi $sysroot_flag -O2 -msimd128 -Wall -Wextra -c -o "$obj" "$src"
      $CC --target=wasm32-wasi $sysroot_flag -O0 -Wl,--strip-all -o "$here/bin/$name.wasm" "$obj"
      rm -f "$obj"
      ;;
    *)
      $CC --target=wasm32-wasi $sysroot_flag -O2 -Wall -Wextra -Wl,--strip-all \
          -o "$here/bin/$name.wasm" "$src"
      ;;
  esac
done
