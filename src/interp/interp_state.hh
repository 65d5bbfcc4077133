// Per-store interpreter state (internal to src/interp).
//
// Held in StoreData::interp, created on the first call. The value stack is
// one lazily backed mapping of its maximum size (8 bytes of value stack per
// byte of Config::max_wasm_stack: interpreter frames keep every operand in
// memory, compiled frames mostly in registers), so it never moves; the frame
// records grow on a cold path up to max_frames (max_wasm_stack / 8). With the
// default 512 KiB this allows deeper recursion than wasmtime's compiled code.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "interp/code.hh"
#include "interp/interp.hh"
#include "runtime/backtrace.hh"
#include "runtime/store_data.hh"

namespace ember::interp {

// A suspended caller: where to resume and its frame.
struct Frame {
  const uint32_t* pc;
  rt::Slot* fp;
  rt::ModuleInst* inst;
  const FuncCode* fn;
};

// A compiled activation that holds GC references, parked at a call (where
// a collection may run: a host function may call Store.gc()): the record
// lives in the compiled function's native frame and links to the one
// parked before it (State::compiled_frames). Its references are in the
// frame's slots at fp -- its reference locals and the stack map of the
// call ending just before `word` -- as the interpreter's frames keep them.
struct CompiledFrame {
  const CompiledFrame* prev;
  rt::Slot* fp;
  rt::ModuleInst* inst;
  const FuncCode* fn;
  uint32_t word;  // the word after the call
};

// State::osr_word when no loop header is being entered.
constexpr uint32_t kNoOsrWord = UINT32_MAX;

struct State {
  // frames_cap for the current nframes, native_records and frames: a push
  // at frames_cap asks grow_frames, which refuses past the limit.
  void update_frames_cap() {
    size_t limit = max_frames - std::min(max_frames, native_records);
    frames_cap = std::min(frames.size(), std::max(nframes, limit));
  }

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State();

  rt::Slot* stack = nullptr;  // lazily backed mapping of stack_bytes
  size_t stack_bytes = 0;
  rt::Slot* stack_end = nullptr;
  // Frame records: one per wasm call in progress, max_frames in all
  // (Config::max_wasm_stack / 8) -- the interpreter's in `frames`, compiled
  // calls counted by native_depth. native_records is how many the
  // compiled activations below the innermost dispatch loop hold; the loop
  // may push while nframes + native_records < max_frames.
  std::vector<Frame> frames;  // grows (cold path) up to max_frames
  size_t frames_cap = 0;      // where a push must ask grow_frames (update_frames_cap)
  size_t max_frames = 0;
  size_t nframes = 0;
  size_t native_records = 0;
  rt::Slot* top = nullptr;  // first free slot for a nested entry
  uint32_t nesting = 0;     // dispatch loops active on the native stack
  std::vector<rt::TrapFrame> backtrace;
  // The innermost frame of each dispatch loop stopped where a collection
  // may run (a host call, an allocation), its pc just past the safepoint:
  // with frames[0, nframes) these are all the live wasm frames, whose
  // references the collector reads through the stack maps (code.hh).
  std::vector<Frame> parked;  // kMaxNesting + 1 entries
  size_t nparked = 0;
  // The compiled frames parked at their calls, innermost first (linked by
  // the lowering, jit/llvm_lower.cc; put back by call_compiled when a
  // fault leaves compiled code).
  const CompiledFrame* compiled_frames = nullptr;
  // Compiled code (native.hh): the store; the lowest stack pointer it may
  // call at (set when the interpreter or the embedder enters it); the
  // compiled frames of its last trap, innermost first (at most
  // kMaxBacktraceFrames); and the first frame record a backtrace reads (a
  // dispatch loop that compiled code entered reports only its own frames).
  rt::StoreData* store = nullptr;
  const std::atomic<uint64_t>* engine_epoch = nullptr;  // &store->engine->epoch
  uintptr_t native_limit = 0;
  // Compiled frames live on the native stack, counted so that they are
  // bounded as the interpreter's frame records are: native_depth is the
  // number of frame records in use (interpreted and compiled) at a
  // compiled activation, which may call while it is below
  // native_max_depth (max_frames). Compiled code passes the depth between
  // its own calls in registers and writes it here before it calls the
  // runtime or another function's entry (jit/llvm_lower.hh); the runtime
  // puts back the value it had after each call of compiled code.
  uint32_t native_depth = 0;
  uint32_t native_max_depth = 0;
  // The loop header an OSR entry (OsrEntry::code) is entered at: its
  // TierUp word, read by the entry before anything else and reset to
  // kNoOsrWord, which the same code takes as a call (it serves as the
  // function's entry until that is compiled: jit/llvm_tier.cc). Set only
  // just before such an entry runs in the frame.
  uint32_t osr_word = kNoOsrWord;
  std::vector<rt::TrapFrame> native_bt;
  size_t bt_floor = 0;
};

constexpr size_t kInitialFrames = 256;
constexpr uint32_t kMaxNesting = 200;
// Frames a trap's backtrace keeps, innermost first (wasmtime's default).
using rt::kMaxBacktraceFrames;

// The store's interpreter state, created on first use; null when its value
// stack cannot be mapped.
State* state_of(rt::StoreData& store);

// The dispatch loop: runs wasm function `f` whose frame starts at `fp`
// (arguments in place, locals zeroed). Results end in fp[0..).
TrapCode run(State& st, rt::StoreData& store, rt::FuncInst* f, rt::Slot* fp);

// Whether wasmtime's guard (a 4 GiB reservation plus 32 MiB) would have
// faulted for an access of `n` bytes at static offset `off` whose
// effective address is `ea` (else it checks explicitly: no fault to
// report). The one rule for both tiers' MemoryFault reports.
inline bool wasmtime_faults(uint64_t off, uint64_t n, uint64_t ea) {
  constexpr uint64_t kReservation = uint64_t{4} << 30, kGuard = uint64_t{32} << 20;
  return off + n <= kGuard || ea + n <= kReservation;
}

// Notes what wasmtime would report of an out-of-bounds access by the load
// or store at `pc` (its operands in their slots of fp) in store.fault.
void note_native_fault(rt::StoreData& s, const uint32_t* pc, const rt::Slot* fp,
                       const rt::ModuleInst* inst);

// call_indirect's checks (the dispatch loop's): slot `i` of table `t` of
// `inst` must hold a function of canonical type `type_id` or a declared
// subtype; else false with the trap.
bool resolve_indirect(const rt::StoreData& store, rt::ModuleInst* inst, uint32_t t, uint32_t i,
                      uint32_t type_id, rt::FuncInst** out, TrapCode* trap);

// The clause of function `fn` (of `inst`) that catches `exn` thrown at
// `word` (a throw, or a call the exception came out of): the innermost
// try range holding the word, delegates followed; null when the exception
// leaves the function.
const CatchHandler* catching_clause(const CompiledCode& cc, const FuncCode* fn, uint32_t word,
                                    const rt::ModuleInst* inst, const rt::ExnObj* exn);
// Hands the clause its payload (catch, catch_ref: from slot dst on) and the
// exnref (catch_ref, catch_all_ref: to slot ref_dst) in the frame at fp.
void deliver_exception(const CatchHandler& h, rt::ExnObj* exn, rt::Slot* fp);

// Label-offset table of the dispatch loop (indexed by IOp).
const int32_t* handler_table();

}  // namespace ember::interp
