// Lowering of one translated function (register IR, interp/code.hh) to an
// LLVM function with interp/native.hh's calling convention.
//
// Each frame slot is an i64 alloca (SROA turns them into registers); each
// instruction becomes the LLVM operations of its semantics, with explicit
// checks where it can trap (bounds, division, conversions) that leave
// through interp::ember_native_trap with the instruction's word; calls write
// their argument window to the frame and read the results back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "interp/code.hh"
#include "ir/module.hh"

namespace llvm {
class Function;
class FunctionType;
class LLVMContext;
class Module;
}  // namespace llvm

namespace ember::jit {

struct LowerContext {
  const CompiledCode& code;
  const ModuleData& module;
  const std::vector<uint32_t>& words;  // code.words in portable form (IOp numbers)
  // Per defined function: its LLVM function if it is compiled (a direct
  // call target), null if the interpreter runs it.
  const std::vector<llvm::Function*>& compiled;
  // Per defined function: its body with the register convention (below),
  // when it has one and is compiled; direct calls prefer it.
  const std::vector<llvm::Function*>& registers;
  // Accesses to 32-bit memories with 64 KiB pages go unchecked: their
  // guard regions fault instead (CompiledCode::guard_pages). Such a load
  // or store addresses memory through a GEP carrying kUncheckedAccess.
  bool guard_pages = false;
};

// The metadata kind of an unchecked access's address (above).
inline constexpr const char* kUncheckedAccess = "ember.unchecked";
// The metadata kind of a load of a MemoryInst's base: the loop versioning
// pass (llvm_widen.hh) reads the size beside it.
inline constexpr const char* kMemoryBase = "ember.memory_base";

// The register convention between compiled functions. A function whose
// results fit one slot and which makes no tail call has, besides its entry
// with interp/native.hh's convention (`f(st, view, fp)`, what the
// interpreter and the runtime call), a body
//   {i64 result, i32 trap} body(st, view, fp, i32 depth, i64 param slots...)
// that compiled callers call directly: the arguments and the result stay
// in registers (not the frame at fp, which the callee still owns for its
// own calls and trap reports), and the count of compiled activations
// (State::native_depth) is an argument. The entry loads the parameters and
// the depth, calls the body and stores the result. State::native_depth is
// current only where the runtime may read it: compiled code writes its
// depth there before a runtime call that can run code, before a call of
// another function's entry and before a tail call.
std::vector<bool> register_functions(const CompiledCode& code, const std::vector<uint32_t>& words);
llvm::FunctionType* register_type(llvm::LLVMContext& c, uint32_t param_slots);
// Fills the empty `entry` (native.hh's convention) with the call of
// `body`, defined function `index`'s register body.
void build_entry(const CompiledCode& code, uint32_t index, llvm::Function* entry,
                 llvm::Function* body);

// Lowers defined function `index` into `fn` (declared with the native
// signature, empty). Returns an empty string, or why the function cannot be
// compiled (an instruction this tier does not lower yet); then `fn` is left
// in an unspecified state and must be erased.
// What lowering an OSR entry found: the loop headers it enters at (their
// TierUp words), and whether it also runs as a call of the function (so
// that it can serve as the function's entry meanwhile): when its loops do
// not nest.
struct OsrEntryInfo {
  std::vector<uint32_t> headers;
  bool serves_calls = false;
};

// With `osr`, `fn` is the function's entry at its loop headers: it starts
// with the whole frame the interpreter left at fp and goes to the header
// whose word is in State::osr_word -- or, when that is kNoOsrWord and
// osr->serves_calls, runs as a call of the function.
std::string lower_function(const LowerContext& cx, uint32_t index, llvm::Function* fn,
                           OsrEntryInfo* osr = nullptr);

}  // namespace ember::jit
