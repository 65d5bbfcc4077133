// Interpreter entry points: per-store state, top-level calls, backtraces.
#include "interp/interp.hh"

#include <algorithm>
#include <cstring>
#include <exception>

#include "interp/interp_state.hh"

namespace ember {

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

State& state_of(rt::StoreData& store) {
  if (!store.interp) {
    auto st = std::make_shared<State>();
    uint64_t bytes = store.engine ? store.engine->config.max_wasm_stack : 512 * 1024;
    // Interpreter frames are denser than native ones; allow twice the slots.
    size_t slots = std::max<uint64_t>(bytes / 4, 4096);
    st->stack.reset(new rt::Slot[slots]);
    st->stack_end = st->stack.get() + slots;
    st->frames.resize(kInitialFrames);
    st->top = st->stack.get();
    store.interp = st;
  }
  return *static_cast<State*>(store.interp.get());
}

namespace {

TrapCode call_host(rt::StoreData& store, rt::FuncInst* f, rt::ModuleInst* caller,
                   rt::Slot* slots) {
  rt::HostCall hc{&store, caller};
  try {
    return (*f->host)(hc, slots);
  } catch (...) {
    store.host_error = std::current_exception();
    return TrapCode::HostError;
  }
}

}  // namespace

TrapCode call(rt::StoreData& store, rt::FuncInst* f, rt::Slot* slots) {
  if (f->is_host()) return call_host(store, f, nullptr, slots);
  State& st = state_of(store);
  const FuncCode* fc = static_cast<const FuncCode*>(f->code);
  rt::Slot* base = st.top;
  if (st.nesting >= kMaxNesting || size_t(st.stack_end - base) < fc->frame_slots) {
    return TrapCode::StackOverflow;
  }
  std::memcpy(base, slots, fc->num_params * sizeof(rt::Slot));
  std::memset(base + fc->num_params, 0, (fc->num_locals - fc->num_params) * sizeof(rt::Slot));
  st.nesting++;
  if (st.nesting == 1) st.backtrace.clear();
  TrapCode t = run(st, store, f, base);
  st.nesting--;
  st.top = base;
  if (t == TrapCode::None) std::memcpy(slots, base, fc->num_results * sizeof(rt::Slot));
  return t;
}

std::vector<BacktraceFrame> last_backtrace(const rt::StoreData& store) {
  if (!store.interp) return {};
  return static_cast<const State*>(store.interp.get())->backtrace;
}

}  // namespace ember::interp
