// The interpreter's register IR: layout of translated code.
//
// Produced by the translator (translate.cc) during validation, executed by the
// dispatch loop (interp.cc). Code is a flat array of 32-bit words. Each
// instruction starts with its handler word (the offset of its handler label
// from the loop's base label, so dispatch is one add + indirect jump), then
// its operands: frame slot indices, immediates, branch offsets (relative to
// the word holding them). Function frames are windows of 8-byte slots:
// params, then declared locals, then the operand stack; a v128 value takes
// two consecutive slots (its operand names the first), wherever it lives.
//
// Invariant: the code of a function only names slots below its frame_slots,
// and every branch lands on an instruction of the same function.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ir/module.hh"
#include "ir/types.hh"

namespace ember::interp {

// IR opcodes: the numeric/load/store operators of ir/operators.def (1:1),
// then the IR-only operators of ir_ops.def, then the variants of
// ir_derived.def.
enum class IOp : uint16_t {
#define EMBER_OPK_Lowered(name, ...) name,
#include "ir/operators_by_kind.inc"
#define EMBER_IROP(name, ...) name,
#include "interp/ir_ops.def"
#define EMBER_DERIVED(name, base, variant) name,
#include "interp/ir_derived.def"
  Count_
};
constexpr size_t kIOpCount = static_cast<size_t>(IOp::Count_);

// Handler word for an IR opcode (from the dispatch loop's label table).
uint32_t handler_word(IOp op);

// Flags word of FuelUnits / FuelMemoryGrow / FuelTableGrow.
constexpr uint32_t kFuelCount64 = 1;   // the count operand is an i64
constexpr uint32_t kFuelCheckNow = 2;  // trap at once if the charge spends the fuel
constexpr uint32_t kFuelCharge = 4;    // always set

// A word of translated code that the compiled tier changes while other
// threads run the code (installing compiled code, counting hotness):
// loads acquire what a release store published; copyable so that FuncCode
// stays a plain value while it is built.
template <class T>
class SharedWord {
 public:
  SharedWord() = default;
  SharedWord(T v) : v_(v) {}  // NOLINT(google-explicit-constructor)
  SharedWord(const SharedWord& o) : v_(o.get()) {}
  SharedWord& operator=(const SharedWord& o) {
    set(o.get());
    return *this;
  }
  T get() const { return v_.load(std::memory_order_acquire); }
  void set(T v) const { v_.store(v, std::memory_order_release); }
  // For counters whose lost updates do not matter (no read-modify-write).
  T relaxed() const { return v_.load(std::memory_order_relaxed); }
  void set_relaxed(T v) const { v_.store(v, std::memory_order_relaxed); }

 private:
  mutable std::atomic<T> v_{};
};

// A compiled entry into the middle of a function: at the loop header
// `word` (on-stack replacement, interp/native.hh), entered with the word
// in State::osr_word (one entry serves every loop header of a function).
// Published once, never changed; a function's entries form a list
// (FuncCode::osr).
struct OsrEntry {
  uint32_t word;
  const void* code;
  const OsrEntry* next;
};

// Where a function stands with the tiering compiler (FuncCode::tier).
enum class TierState : uint8_t { Interpreted, Queued, Compiled, Refused };

// One translated function.
struct FuncCode {
  const uint32_t* entry = nullptr;          // first instruction (set when finished)
  uint32_t begin = 0, end = 0;              // word range in CompiledCode::words
  uint32_t func_index = 0;                  // in the module's function index space
  uint32_t num_params = 0;                  // slots
  uint32_t num_locals = 0;                  // slots, params included
  uint32_t num_results = 0;                 // slots
  uint32_t frame_slots = 0;                 // locals + deepest operand stack
  uint32_t tries_begin = 0, tries_end = 0;  // its try_tables in CompiledCode::tries
  // Its locals that hold GC references (any or extern hierarchy) or
  // exnrefs (flagged, StackMap), as CompiledCode::ref_slots[ref_locals_begin,
  // ref_locals_end).
  uint32_t ref_locals_begin = 0, ref_locals_end = 0;
  // Its compiled code (interp/native.hh's NativeFn), or null: then the
  // interpreter runs it. Set before the module's code is published (eager
  // compilation) or by the tiering compiler while it runs.
  SharedWord<const void*> native{nullptr};
  // Tiering (CompiledCode::tier_up): what is left of its budget (calls and
  // loop iterations; the request is made when it goes below zero), where it
  // stands, and its loop-header entries.
  SharedWord<int32_t> hotness{0};
  SharedWord<TierState> tier{TierState::Interpreted};
  SharedWord<const OsrEntry*> osr{nullptr};
};

// Exception handling: each try_table (or legacy try body) is a word range
// of its function with its catch clauses. A throw looks, frame by frame
// from the innermost, for the first range holding the throwing instruction
// (a caller frame: its call) whose clause matches; ranges of a function are
// listed innermost first, so the first match is the right one. Nothing runs
// when no exception is thrown.
// A legacy `try ... delegate l` is a range of count kDelegate: an exception
// thrown in it skips the ranges up to index `first` of CompiledCode::tries
// (those inside label l) and goes on with that one, or leaves the frame
// when first is kDelegateToCaller (l is the function's label).
struct TryRange {
  uint32_t begin, end;    // words [begin, end) of CompiledCode::words
  uint32_t first, count;  // its clauses: CompiledCode::handlers[first, first + count)
};
constexpr uint32_t kDelegate = UINT32_MAX;
constexpr uint32_t kDelegateToCaller = UINT32_MAX;

// Where a matching catch clause continues: its payload (the tag's params,
// for catch and catch_ref) is written from slot `dst` on, the exnref
// (catch_ref, catch_all_ref) to slot `ref_dst` (right after the payload
// for try_table; a legacy catch keeps it apart, for rethrow), and control
// goes to word `target` -- or returns from the function when the clause's
// label is the function's own (target kReturnTarget, dst 0).
struct CatchHandler {
  uint32_t kind;     // CatchClause::Kind
  uint32_t tag;      // module tag index (catch, catch_ref)
  uint32_t dst;      // first frame slot written
  uint32_t target;   // word in CompiledCode::words, or kReturnTarget
  uint32_t ref_dst;  // the exnref's slot
};
constexpr uint32_t kReturnTarget = UINT32_MAX;

// Precise GC roots of interpreter frames (decision 41). A frame stops
// where a collection may run only at a safepoint: an allocating instruction
// (struct.new, array.new*) or a call. There its live references are its
// locals of reference type (FuncCode::ref_locals_*, valid everywhere: a
// local always holds a value of its type) and the operands listed by the
// safepoint's StackMap: those of reference type that sit in their own slot,
// below a call's arguments or, for an allocation, its inputs included. A
// StackMap is keyed by the last word of its instruction, which is where a
// suspended frame's pc points minus one (a caller's saved pc is just past
// its call); a safepoint without such operands has no entry.
// The same lists name the exnrefs (entries with kExnRefSlot set), which
// the collector does not trace: exception objects are collected by a
// conservative scan of the value stack (runtime/exceptions.cc) at a throw,
// so compiled code, which keeps values in registers, writes them to its
// frame before each call and throw (decision 57); throws are safepoints
// for that reason only.
struct StackMap {
  uint32_t word;          // last word of the safepoint instruction
  uint32_t first, count;  // its slots: CompiledCode::ref_slots[first, first + count)
};
constexpr uint32_t kExnRefSlot = 1u << 31;  // (frames have at most 2^24 slots)
inline bool entry_traced(uint32_t entry) {
  return (entry & kExnRefSlot) == 0;
}
inline uint32_t entry_slot(uint32_t entry) {
  return entry & ~kExnRefSlot;
}

struct PcMapEntry {
  uint32_t word;    // position in CompiledCode::words
  uint32_t offset;  // byte offset of the wasm instruction in the module
};

// Where compiled code lies (interp/native.hh's fault handling): per object
// file of a module's compiled code, the address range of each compiled
// function and the module offsets of its instructions, from the object's
// line table. Published (CompiledCode::code_maps) before the code it
// describes is installed; read by the fault handler without locks.
struct CodeRow {
  uint32_t pc;      // from the start of its range
  uint32_t offset;  // module offset of the instructions from here (0: none)
};
struct CodeRange {
  uintptr_t begin, end;
  uint32_t func;  // defined function index
  bool wrapper;   // an entry that calls the function's register body: no frame of its own
  uint32_t rows_begin, rows_end;  // in CodeMap::rows, ascending pc
};
struct CodeMap {
  std::vector<CodeRange> ranges;  // ascending, disjoint
  std::vector<CodeRow> rows;
  const CodeMap* next = nullptr;
  // The range holding `pc`, or null (async-signal-safe).
  const CodeRange* find(uintptr_t pc) const;
  // The module offset of the instruction at `pc` in `r` (0 if unknown);
  // `own` (if given): whether pc's own row names it, rather than the
  // nearest row before (pc's instruction was merged or moved).
  uint32_t offset_at(const CodeRange& r, uintptr_t pc, bool* own = nullptr) const;
};

}  // namespace ember::interp

namespace ember {

// Translated code of one module (opaque before src/interp).
struct CompiledCode {
  std::vector<uint32_t> words;
  std::vector<interp::FuncCode> funcs;     // one per defined function
  std::vector<interp::PcMapEntry> pc_map;  // sorted by word
  std::vector<interp::TryRange> tries;     // per function (FuncCode::tries_*)
  std::vector<interp::CatchHandler> handlers;
  std::vector<interp::StackMap> stack_maps;  // sorted by word
  std::vector<uint32_t> ref_slots;           // FuncCode::ref_locals_*, StackMap slots
  // The compiled tier's code for FuncCode::native (owned here, released
  // with the module's code), and how many functions it compiled, with the
  // first reason it left one to the interpreter; native_from_image: the
  // code was linked from a serialized module's machine code, not compiled.
  std::shared_ptr<void> native_code;
  uint32_t native_funcs = 0;
  std::string native_skipped_reason;
  bool native_from_image = false;
  // The compiled tier accesses 32-bit memories (64 KiB pages) without
  // bounds checks, relying on their guard regions (platform/vm.hh): an
  // instance of the module demands them (runtime/instantiate.cc). The maps
  // of its code, newest first.
  bool guard_pages = false;
  interp::SharedWord<const interp::CodeMap*> code_maps{nullptr};
  // Tiering (strategy "auto" with the compiled tier): the dispatch loop's
  // TierUp instructions call `tier_up` when a function's hotness runs out,
  // with the module, the defined function's index and the loop header's
  // word (UINT32_MAX: its entry); the tier compiles in the background (or
  // before returning, with `tier_wait`) and installs FuncCode::native /
  // FuncCode::osr. Null: TierUp does nothing.
  void (*tier_up)(const std::shared_ptr<const ModuleData>& module, uint32_t func,
                  uint32_t word) = nullptr;
  int32_t tier_budget = 0;   // FuncCode::hotness to start with
  int32_t tier_recheck = 0;  // and after a request, until the code is there
  bool tier_wait = false;
  // The operand slots of the safepoint whose last word is `word` (none if
  // it has no entry).
  std::span<const uint32_t> stack_map(uint32_t word) const;
  // Wasm byte offset of the instruction at `word` (best effort).
  uint64_t offset_of(uint32_t word) const;
};

// The search for the handler of an exception thrown at `word` of function
// `fn` (a throw, or a call it came out of): the clauses of the try ranges
// holding the word, innermost first, delegates followed, each passed to
// `visit` (its index in cc.handlers) until one returns true; that index,
// or UINT32_MAX when the search leaves the function. The interpreter's
// unwinding and the compiled tier's catch sites both walk it.
template <typename Visit>
uint32_t search_clauses(const CompiledCode& cc, const interp::FuncCode& fn, uint32_t word,
                        Visit&& visit) {
  for (uint32_t r = fn.tries_begin; r < fn.tries_end; r++) {
    const interp::TryRange& range = cc.tries[r];
    if (word < range.begin || word >= range.end) continue;
    // A delegate goes on from its target range (the verifier checks that it
    // lies further on), or out to the caller.
    if (range.count == interp::kDelegate) {
      if (range.first == interp::kDelegateToCaller) break;
      r = range.first - 1;
      continue;
    }
    for (uint32_t k = range.first; k < range.first + range.count; k++)
      if (visit(k)) return k;
  }
  return UINT32_MAX;
}

}  // namespace ember
