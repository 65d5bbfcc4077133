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
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember::jit {

// A function's entry, or its entry at its loop headers (osr).
struct BatchItem {
  uint32_t func;  // defined function index
  bool osr;
  uint64_t ticket = 0;  // tiering: the request that asked for it (NativeCode::requested)
  // Tiering: how often the function asked again since the last batch was
  // taken (its code not there yet; one ask per CompiledCode::tier_recheck
  // calls or loop iterations), i.e. how much it runs now.
  uint32_t asks = 0;
};

// A module's compiled code (CompiledCode::native_code): LLVM's JIT with
// every batch linked so far, and the tiering compiler's requests.
struct NativeCode {
  // Settings from `config` (opt level, profiler, debug info); `keep`:
  // keep_objects (eager compilation, loaded images).
  NativeCode(const rt::EngineConfig& config, bool keep);
  ~NativeCode();
  NativeCode(const NativeCode&) = delete;
  NativeCode& operator=(const NativeCode&) = delete;

  std::string opt_level;  // Config::cranelift_opt_level
  std::string profiler;   // Config::profiler
  // Eager compilation keeps the object files it links (what a serialized
  // module carries, llvm_image.cc); tiering does not.
  bool keep_objects = false;
  // Config::debug_info: DWARF for each function (its wasm name), registered
  // with GDB's JIT interface as the code is linked.
  bool debug_info = false;
  // Config::signals_based_traps where faults can be handled: 32-bit
  // memories are accessed unchecked (CompiledCode::guard_pages).
  bool guard_pages = false;
  // Requests not compiled yet, and their count; guesses at what gets hot
  // next and entries of functions whose calls an OSR entry serves
  // meanwhile, compiled when no request waits (with parallel compilation
  // only); llvm_tier.cc's lock guards these.
  std::vector<BatchItem> pending, guesses, upgrades;
  bool queued = false;
  uint64_t requested = 0, finished = 0;
  std::set<uint32_t> osr_asked;               // functions whose loop-header entry was asked for
  std::set<uint32_t> guessed;                 // functions guessed once
  size_t asked_words = 0, guessed_words = 0;  // IR words of requests and guesses

  // One batch at a time (llvm_engine.cc).
  mutable std::mutex compiling;
  struct Llvm;
  std::unique_ptr<Llvm> llvm;
};

// Compiles `items` of `code` (translated for `m`) and installs their code;
// a function the tier cannot lower becomes TierState::Refused (the first
// reason in *skipped, when given). Returns how many function entries it
// compiled; fails only when LLVM fails.
// Links `objects` (object files of `code`'s batches, maybe from another
// process) into `native`'s JIT and installs the entries of the defined
// functions `funcs`, which they must define. Fails when an object does not
// link or an entry is missing.
Status link_objects(NativeCode& native, const CompiledCode& code, const ModuleData& m,
                    std::span<const std::vector<uint8_t>> objects, std::span<const uint32_t> funcs);

// The object files `native` linked, when it keeps them (in link order).
std::vector<std::string> kept_objects(const NativeCode& native);

// LLVM's fatal errors (llvm_engine.cc installs the handler): on tiering's
// compile thread the error is, in practice, the process exiting under the
// batch -- static objects LLVM made during it are destroyed before the exit
// hook that abandons the batch runs (llvm_tier.cc) -- or an LLVM bug.
// Either way the process must not die of it: fail_tier_thread stops
// tiering (the functions stay interpreted, waiters are woken) and never
// returns; once it is clear the process is not exiting, it says so on
// stderr.
bool on_tier_thread();
// EMBER_TIER_TRACE set (and not 0): tiering writes a line to stderr per
// request and per batch, with the time since its first line.
bool tier_trace_on();
void tier_trace(const char* what, const std::string& detail);
[[noreturn]] void fail_tier_thread(const char* reason);

// Tiering's guess at what gets hot next, once defined function `func` is
// compiled (llvm_tier.cc): the defined functions it calls directly that
// have a loop or call themselves. Empty before the module's first batch.
std::vector<uint32_t> looping_callees(const NativeCode& native, const CompiledCode& code,
                                      const ModuleData& m, uint32_t func);

Expected<uint32_t> compile_batch(NativeCode& native, const CompiledCode& code, const ModuleData& m,
                                 std::span<const BatchItem> items, std::string* skipped);

}  // namespace ember::jit
