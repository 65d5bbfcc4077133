// Copy-on-write images of a module's initial memory.
//
// Place: instantiation (runtime/instantiate.cc). When a module defines a
// 32-bit memory whose active data segments all have constant offsets inside
// its minimum size, the bytes those segments write form a fixed image. The
// image is built once per module, on first instantiation, into a sealed
// in-memory file; each instance then maps it copy-on-write over the start of
// its fresh memory instead of copying the segments: one mmap, and pages are
// only read or copied when the program touches them (wasmtime's
// memory_init_cow). Data segments stay available for memory.init.
//
// Invariants: the image reflects every active segment of the module for
// that memory, applied in order (later segments overwrite earlier ones);
// a module that does not qualify gets no image and is initialised by copying,
// with the spec's bounds checks and traps.
#pragma once

#include <cstdint>

#include "ir/module.hh"

namespace ember::rt {

struct MemoryImage {
  int fd = -1;
  uint32_t memory = 0;  // the memory it initialises (the module's first defined one)
  uint64_t size = 0;    // bytes mapped from the image (page-aligned)
};

// The module's image, built on first call (thread-safe); null when the
// module does not qualify or the platform cannot make one.
const MemoryImage* memory_image(const ModuleData& m);

}  // namespace ember::rt
