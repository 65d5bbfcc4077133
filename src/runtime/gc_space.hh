// Memory for a store's GC objects (decision 58). Small objects, up to
// GcSpace::kSmallBytes, are carved in 16-byte size classes from 64 KiB
// blocks and go back to their class's free list when collected (linked
// through the objects themselves), to be reused by the next object of the
// class; larger ones are calloc'ed and
// freed one by one. Blocks are kept until the store goes (a program's
// small-object memory is its peak of live small objects). Not thread-safe:
// a store runs on one thread at a time.
//
// Under AddressSanitizer a free object is poisoned until it is reused, and
// a free list hands out its oldest object only once kQuarantine newer ones
// wait behind it, so a reference the collector missed still faults when
// used, as with calloc/free.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace ember::rt {

class GcSpace {
 public:
  static constexpr uint64_t kGranule = 16;
  static constexpr uint64_t kSmallBytes = 256;
  static constexpr size_t kBlockBytes = 64 * 1024;

  GcSpace() = default;
  GcSpace(const GcSpace&) = delete;
  GcSpace& operator=(const GcSpace&) = delete;
  ~GcSpace();

  // `bytes` (at least 1) of zeroed memory, 16-byte aligned; null when the
  // host has no memory for it.
  void* allocate(uint64_t bytes);
  // Gives back an object allocate(bytes) returned.
  void release(void* p, uint64_t bytes);
  // The same when the heap goes: a large object is freed, a small one is
  // left to its block, which ~GcSpace frees.
  void release_at_end(void* p, uint64_t bytes);
  // Memory held for small objects (blocks), for tests and statistics.
  uint64_t block_bytes() const { return uint64_t(blocks_.size()) * kBlockBytes; }

 private:
  static constexpr size_t kClasses = kSmallBytes / kGranule;
  static size_t class_of(uint64_t bytes) { return size_t((bytes + kGranule - 1) / kGranule - 1); }
  void* carve(uint64_t size);

  // Free objects per class: a list linked through their first word; under
  // AddressSanitizer queues beside them (the objects stay poisoned), made
  // at the first release (a store that allocates nothing pays nothing).
  std::array<void*, kClasses> free_{};
  std::unique_ptr<std::array<std::deque<void*>, kClasses>> quarantine_;
  std::vector<void*> blocks_;
  uint8_t* next_ = nullptr;  // the newest block's unused part
  uint8_t* end_ = nullptr;
};

}  // namespace ember::rt
