// Atomic memory accesses and memory.atomic.wait/notify (threads), for every
// tier: the interpreter calls atomic_access for each atomic instruction.
#pragma once

#include <cstdint>

#include "runtime/store_data.hh"

namespace ember::rt {

// Executes the atomic operator `op` (a threads row of ir/operators.def other
// than atomic.fence) on memory `m` at `addr + offset`. `a` is the value
// stored, the rmw operand, the expected value (cmpxchg, wait) or the notify
// count; `b` the replacement (cmpxchg) or the timeout in nanoseconds (wait,
// negative = none). The result, zero-extended, goes to *out. Checks, in
// wasmtime's order: the address is aligned to the access size (else
// HeapMisaligned; but a wait's or notify's address past 4 GiB on a 32-bit
// memory is MemoryOutOfBounds first), the access is in bounds
// (MemoryOutOfBounds), and a wait is on a shared memory
// (AtomicWaitNonSharedMemory). Every access is
// sequentially consistent. A wait blocks the calling thread.
TrapCode atomic_access(Op op, MemoryInst& m, uint64_t addr, uint64_t offset, uint64_t a, uint64_t b,
                       uint64_t* out);

}  // namespace ember::rt
