// Compiled functions as the interpreter sees them: the calling convention
// between the dispatch loop and code a compiled tier (src/jit) produced from
// the same register IR, and the runtime functions that code calls.
//
// A compiled function is `uint32_t f(State* st, rt::InstView* view, Slot* fp)`:
// its parameters are in fp[0..) (the frame the interpreter would run it in),
// its results go to fp[0..), and it returns 0 or a TrapCode. Its locals and
// operands live in registers; only call windows (fp + base) are written to
// the frame, so a callee -- compiled, interpreted or host -- finds its
// arguments where the interpreter puts them. The caller checks the callee's
// frame against the value stack and its own stack pointer against
// State::native_limit before it calls (both trap with StackOverflow).
//
// Traps: the innermost compiled frame reports where it stopped through
// native_trap (the pc the interpreter would have had, the instruction's
// input slots written back to fp first), each compiled caller adds itself
// with native_unwind, and the interpreter prefixes State::native_bt to the
// backtrace of its own frames: the same frames and offsets as if the
// interpreter had run every function. Exceptions pass through compiled
// frames (a function with handlers is not compiled yet) as TrapCode::Exception
// with StoreData::pending_exn, as through a host call.
#pragma once

#include <cstdint>

#include "runtime/store_data.hh"

namespace ember::interp {

struct State;
struct FuncCode;

using NativeView = rt::InstView;
using NativeFn = uint32_t (*)(State* st, NativeView* view, rt::Slot* fp);

// inst->view, filled.
inline NativeView* native_view(rt::ModuleInst* inst) {
  inst->view = {inst->memories.data(), inst->globals.data(), inst->funcs.data(), inst};
  return &inst->view;
}

// Runs compiled function f (its FuncCode::native set) with its frame at fp,
// from the interpreter or the embedder: sets the native stack limit and, on
// a trap, leaves the compiled frames in st.native_bt.
TrapCode enter_native(State& st, rt::FuncInst* f, rt::Slot* fp);

extern "C" {
// A call from compiled code that is not a direct call of another compiled
// function: a host function, an interpreted one, or one of another
// instance. `word` is the caller's word just past the call (for a trap
// reported at it). Returns 0 or the trap.
uint32_t ember_native_call(State* st, NativeView* view, const FuncCode* caller, rt::Slot* fp,
                           uint32_t word, rt::FuncInst* callee, rt::Slot* nfp);
// The innermost compiled frame traps at `word` of its function (the
// instruction; for StackOverflow of a call, the word past it with `entered`
// the callee that could not start).
uint32_t ember_native_trap(State* st, NativeView* view, const FuncCode* fc, rt::Slot* fp,
                           uint32_t word, uint32_t code, rt::FuncInst* entered);
// A compiled caller whose call (ending just before `word`) trapped.
uint32_t ember_native_unwind(State* st, NativeView* view, const FuncCode* fc, uint32_t word,
                             uint32_t code);
// memory.grow / memory.size of memory `mem` (old size or -1, as i64 bits).
uint64_t ember_native_memory_grow(State* st, NativeView* view, uint32_t mem, uint64_t delta);
uint64_t ember_native_memory_size(NativeView* view, uint32_t mem);
}

}  // namespace ember::interp
