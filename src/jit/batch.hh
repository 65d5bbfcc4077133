// The compiled tier's unit of work: a batch of functions of one module
// lowered into one LLVM module, optimized, linked into the module's JIT and
// installed (FuncCode::native, FuncCode::osr). Eager compilation is one
// batch of every function; tiering (llvm_tier.cc) makes a batch of the
// functions and loop headers that got hot since the last one.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "interp/code.hh"
#include "ir/module.hh"
#include "support/error.hh"

namespace ember::jit {

// A function's entry, or its entry at its loop headers (osr).
struct BatchItem {
  uint32_t func;  // defined function index
  bool osr;
};

// A module's compiled code (CompiledCode::native_code): LLVM's JIT with
// every batch linked so far, and the tiering compiler's requests.
struct NativeCode {
  NativeCode();
  ~NativeCode();
  NativeCode(const NativeCode&) = delete;
  NativeCode& operator=(const NativeCode&) = delete;

  std::string opt_level;  // Config::cranelift_opt_level
  std::string profiler;   // Config::profiler
  // Requests not compiled yet, and their count (llvm_tier.cc's lock guards
  // these four).
  std::vector<BatchItem> pending;
  bool queued = false;
  uint64_t requested = 0, finished = 0;
  std::set<uint32_t> osr_asked;  // functions whose loop-header entry was asked for

  // One batch at a time (llvm_engine.cc).
  std::mutex compiling;
  struct Llvm;
  std::unique_ptr<Llvm> llvm;
};

// Compiles `items` of `code` (translated for `m`) and installs their code;
// a function the tier cannot lower becomes TierState::Refused (the first
// reason in *skipped, when given). Returns how many function entries it
// compiled; fails only when LLVM fails.
Expected<uint32_t> compile_batch(NativeCode& native, const CompiledCode& code, const ModuleData& m,
                                 std::span<const BatchItem> items, std::string* skipped);

}  // namespace ember::jit
