// The dispatch loop: threaded code over the register IR (code.hh).
//
// One function, one loop, an explicit frame stack: a wasm call pushes a Frame
// and jumps to the callee's entry, a return pops it, so wasm recursion never
// grows the native stack. Each handler is a label; an instruction's first
// word is its label's offset from L_base, so dispatch is `goto *(base + w)`.
// Handlers are grouped by family in the dispatch_*.inc files included below.
//
// Registers of the loop: pc, fp (frame base), inst (current instance), fn
// (current function), mem/msize (memory 0, reloaded after calls and growth).
// A trap records the backtrace, unwinds this loop's frames and returns.
#include <atomic>
#include <cstring>

#include "interp/gc_made.hh"
#include "interp/interp_state.hh"
#include "interp/ir_codec.hh"
#include "interp/ir_insn.hh"
#include "interp/native.hh"
#include "interp/numeric.hh"
#include "interp/simd.hh"
#include "platform/vm.hh"
#include "runtime/atomics.hh"
#include "runtime/runtime.hh"

namespace ember::interp {

namespace {
const int32_t* g_handler_table = nullptr;
#if defined(__SANITIZE_THREAD__)
std::atomic<uint32_t> g_fence_word{0};  // (atomic.fence under ThreadSanitizer)
#endif
}  // namespace

const int32_t* handler_table() {
  if (!g_handler_table) {
    State dummy;
    rt::StoreData store;
    // (the dummy run only publishes the label table)
    run(dummy, store, nullptr, nullptr);
  }
  return g_handler_table;
}

namespace {

// Appends this dispatch loop's frames to st.backtrace, innermost first, up
// to kMaxBacktraceFrames: the current one at pc (`caller`: pc is just past
// a call, as a caller's saved pc always is), then the frame records down to
// st.bt_floor (a loop compiled code entered stops at its own).
void append_backtrace(State& st, const uint32_t* pc, rt::ModuleInst* inst, const FuncCode* fn,
                      bool caller) {
  auto add = [&](const uint32_t* p, rt::ModuleInst* in, const FuncCode* f, bool after_call) {
    if (!in || !f || st.backtrace.size() >= kMaxBacktraceFrames) return;
    const CompiledCode& cc = *in->module->code;
    uint32_t word = uint32_t(p - cc.words.data());
    if (after_call && word > 0) word--;
    st.backtrace.push_back(rt::TrapFrame{in, f->func_index, cc.offset_of(word)});
  };
  add(pc, inst, fn, caller);
  for (size_t i = st.nframes; i-- > st.bt_floor && st.backtrace.size() < kMaxBacktraceFrames;)
    add(st.frames[i].pc, st.frames[i].inst, st.frames[i].fn, true);
}

// `entered`: a function whose frame could not be pushed (stack overflow at
// its entry); it heads the backtrace with no offset, as in wasmtime.
// `at_call`: pc is just past a call whose callee's compiled frames are in
// st.native_bt; they head the backtrace.
void record_backtrace(State& st, const uint32_t* pc, rt::ModuleInst* inst, const FuncCode* fn,
                      const rt::FuncInst* entered, bool at_call = false) {
  st.backtrace.clear();
  if (at_call) st.backtrace.swap(st.native_bt);
  if (entered && entered->instance) {
    const FuncCode* efc = static_cast<const FuncCode*>(entered->code);
    st.backtrace.push_back(rt::TrapFrame{entered->instance, efc->func_index, rt::kUnknownOffset});
  }
  append_backtrace(st, pc, inst, fn, entered != nullptr || at_call);
}

// A function of another canonical type than the call's may still be of a
// declared subtype of it (out of line: only reached where the ids differ).
[[gnu::noinline]] bool declared_subtype(const rt::StoreData& store, uint32_t sub, uint32_t super) {
  return store.engine->types.is_subtype(sub, super);
}

// call_indirect's checks: the table slot `i` of table `t` of `inst` must
// hold a function of canonical type `type_id` or of a declared subtype.
inline bool indirect_callee(const rt::StoreData& store, rt::ModuleInst* inst, uint32_t t,
                            uint32_t i, uint32_t type_id, rt::FuncInst** out, TrapCode* trap) {
  rt::TableInst* table = inst->tables[t];
  if (i >= table->elems.size()) {
    *trap = TrapCode::UndefinedElement;
    return false;
  }
  rt::FuncInst* f = static_cast<rt::FuncInst*>(table->elems[i]);
  if (!f) {
    *trap = TrapCode::UninitializedElement;
    return false;
  }
  if (f->type_id != type_id && !declared_subtype(store, f->type_id, type_id)) {
    *trap = TrapCode::IndirectCallTypeMismatch;
    return false;
  }
  *out = f;
  return true;
}

// What wasmtime reports for an out-of-bounds load or store, worked out from
// the trapping instruction at `pc` (its operands are still in their slots):
// its accesses to a 32-bit memory fault in a 4 GiB reservation plus a
// 32 MiB guard, unless the offset is beyond the guard and the access beyond
// the reservation (then an explicit check traps, with no fault to report).
// The fault is at the first inaccessible byte. A memory64 access is
// reported without a fault: Cranelift checks an i64 address explicitly
// unless it can prove it below 4 GiB (a zero-extended i32, a constant),
// which the interpreter does not track (decision 27). Nor is an access to a
// memory whose pages are smaller than the host's (custom page sizes):
// wasmtime cannot guard such a memory with virtual memory and checks every
// access. Done here, at trap time, so that the handlers' trap paths stay a
// jump.
[[gnu::cold, gnu::noinline]] void note_access_fault(rt::StoreData& s, const uint32_t* pc,
                                                    const rt::Slot* fp,
                                                    const rt::ModuleInst* inst) {
  s.fault.valid = false;
  MemAccess a;
  if (!memory_access(pc[0], &a) || a.addr64) return;
  uint64_t addr = uint32_t(fp[pc[a.addr]]);
  if (a.add_imm) addr = uint32_t(addr + pc[a.add_imm]);
  if (a.add_slot) {
    uint32_t b = uint32_t(fp[pc[a.add_slot]]);
    if (a.shift) b <<= pc[a.shift] & 31;
    addr = uint32_t(addr + b);
  }
  const rt::MemoryInst* mem = inst->memories[a.mem ? pc[a.mem] : 0];
  if (mem->type.page_size() < platform::host_page_size()) return;
  uint64_t off = pc[a.offset], n = a.size;
  uint64_t size = mem->size;
  bool wraps = addr > UINT64_MAX - off - n;
  bool faults = !wraps && wasmtime_faults(off, n, addr + off);
  uint64_t ea = addr + off;
  s.fault = {faults, ea >= size ? ea : size, size};
}

}  // namespace

void note_native_fault(rt::StoreData& s, const uint32_t* pc, const rt::Slot* fp,
                       const rt::ModuleInst* inst) {
  note_access_fault(s, pc, fp, inst);
}

const CatchHandler* catching_clause(const CompiledCode& cc, const FuncCode* fn, uint32_t word,
                                    const rt::ModuleInst* inst, const rt::ExnObj* exn) {
  uint32_t k = search_clauses(cc, *fn, word, [&](uint32_t k) {
    const CatchHandler& h = cc.handlers[k];
    return !CatchClause{CatchClause::Kind(h.kind), h.tag, 0}.has_tag() ||
           inst->tags[h.tag] == exn->tag;
  });
  return k == UINT32_MAX ? nullptr : &cc.handlers[k];
}

void deliver_exception(const CatchHandler& h, rt::ExnObj* exn, rt::Slot* fp) {
  if ((h.kind == CatchClause::Catch || h.kind == CatchClause::CatchRef) &&
      !exn->payload.empty())  // (an empty payload's data() may be null)
    std::memcpy(fp + h.dst, exn->payload.data(), exn->payload.size() * sizeof(rt::Slot));
  if (h.kind == CatchClause::CatchRef || h.kind == CatchClause::CatchAllRef)
    fp[h.ref_dst] = reinterpret_cast<rt::Slot>(exn);
}

bool resolve_indirect(const rt::StoreData& store, rt::ModuleInst* inst, uint32_t t, uint32_t i,
                      uint32_t type_id, rt::FuncInst** out, TrapCode* trap) {
  return indirect_callee(store, inst, t, i, type_id, out, trap);
}

namespace {

// Declared locals start at zero. A plain loop: they are usually few, and a
// memset call would cost more than it saves.
[[gnu::always_inline]] inline void zero_locals(rt::Slot* fp, const FuncCode* fc) {
  for (uint32_t i = fc->num_params; i < fc->num_locals; i++) {
    fp[i] = 0;
    asm("" ::: "memory");  // keep the compiler from turning this into memset
  }
}

// Where a thrown exception is caught: the frame to resume (`*frame`:
// SIZE_MAX for the current one, else an index into st.frames, which is
// popped down to it) and the matching clause. `at` is a word of the
// throwing instruction (the current frame's throw or call); a caller frame
// is at its call, just before its saved pc. Only this dispatch loop's
// frames are searched (those above `base_frames`): further out is the host.
[[gnu::cold, gnu::noinline]] const CatchHandler* find_handler(
    const State& st, size_t base_frames, const uint32_t* at, rt::ModuleInst* inst,
    const FuncCode* fn, const rt::ExnObj* exn, size_t* frame) {
  size_t i = st.nframes;
  *frame = SIZE_MAX;
  for (;;) {
    const CompiledCode& cc = *inst->module->code;
    uint32_t word = uint32_t(at - cc.words.data());
    if (const CatchHandler* h = catching_clause(cc, fn, word, inst, exn)) return h;
    if (i == base_frames) return nullptr;
    const Frame& f = st.frames[--i];
    at = f.pc - 1;
    inst = f.inst;
    fn = f.fn;
    *frame = i;
  }
}

// Where the dispatch loop goes on after a throw: the frame of the catching
// clause and its target word (`ret`: return from that frame instead), or
// pc null when no frame of this loop catches it.
struct Resume {
  const uint32_t* pc;
  rt::Slot* fp;
  rt::ModuleInst* inst;
  const FuncCode* fn;
  bool ret;
};

// Unwinds to the innermost matching catch clause of this loop's frames
// (popping the frames above it), hands it the payload and the exnref and
// says where to go on. With none, the exception leaves the loop
// (TrapCode::Exception, store.pending_exn) with the backtrace recorded
// where it was thrown. Out of line (not marked cold: that would move the throw handlers, whose
// labels the dispatch table subtracts, into another section), so that the loop's registers do not
// pay for it.
[[gnu::noinline]] Resume unwind(State& st, rt::StoreData& store, size_t base_frames,
                                rt::ExnObj* exn, const uint32_t* at, rt::ModuleInst* inst,
                                const FuncCode* fn, rt::Slot* fp, bool thrown_here) {
  size_t frame;
  const CatchHandler* h = find_handler(st, base_frames, at, inst, fn, exn, &frame);
  if (!h) {
    // Come from a host call, it keeps the backtrace recorded where it was thrown.
    if (thrown_here) record_backtrace(st, at, inst, fn, nullptr);
    store.pending_exn = exn;
    store.fault.valid = false;
    st.nframes = base_frames;
    return Resume{nullptr, nullptr, nullptr, nullptr, false};
  }
  if (frame != SIZE_MAX) {
    const Frame& f = st.frames[frame];
    fp = f.fp;
    fn = f.fn;
    inst = f.inst;
    at = f.pc;
    st.nframes = frame;
  }
  deliver_exception(*h, exn, fp);
  if (h->target == kReturnTarget) return Resume{at, fp, inst, fn, true};
  return Resume{inst->module->code->words.data() + h->target, fp, inst, fn, false};
}

// `throw`: a new exception of the instruction's tag with its payload
// window, then unwind().
[[gnu::noinline]] Resume throw_new(State& st, rt::StoreData& store, size_t base_frames,
                                   const uint32_t* pc, rt::ModuleInst* inst, const FuncCode* fn,
                                   rt::Slot* fp) {
  using A = ir::Throw::At;
  rt::ExnObj* e = rt::new_exn(store, inst->tags[pc[A::tag]], fp + pc[A::base],
                              std::span<const rt::Slot>(st.stack, fp + fn->frame_slots));
  return unwind(st, store, base_frames, e, pc, inst, fn, fp, true);
}

// A new maximum call depth: the only place the loop allocates. False when
// the frame records are at their limit.
[[gnu::cold, gnu::noinline]] bool grow_frames(State& st) {
  if (st.nframes + std::min(st.max_frames, st.native_records) >= st.max_frames) return false;
  if (st.nframes >= st.frames.size())
    st.frames.resize(std::min(st.max_frames, std::max<size_t>(1, st.frames.size() * 2)));
  st.update_frames_cap();
  return st.nframes < st.frames_cap;
}

}  // namespace

// Where the loop sits changes its speed: on the AMD EPYC machine the same
// machine code runs the benchmarks up to 1.3x slower (collatz, arx, life)
// depending on where it starts within 64 bytes, and any change to the loop
// reshuffles where GCC puts its handlers, so which start is best changes
// with it (docs/performance.md, "Placement"). run() is pinned, 64-aligned
// and entered EMBER_DISPATCH_ENTRY bytes in (that many never-executed bytes
// of padding before the entry), so that changes elsewhere in the library do
// not move it; the offset is the one measured best for this loop (0 since
// the exception handlers and the SIMD multi-memory forms; 16 before them).
// CMake's EMBER_DISPATCH_ENTRY (0, 16, 32 or 48) overrides it, to compare
// two versions of the loop across all four.
#ifndef EMBER_DISPATCH_ENTRY
#define EMBER_DISPATCH_ENTRY 0
#endif
#define EMBER_DISPATCH_PLACEMENT \
  gnu::aligned(64), gnu::patchable_function_entry(EMBER_DISPATCH_ENTRY, EMBER_DISPATCH_ENTRY)
[[EMBER_DISPATCH_PLACEMENT]] TrapCode run(State& st, rt::StoreData& store, rt::FuncInst* entry,
                                          rt::Slot* fp) {
  static const int32_t kTable[] = {
#define EMBER_OPK_Lowered(name, ...) \
  int32_t(reinterpret_cast<intptr_t>(&&L_##name) - reinterpret_cast<intptr_t>(&&L_base)),
#include "ir/operators_by_kind.inc"
#define EMBER_IROP(name, ...) \
  int32_t(reinterpret_cast<intptr_t>(&&L_##name) - reinterpret_cast<intptr_t>(&&L_base)),
#include "interp/ir_ops.def"
#define EMBER_DERIVED(name, base, variant) \
  int32_t(reinterpret_cast<intptr_t>(&&L_##name) - reinterpret_cast<intptr_t>(&&L_base)),
#include "interp/ir_derived.def"
  };
  static_assert(sizeof(kTable) / sizeof(kTable[0]) == kIOpCount);
  if (!entry) {
    g_handler_table = kTable;
    return TrapCode::None;
  }

  const char* const base = static_cast<const char*>(&&L_base);
  const size_t base_frames = st.nframes;
  const FuncCode* fn = static_cast<const FuncCode*>(entry->code);
  rt::ModuleInst* inst = entry->instance;
  const uint32_t* pc = fn->entry;
  uint8_t* mem = nullptr;
  uint64_t msize = 0;
  TrapCode trap = TrapCode::None;
  rt::FuncInst* callee = nullptr;
  rt::Slot* nfp = nullptr;
  const void* native_code = nullptr;  // do_native_in_frame's code

#define RELOAD_MEM()                   \
  do {                                 \
    if (!inst->memories.empty()) {     \
      mem = inst->memories[0]->base;   \
      msize = inst->memories[0]->size; \
    } else {                           \
      mem = nullptr;                   \
      msize = 0;                       \
    }                                  \
  } while (0)
#define DISPATCH() goto* static_cast<const void*>(base + int32_t(*pc))
#define NEXT(n) \
  do {          \
    pc += (n);  \
    DISPATCH(); \
  } while (0)
#define JUMP(i)                   \
  do {                            \
    pc += (i) + int32_t(pc[(i)]); \
    DISPATCH();                   \
  } while (0)
#define TRAP(code) \
  do {             \
    trap = (code); \
    goto L_trap;   \
  } while (0)
// An out-of-bounds load or store: L_trap_access works the fault out from
// the instruction at pc (computing it here, in every handler's trap path,
// slowed memory-heavy programs by up to a quarter: decision 27).
#define MEM_TRAP()                      \
  do {                                  \
    trap = TrapCode::MemoryOutOfBounds; \
    goto L_trap_access;                 \
  } while (0)
// The effective address `ea` of a memory64 access of `n` bytes at
// [.. a, O ..] in a memory of `sz` bytes: a + O without wrapping (O is 64
// bits: the A64 forms of ir_derived.def carry it in two words, offset and
// offset_hi). The access must end within sz.
#define EMBER_OFF64(A) (uint64_t(pc[A::offset]) | uint64_t(pc[A::offset_hi]) << 32)
#define EMBER_EA64(a, o, n, ea, sz)                                     \
  do {                                                                  \
    uint64_t a_ = (a), o_ = (o), sz_ = (sz);                            \
    if (a_ >= sz_ || sz_ - a_ < (n) || sz_ - a_ - (n) < o_) MEM_TRAP(); \
    ea = a_ + o_;                                                       \
  } while (0)
// Goes on where unwind() says: at a catch clause's target, by returning
// from the frame it resumed, or out of the loop with the exception.
#define RESUME(r)                            \
  do {                                       \
    if (!(r).pc) return TrapCode::Exception; \
    fp = (r).fp;                             \
    fn = (r).fn;                             \
    inst = (r).inst;                         \
    RELOAD_MEM();                            \
    if ((r).ret) goto L_Return;              \
    pc = (r).pc;                             \
    DISPATCH();                              \
  } while (0)
#define S(i) fp[pc[i]]
#define GET_I32(i) uint32_t(fp[pc[i]])
#define GET_I64(i) uint64_t(fp[pc[i]])
#define GET_F32(i) num::f32_from(uint32_t(fp[pc[i]]))
#define GET_F64(i) num::f64_from(fp[pc[i]])
#define SET_I32(i, v) fp[pc[i]] = uint64_t(uint32_t(v))
#define SET_I64(i, v) fp[pc[i]] = uint64_t(v)
#define SET_F32(i, v) fp[pc[i]] = uint64_t(num::f32_bits(v))
#define SET_F64(i, v) fp[pc[i]] = num::f64_bits(v)
#define GET_V128(i) simd::load(&fp[pc[i]])
#define SET_V128(i, v) simd::store(&fp[pc[i]], (v))

  RELOAD_MEM();
  DISPATCH();

L_base:
#include "interp/dispatch_control.inc"
#include "interp/dispatch_numeric.inc"
#include "interp/dispatch_memory.inc"
#include "interp/dispatch_table.inc"
#include "interp/dispatch_simd.inc"
// (dispatch_gc.inc's allocations park the frame: its pc just past them)
#define PARK_FRAME(next)            \
  st.parked[st.nparked++] = Frame { \
    (next), fp, inst, fn            \
  }
#define UNPARK_FRAME() st.nparked--
#include "interp/dispatch_gc.inc"
#undef PARK_FRAME
#undef UNPARK_FRAME

L_trap_access:  // an out-of-bounds load or store; pc is at it
  // Another thread may have grown a shared memory 0 since msize was read:
  // read its size again and retry the access if it grew.
  if (!inst->memories.empty() && inst->memories[0]->shared && inst->memories[0]->size > msize) {
    RELOAD_MEM();
    DISPATCH();
  }
  note_access_fault(store, pc, fp, inst);
  goto L_trap_noted;
L_trap_native:  // a compiled callee trapped (its report is in place); pc is past the call
  store.fuel_injected = store.fuel_saved;
  record_backtrace(st, pc, inst, fn, nullptr, true);
  st.nframes = base_frames;
  return trap;

L_trap_host:  // a host function this frame called failed; pc is past the call
  store.fault.valid = false;
  store.fuel_injected = store.fuel_saved;
  st.backtrace.clear();
  append_backtrace(st, pc, inst, fn, true);  // (at the call, as wasmtime reports it)
  st.nframes = base_frames;
  return trap;

L_trap:
  store.fault.valid = false;
L_trap_noted:
  // Fuel spent since the last save point is not charged (wasmtime's rule).
  store.fuel_injected = store.fuel_saved;
  record_backtrace(st, pc, inst, fn, trap == TrapCode::StackOverflow ? callee : nullptr);
  st.nframes = base_frames;
  return trap;

#undef RELOAD_MEM
#undef DISPATCH
#undef NEXT
#undef JUMP
#undef TRAP
#undef MEM_TRAP
#undef EMBER_OFF64
#undef EMBER_EA64
#undef RESUME
#undef S
#undef GET_I32
#undef GET_I64
#undef GET_F32
#undef GET_F64
#undef SET_I32
#undef SET_I64
#undef SET_F32
#undef SET_F64
#undef GET_V128
#undef SET_V128
}

}  // namespace ember::interp
