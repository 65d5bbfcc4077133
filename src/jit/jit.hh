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

#include <string>
#include <vector>

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

// Machine code as a serialized module carries it (compile/serialize.cc):
// the object file of an eagerly compiled module, the defined functions
// whose entries it holds, and what it was compiled for.
struct NativeImage {
  std::string llvm_version, triple, cpu, features;  // features: LLVM's "+a,-b,..."
  uint64_t layout = 0;                              // llvm_symbols.hh's layout_fingerprint
  std::string opt_level;
  std::string skipped_reason;                 // CompiledCode::native_skipped_reason
  std::vector<uint32_t> funcs;                // ascending defined function indices
  std::vector<std::vector<uint8_t>> objects;  // relocatable object files, linked in order
};

// The image of `code`'s machine code, if it has one a blob can carry (eager
// compilation); false otherwise.
bool native_image(const CompiledCode& code, NativeImage* out);

// Why `image` cannot run in this process, naming what differs (LLVM
// version, target triple, CPU features this host lacks, code layouts), or
// empty. Without the tier: always a reason.
std::string image_mismatch(const NativeImage& image);

// Installs `image` (image_mismatch() empty, funcs checked against `code`)
// as compile_module would have compiled it, without running LLVM's
// optimizer or code generator: only its linker.
Status load_native_image(CompiledCode& code, const ModuleData& m, const rt::EngineConfig& config,
                         const NativeImage& image);

// Stops tiering's compile thread for the rest of the process: waits for the
// batch in flight; later requests are dropped (hot code stays interpreted).
// Idempotent. At process exit the same happens before LLVM's own static
// objects go, except that a batch still compiling is not waited for: the
// process leaves at once with its exit status (stdio flushed). Without
// `wait`, the batch in flight is not waited for here either.
void stop_tiering(bool wait = true);

}  // namespace ember::jit
