// The tier interface: what the runtime asks of the code generator that
// compiled a module.
//
// Place: below every tier. The runtime instantiates modules and enters wasm
// code only through a Tier; a tier (the interpreter, src/interp, today; a
// compiled tier later) defines one and the compile driver (src/compile)
// records it in ModuleData::tier with the code it produced. The runtime
// therefore includes no tier's headers.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/module.hh"
#include "runtime/store_data.hh"

namespace ember::rt {

// One wasm frame of a trap's backtrace, innermost first.
struct TrapFrame {
  const ModuleInst* instance = nullptr;
  uint32_t func_index = 0;     // in the instance's function index space
  uint64_t module_offset = 0;  // byte offset of the instruction in the binary
};
// A TrapFrame::module_offset that is not known (the frame stopped at entry).
constexpr uint64_t kUnknownOffset = UINT64_MAX;

struct Tier {
  const char* name;
  // FuncInst::code for the module's defined function `defined_index`.
  const void* (*function_code)(const CompiledCode& code, uint32_t defined_index);
  // Calls wasm function f with arguments in slots[0..); results are written
  // to slots[0..) (max(params, results) slots). TrapCode::None or the trap.
  TrapCode (*call)(StoreData& store, FuncInst* f, Slot* slots);
  // The wasm frames live at the store's most recent trap in this tier.
  std::vector<TrapFrame> (*last_backtrace)(const StoreData& store);
  // Whether the code accesses 32-bit memories (64 KiB pages) without
  // bounds checks: then each such memory of an instance must have the
  // guard region (platform::kGuardedReservation).
  bool (*needs_guard_pages)(const CompiledCode& code);
};

}  // namespace ember::rt
