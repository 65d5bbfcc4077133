// Interpreter entry points: per-store state, top-level calls, backtraces.
#include "interp/interp.hh"

#include <algorithm>
#include <cstring>
#include <exception>

#include "ember/errors.hh"
#include "interp/interp_state.hh"
#include "interp/native.hh"
#include "platform/stack.hh"
#include "platform/vm.hh"

namespace ember {

std::span<const uint32_t> CompiledCode::stack_map(uint32_t word) const {
  auto it = std::lower_bound(stack_maps.begin(), stack_maps.end(), word,
                             [](const interp::StackMap& m, uint32_t w) { return m.word < w; });
  if (it == stack_maps.end() || it->word != word) return {};
  return {ref_slots.data() + it->first, it->count};
}

uint64_t CompiledCode::offset_of(uint32_t word) const {
  auto it = std::upper_bound(pc_map.begin(), pc_map.end(), word,
                             [](uint32_t w, const interp::PcMapEntry& e) { return w < e.word; });
  if (it == pc_map.begin()) return 0;
  return std::prev(it)->offset;
}

}  // namespace ember

namespace ember::interp {

uint32_t handler_word(IOp op) {
  static const int32_t* table = handler_table();
  return uint32_t(table[size_t(op)]);
}

const void* function_code(const CompiledCode& code, uint32_t defined_index) {
  return &code.funcs[defined_index];
}

namespace {

// The store's live interpreter frames' references (StoreData::frame_roots).
void frame_roots(const rt::StoreData& store, rt::RootVisitor visit, void* cx) {
  const State* st = static_cast<const State*>(store.interp.get());
  if (!st || st->nesting == 0) return;
  auto frame = [&](const Frame& f) {
    const CompiledCode& code = *f.inst->module->code;
    for (uint32_t i = f.fn->ref_locals_begin; i < f.fn->ref_locals_end; i++)
      if (entry_traced(code.ref_slots[i])) visit(cx, f.fp[code.ref_slots[i]]);
    for (uint32_t entry : code.stack_map(uint32_t(f.pc - code.words.data()) - 1))
      if (entry_traced(entry)) visit(cx, f.fp[entry]);
  };
  for (size_t i = 0; i < st->nframes; i++) frame(st->frames[i]);
  for (size_t i = 0; i < st->nparked; i++) frame(st->parked[i]);
  for (const CompiledFrame* c = st->compiled_frames; c; c = c->prev)
    frame(Frame{c->inst->module->code->words.data() + c->word, c->fp, c->inst, c->fn});
}

}  // namespace

State::~State() {
  platform::vm_release(reinterpret_cast<uint8_t*>(stack), stack_bytes);
}

// Null when the value stack cannot be mapped (the call then traps).
State* state_of(rt::StoreData& store) {
  if (!store.interp) {
    auto st = std::make_shared<State>();
    uint64_t budget = store.engine ? store.engine->config.max_wasm_stack : 512 * 1024;
    budget = std::clamp<uint64_t>(budget, 1, rt::kMaxWasmStack);
    // At least one page of value stack; the frame depth follows the budget
    // down to a single frame (decisions.md, 17).
    st->stack_bytes = std::max<size_t>(size_t(budget) * 8, 4096);
    st->stack = reinterpret_cast<rt::Slot*>(platform::vm_allocate_lazy(st->stack_bytes));
    if (!st->stack) return nullptr;
    st->stack_end = st->stack + st->stack_bytes / sizeof(rt::Slot);
    st->max_frames = std::max<size_t>(1, size_t(budget / 8));
    st->frames.resize(std::min(kInitialFrames, st->max_frames));
    st->update_frames_cap();
    st->top = st->stack;
    st->parked.resize(kMaxNesting + 1);
    st->store = &store;
    if (store.engine) st->engine_epoch = &store.engine->epoch;
    store.interp = st;
    store.frame_roots = frame_roots;
  }
  return static_cast<State*>(store.interp.get());
}

namespace {

TrapCode call_host(rt::StoreData& store, rt::FuncInst* f, rt::ModuleInst* caller, rt::Slot* slots) {
  rt::HostCall hc{&store, caller};
  try {
    return f->host->fn(hc, slots);
  } catch (...) {
    store.host_error = std::current_exception();
    return TrapCode::HostError;
  }
}

}  // namespace

TrapCode call(rt::StoreData& store, rt::FuncInst* f, rt::Slot* slots) {
  if (f->is_host()) return call_host(store, f, nullptr, slots);
  State* stp = state_of(store);
  if (!stp) {
    // Not the program's fault: say what ran out instead of "stack exhausted".
    store.host_error = std::make_exception_ptr(WasmError(
        ErrorKind::Exhaustion,
        "could not allocate the wasm stack (" +
            std::to_string(store.engine ? store.engine->config.max_wasm_stack : 0) +
            " bytes of max_wasm_stack): the process is out of memory mappings or address space"));
    return TrapCode::HostError;
  }
  State& st = *stp;
  const FuncCode* fc = static_cast<const FuncCode*>(f->code);
  rt::Slot* base = st.top;
  if (st.nesting >= kMaxNesting || size_t(st.stack_end - base) < fc->frame_slots ||
      platform::native_stack_remaining() < platform::kNativeStackReserve) {
    if (st.nesting == 0) st.backtrace.clear();
    return TrapCode::StackOverflow;
  }
  std::memcpy(base, slots, fc->num_params * sizeof(rt::Slot));
  std::memset(base + fc->num_params, 0, (fc->num_locals - fc->num_params) * sizeof(rt::Slot));
  st.nesting++;
  if (st.nesting == 1) {
    st.backtrace.clear();
    // (balanced by the dispatch loop and native.cc unless a C++ exception
    // escaped them)
    st.nparked = 0;
    st.compiled_frames = nullptr;
    st.native_records = 0;
    st.update_frames_cap();
  }
  // A trap's backtrace holds this call's frames: for a call a host
  // function makes, those outside it join as the trap leaves the host
  // function (api::throw_trap), whatever tier ran them.
  size_t floor = st.bt_floor;
  st.bt_floor = st.nframes;
  TrapCode t;
  if (fc->native.get()) {
    t = enter_native(st, f, base);
    if (t != TrapCode::None && t != TrapCode::Exception) {
      st.backtrace = std::move(st.native_bt);
      st.native_bt.clear();
    }
  } else {
    t = run(st, store, f, base);
  }
  st.bt_floor = floor;
  st.nesting--;
  st.top = base;
  if (t == TrapCode::None) std::memcpy(slots, base, fc->num_results * sizeof(rt::Slot));
  return t;
}

std::vector<rt::TrapFrame> last_backtrace(const rt::StoreData& store) {
  if (!store.interp) return {};
  return static_cast<const State*>(store.interp.get())->backtrace;
}

bool needs_guard_pages(const CompiledCode& code) {
  return code.guard_pages;
}

const rt::Tier kTier{"interpreter", function_code, call, last_backtrace, needs_guard_pages};

}  // namespace ember::interp
