// POSIX implementation of the virtual-memory primitives (mmap / mprotect).
#include "platform/vm.hh"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <vector>

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

namespace {

constexpr size_t kPoolCapacity = 16;

struct Pool {
  std::mutex mu;
  std::vector<uint8_t*> free;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: memories may outlive static destructors
  return *p;
}

uint8_t* take_recycled() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  if (p.free.empty()) return nullptr;
  uint8_t* base = p.free.back();
  p.free.pop_back();
  return base;
}

}  // namespace

uint8_t* vm_reserve(uint64_t bytes) {
  if (bytes == kRecycledReservation) {
    if (uint8_t* base = take_recycled()) return base;
  }
  if (bytes == 0) bytes = host_page_size();
  void* p =
      mmap(nullptr, round_up(bytes), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
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

void vm_recycle(uint8_t* base, uint64_t bytes, uint64_t committed) {
  if (base == nullptr) return;
  if (bytes == kRecycledReservation && committed <= bytes) {
    committed = round_up(committed);
    // A fresh inaccessible anonymous mapping over what was used: discards
    // both written pages and any image mapped there.
    bool clean = committed == 0 ||
                 mmap(base, committed, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == base;
    if (clean) {
      Pool& p = pool();
      std::lock_guard<std::mutex> lock(p.mu);
      if (p.free.size() < kPoolCapacity) {
        p.free.push_back(base);
        return;
      }
    }
  }
  vm_release(base, bytes);
}

int vm_image_create(const uint8_t* data, uint64_t size) {
  int fd = memfd_create("ember-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  uint64_t done = 0;
  bool ok = ftruncate(fd, off_t(round_up(size))) == 0;
  while (ok && done < size) {
    ssize_t n = pwrite(fd, data + done, size - done, off_t(done));
    ok = n > 0;
    if (ok) done += uint64_t(n);
  }
  // Sealed: nothing can change the image once instances map it.
  ok = ok && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

void vm_image_close(int fd) {
  if (fd >= 0) close(fd);
}

bool vm_map_image(uint8_t* addr, uint64_t bytes, int fd) {
  if (bytes == 0) return true;
  void* p = mmap(addr, round_up(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
  return p == addr;
}

void vm_release(uint8_t* base, uint64_t bytes) {
  if (base != nullptr) munmap(base, round_up(bytes == 0 ? 1 : bytes));
}

}  // namespace ember::platform
