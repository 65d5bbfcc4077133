// Trap backtraces: raw interpreter frames -> FrameInfo -> wasmtime's layout.
#include "runtime/backtrace.hh"

#include <cinttypes>
#include <cstdio>

#include "runtime/tier.hh"

namespace ember::rt {

// A tier's unknown offset passes through to the report unchanged.
static_assert(kUnknownOffset == FrameInfo::kUnknownOffset);

std::vector<FrameInfo> backtrace_frames(const StoreData& store) {
  std::vector<FrameInfo> out;
  if (!store.tier) return out;
  for (const TrapFrame& f : store.tier->last_backtrace(store)) {
    FrameInfo info;
    info.func_index = f.func_index;
    info.module_offset = f.module_offset;
    info.func_offset = FrameInfo::kUnknownOffset;
    if (f.instance != nullptr && f.instance->module) {
      const ModuleData& m = *f.instance->module;
      info.module_name = m.names.module_name;
      auto it = m.names.funcs.find(f.func_index);
      if (it != m.names.funcs.end()) info.func_name = it->second;
      uint32_t defined = f.func_index - m.num_imported_funcs;
      if (f.module_offset != kUnknownOffset && f.func_index >= m.num_imported_funcs &&
          defined < m.bodies.size() && f.module_offset >= m.bodies[defined].offset) {
        info.func_offset = f.module_offset - m.bodies[defined].offset;
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::string frame_name(const FrameInfo& f) {
  std::string s = f.module_name.empty() ? "<unknown>" : f.module_name;
  s += '!';
  s += f.func_name.empty() ? "<wasm function " + std::to_string(f.func_index) + ">" : f.func_name;
  return s;
}

std::string backtrace_lines(const std::vector<FrameInfo>& frames) {
  std::string s = "error while executing at wasm backtrace:";
  char buf[48];
  for (size_t i = 0; i < frames.size(); i++) {
    const FrameInfo& f = frames[i];
    if (f.module_offset == FrameInfo::kUnknownOffset) {
      std::snprintf(buf, sizeof buf, "\n%5zu: ", i);
    } else {
      std::snprintf(buf, sizeof buf, "\n%5zu: %#8" PRIx64 " - ", i, f.module_offset);
    }
    s += buf;
    s += frame_name(f);
  }
  return s;
}

std::optional<MemoryFault> last_fault(const StoreData& store) {
  if (!store.fault.valid) return std::nullopt;
  return MemoryFault{store.fault.address, store.fault.memory_size};
}

std::string fault_text(const MemoryFault& f) {
  char buf[128];
  std::snprintf(buf, sizeof buf,
                "memory fault at wasm address %#" PRIx64 " in linear memory of size %#" PRIx64,
                f.address, f.memory_size);
  return buf;
}

std::string trap_report(TrapCode code, const std::vector<FrameInfo>& frames,
                        const std::optional<MemoryFault>& fault, const std::string& detail) {
  std::string cause = code == TrapCode::Exception
                          ? std::string(trap_wasmtime_message(code))
                          : std::string("wasm trap: ") + trap_wasmtime_message(code);
  if (!detail.empty()) cause += " (" + detail + ")";
  if (frames.empty()) return cause;
  std::string causes =
      fault ? "    0: " + fault_text(*fault) + "\n    1: " + cause : "    " + cause;
  return backtrace_lines(frames) + "\n\nCaused by:\n" + causes + "\n";
}

}  // namespace ember::rt
