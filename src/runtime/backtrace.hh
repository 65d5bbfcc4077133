// Trap backtraces in the form users see them: frames with names from the
// name section and offsets, and wasmtime's report layout.
//
// Place: between the tiers (which record raw frames at a trap:
// Tier::last_backtrace, runtime/tier.hh) and every surface that reports traps (the C++
// API's Trap, the Python Trap, `ember run`), so all three print the same.
//
// Offsets are wasmtime's: module_offset is the byte offset of the trapping
// (or calling) instruction in the module binary, func_offset the same from
// the start of the function body (right after its size). A frame entered but
// not started (a stack overflow at function entry) has both offsets
// FrameInfo::kUnknownOffset and prints without one, as wasmtime does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ember/errors.hh"
#include "runtime/store_data.hh"

namespace ember::rt {

// Frames a trap's backtrace keeps, innermost first (wasmtime's limit),
// also across the host functions a trap leaves (api::throw_trap).
constexpr size_t kMaxBacktraceFrames = 20;

// The frames of the last trap in `store`, innermost first (at most 20).
std::vector<FrameInfo> backtrace_frames(const StoreData& store);
// The memory fault of the last trap in `store`, if it was one.
std::optional<MemoryFault> last_fault(const StoreData& store);

// wasmtime's text for a trap:
//   error while executing at wasm backtrace:
//       0:     0x3b - mod!bar
//       1: <unknown>!<wasm function 2>
//
//   Caused by:
//       wasm trap: wasm `unreachable` instruction executed
// or just "wasm trap: ..." when there are no frames. With a memory fault the
// causes are numbered: "0: memory fault at wasm address 0x10000 in linear
// memory of size 0x10000", "1: wasm trap: out of bounds memory access".
// `detail`, when given, follows the cause in parentheses (an uncaught
// exception's tag).
std::string trap_report(TrapCode code, const std::vector<FrameInfo>& frames,
                        const std::optional<MemoryFault>& fault = std::nullopt,
                        const std::string& detail = {});

// "memory fault at wasm address 0x... in linear memory of size 0x...".
std::string fault_text(const MemoryFault& f);

// The backtrace part alone: "error while executing at wasm backtrace:" and
// one line per frame ("\n    0:     0x3b - mod!bar"), no trailing newline.
std::string backtrace_lines(const std::vector<FrameInfo>& frames);

// "mod!func" with wasmtime's placeholders for missing names.
std::string frame_name(const FrameInfo& f);

}  // namespace ember::rt
