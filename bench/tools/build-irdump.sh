#!/bin/sh
# Builds bench/tools/irdump against an Ember build's internal library:
#   bench/tools/build-irdump.sh [BUILD_DIR]   (default build/test) -> BUILD_DIR/irdump
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/test}
${CXX:-c++} -std=c++20 -O1 -I"$root/src" -I"$root/include" \
  -o "$build/irdump" "$root/bench/tools/irdump.cc" "$build/libember_core.a" -lpthread
echo "$build/irdump"
