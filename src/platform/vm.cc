// POSIX implementation of the virtual-memory primitives (mmap / mprotect).
#include "platform/vm.hh"

#include <sys/mman.h>
#include <unistd.h>

namespace ember::platform {

uint64_t host_page_size() {
  static const uint64_t size = [] {
    long s = sysconf(_SC_PAGESIZE);
    return s > 0 ? static_cast<uint64_t>(s) : uint64_t{4096};
  }();
  return size;
}

static uint64_t round_up(uint64_t n) {
  uint64_t p = host_page_size();
  return (n + p - 1) / p * p;
}

uint8_t* vm_reserve(uint64_t bytes) {
  if (bytes == 0) bytes = host_page_size();
  void* p = mmap(nullptr, round_up(bytes), PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}

uint8_t* vm_allocate_lazy(uint64_t bytes) {
  void* p = mmap(nullptr, round_up(bytes == 0 ? 1 : bytes), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}

bool vm_commit(uint8_t* addr, uint64_t bytes) {
  if (bytes == 0) return true;
  return mprotect(addr, round_up(bytes), PROT_READ | PROT_WRITE) == 0;
}

void vm_release(uint8_t* base, uint64_t bytes) {
  if (base != nullptr) munmap(base, round_up(bytes == 0 ? 1 : bytes));
}

}  // namespace ember::platform
