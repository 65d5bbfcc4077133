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
// frames as TrapCode::Exception with StoreData::pending_exn, as through a
// host call; a compiled function with handlers asks native_catch at the
// call or throw the exception came out of.
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
// a trap, leaves the compiled frames in st.native_bt. `as_call`: called by
// interpreted code, so f's own activation takes the frame record an
// interpreted callee would (the caller checked that one is left).
TrapCode enter_native(State& st, rt::FuncInst* f, rt::Slot* fp, bool as_call = false);
// The same for compiled code of `inst` given by its address (an OsrEntry's
// code runs in a frame the interpreter filled: every slot, not only the
// parameters).
TrapCode enter_native(State& st, rt::ModuleInst* inst, const void* code, rt::Slot* fp,
                      bool as_call = false);

// Every call from the runtime into compiled code of `inst` goes through
// here: when the module's code relies on guard pages
// (CompiledCode::guard_pages), a memory fault of its compiled frames
// (those called from here, up to the next call_compiled inside) becomes
// TrapCode::MemoryOutOfBounds with their frames in st.native_bt, as an
// explicit check would have reported it (native_fault.cc). The fault
// handler is installed at the first such call.
uint32_t call_compiled(State& st, rt::ModuleInst* inst, const void* code, NativeView* view,
                       rt::Slot* fp);

// Which memory access of `fc` faulted, given the module offset the code
// map names for the fault's pc and whether pc's own row names it
// (CodeMap::offset_at); null when there is no good guess (native_fault.cc).
const uint32_t* faulting_access(const CompiledCode& cc, const FuncCode& fc, uint64_t offset,
                                bool own);

// A TierUp instruction at `pc` of `fc` found its hotness spent: asks the
// tier for the function's code (CompiledCode::tier_up) and restarts the
// count. At a loop header, returns the compiled entry at this header when
// there is one (the dispatch loop then runs it in the frame), else null.
// (The loop header's word goes to st.osr_word for the entry to read.)
const void* tier_up(State& st, rt::ModuleInst* inst, const FuncCode* fc, const uint32_t* pc,
                    bool loop);

// ember_native_gc's result for a branch taken (no trap code).
constexpr uint32_t kGcBranchTaken = UINT32_MAX;

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
// A compiled caller whose call (ending just before `word`) trapped or let
// an exception through: adds its frame to the trap's frames (native_bt) or
// to the exception's backtrace.
uint32_t ember_native_unwind(State* st, NativeView* view, const FuncCode* fc, uint32_t word,
                             uint32_t code);
// A tail call (return_call*) at `word` of `caller` whose arguments are in
// fp[0..): the callee replaces the caller's frame, so a trap in it does not
// list the caller (a host function's error does, at `word`). For callees
// compiled code cannot tail-call directly.
uint32_t ember_native_tail_call(State* st, NativeView* view, const FuncCode* caller, rt::Slot* fp,
                                uint32_t word, rt::FuncInst* callee);
// return_call_indirect's checks: the callee, or null with the trap reported
// and its code in *trap.
rt::FuncInst* ember_native_resolve_indirect(State* st, NativeView* view, const FuncCode* caller,
                                            rt::Slot* fp, uint32_t word, uint32_t table, uint32_t i,
                                            uint32_t type_id, uint64_t* trap);
// call_indirect: the checks of slot `i` of table `table` (a trap at `word`,
// the instruction), then ember_native_call (`next_word` past it).
uint32_t ember_native_call_indirect(State* st, NativeView* view, const FuncCode* caller,
                                    rt::Slot* fp, uint32_t word, uint32_t next_word, uint32_t table,
                                    uint32_t i, uint32_t type_id, rt::Slot* nfp);
// Fuel (the interpreter's FuelCheck / FuelUnits / FuelMemoryGrow): 0, or
// TrapCode::OutOfFuel with the fuel saved (the caller reports the trap).
uint32_t ember_native_refuel(State* st);
uint32_t ember_native_fuel_units(State* st, uint64_t units, uint32_t flags);
uint32_t ember_native_fuel_memory_grow(State* st, NativeView* view, uint32_t mem, uint64_t old,
                                       uint32_t flags);
// An epoch check found the deadline passed: spends a pending interrupt and
// returns TrapCode::Interrupt.
uint32_t ember_native_interrupt(State* st);
// An OSR entry serving as a function's entry (jit/llvm_tier.cc) found the
// function's hotness spent at a call: asks for the function's own entry.
void ember_native_tier_up(State* st, NativeView* view, const FuncCode* fc);
// Bulk memory (the interpreter's handlers): operands as their slots hold
// them (an i32 address in the low half); 0 or TrapCode::MemoryOutOfBounds.
uint32_t ember_native_memory_fill(NativeView* view, uint32_t mem, uint64_t d, uint32_t val,
                                  uint64_t n);
uint32_t ember_native_memory_copy(NativeView* view, uint32_t dmem, uint32_t smem, uint64_t d,
                                  uint64_t s, uint64_t n);
uint32_t ember_native_memory_init(NativeView* view, uint32_t mem, uint32_t data, uint64_t d,
                                  uint32_t s, uint32_t n);
void ember_native_data_drop(NativeView* view, uint32_t data);
// table.get / table.set / table.size of table `t` (the index as its slot
// holds it): 0 or TrapCode::TableOutOfBounds; table.get's element to *out.
uint32_t ember_native_table_get(NativeView* view, uint32_t t, uint64_t i, uint64_t* out);
uint32_t ember_native_table_set(NativeView* view, uint32_t t, uint64_t i, uint64_t v);
uint64_t ember_native_table_size(NativeView* view, uint32_t t);
// table.grow (the old size or -1, as i64 bits), table.fill / table.copy /
// table.init (0 or TrapCode::TableOutOfBounds), elem.drop; operands as
// their slots hold them.
uint64_t ember_native_table_grow(State* st, NativeView* view, uint32_t t, uint64_t init,
                                 uint64_t n);
uint32_t ember_native_table_fill(NativeView* view, uint32_t t, uint64_t i, uint64_t v, uint64_t n);
uint32_t ember_native_table_copy(NativeView* view, uint32_t dt, uint32_t st, uint64_t d, uint64_t s,
                                 uint64_t n);
uint32_t ember_native_table_init(NativeView* view, uint32_t t, uint32_t elem, uint64_t d,
                                 uint32_t s, uint32_t n);
void ember_native_elem_drop(NativeView* view, uint32_t elem);
// throw (a new exception of tag `tag` with the payload at fp + base) and
// throw_ref (`exn`, non-null) from compiled code: the exception becomes the
// store's pending one with its backtrace starting at this frame (callers
// add theirs as it leaves them); returns TrapCode::Exception.
uint32_t ember_native_throw(State* st, NativeView* view, const FuncCode* fc, rt::Slot* fp,
                            uint32_t word, uint32_t tag, uint32_t base);
uint32_t ember_native_throw_ref(State* st, NativeView* view, const FuncCode* fc, uint32_t word,
                                uint64_t exn);
// The pending exception came out of the call or throw at `word` of compiled
// function `fc`: 0 when no clause of the function catches it (it goes on
// to the caller), else 1 + the index of the catching clause in
// CompiledCode::handlers, its payload and exnref written to fp as the
// interpreter's unwinding writes them.
uint32_t ember_native_catch(State* st, NativeView* view, const FuncCode* fc, rt::Slot* fp,
                            uint32_t word);
// An atomic access (the IR's Atomic* instructions: operators.def row `op`,
// memory `mem`, the address as its slot holds it): rt::atomic_access, as
// the interpreter calls it; 0 or its trap code, the result to *out.
uint32_t ember_native_atomic(NativeView* view, uint32_t op, uint32_t mem, uint64_t addr,
                             uint64_t offset, uint64_t a, uint64_t b, uint64_t* out);
// The fuel of a table.grow that returned `old` (FuelTableGrow).
uint32_t ember_native_fuel_table_grow(State* st, NativeView* view, uint32_t t, uint64_t old,
                                      uint32_t flags);
// The GC instruction `op` at `word` of compiled function `fc` (dispatch_gc.inc's
// handler, run on the frame at fp, which holds its operands): 0 when it
// went on, kGcBranchTaken when a br_on_cast / br_on_cast_fail branches,
// else its trap code. An allocation's frame is parked by the caller.
uint32_t ember_native_gc(State* st, NativeView* view, const FuncCode* fc, rt::Slot* fp,
                         uint32_t word, uint32_t op);
// memory.grow / memory.size of memory `mem` (old size or -1, as i64 bits).
uint64_t ember_native_memory_grow(State* st, NativeView* view, uint32_t mem, uint64_t delta);
uint64_t ember_native_memory_size(NativeView* view, uint32_t mem);
}

}  // namespace ember::interp
