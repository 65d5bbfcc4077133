// The compiled tier: LLVM code for the functions of a module, lowered from
// the interpreter's register IR (src/interp/code.hh) so that traps, their
// offsets and backtraces match the interpreter's by construction.
//
// Place: after translation (src/compile calls it), before the module's code
// is published. The code runs through the interpreter's calling convention
// for compiled functions (interp/native.hh): the dispatch loop calls a
// function whose FuncCode::native is set instead of interpreting it.
//
// Step 1 of the tier (docs/status.md): eager compilation of a module
// (Config::strategy "cranelift"); a function using an instruction it does
// not lower yet stays interpreted, and CompiledCode::native_funcs says how
// many it compiled. Built only with LLVM (CMake EMBER_JIT); without it,
// available() is false and compile_module() compiles nothing.
#pragma once

#include "interp/code.hh"
#include "ir/module.hh"
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember::jit {

// True when this build has the compiled tier.
bool available();

// Compiles the functions of `code` (translated for `m`) that the tier
// lowers, setting their FuncCode::native and code.native_code,
// native_funcs, native_skipped_reason. Fails only when LLVM fails.
Status compile_module(CompiledCode& code, const ModuleData& m, const rt::EngineConfig& config);

}  // namespace ember::jit
