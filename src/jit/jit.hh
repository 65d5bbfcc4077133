// The compiled tier: LLVM code for the functions of a module, lowered from
// the interpreter's register IR (src/interp/code.hh) so that traps, their
// offsets and backtraces match the interpreter's by construction.
//
// Place: after translation (src/compile calls it), before the module's code
// is published. The code runs through the interpreter's calling convention
// for compiled functions (interp/native.hh): the dispatch loop calls a
// function whose FuncCode::native is set instead of interpreting it.
//
// Strategy "cranelift" compiles every function of a module eagerly;
// "auto" tiers up (llvm_tier.cc): hot functions and loops are compiled in the
// background. A function using an instruction the tier does not lower yet
// stays interpreted, and CompiledCode::native_funcs says how many eager
// compilation compiled. Built only with LLVM (CMake EMBER_JIT); without it,
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

// Whether a module translated under `config` tiers up: strategy "auto" in
// a build with the tier (the translator then emits TierUp instructions).
bool tiers_up(const rt::EngineConfig& config);

// Strategy "auto": sets code.tier_up and the budgets, so that hot functions
// are compiled in the background (llvm_tier.cc). Nothing otherwise.
void prepare_tiering(CompiledCode& code, const rt::EngineConfig& config);

// Stops tiering's compile thread for the rest of the process: waits for the
// batch in flight; later requests are dropped (hot code stays interpreted).
// Idempotent. Runs at exit: before LLVM's own static objects go.
void stop_tiering();

}  // namespace ember::jit
