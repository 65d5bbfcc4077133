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
};

// Lowers defined function `index` into `fn` (declared with the native
// signature, empty). Returns an empty string, or why the function cannot be
// compiled (an instruction this tier does not lower yet); then `fn` is left
// in an unspecified state and must be erased.
// With `osr_words`, `fn` is the function's entry at its loop headers
// (their TierUp words, appended to *osr_words): it starts with the whole
// frame the interpreter left at fp and goes to the header whose word is in
// State::osr_word.
std::string lower_function(const LowerContext& cx, uint32_t index, llvm::Function* fn,
                           std::vector<uint32_t>* osr_words = nullptr);

// Why defined function `index` cannot be compiled regardless of its
// instructions (GC references, catch clauses that hand out references), or
// empty.
std::string function_excluded(const CompiledCode& code, const ModuleData& module, uint32_t index);

}  // namespace ember::jit
