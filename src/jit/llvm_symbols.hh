// What compiled code links against, by name: the runtime functions it calls
// (interp/native.hh's ember_native_*, the SIMD thunks) and the module's
// function table (FuncCode array). The lowering refers to them as external
// symbols, never as this process's addresses, so that an object file of a
// batch is position-independent and a serialized module can carry it to
// another process (llvm_image.cc); each JIT defines the symbols as absolute
// addresses when it is set up. Internal to src/jit.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "interp/code.hh"

namespace llvm::orc {
class LLJIT;
class JITTargetMachineBuilder;
}  // namespace llvm::orc

namespace ember::jit {

// The symbol of runtime function `fn`, or null if it is not one of them.
const char* runtime_symbol(const void* fn);

// The symbol whose address is the module's FuncCode array.
inline constexpr const char* kFuncTableSymbol = "ember_func_code";

// Defines the runtime functions and `code`'s function table in `jit`'s
// main library. Fails only when LLVM does.
std::string define_runtime_symbols(llvm::orc::LLJIT& jit, const CompiledCode& code);

// A fingerprint of the layouts compiled code reads directly (the field
// offsets of llvm_lowering.hh, sizeof(FuncCode)): part of a serialized
// module's machine-code key. `guard_pages`: the code accesses 32-bit
// memories unchecked (CompiledCode::guard_pages), so an image says which.
uint64_t layout_fingerprint(bool guard_pages);

// Takes out of the host's CPU features those compiled code is not to use
// (llvm_symbols.cc says why): the JIT generates code for what is left, and
// a serialized module's key (llvm_image.cc) names the same.
void leave_out_features(llvm::orc::JITTargetMachineBuilder& host);

}  // namespace ember::jit
