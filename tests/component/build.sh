#!/bin/sh
# Regenerates the component binaries of this folder from their sources with
# `wasm-tools` (https://github.com/bytecodealliance/wasm-tools):
#   *.wat, run/*.wat -> *.wasm          (wasm-tools parse; run/: components
#                    that tests/python/test_component_run.py instantiates)
#   toolchain/*.wit + toolchain/core.wat -> toolchain.wasm
#                    (wasm-tools component embed + component new: a component
#                    made by the toolchain from a core module and its WIT)
#   invalid/*.wat    -> invalid/*.wasm  (wasm-tools parse only: each is a
#                    well-formed component that breaks one validation rule,
#                    named in its first line)
set -eu
cd "$(dirname "$0")"
for wat in *.wat; do
  wasm-tools parse "$wat" -o "${wat%.wat}.wasm"
  wasm-tools validate "${wat%.wat}.wasm"
done
for wat in run/*.wat; do
  wasm-tools parse "$wat" -o "${wat%.wat}.wasm"
  wasm-tools validate "${wat%.wat}.wasm"
done
for wat in invalid/*.wat; do
  wasm-tools parse "$wat" -o "${wat%.wat}.wasm"
done
wasm-tools parse toolchain/core.wat -o toolchain/core.wasm
wasm-tools component embed toolchain/world.wit toolchain/core.wasm -o toolchain/embedded.wasm
wasm-tools component new toolchain/embedded.wasm -o toolchain.wasm
wasm-tools validate toolchain.wasm
rm -f toolchain/core.wasm toolchain/embedded.wasm
