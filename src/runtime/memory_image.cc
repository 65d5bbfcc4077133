// Copy-on-write memory images: qualification, building, and the per-module
// cache that holds them (ModuleCache).
#include "runtime/memory_image.hh"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "platform/vm.hh"

namespace ember {

struct ModuleCache {
  std::mutex mu;
  bool image_tried = false;
  std::optional<rt::MemoryImage> image;
  ~ModuleCache() {
    if (image) platform::vm_image_close(image->fd);
  }
};

std::shared_ptr<ModuleCache> make_module_cache() {
  return std::make_shared<ModuleCache>();
}

namespace rt {

namespace {

// Images below this size are not worth a mapping of their own.
constexpr uint64_t kMinImageBytes = 1;
// Nor are huge ones built eagerly in memory.
constexpr uint64_t kMaxImageBytes = uint64_t{256} << 20;

// The constant offset of an active segment, if it has one.
std::optional<uint64_t> constant_offset(const DataSegment& d) {
  if (d.offset.instrs.size() != 1 || d.offset.instrs[0].op != Op::I32Const) return std::nullopt;
  return uint32_t(d.offset.instrs[0].imm);
}

std::optional<MemoryImage> build(const ModuleData& m) {
  if (m.memories.size() != m.num_imported_memories + 1 || m.num_imported_memories != 0)
    return std::nullopt;  // exactly one memory, defined here
  const MemoryType& mt = m.memories[0];
  if (mt.limits.is64 || mt.limits.shared) return std::nullopt;
  uint64_t limit = mt.limits.min << mt.page_size_log2;
  uint64_t end = 0;
  bool any = false;
  for (const DataSegment& d : m.datas) {
    if (d.mode != SegmentMode::Active) continue;
    std::optional<uint64_t> off = constant_offset(d);
    if (!off || d.memory != 0 || *off > limit || d.bytes.size() > limit - *off)
      return std::nullopt;  // not constant, or it traps: the copying path decides
    if (!d.bytes.empty()) any = true;
    end = std::max(end, *off + d.bytes.size());
  }
  if (!any || end < kMinImageBytes || end > kMaxImageBytes) return std::nullopt;
  std::vector<uint8_t> bytes(end, 0);
  for (const DataSegment& d : m.datas) {
    if (d.mode != SegmentMode::Active || d.bytes.empty()) continue;
    std::memcpy(bytes.data() + *constant_offset(d), d.bytes.data(), d.bytes.size());
  }
  int fd = platform::vm_image_create(bytes.data(), bytes.size());
  if (fd < 0) return std::nullopt;
  uint64_t page = platform::host_page_size();
  return MemoryImage{fd, 0, (end + page - 1) / page * page};
}

}  // namespace

const MemoryImage* memory_image(const ModuleData& m) {
  ModuleCache& c = *m.cache;
  std::lock_guard<std::mutex> lock(c.mu);
  if (!c.image_tried) {
    c.image_tried = true;
    c.image = build(m);
  }
  return c.image ? &*c.image : nullptr;
}

}  // namespace rt
}  // namespace ember
