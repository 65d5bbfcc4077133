// Memory for GC objects: size classes over blocks, calloc above them (see
// gc_space.hh).
#include "runtime/gc_space.hh"

#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define EMBER_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define EMBER_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
constexpr size_t kQuarantine = 4096;
#else
#define EMBER_POISON(p, n) ((void)(p), (void)(n))
#define EMBER_UNPOISON(p, n) ((void)(p), (void)(n))
constexpr size_t kQuarantine = 0;
#endif

namespace ember::rt {

GcSpace::~GcSpace() {
  for (void* b : blocks_) {
    EMBER_UNPOISON(b, kBlockBytes);
    std::free(b);
  }
}

void* GcSpace::carve(uint64_t size) {
  if (next_ == nullptr || uint64_t(end_ - next_) < size) {
    void* block = std::calloc(1, kBlockBytes);
    if (!block) return nullptr;
    blocks_.push_back(block);
    next_ = static_cast<uint8_t*>(block);
    end_ = next_ + kBlockBytes;
    EMBER_POISON(next_, kBlockBytes);
  }
  void* p = next_;
  next_ += size;
  EMBER_UNPOISON(p, size);
  return p;  // (zero: the block came from calloc and was never handed out)
}

void* GcSpace::allocate(uint64_t bytes) {
  if (bytes > kSmallBytes) return std::calloc(1, bytes);
  const size_t c = class_of(bytes);
  const uint64_t size = (c + 1) * kGranule;
  void* p;
  if constexpr (kQuarantine > 0) {
    if (!quarantine_ || (*quarantine_)[c].size() <= kQuarantine) return carve(size);
    std::deque<void*>& q = (*quarantine_)[c];
    p = q.front();
    q.pop_front();
    EMBER_UNPOISON(p, size);
  } else {
    p = free_[c];
    if (!p) return carve(size);
    free_[c] = *static_cast<void**>(p);
  }
  std::memset(p, 0, size);
  return p;
}

void GcSpace::release(void* p, uint64_t bytes) {
  if (bytes > kSmallBytes) {
    std::free(p);
    return;
  }
  const size_t c = class_of(bytes);
  if constexpr (kQuarantine > 0) {
    EMBER_POISON(p, (c + 1) * kGranule);
    if (!quarantine_) quarantine_ = std::make_unique<std::array<std::deque<void*>, kClasses>>();
    (*quarantine_)[c].push_back(p);
  } else {
    *static_cast<void**>(p) = free_[c];
    free_[c] = p;
  }
}

void GcSpace::release_at_end(void* p, uint64_t bytes) {
  if (bytes > kSmallBytes) std::free(p);
}

}  // namespace ember::rt
