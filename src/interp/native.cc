// The interpreter's side of compiled code (native.hh): entering it, and the
// runtime functions it calls.
#include "interp/native.hh"

#include <algorithm>
#include <cstring>
#include <exception>

#include "interp/interp_state.hh"
#include "platform/stack.hh"
#include "runtime/runtime.hh"

namespace ember::interp {

TrapCode enter_native(State& st, rt::FuncInst* f, rt::Slot* fp) {
  uintptr_t low = platform::native_stack_low();
  if (low == 0) {  // unknown bounds: allow 1 MiB below here
    uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    low = here > (uintptr_t{1} << 20) ? here - (uintptr_t{1} << 20) : 0;
  }
  st.native_limit = low + platform::kNativeStackReserve;
  st.native_bt.clear();
  const FuncCode* fc = static_cast<const FuncCode*>(f->code);
  return TrapCode(reinterpret_cast<NativeFn>(fc->native)(&st, native_view(f->instance), fp));
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
  if (TrapCode(code) == TrapCode::MemoryOutOfBounds)
    note_native_fault(store, cc.words.data() + word, fp, view->inst);
  else store.fault.valid = false;
  return code;
}

uint32_t ember_native_unwind(State* st, NativeView* view, const FuncCode* fc, uint32_t word,
                             uint32_t code) {
  if (st->native_bt.size() < kMaxBacktraceFrames) {
    const CompiledCode& cc = *view->inst->module->code;
    st->native_bt.push_back(rt::TrapFrame{view->inst, fc->func_index, cc.offset_of(word - 1)});
  }
  return code;
}

uint32_t ember_native_call(State* st, NativeView* view, const FuncCode* caller, rt::Slot* fp,
                           uint32_t word, rt::FuncInst* callee, rt::Slot* nfp) {
  rt::StoreData& store = *st->store;
  if (callee->is_host()) {
    rt::Slot* saved_top = st->top;
    const FuncType* ft = callee->type;
    st->top = nfp + std::max(rt::slots_of(ft->params), rt::slots_of(ft->results));
    rt::HostCall hc{&store, view->inst};
    TrapCode t;
    try {
      t = callee->host->fn(hc, nfp);
    } catch (...) {
      store.host_error = std::current_exception();
      t = TrapCode::HostError;
    }
    st->top = saved_top;
    if (t == TrapCode::None || t == TrapCode::Exception) return uint32_t(t);
    return ember_native_trap(st, view, caller, fp, word, uint32_t(t), nullptr);
  }
  const FuncCode* fc = static_cast<const FuncCode*>(callee->code);
  if (fc->frame_slots > size_t(st->stack_end - nfp))
    return ember_native_trap(st, view, caller, fp, word, uint32_t(TrapCode::StackOverflow), callee);
  uint32_t r;
  if (fc->native) {
    if (reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) < st->native_limit)
      return ember_native_trap(st, view, caller, fp, word, uint32_t(TrapCode::StackOverflow),
                               callee);
    r = reinterpret_cast<NativeFn>(fc->native)(st, native_view(callee->instance), nfp);
  } else {
    // An interpreted callee: a dispatch loop of its own, whose backtrace
    // holds only its frames (those below belong to the loops outside).
    if (st->nesting >= kMaxNesting ||
        platform::native_stack_remaining() < platform::kNativeStackReserve)
      return ember_native_trap(st, view, caller, fp, word, uint32_t(TrapCode::StackOverflow),
                               callee);
    std::memset(nfp + fc->num_params, 0, (fc->num_locals - fc->num_params) * sizeof(rt::Slot));
    size_t floor = st->bt_floor;
    st->bt_floor = st->nframes;
    st->nesting++;
    TrapCode t = run(*st, store, callee, nfp);
    st->nesting--;
    st->bt_floor = floor;
    if (t != TrapCode::None && t != TrapCode::Exception) {
      st->native_bt = std::move(st->backtrace);
      st->backtrace.clear();
      if (st->native_bt.size() > kMaxBacktraceFrames) st->native_bt.resize(kMaxBacktraceFrames);
    }
    r = uint32_t(t);
  }
  if (r != 0 && TrapCode(r) != TrapCode::Exception) ember_native_unwind(st, view, caller, word, r);
  return r;
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
