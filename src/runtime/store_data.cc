// Store entities: the type registry, linear memory and table allocation and
// growth. Growth honours, in order, the entity type's maximum, the store's
// limits (StoreLimits) and what the platform can provide; a refused growth
// returns -1 and leaves the entity unchanged.
#include <algorithm>
#include <new>
#include <unordered_set>

#include "platform/vm.hh"
#include "runtime/runtime.hh"

namespace ember::rt {

// ---- fuel ----------------------------------------------------------------------

uint64_t fuel_remaining(const StoreData& s) {
  // reserve + (-injected), saturating at 0 and at UINT64_MAX.
  if (s.fuel_injected >= 0) {
    uint64_t spent = uint64_t(s.fuel_injected);
    return s.fuel_reserve > spent ? s.fuel_reserve - spent : 0;
  }
  uint64_t live = uint64_t(-(s.fuel_injected + 1)) + 1;
  return s.fuel_reserve > UINT64_MAX - live ? UINT64_MAX : s.fuel_reserve + live;
}

void set_fuel(StoreData& s, uint64_t fuel) {
  uint64_t injected = std::min<uint64_t>(fuel, uint64_t(INT64_MAX));
  s.fuel_reserve = fuel - injected;
  s.fuel_injected = -int64_t(injected);
  s.fuel_saved = s.fuel_injected;
}

bool refuel(StoreData& s) {
  uint64_t left = fuel_remaining(s);
  if (left == 0) return false;
  set_fuel(s, left);
  return true;
}

// ---- memories ----------------------------------------------------------------

// Sizes are in the memory's own pages (MemoryType::page_size_log2: 64 KiB or,
// with custom page sizes, 1 byte) and become bytes by a shift. The
// reservation and the committed part are whole host pages, so a memory of
// 1-byte pages has bytes committed past its size: they stay zero (every
// access is checked against the exact byte size) and growth into them only
// moves the size.
namespace {
constexpr uint64_t kGiB = uint64_t{1} << 30;
// No single reservation is ever larger than this (user address space is 2^47).
constexpr uint64_t kMaxReservation = uint64_t{1} << 46;

// Address space to reserve for a memory: 4 GiB + 4 GiB guard for 32-bit
// memories (so base + u32 + u32 offset stays inside), else the maximum.
uint64_t preferred_reservation(const MemoryInst& m) {
  if (!m.type.limits.is64) return platform::kRecycledReservation;  // 4 GiB + 4 GiB guard
  const unsigned log2 = m.type.page_size_log2;
  return (std::min(m.max_pages, (4 * kGiB) >> log2) << log2) + 4 * kGiB;  // growth stops at 4 GiB
}

// The bytes vm_commit has made accessible for a memory of `size` bytes.
uint64_t committed_bytes(uint64_t size) {
  const uint64_t page = platform::host_page_size();
  return (size + page - 1) / page * page;
}

}  // namespace

MemoryInst::~MemoryInst() {
  platform::vm_recycle(base, reserved, size);
}

namespace {
// Checks `t` and gives `m` its type, its reservation and its minimum,
// committed. `limit`: the store's byte limit (-1 = none).
Status init_memory(MemoryInst& m, const MemoryType& t, int64_t limit) {
  if (t.page_size_log2 != 0 && t.page_size_log2 != 16)
    return Error(ErrorKind::Internal, "invalid custom page size: the page size must be 1 or 65536");
  const unsigned log2 = t.page_size_log2;
  uint64_t cap = t.max_pages();
  uint64_t max_pages = std::min(t.limits.max.value_or(cap), cap);
  if (t.limits.min > max_pages)
    return Error(ErrorKind::Exhaustion, "memory minimum size exceeds its maximum");
  if (t.limits.min > kMaxReservation >> log2)
    return Error(ErrorKind::Exhaustion, "memory minimum size is larger than the address space");
  const uint64_t min_bytes = t.limits.min << log2;
  if (limit >= 0 && min_bytes > uint64_t(limit))
    return Error(ErrorKind::Exhaustion, "memory minimum size of " + std::to_string(t.limits.min) +
                                            " pages exceeds memory limits");
  m.type = t;
  m.max_pages = max_pages;
  // Try the guard-page layout first, then just the maximum, then the minimum.
  uint64_t wanted[] = {preferred_reservation(m),
                       std::min(max_pages, kMaxReservation >> log2) << log2, min_bytes};
  for (uint64_t bytes : wanted) {
    if (bytes < min_bytes) continue;
    if ((m.base = platform::vm_reserve(bytes)) != nullptr) {
      m.reserved = bytes;
      break;
    }
  }
  if (m.base == nullptr || !platform::vm_commit(m.base, min_bytes))
    return Error(ErrorKind::Exhaustion, "cannot reserve address space for a linear memory");
  m.size.store(min_bytes);
  return Status::Ok();
}

// Grows `mem` by `delta_pages` within its type, its reservation and `limit`
// (bytes, -1 = none); the caller serializes growth of a shared memory.
int64_t grow_memory(MemoryInst& mem, uint64_t delta_pages, int64_t limit) {
  const unsigned log2 = mem.type.page_size_log2;
  const uint64_t size = mem.size.load(std::memory_order_relaxed);
  uint64_t old_pages = size >> log2;
  if (delta_pages == 0) return static_cast<int64_t>(old_pages);
  if (delta_pages > mem.max_pages - old_pages) return -1;
  uint64_t new_pages = old_pages + delta_pages;
  if (new_pages > mem.reserved >> log2) return -1;  // also keeps << log2 exact
  uint64_t new_size = new_pages << log2;
  if (limit >= 0 && new_size > uint64_t(limit)) return -1;
  // vm_commit works in whole host pages: the committed part ends at the
  // host page after the old size, not at the size itself.
  uint64_t committed = committed_bytes(size);
  if (new_size > committed && !platform::vm_commit(mem.base + committed, new_size - committed))
    return -1;
  mem.size.store(new_size, std::memory_order_release);  // after the pages are there
  return static_cast<int64_t>(old_pages);
}
}  // namespace

Expected<std::shared_ptr<SharedMemory>> create_shared_memory(const MemoryType& t, int64_t limit) {
  if (!t.limits.shared || !t.limits.max)
    return Error(ErrorKind::Internal, "a shared memory needs a shared memory type with a maximum");
  auto sm = std::make_shared<SharedMemory>();
  EMBER_TRY(init_memory(sm->mem, t, limit));
  sm->mem.shared = sm.get();
  return sm;
}

Expected<MemoryInst*> create_memory(StoreData& s, const MemoryType& t) {
  if (t.limits.shared) {
    if (!s.engine->config.shared_memory)
      return Error(ErrorKind::Internal,
                   "shared memory support is disabled for this engine -- see "
                   "`Config::shared_memory`");
    EMBER_ASSIGN(std::shared_ptr<SharedMemory> sm, create_shared_memory(t, s.limits.memory_size));
    s.shared_memories.push_back(sm);
    return &sm->mem;
  }
  MemoryInst& m = s.memories.emplace_back();
  if (Status st = init_memory(m, t, s.limits.memory_size); !st) {
    s.memories.pop_back();
    return st.take_error();
  }
  return &m;
}

void adopt_shared_memory(StoreData& s, MemoryInst& m) {
  if (!m.shared) return;
  for (const auto& held : s.shared_memories)
    if (held.get() == m.shared) return;
  s.shared_memories.push_back(m.shared->shared_from_this());
}

int64_t memory_grow(StoreData& s, MemoryInst& mem, uint64_t delta_pages) {
  if (!mem.shared) return grow_memory(mem, delta_pages, s.limits.memory_size);
  std::lock_guard<std::mutex> lock(mem.shared->grow_mu);
  return grow_memory(mem, delta_pages, s.limits.memory_size);
}

int64_t shared_memory_grow(SharedMemory& sm, uint64_t delta_pages) {
  std::lock_guard<std::mutex> lock(sm.grow_mu);
  return grow_memory(sm.mem, delta_pages, -1);
}

MemoryType current_type(const MemoryInst& m) {
  MemoryType t = m.type;
  t.limits.min = m.size >> t.page_size_log2;
  return t;
}

// ---- tables ------------------------------------------------------------------

static bool store_allows_elements(const StoreData& s, uint64_t n) {
  return s.limits.table_elements < 0 || n <= static_cast<uint64_t>(s.limits.table_elements);
}

Expected<TableInst*> create_table(StoreData& s, const TableType& t, void* init) {
  uint64_t cap = t.limits.is64 ? UINT64_MAX : UINT32_MAX;
  uint64_t max = std::min(t.limits.max.value_or(cap), cap);
  if (t.limits.min > max || t.limits.min > kMaxTableElements)
    return Error(ErrorKind::Exhaustion, "table minimum size too large");
  if (!store_allows_elements(s, t.limits.min))
    return Error(ErrorKind::Exhaustion, "table minimum size of " + std::to_string(t.limits.min) +
                                            " elements exceeds table limits");
  TableInst& table = s.tables.emplace_back();
  table.type = t;
  table.max = max;
  table.elems.assign(t.limits.min, init);
  return &table;
}

int64_t table_grow(StoreData& s, TableInst& table, uint64_t delta, void* init) {
  uint64_t old = table.elems.size();
  if (delta == 0) return static_cast<int64_t>(old);
  if (delta > table.max - old) return -1;
  uint64_t n = old + delta;
  if (n > kMaxTableElements || !store_allows_elements(s, n)) return -1;
  try {
    table.elems.resize(n, init);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  return static_cast<int64_t>(old);
}

TableType current_type(const TableInst& t) {
  TableType r = t.type;
  r.limits.min = t.elems.size();
  return r;
}

// ---- globals, host functions, extern objects ---------------------------------

GlobalInst* create_global(StoreData& s, const GlobalType& t, const Slot* value) {
  GlobalInst& g = s.globals.emplace_back();
  g.type = t;
  g.value[0] = value[0];
  if (t.type == ValType::V128) g.value[1] = value[1];
  return &g;
}

TagInst* create_tag(StoreData& s, const FuncType& t, uint32_t type_id) {
  TagInst& tag = s.tags.emplace_back();
  tag.type = t;
  tag.type_id = type_id != TypeRegistry::kFull ? type_id : s.engine->types.intern(t);
  return &tag;
}

FuncInst* create_host_func(StoreData& s, FuncType type, HostFn fn) {
  FuncInst& f = s.funcs.emplace_back();
  f.host = &s.host_funcs.emplace_back(HostFunc{std::move(fn), std::move(type)});
  f.type = &f.host->type;
  f.type_id = s.engine->types.intern(*f.type);
  return &f;
}

ExternObj* create_extern(StoreData& s, uint64_t host_id, std::shared_ptr<void> payload) {
  ExternObj* e;
  if (!s.free_externs.empty()) {
    e = s.free_externs.back();
    s.free_externs.pop_back();
  } else {
    e = &s.externs.emplace_back();
  }
  e->host_id = host_id;
  e->payload = std::move(payload);
  e->live = true;
  return e;
}

// ---- externref collection --------------------------------------------------------

std::vector<std::shared_ptr<void>> collect_externs(StoreData& s) {
  std::vector<std::shared_ptr<void>> released;
  collect_garbage(s, &released);
  return released;
}

}  // namespace ember::rt
