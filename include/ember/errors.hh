// Exceptions of the public C++ API.
//
// The engine reports errors internally as values; the public API converts
// them to exceptions at its edge, and only there:
//   WasmError  any failure, with its category (ErrorKind: malformed, invalid,
//              unlinkable, trap, exhaustion, internal) and a message;
//   Trap       a WebAssembly trap, with its TrapCode, the spec's message, the
//              wasmtime-style message and the wasm frames live at the trap.
// A C++ exception thrown by a host function passes through wasm unchanged
// and reaches the embedder as itself.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ember/types.hh"

namespace ember {

class WasmError : public std::runtime_error {
 public:
  // `what` is the full text; `message`, when given, the same without the
  // category and place that decoding and validation errors add to it.
  WasmError(ErrorKind kind, const std::string& what, std::string message = {})
      : std::runtime_error(what), kind_(kind), message_(std::move(message)) {}
  ErrorKind kind() const { return kind_; }
  // The bare message: what() without a "malformed: " category or an
  // "(at offset 0x1c)" place (the same as what() for other errors).
  std::string message() const { return message_.empty() ? std::string(what()) : message_; }

 private:
  ErrorKind kind_;
  std::string message_;
};

// One wasm frame of a trap's backtrace, innermost first.
struct FrameInfo {
  // An offset that is not known (a frame stopped at function entry).
  static constexpr uint64_t kUnknownOffset = UINT64_MAX;
  std::string module_name;  // from the name section; may be empty
  std::string func_name;    // from the name section; may be empty
  uint32_t func_index = 0;
  uint64_t module_offset = 0;  // of the instruction, in the module binary
  uint64_t func_offset = 0;    // of the instruction, from the function body's start
};

// The memory fault behind an out-of-bounds load or store, as wasmtime
// reports it: the first inaccessible wasm address touched, and the memory's
// size in bytes.
struct MemoryFault {
  uint64_t address = 0;
  uint64_t memory_size = 0;
};

// The wasm exception behind a TrapCode::Exception trap (exceptions): which
// store's object it is, as an opaque token, and its tag described. A host
// function that lets such a Trap propagate (rethrows it) throws that same
// exception into its wasm caller, where a try_table may catch it; a token
// whose object the store has since collected is an ordinary host error.
struct ThrownException {
  uint64_t store_id = 0;
  uint64_t index = 0;
  uint64_t generation = 0;
  std::string tag;  // "tag \"e\"", "tag 0 of module `m`", "a host tag"
};

class Trap : public WasmError {
 public:
  explicit Trap(TrapCode code, std::vector<FrameInfo> frames = {}, int32_t exit_code = 0,
                std::optional<MemoryFault> fault = std::nullopt)
      : WasmError(ErrorKind::Trap, trap_wasmtime_message(code)),
        code_(code),
        frames_(std::move(frames)),
        exit_code_(exit_code),
        fault_(fault) {}
  // A trap a host function raises with its own message (for example a
  // Linker's stand-in for an unknown import): code() is HostError and
  // report() is the message.
  explicit Trap(const std::string& message)
      : WasmError(ErrorKind::Trap, message),
        code_(TrapCode::HostError),
        exit_code_(0),
        own_message_(true) {}
  TrapCode code() const { return code_; }
  // The WebAssembly spec testsuite's text, e.g. "integer divide by zero".
  const char* spec_message() const { return trap_spec_message(code_); }
  // wasmtime's text, e.g. "wasm `unreachable` instruction executed".
  const char* wasmtime_message() const { return trap_wasmtime_message(code_); }
  const std::vector<FrameInfo>& frames() const { return frames_; }
  // wasmtime's report: the backtrace, then "Caused by:" and the trap.
  std::string report() const;
  // For TrapCode::Exit (WASI proc_exit): the exit status.
  int32_t exit_code() const { return exit_code_; }
  // For an out-of-bounds load or store: where it faulted.
  const std::optional<MemoryFault>& fault() const { return fault_; }
  // For TrapCode::Exception: the exception that escaped.
  const std::optional<ThrownException>& thrown() const { return thrown_; }
  void set_thrown(ThrownException t) { thrown_ = std::move(t); }
  // A trap of a call that a host function made, leaving that host function
  // (it threw the Trap on): the API adds the frames of the wasm calls
  // outside it, so that frames() goes on to the outermost wasm frame (at
  // most `max_frames` in all).
  void add_outer_frames(const std::vector<FrameInfo>& outer, size_t max_frames) {
    for (size_t i = 0; i < outer.size() && frames_.size() < max_frames; i++)
      frames_.push_back(outer[i]);
  }
  // The embedder's object this trap stands for, if any: a binding that
  // turned its own trap object into this one (to pass it through wasm)
  // gets it back, to raise it again with the frames added.
  const std::shared_ptr<void>& origin() const { return origin_; }
  void set_origin(std::shared_ptr<void> o) { origin_ = std::move(o); }

 private:
  TrapCode code_;
  std::vector<FrameInfo> frames_;
  int32_t exit_code_;
  std::optional<MemoryFault> fault_;
  std::optional<ThrownException> thrown_;
  bool own_message_ = false;
  std::shared_ptr<void> origin_;
};

}  // namespace ember
