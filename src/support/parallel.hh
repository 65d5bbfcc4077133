// Work split over threads: compiling bodies, verifying a loaded module's
// code, eager machine-code generation.
//
//  - balanced_ranges: contiguous ranges of items of about equal weight.
//  - for_each_part: parts taken in order by a pool of threads, the calling
//    thread among them.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace ember {

// Bounds of at most `nchunks` contiguous ranges of the items [0, count),
// range k being [bounds[k], bounds[k + 1]), cut where the running total of
// weight(i) passes each k / nchunks of the whole. (Several ranges per
// thread: one heavy item does not leave the other threads idle.)
template <typename Weight>
std::vector<uint32_t> balanced_ranges(uint32_t count, size_t nchunks, Weight weight) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; i++) total += weight(i);
  std::vector<uint32_t> bounds{0};
  uint64_t acc = 0;
  for (uint32_t i = 0; i < count; i++) {
    acc += weight(i);
    if (acc * nchunks >= total * bounds.size() && bounds.size() < nchunks) bounds.push_back(i + 1);
  }
  if (bounds.back() != count) bounds.push_back(count);
  return bounds;
}

// Calls part(k) for every k in [0, parts) on `threads` threads (the calling
// one among them), each k once and started in ascending order. When a call
// returns false, the parts not started yet are skipped.
template <typename Part>
void for_each_part(size_t parts, unsigned threads, Part part) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k; (k = next.fetch_add(1)) < parts;)
      if (!part(k)) next.store(parts);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max<size_t>(1, std::min<size_t>(threads, parts)); t++)
    pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

}  // namespace ember
