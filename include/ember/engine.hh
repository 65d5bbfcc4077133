// Engine and Config: process-wide, thread-safe compilation settings.
//
// An Engine holds its Config (fixed once the Engine exists), the canonical
// function-type registry and the epoch counter. Engines are cheap shared
// handles: copies refer to the same engine. Modules compiled by one engine
// may only be instantiated in stores of that engine.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ember/types.hh"

namespace ember {

namespace rt {
struct EngineConfig;
struct EngineData;
}  // namespace rt

// The values each string setting of Config accepts, defined once: Config
// checks against them and the Python binding reads them from here.
inline constexpr std::array<std::string_view, 4> kStrategies{"auto", "cranelift", "winch",
                                                             "interpreter"};
inline constexpr std::array<std::string_view, 4> kProfilers{"none", "jitdump", "vtune", "perfmap"};
inline constexpr std::array<std::string_view, 3> kOptLevels{"none", "speed", "speed_and_size"};
// wasmtime's boolean settings that Ember accepts and records but that change
// nothing here: proposals it does not implement and tuning of Cranelift's
// memories and unwinding (docs/decisions.md).
inline constexpr std::array<std::string_view, 8> kCompatFlags{
    "wasm_component_model", "wasm_component_model_map", "wasm_stack_switching",
    "gc_support",           "memory_may_move",          "memory_init_cow",
    "native_unwind_info",   "macos_use_mach_ports"};

// Engine settings. Every rule about a setting's value lives here, once; the
// Python binding only converts Python values and maps the exceptions:
//   std::invalid_argument  a number outside the setting's range (Python
//                          ValueError);
//   WasmError              a name or file the setting cannot use: unknown
//                          choice, foreign target, unreadable cache
//                          configuration (Python WasmtimeError, as wasmtime).
class Config {
 public:
  Config();
  Config(const Config&);
  Config& operator=(const Config&);
  ~Config();

  // Enables or disables a WebAssembly proposal (features.def).
  Config& wasm_feature(Feature f, bool on);
  Config& features(const FeatureSet& all);
  const FeatureSet& features() const;
  Config& consume_fuel(bool on);
  Config& epoch_interruption(bool on);
  // Bytes of wasm stack a call may use before it traps "call stack exhausted":
  // 1 byte to 1 GiB, else std::invalid_argument (wasmtime aborts the process
  // on 0 or on sizes beyond its async stack).
  Config& max_wasm_stack(uint64_t bytes);
  Config& signals_based_traps(bool on);
  Config& nan_canonicalization(bool on);
  // Translate the functions of large modules on several threads (default
  // on); the translated code is the same either way.
  Config& parallel_compilation(bool on);

  // Compilation cache (docs/serialization.md): on = the default directory
  // ($XDG_CACHE_HOME/ember or ~/.cache/ember; WasmError if neither is
  // known), off = none.
  Config& cache(bool on);
  // The cache in directory `dir` (created on first write); "" = no cache.
  Config& cache_dir(const std::string& dir);
  // wasmtime's cache configuration file (TOML [cache] table: `enabled`,
  // `directory`). Throws WasmError if it cannot be read or parsed.
  Config& cache_config_file(const std::string& path);
  // `path` as docs/serialization.md says: an existing directory is the cache
  // directory (made absolute), anything else a cache configuration file.
  Config& cache_path(const std::string& path);

  // Code generation (docs/decisions.md 42). strategy: "auto" (default) =
  // the interpreter first, hot functions and loops compiled in the
  // background; "cranelift" = every function compiled when the module is;
  // "interpreter" (Ember's own) and "winch" = the interpreter only. In a
  // build without the compiled tier every strategy interprets. Bad names
  // throw WasmError.
  Config& strategy(const std::string& name);
  // Tiering (strategy "auto"): how many calls and loop iterations of a
  // function go before it is compiled (Ember's own; default 10000; 0 =
  // at its first call). With parallel_compilation off, the thread that
  // made a function hot waits for its code instead of running on.
  Config& tier_up_after(uint64_t count);      // at most 2^31 - 1, else std::invalid_argument
  Config& profiler(const std::string& name);  // "none" | "jitdump" | "vtune" | "perfmap"
  Config& cranelift_opt_level(const std::string& level);  // "none" | "speed" | "speed_and_size"
  Config& cranelift_debug_verifier(bool on);
  // Eager compilation (strategy "cranelift") calls `report` with the
  // functions compiled so far and the total, from the compiling threads,
  // one call at a time: at 0, after each chunk of functions, at the total
  // (Ember's own; `ember compile` shows a progress line with it).
  Config& compile_progress(std::function<void(uint32_t done, uint32_t total)> report);
  Config& debug_info(bool on);
  // Relaxed SIMD operators give the deterministic profile's results rather
  // than the fastest native ones (wasmtime's relaxed_simd_deterministic).
  Config& relaxed_simd_deterministic(bool on);
  // A code generator flag (wasmtime's cranelift_flag_set/enable), recorded.
  Config& cranelift_flag(const std::string& key, const std::string& value);
  // The target triple: only the host's is accepted (Ember runs where it is
  // compiled), anything else throws WasmError "unsupported target: ...".
  Config& target(const std::string& triple);

  // Allow SharedMemory (wasmtime's shared_memory; default off).
  Config& shared_memory(bool on);
  bool shared_memory() const;
  // Bytes of address space per linear memory, guard bytes after it, and
  // extra reservation for growth: recorded (Ember sizes its reservations
  // itself; docs/decisions.md).
  Config& memory_reservation(uint64_t bytes);
  Config& memory_guard_size(uint64_t bytes);
  Config& memory_reservation_for_growth(uint64_t bytes);
  // One of kCompatFlags, recorded; WasmError for any other name.
  Config& compat_flag(std::string_view name, bool on);
  bool compat_flag(std::string_view name) const;

  // All settings, including the ones accepted only for compatibility.
  rt::EngineConfig& raw() { return *cfg_; }
  const rt::EngineConfig& raw() const { return *cfg_; }

 private:
  struct Recorded;  // settings without a counterpart in rt::EngineConfig
  std::unique_ptr<rt::EngineConfig> cfg_;
  std::unique_ptr<Recorded> rec_;
};

class Engine {
 public:
  Engine();
  explicit Engine(const Config& config);

  // Advances the epoch; stores whose deadline is reached trap "interrupt".
  void increment_epoch();
  const FeatureSet& features() const;
  // False: Ember runs its own register-IR interpreter, not wasmtime's
  // Pulley bytecode (tier() says which tier runs code).
  bool is_pulley() const { return false; }
  // How this engine runs wasm: "interpreter" (strategy "interpreter" or
  // "winch", or a build without the compiled tier), "tiered" (strategy
  // "auto": the interpreter, hot code compiled with LLVM in the
  // background) or "compiled" (strategy "cranelift": LLVM when a module is
  // compiled; what it does not lower yet is interpreted).
  const char* tier() const;

  // Copies of one engine compare equal; separately created engines do not.
  bool operator==(const Engine& o) const { return data_ == o.data_; }

  const std::shared_ptr<rt::EngineData>& raw() const { return data_; }

 private:
  std::shared_ptr<rt::EngineData> data_;
};

// Stops the compiled tier's background compilation for the rest of the
// process: code that gets hot later stays interpreted. It waits for the
// batch in flight, unless `wait_for_batch` is false: then that batch may
// still finish, and if it is still compiling when the process exits, the
// exit does not wait for it (LLVM can take many seconds over one huge
// function): stdio is flushed and the process ends with its exit status,
// without running the exit handlers registered before the batch began. The
// Python package and the `ember` CLI call it (not waiting) when they end;
// a C++ program that tiers should call it before returning from main (it
// also runs from an exit handler, the last resort).
void stop_background_compilation(bool wait_for_batch = true);

}  // namespace ember
