// Atomic accesses and the wait queue of shared memories (threads).
#include "runtime/atomics.hh"

#include <bit>
#include <chrono>
#include <mutex>

namespace ember::rt {

namespace {

static_assert(std::endian::native == std::endian::little,
              "atomic accesses use host byte order as wasm's little-endian order");

// The operator groups of the 0xFE prefix, by opcode (operators.def).
constexpr uint32_t kNotify = 0x00, kWait32 = 0x01, kWait64 = 0x02;
constexpr uint32_t kFirstLoad = 0x10, kFirstStore = 0x17, kFirstRmw = 0x1E, kEnd = 0x4F;
constexpr uint32_t kRmwWidths = 7;  // i32, i64, i32 8/16, i64 8/16/32 per operation
enum RmwKind : uint32_t { Add, Sub, And, Or, Xor, Xchg, Cmpxchg };

template <typename T>
uint64_t rmw(RmwKind kind, T* p, T v, T replacement) {
  constexpr int kSeq = __ATOMIC_SEQ_CST;
  switch (kind) {
    case Add: return __atomic_fetch_add(p, v, kSeq);
    case Sub: return __atomic_fetch_sub(p, v, kSeq);
    case And: return __atomic_fetch_and(p, v, kSeq);
    case Or: return __atomic_fetch_or(p, v, kSeq);
    case Xor: return __atomic_fetch_xor(p, v, kSeq);
    case Xchg: return __atomic_exchange_n(p, v, kSeq);
    case Cmpxchg: {
      T expected = v;  // left holding the old value either way
      __atomic_compare_exchange_n(p, &expected, replacement, false, kSeq, kSeq);
      return expected;
    }
  }
  return 0;
}

// One access of `size` bytes at `p`: a load (`code` a load), a store, or a
// read-modify-write; values are wrapped to the access width.
template <typename T>
uint64_t access(uint32_t code, uint8_t* at, uint64_t a, uint64_t b) {
  T* p = reinterpret_cast<T*>(at);
  if (code < kFirstStore) return __atomic_load_n(p, __ATOMIC_SEQ_CST);
  if (code < kFirstRmw) {
    __atomic_store_n(p, T(a), __ATOMIC_SEQ_CST);
    return 0;
  }
  return rmw<T>(RmwKind((code - kFirstRmw) / kRmwWidths), p, T(a), T(b));
}

uint64_t access_sized(uint32_t size, uint32_t code, uint8_t* at, uint64_t a, uint64_t b) {
  switch (size) {
    case 1: return access<uint8_t>(code, at, a, b);
    case 2: return access<uint16_t>(code, at, a, b);
    case 4: return access<uint32_t>(code, at, a, b);
    default: return access<uint64_t>(code, at, a, b);
  }
}

// memory.atomic.wait32/64 on a shared memory: 0 woken, 1 the value differs,
// 2 timed out. The value is read under the queue's lock, so a notify that
// follows a store cannot slip between the read and the wait.
uint64_t wait(SharedMemory& sm, uint64_t ea, uint32_t size, uint64_t expected, int64_t timeout) {
  std::unique_lock<std::mutex> lock(sm.wait_mu);
  uint8_t* at = sm.mem.base + ea;
  uint64_t now = size == 4 ? __atomic_load_n(reinterpret_cast<uint32_t*>(at), __ATOMIC_SEQ_CST)
                           : __atomic_load_n(reinterpret_cast<uint64_t*>(at), __ATOMIC_SEQ_CST);
  if (now != (size == 4 ? uint64_t(uint32_t(expected)) : expected)) return 1;
  SharedMemory::Waiter self{ea, {}, false};
  auto pos = sm.waiters.insert(sm.waiters.end(), &self);
  if (timeout < 0) {
    self.cv.wait(lock, [&] { return self.woken; });
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout);
  if (self.cv.wait_until(lock, deadline, [&] { return self.woken; })) return 0;
  sm.waiters.erase(pos);
  return 2;
}

// memory.atomic.notify: wakes up to `count` waiters on `ea`, oldest first.
uint64_t notify(SharedMemory& sm, uint64_t ea, uint32_t count) {
  std::lock_guard<std::mutex> lock(sm.wait_mu);
  uint64_t woken = 0;
  for (auto it = sm.waiters.begin(); it != sm.waiters.end() && woken < count;) {
    SharedMemory::Waiter* w = *it;
    if (w->address != ea) {
      ++it;
      continue;
    }
    it = sm.waiters.erase(it);
    w->woken = true;
    w->cv.notify_one();
    woken++;
  }
  return woken;
}

}  // namespace

TrapCode atomic_access(Op op, MemoryInst& m, uint64_t addr, uint64_t offset, uint64_t a, uint64_t b,
                       uint64_t* out) {
  if (size_t(op) >= kOpCount) return TrapCode::Unreachable;
  const OpInfo& info = op_info(op);
  const uint32_t code = info.code, size = info.size;
  if (info.prefix != 0xFE || size == 0 || code >= kEnd) return TrapCode::Unreachable;
  uint64_t ea = addr + offset;
  if (ea < addr) return TrapCode::MemoryOutOfBounds;
  // wasmtime computes the address of a wait or notify in the memory's index
  // type: past 2^32 on a 32-bit memory is out of bounds before misaligned.
  if (code <= kWait64 && !m.type.limits.is64 && ea > UINT32_MAX) return TrapCode::MemoryOutOfBounds;
  if (ea & (size - 1)) return TrapCode::HeapMisaligned;
  uint64_t bytes = m.size.load(std::memory_order_acquire);
  if (ea > bytes || bytes - ea < size) return TrapCode::MemoryOutOfBounds;
  switch (code) {
    case kNotify: *out = m.shared ? notify(*m.shared, ea, uint32_t(a)) : 0; return TrapCode::None;
    case kWait32:
    case kWait64:
      if (!m.shared) return TrapCode::AtomicWaitNonSharedMemory;
      *out = wait(*m.shared, ea, size, a, int64_t(b));
      return TrapCode::None;
    default:
      if (code < kFirstLoad) return TrapCode::Unreachable;
      *out = access_sized(size, code, m.base + ea, a, b);
      return TrapCode::None;
  }
}

}  // namespace ember::rt
