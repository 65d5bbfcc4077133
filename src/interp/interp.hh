// The interpreter tier's public face inside the engine.
//
// Translated code lives in a CompiledCode (src/interp/code.hh) owned by the
// ModuleData; the runtime sets FuncInst::code = function_code(...) for every
// defined function of an instance, then calls functions through call().
//
// Execution model: one dispatch loop with an explicit frame stack, so deep
// wasm recursion never consumes native stack. Frames are windows of 8-byte
// slots on a per-store value stack (bounded by EngineConfig::max_wasm_stack)
// and the call depth is bounded; both limits trap with StackOverflow. Host
// functions that call back into wasm nest the loop; that nesting is bounded
// too. The loop never throws and never allocates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/module.hh"
#include "ir/types.hh"
#include "runtime/store_data.hh"
#include "runtime/tier.hh"

namespace ember::interp {

// FuncInst::code for the module's defined function number `defined_index`
// (i.e. function index minus the number of imported functions).
const void* function_code(const CompiledCode& code, uint32_t defined_index);

// Calls f (wasm or host) with arguments in slots[0..); results are written to
// slots[0..). `slots` holds max(params, results) slots (v128 = 2 slots).
// Returns TrapCode::None or the trap.
TrapCode call(rt::StoreData& store, rt::FuncInst* f, rt::Slot* slots);

// The wasm frames live when the last trap of `store` happened, innermost
// first (empty if none).
std::vector<rt::TrapFrame> last_backtrace(const rt::StoreData& store);

// The interpreter as the runtime sees it (runtime/tier.hh).
extern const rt::Tier kTier;

}  // namespace ember::interp
