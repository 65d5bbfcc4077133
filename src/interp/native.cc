// The interpreter's side of compiled code (native.hh): entering it, and the
// runtime functions it calls.
#include "interp/native.hh"

#include <algorithm>
#include <cstring>
#include <exception>

#include "interp/interp_state.hh"
#include "platform/stack.hh"
#include "runtime/atomics.hh"
#include "runtime/runtime.hh"

namespace ember::interp {

TrapCode enter_native(State& st, rt::FuncInst* f, rt::Slot* fp, bool as_call) {
  const FuncCode* fc = static_cast<const FuncCode*>(f->code);
  return enter_native(st, f->instance, fc->native.get(), fp, as_call);
}

TrapCode enter_native(State& st, rt::ModuleInst* inst, const void* code, rt::Slot* fp,
                      bool as_call) {
  // The thread's stack, less the reserve (1 MiB below here when its bounds
  // are unknown).
  uintptr_t low = platform::native_stack_low();
  if (low == 0) {
    uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    low = here > (uintptr_t{1} << 20) ? here - (uintptr_t{1} << 20) : 0;
  }
  st.native_limit = low + platform::kNativeStackReserve;
  // The records in use: the dispatch loops' and those of the compiled
  // activations below them, and this call's own (interp_state.hh).
  size_t depth = st.nframes + st.native_records + (as_call ? 1 : 0);
  st.native_max_depth = uint32_t(std::min<size_t>(UINT32_MAX, st.max_frames));
  st.native_bt.clear();
  // (Compiled code keeps its depth in registers and leaves the field as it
  // pleases: native.hh.)
  uint32_t saved = st.native_depth;
  st.native_depth = uint32_t(std::min<size_t>(UINT32_MAX, depth));
  auto r = TrapCode(call_compiled(st, inst, code, native_view(inst), fp));
  st.native_depth = saved;
  return r;
}

namespace {

const void* osr_entry(const FuncCode* fc, uint32_t word) {
  for (const OsrEntry* e = fc->osr.get(); e; e = e->next)
    if (e->word == word) return e->code;
  return nullptr;
}

// The loop header for `entry` to go to (it resets the word as it reads it:
// left set, a later call of the same code would be taken for this entry).
const void* enter_at(State& st, uint32_t word, const void* entry) {
  st.osr_word = word;
  return entry;
}

}  // namespace

const void* tier_up(State& st, rt::ModuleInst* inst, const FuncCode* fc, const uint32_t* pc,
                    bool loop) {
  const CompiledCode& code = *inst->module->code;
  TierState state = fc->tier.get();
  if (!code.tier_up || state == TierState::Refused) {
    fc->hotness.set_relaxed(INT32_MAX);  // (never again)
    return nullptr;
  }
  uint32_t word = uint32_t(pc - code.words.data());
  if (loop) {
    if (const void* entry = osr_entry(fc, word)) return enter_at(st, word, entry);
  } else if (state != TierState::Interpreted) {
    // Queued: its calls take the code once it is there, and meanwhile ask
    // again (what runs most is compiled first) unless the asker waits.
    fc->hotness.set_relaxed(state == TierState::Compiled ? INT32_MAX : code.tier_recheck);
    if (state == TierState::Queued && !code.tier_wait)
      code.tier_up(inst->module, uint32_t(fc - code.funcs.data()), UINT32_MAX);
    return nullptr;
  }
  fc->hotness.set_relaxed(code.tier_recheck);
  code.tier_up(inst->module, uint32_t(fc - code.funcs.data()), loop ? word : UINT32_MAX);
  if (!loop) return nullptr;
  const void* entry = osr_entry(fc, word);
  return entry ? enter_at(st, word, entry) : nullptr;
}

extern "C" {

uint32_t ember_native_trap(State* st, NativeView* view, const FuncCode* fc, rt::Slot* fp,
                           uint32_t word, uint32_t code, rt::FuncInst* entered) {
  rt::StoreData& store = *st->store;
  const CompiledCode& cc = *view->inst->module->code;
  st->native_bt.clear();
  if (entered && entered->instance) {
    const FuncCode* efc = static_cast<const FuncCode*>(entered->code);
    st->native_bt.push_back(rt::TrapFrame{entered->instance, efc->func_index, rt::kUnknownOffset});
  }
  // As the interpreter reports it: the trapping instruction, or the call
  // (one word back from past it) whose callee could not start.
  uint32_t at = entered && word > 0 ? word - 1 : word;
  st->native_bt.push_back(rt::TrapFrame{view->inst, fc->func_index, cc.offset_of(at)});
  // Fuel spent since the last save point is not charged (wasmtime's rule,
  // as the interpreter's trap path applies it).
  store.fuel_injected = store.fuel_saved;
  if (TrapCode(code) == TrapCode::MemoryOutOfBounds)
    note_native_fault(store, cc.words.data() + word, fp, view->inst);
  else store.fault.valid = false;
  return code;
}

namespace {
uint32_t raise(State* st, NativeView* view, const FuncCode* fc, uint32_t word, rt::ExnObj* e) {
  rt::StoreData& store = *st->store;
  const CompiledCode& cc = *view->inst->module->code;
  st->backtrace.clear();
  st->backtrace.push_back(rt::TrapFrame{view->inst, fc->func_index, cc.offset_of(word)});
  store.pending_exn = e;
  store.fault.valid = false;
  return uint32_t(TrapCode::Exception);
}
}  // namespace

uint32_t ember_native_throw(State* st, NativeView* view, const FuncCode* fc, rt::Slot* fp,
                            uint32_t word, uint32_t tag, uint32_t base) {
  // (The value stack up to this frame holds every reference a collection
  // could need: compiled functions keep none in registers, decision 42.)
  rt::ExnObj* e = rt::new_exn(*st->store, view->inst->tags[tag], fp + base,
                              std::span<const rt::Slot>(st->stack, fp + fc->frame_slots));
  return raise(st, view, fc, word, e);
}

uint32_t ember_native_throw_ref(State* st, NativeView* view, const FuncCode* fc, uint32_t word,
                                uint64_t exn) {
  return raise(st, view, fc, word, reinterpret_cast<rt::ExnObj*>(uintptr_t(exn)));
}

uint32_t ember_native_catch(State* st, NativeView* view, const FuncCode* fc, rt::Slot* fp,
                            uint32_t word) {
  rt::ExnObj* exn = st->store->pending_exn;
  const CompiledCode& cc = *view->inst->module->code;
  const CatchHandler* h = catching_clause(cc, fc, word, view->inst, exn);
  if (!h) return 0;
  deliver_exception(*h, exn, fp);
  return uint32_t(h - cc.handlers.data()) + 1;
}

uint32_t ember_native_unwind(State* st, NativeView* view, const FuncCode* fc, uint32_t word,
                             uint32_t code) {
  // An exception's backtrace is the one recorded where it was thrown.
  std::vector<rt::TrapFrame>& bt =
      TrapCode(code) == TrapCode::Exception ? st->backtrace : st->native_bt;
  if (bt.size() < kMaxBacktraceFrames) {
    const CompiledCode& cc = *view->inst->module->code;
    bt.push_back(rt::TrapFrame{view->inst, fc->func_index, cc.offset_of(word - 1)});
  }
  return code;
}

namespace {

// While the runtime runs code for a compiled activation that holds
// `records` frame records (its depth, plus the record of the call it
// makes), a dispatch loop or a host function's nested calls count from
// there.
class RecordsBelow {
 public:
  RecordsBelow(State& st, size_t records) : st_(st), saved_(st.native_records) {
    st.native_records = records - std::min(records, st.nframes);
    st.update_frames_cap();
  }
  ~RecordsBelow() {
    st_.native_records = saved_;
    st_.update_frames_cap();
  }
  RecordsBelow(const RecordsBelow&) = delete;
  RecordsBelow& operator=(const RecordsBelow&) = delete;

 private:
  State& st_;
  size_t saved_;
};

// A call from compiled code (see ember_native_call / ember_native_tail_call).
uint32_t call_from_native(State* st, NativeView* view, const FuncCode* caller, rt::Slot* fp,
                          uint32_t word, rt::FuncInst* callee, rt::Slot* nfp, bool tail) {
  rt::StoreData& store = *st->store;
  if (callee->is_host()) {
    rt::Slot* saved_top = st->top;
    const FuncType* ft = callee->type;
    st->top = nfp + std::max(rt::slots_of(ft->params), rt::slots_of(ft->results));
    rt::HostCall hc{&store, view->inst};
    TrapCode t;
    RecordsBelow below(*st, st->native_depth);  // (a host call takes no record)
    try {
      t = callee->host->fn(hc, nfp);
    } catch (...) {
      store.host_error = std::current_exception();
      t = TrapCode::HostError;
    }
    st->top = saved_top;
    if (t == TrapCode::None || t == TrapCode::Exception) return uint32_t(t);
    // At the call (`word` is past it, but a tail call's own), as the
    // interpreter's L_trap_host reports it.
    const CompiledCode& cc = *view->inst->module->code;
    st->native_bt.assign(
        1, rt::TrapFrame{view->inst, caller->func_index, cc.offset_of(tail ? word : word - 1)});
    store.fuel_injected = store.fuel_saved;
    store.fault.valid = false;
    return uint32_t(t);
  }
  const FuncCode* fc = static_cast<const FuncCode*>(callee->code);
  if (fc->frame_slots > size_t(st->stack_end - nfp))
    return ember_native_trap(st, view, caller, fp, word, uint32_t(TrapCode::StackOverflow), callee);
  uint32_t r;
  if (const void* native = fc->native.get()) {
    if (reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) < st->native_limit ||
        (!tail && st->native_depth >= st->native_max_depth))
      return ember_native_trap(st, view, caller, fp, word, uint32_t(TrapCode::StackOverflow),
                               callee);
    uint32_t depth = st->native_depth;
    st->native_depth = depth + (tail ? 0 : 1);  // (a tail call's callee takes its caller's record)
    r = call_compiled(*st, callee->instance, native, native_view(callee->instance), nfp);
    st->native_depth = depth;
  } else {
    // An interpreted callee: a dispatch loop of its own, whose backtrace
    // holds only its frames (those below belong to the loops outside).
    // (A tail call's callee takes its caller's record.)
    size_t records = size_t(st->native_depth) + (tail ? 0 : 1);
    if (st->nesting >= kMaxNesting || records > st->max_frames ||
        platform::native_stack_remaining() < platform::kNativeStackReserve)
      return ember_native_trap(st, view, caller, fp, word, uint32_t(TrapCode::StackOverflow),
                               callee);
    std::memset(nfp + fc->num_params, 0, (fc->num_locals - fc->num_params) * sizeof(rt::Slot));
    size_t floor = st->bt_floor;
    st->bt_floor = st->nframes;
    st->nesting++;
    TrapCode t;
    {
      RecordsBelow below(*st, records);
      t = run(*st, store, callee, nfp);
    }
    st->nesting--;
    st->bt_floor = floor;
    if (t != TrapCode::None && t != TrapCode::Exception) {
      st->native_bt = std::move(st->backtrace);
      st->backtrace.clear();
      if (st->native_bt.size() > kMaxBacktraceFrames) st->native_bt.resize(kMaxBacktraceFrames);
    }
    r = uint32_t(t);
  }
  if (!tail && r != 0) ember_native_unwind(st, view, caller, word, r);
  return r;
}

}  // namespace

uint32_t ember_native_call(State* st, NativeView* view, const FuncCode* caller, rt::Slot* fp,
                           uint32_t word, rt::FuncInst* callee, rt::Slot* nfp) {
  return call_from_native(st, view, caller, fp, word, callee, nfp, false);
}

uint32_t ember_native_tail_call(State* st, NativeView* view, const FuncCode* caller, rt::Slot* fp,
                                uint32_t word, rt::FuncInst* callee) {
  return call_from_native(st, view, caller, fp, word, callee, fp, true);
}

rt::FuncInst* ember_native_resolve_indirect(State* st, NativeView* view, const FuncCode* caller,
                                            rt::Slot* fp, uint32_t word, uint32_t table, uint32_t i,
                                            uint32_t type_id, uint64_t* trap) {
  rt::FuncInst* callee = nullptr;
  TrapCode t = TrapCode::None;
  if (resolve_indirect(*st->store, view->inst, table, i, type_id, &callee, &t)) return callee;
  *trap = ember_native_trap(st, view, caller, fp, word, uint32_t(t), nullptr);
  return nullptr;
}

uint32_t ember_native_call_indirect(State* st, NativeView* view, const FuncCode* caller,
                                    rt::Slot* fp, uint32_t word, uint32_t next_word, uint32_t table,
                                    uint32_t i, uint32_t type_id, rt::Slot* nfp) {
  rt::FuncInst* callee = nullptr;
  TrapCode trap = TrapCode::None;
  if (!resolve_indirect(*st->store, view->inst, table, i, type_id, &callee, &trap))
    return ember_native_trap(st, view, caller, fp, word, uint32_t(trap), nullptr);
  return ember_native_call(st, view, caller, fp, next_word, callee, nfp);
}

uint32_t ember_native_refuel(State* st) {
  rt::StoreData& store = *st->store;
  if (store.fuel_injected < 0 || rt::refuel(store)) return 0;
  store.fuel_saved = store.fuel_injected;
  return uint32_t(TrapCode::OutOfFuel);
}

uint32_t ember_native_fuel_units(State* st, uint64_t units, uint32_t flags) {
  rt::charge_fuel(*st->store, units);
  return (flags & kFuelCheckNow) ? ember_native_refuel(st) : 0;
}

uint32_t ember_native_fuel_memory_grow(State* st, NativeView* view, uint32_t mem, uint64_t old,
                                       uint32_t flags) {
  const rt::MemoryInst* m = view->memories[mem];
  if (old == (m->type.limits.is64 ? UINT64_MAX : UINT32_MAX)) return 0;  // the grow failed
  return ember_native_fuel_units(st, (m->size >> m->type.page_size_log2) - old, flags);
}

uint32_t ember_native_interrupt(State* st) {
  rt::take_interrupt(*st->store);
  return uint32_t(TrapCode::Interrupt);
}

void ember_native_tier_up(State* st, NativeView* view, const FuncCode* fc) {
  const CompiledCode& code = *view->inst->module->code;
  try {
    tier_up(*st, view->inst, fc, code.words.data() + fc->begin, false);
  } catch (...) {
    // (Out of memory queueing the request: the function stays served. No
    // C++ exception may cross the compiled frames below.)
  }
}

namespace {
uint64_t address(const rt::MemoryInst* m, uint64_t slot) {
  return m->type.limits.is64 ? slot : uint64_t(uint32_t(slot));
}
}  // namespace

uint32_t ember_native_memory_fill(NativeView* view, uint32_t mem, uint64_t d, uint32_t val,
                                  uint64_t n) {
  rt::MemoryInst* m = view->memories[mem];
  d = address(m, d);
  n = address(m, n);
  if (d > m->size || n > m->size - d) return uint32_t(TrapCode::MemoryOutOfBounds);
  std::memset(m->base + d, int(uint8_t(val)), n);
  return 0;
}

uint32_t ember_native_memory_copy(NativeView* view, uint32_t dmem, uint32_t smem, uint64_t d,
                                  uint64_t s, uint64_t n) {
  rt::MemoryInst* dm = view->memories[dmem];
  rt::MemoryInst* sm = view->memories[smem];
  d = address(dm, d);
  s = address(sm, s);
  n = (dm->type.limits.is64 && sm->type.limits.is64) ? n : uint64_t(uint32_t(n));
  if (d > dm->size || n > dm->size - d || s > sm->size || n > sm->size - s)
    return uint32_t(TrapCode::MemoryOutOfBounds);
  std::memmove(dm->base + d, sm->base + s, n);
  return 0;
}

uint32_t ember_native_memory_init(NativeView* view, uint32_t mem, uint32_t data, uint64_t d,
                                  uint32_t s, uint32_t n) {
  rt::MemoryInst* m = view->memories[mem];
  const rt::DataInst& seg = view->inst->datas[data];
  d = address(m, d);
  if (d > m->size || n > m->size - d || s > seg.size || n > seg.size - s)
    return uint32_t(TrapCode::MemoryOutOfBounds);
  if (n) std::memcpy(m->base + d, seg.bytes + s, n);
  return 0;
}

void ember_native_data_drop(NativeView* view, uint32_t data) {
  view->inst->datas[data].size = 0;
}

namespace {
uint64_t table_index(const rt::TableInst* t, uint64_t slot) {
  return t->type.limits.is64 ? slot : uint64_t(uint32_t(slot));
}
}  // namespace

uint32_t ember_native_table_get(NativeView* view, uint32_t t, uint64_t i, uint64_t* out) {
  const rt::TableInst* table = view->inst->tables[t];
  i = table_index(table, i);
  if (i >= table->elems.size()) return uint32_t(TrapCode::TableOutOfBounds);
  *out = uint64_t(reinterpret_cast<uintptr_t>(table->elems[i]));
  return 0;
}

uint32_t ember_native_table_set(NativeView* view, uint32_t t, uint64_t i, uint64_t v) {
  rt::TableInst* table = view->inst->tables[t];
  i = table_index(table, i);
  if (i >= table->elems.size()) return uint32_t(TrapCode::TableOutOfBounds);
  table->elems[i] = reinterpret_cast<void*>(uintptr_t(v));
  return 0;
}

uint64_t ember_native_table_size(NativeView* view, uint32_t t) {
  return view->inst->tables[t]->elems.size();
}

uint64_t ember_native_table_grow(State* st, NativeView* view, uint32_t t, uint64_t init,
                                 uint64_t n) {
  rt::TableInst* table = view->inst->tables[t];
  int64_t old = rt::table_grow(*st->store, *table, table_index(table, n),
                               reinterpret_cast<void*>(uintptr_t(init)));
  return table->type.limits.is64 ? uint64_t(old) : uint64_t(uint32_t(old));
}

uint32_t ember_native_table_fill(NativeView* view, uint32_t t, uint64_t i, uint64_t v, uint64_t n) {
  rt::TableInst* table = view->inst->tables[t];
  i = table_index(table, i);
  n = table_index(table, n);
  uint64_t size = table->elems.size();
  if (i > size || n > size - i) return uint32_t(TrapCode::TableOutOfBounds);
  for (uint64_t k = 0; k < n; k++) table->elems[i + k] = reinterpret_cast<void*>(uintptr_t(v));
  return 0;
}

uint32_t ember_native_table_copy(NativeView* view, uint32_t dt, uint32_t st, uint64_t d, uint64_t s,
                                 uint64_t n) {
  rt::TableInst* dtab = view->inst->tables[dt];
  rt::TableInst* stab = view->inst->tables[st];
  d = table_index(dtab, d);
  s = table_index(stab, s);
  if (!(dtab->type.limits.is64 && stab->type.limits.is64)) n = uint32_t(n);
  uint64_t dsize = dtab->elems.size(), ssize = stab->elems.size();
  if (d > dsize || n > dsize - d || s > ssize || n > ssize - s)
    return uint32_t(TrapCode::TableOutOfBounds);
  if (n) std::memmove(dtab->elems.data() + d, stab->elems.data() + s, n * sizeof(void*));
  return 0;
}

uint32_t ember_native_table_init(NativeView* view, uint32_t t, uint32_t elem, uint64_t d,
                                 uint32_t s, uint32_t n) {
  rt::TableInst* table = view->inst->tables[t];
  const std::vector<void*>& seg = view->inst->elems[elem];
  d = table_index(table, d);
  uint64_t size = table->elems.size();
  if (d > size || n > size - d || s > seg.size() || n > seg.size() - s)
    return uint32_t(TrapCode::TableOutOfBounds);
  if (n) std::memcpy(table->elems.data() + d, seg.data() + s, n * sizeof(void*));
  return 0;
}

void ember_native_elem_drop(NativeView* view, uint32_t elem) {
  view->inst->elems[elem].clear();
}

uint32_t ember_native_atomic(NativeView* view, uint32_t op, uint32_t mem, uint64_t addr,
                             uint64_t offset, uint64_t a, uint64_t b, uint64_t* out) {
  rt::MemoryInst* m = view->memories[mem];
  if (!m->type.limits.is64) addr = uint32_t(addr);
  return uint32_t(rt::atomic_access(Op(op), *m, addr, offset, a, b, out));
}

uint32_t ember_native_fuel_table_grow(State* st, NativeView* view, uint32_t t, uint64_t old,
                                      uint32_t flags) {
  const rt::TableInst* table = view->inst->tables[t];
  old = table_index(table, old);
  if (old == (table->type.limits.is64 ? UINT64_MAX : UINT32_MAX)) return 0;  // the grow failed
  return ember_native_fuel_units(st, table->elems.size() - old, flags);
}

uint64_t ember_native_memory_grow(State* st, NativeView* view, uint32_t mem, uint64_t delta) {
  return uint64_t(rt::memory_grow(*st->store, *view->memories[mem], delta));
}

uint64_t ember_native_memory_size(NativeView* view, uint32_t mem) {
  const rt::MemoryInst* m = view->memories[mem];
  return m->size >> m->type.page_size_log2;
}

}  // extern "C"

}  // namespace ember::interp
