// Virtual memory for linear memories (platform layer).
//
// A linear memory lives in one address-space reservation that never moves:
// the reservation is made inaccessible (PROT_NONE) up front and pages become
// readable/writable as the memory grows. For 32-bit memories the runtime asks
// for 4 GiB plus a 4 GiB guard region, so every `i32 address + u32 offset`
// lands inside the reservation: compiled code accesses such memories without
// bounds checks and turns faults into traps (fault.hh). Everything
// OS-specific stays here.
#pragma once

#include <cstdint>

namespace ember::platform {

// Size of a host page in bytes.
uint64_t host_page_size();

// Reserves `bytes` of inaccessible address space (rounded up to host pages).
// Returns nullptr when the reservation fails (e.g. under a low RLIMIT_AS).
uint8_t* vm_reserve(uint64_t bytes);

// Makes [addr, addr + bytes) readable and writable. `addr` must be
// page-aligned and inside a reservation. Fresh pages read as zero.
bool vm_commit(uint8_t* addr, uint64_t bytes);

// Readable and writable memory whose pages are only backed once touched
// (for the interpreter's value stack). nullptr on failure.
uint8_t* vm_allocate_lazy(uint64_t bytes);

// Returns a whole reservation to the system.
void vm_release(uint8_t* base, uint64_t bytes);

// Reservations of exactly kRecycledReservation bytes are recycled: a
// released one has its first `committed` bytes discarded (they read as zero
// again) and made inaccessible, and waits in a small process-wide pool for
// the next vm_reserve of that size. This spares instantiation the mmap and
// the page-table set-up of a fresh 8 GiB region (and the store's
// destruction the munmap).
constexpr uint64_t kRecycledReservation = (uint64_t{8} << 30) + (uint64_t{64} << 10);
// What a 32-bit memory needs for compiled code to access it unchecked: any
// `u32 address + u32 offset` plus an access of up to 16 bytes stays inside
// (8 GiB + 14 bytes at most; the rest of the last 64 KiB is slack).
constexpr uint64_t kGuardedReservation = kRecycledReservation;
void vm_recycle(uint8_t* base, uint64_t bytes, uint64_t committed);

// A read-only, in-memory file holding `size` bytes of `data` (memfd), for
// mapping copy-on-write; -1 when the platform cannot make one.
int vm_image_create(const uint8_t* data, uint64_t size);
void vm_image_close(int fd);

// Maps the first `bytes` of image `fd` privately (copy-on-write) over
// [addr, addr + bytes), which must lie inside a reservation; page-aligned.
bool vm_map_image(uint8_t* addr, uint64_t bytes, int fd);

}  // namespace ember::platform
