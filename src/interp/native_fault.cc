// Memory faults of compiled code (native.hh's call_compiled): compiled code
// accesses 32-bit memories without bounds checks (CompiledCode::guard_pages),
// so an access past a memory's size faults in its reservation's inaccessible
// part. The fault handler (platform/fault.hh) asks fault_hook() whether the
// fault is such an access: the faulting pc lies in compiled code of the
// module the innermost call_compiled of the thread entered (its code maps)
// and the address in a reservation of that instance's memories. Then the
// hook records the pcs of the compiled frames (a walk of the frame pointers
// up to call_compiled's frame) and resumes the thread in resume(), which
// jumps back into call_compiled; call_compiled reports the trap as the
// innermost compiled frame and its compiled callers would have: the frames
// and module offsets (from the code maps' line tables) in State::native_bt,
// the fault for the Trap's MemoryFault, the fuel charged as of its last save.
#include <setjmp.h>

#include <algorithm>
#include <atomic>

#include "interp/interp_state.hh"
#include "interp/ir_codec.hh"
#include "interp/native.hh"
#include "platform/fault.hh"
#include "runtime/runtime.hh"

namespace ember::interp {

const CodeRange* CodeMap::find(uintptr_t pc) const {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), pc,
                             [](uintptr_t p, const CodeRange& r) { return p < r.begin; });
  if (it == ranges.begin()) return nullptr;
  --it;
  return pc < it->end ? &*it : nullptr;
}

uint32_t CodeMap::offset_at(const CodeRange& r, uintptr_t pc, bool* own) const {
  const CodeRow* first = rows.data() + r.rows_begin;
  const CodeRow* last = rows.data() + r.rows_end;
  const CodeRow* it = std::upper_bound(first, last, uint32_t(pc - r.begin),
                                       [](uint32_t p, const CodeRow& row) { return p < row.pc; });
  // The row holding pc, or the nearest before it that names an offset
  // (instructions the optimizer merged or moved have none).
  if (own) *own = it != first && std::prev(it)->offset != 0;
  while (it != first) {
    --it;
    if (it->offset != 0) return it->offset;
  }
  return 0;
}

namespace {

constexpr uint32_t kMaxFaultFrames = 64;

// One entry into compiled code on this thread (call_compiled), innermost
// first through `prev`.
struct Guard {
  jmp_buf jump;
  Guard* prev = nullptr;
  const CompiledCode* code = nullptr;
  const rt::ModuleInst* inst = nullptr;
  uintptr_t top = 0;  // call_compiled's frame: compiled frames lie below
  // Set by the fault hook.
  uintptr_t pcs[kMaxFaultFrames];  // the fault's, then return addresses - 1
  uint32_t npcs = 0;
  uintptr_t addr = 0;
  const rt::MemoryInst* mem = nullptr;
};

thread_local Guard* t_guard = nullptr;
std::atomic<bool> g_handler_installed{false};

const CodeRange* find_code(const CompiledCode& code, uintptr_t pc, const CodeMap** map) {
  for (const CodeMap* m = code.code_maps.get(); m; m = m->next)
    if (const CodeRange* r = m->find(pc)) {
      if (map) *map = m;
      return r;
    }
  return nullptr;
}

[[noreturn]] void resume(void* arg) {
  _longjmp(static_cast<Guard*>(arg)->jump, 1);
}

// In the signal handler: reads only.
bool fault_hook(const platform::FaultContext& f, void (**resume_at)(void*), void** arg) {
  Guard* g = t_guard;
  if (!g || !find_code(*g->code, f.pc, nullptr)) return false;
  const rt::MemoryInst* mem = nullptr;
  for (const rt::MemoryInst* m : g->inst->memories)
    if (m && f.addr >= uintptr_t(m->base) && f.addr - uintptr_t(m->base) < m->reserved) mem = m;
  if (!mem) return false;
  g->mem = mem;
  g->addr = f.addr;
  g->pcs[0] = f.pc;
  g->npcs = 1;
  // Each compiled frame keeps its caller's frame pointer at [fp] and its
  // return address at [fp + 8]; the walk ends at the first return address
  // outside compiled code (into call_compiled).
  for (uintptr_t fp = f.fp; g->npcs < kMaxFaultFrames;) {
    if (fp < f.sp || fp + 16 > g->top || fp % sizeof(uintptr_t) != 0) break;
    const uintptr_t* frame = reinterpret_cast<const uintptr_t*>(fp);
    uintptr_t ret = frame[1];
    if (!find_code(*g->code, ret - 1, nullptr)) break;
    g->pcs[g->npcs++] = ret - 1;
    if (frame[0] <= fp) break;
    fp = frame[0];
  }
  *resume_at = resume;
  *arg = g;
  return true;
}

// What a fault at a.offset (..) reports, as note_access_fault works it out
// for the interpreter (wasmtime's 4 GiB + 32 MiB guard), from the first
// inaccessible byte touched and the access's static offset and size.
void note_fault(rt::StoreData& store, const Guard& g, const uint32_t* access) {
  const uint64_t at = g.addr - uintptr_t(g.mem->base);
  const uint64_t size = g.mem->size;
  store.fault.valid = false;
  MemAccess a;
  if (!access || !memory_access(access[0], &a)) return;
  store.fault = {wasmtime_faults(access[a.offset], a.size, at), at, size};
}

// call_compiled's report of a fault the hook claimed.
uint32_t fault_trap(State& st, const Guard& g) {
  const CompiledCode& cc = *g.code;
  st.native_bt.clear();
  const uint32_t* access = nullptr;
  for (uint32_t k = 0; k < g.npcs && st.native_bt.size() < rt::kMaxBacktraceFrames; k++) {
    const CodeMap* map = nullptr;
    const CodeRange* r = find_code(cc, g.pcs[k], &map);
    if (!r || r->wrapper) continue;
    const FuncCode& fc = cc.funcs[r->func];
    bool own = true;
    uint64_t offset = map->offset_at(*r, g.pcs[k], &own);
    if (k == 0) {
      access = faulting_access(cc, fc, offset, own);
      if (access) offset = cc.offset_of(uint32_t(access - cc.words.data()));
    }
    st.native_bt.push_back(
        rt::TrapFrame{g.inst, fc.func_index, offset ? offset : rt::kUnknownOffset});
  }
  rt::StoreData& store = *st.store;
  store.fuel_injected = store.fuel_saved;
  note_fault(store, g, access);
  return uint32_t(TrapCode::MemoryOutOfBounds);
}

// Restores the thread's previous guard however call_compiled leaves.
class Entered {
 public:
  explicit Entered(Guard& g) : g_(g) {
    g.prev = t_guard;
    t_guard = &g;
  }
  ~Entered() { t_guard = g_.prev; }
  Entered(const Entered&) = delete;
  Entered& operator=(const Entered&) = delete;

 private:
  Guard& g_;
};

}  // namespace

// The access instruction whose code faulted, given the module offset its
// line table names: the access among the instructions translated from the
// wasm instruction at that offset, else (the access was folded into the
// instruction using its value) the nearest access before them; or null.
// When the faulting instruction has no row of its own (`own` false: the
// code generator merged the access into an instruction that lost its
// location, and the offset is an earlier instruction's, or the function's
// start where the rows name its prologue), the first access after the
// offset's instructions comes before that guess.
const uint32_t* faulting_access(const CompiledCode& cc, const FuncCode& fc, uint64_t offset,
                                bool own) {
  auto first = std::lower_bound(cc.pc_map.begin(), cc.pc_map.end(), fc.begin,
                                [](const PcMapEntry& e, uint32_t w) { return e.word < w; });
  const uint32_t* before = nullptr;  // the last access before the offset's instructions
  bool past_offset = false;          // (!own) the offset's instructions are behind
  MemAccess a;
  for (auto e = first; e != cc.pc_map.end() && e->word < fc.end; ++e) {
    uint32_t end = std::next(e) != cc.pc_map.end() ? std::min(std::next(e)->word, fc.end) : fc.end;
    for (uint32_t w = e->word; w < end;) {
      const uint32_t* pc = &cc.words[w];
      bool access = memory_access(pc[0], &a) && !a.addr64;
      if (access && e->offset == offset) return pc;
      if (access && !own && (past_offset || (offset && e->offset > offset))) return pc;
      if (access) before = pc;
      uint32_t n = instruction_length(pc, fc.end - w);
      if (n == 0) return nullptr;
      w += n;
    }
    if (e->offset == offset && own) return before;
    if (e->offset == offset) past_offset = true;
  }
  return past_offset ? before : nullptr;
}

uint32_t call_compiled(State& st, rt::ModuleInst* inst, const void* code, NativeView* view,
                       rt::Slot* fp) {
  const CompiledCode& cc = *inst->module->code;
  if (!cc.guard_pages) return reinterpret_cast<NativeFn>(code)(&st, view, fp);
  if (!g_handler_installed.load(std::memory_order_relaxed)) {
    platform::install_fault_handler(fault_hook);
    g_handler_installed.store(true, std::memory_order_relaxed);
  }
  Guard g;
  g.code = &cc;
  g.inst = inst;
  g.top = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  Entered entered(g);
  // (A fault leaves the frames it skips parked: they are put back.)
  const CompiledFrame* parked = st.compiled_frames;
  if (_setjmp(g.jump) == 0) return reinterpret_cast<NativeFn>(code)(&st, view, fp);
  st.compiled_frames = parked;
  return fault_trap(st, g);  // (g lives in memory: its address escaped)
}

}  // namespace ember::interp
